# Copyright the ViX-Ray toolkit authors. Licensed as the repository.
"""Fine-tune a vision-language model on ViX-Ray, one of the paper's three stages (§4.3, Appendix A/B).

Stage 1 writes the findings, stage 2 the impressions, stage 3 is the two-turn conversation (findings, then
"Kết luận bệnh nhân bị gì?" and the impressions). Loss is on the assistant turns only
(``vixray_data.training.AssistantOnlyCollator`` over TRL's vision collator; its docstring says why TRL's
``assistant_only_loss`` is not used). Defaults are the paper's: 20 epochs, lr 3e-5, batch 8, gradient
accumulation 4, AdamW, activation (gradient) checkpointing; precision, unless set, is bf16 where the GPU supports
it (the paper's), else fp16 on CUDA, else fp32 with a warning. Failures a user can fix (no model, an unreachable
hub id, a checkpoint that needs --trust_remote_code, a precision the machine lacks, a missing ``[train]`` extra)
end in one line saying what to do. ``build_trainer`` is the SFTTrainer this script trains with;
``benchmarks/bench_train.py`` times the same one.

# Full fine-tuning, one GPU (Qwen2-VL-2B-Instruct, stage 1, the published dataset):
accelerate launch examples/train_sft.py --config examples/configs/qwen2vl_2b_full.yaml --stage 1

# LoRA on the language model, stage 3, a locally built folder:
accelerate launch examples/train_sft.py --config examples/configs/qwen2vl_2b_lora.yaml --stage 3 --dataset ./vixray

# QLoRA (4-bit base; needs bitsandbytes):
accelerate launch examples/train_sft.py --config examples/configs/qwen2vl_7b_qlora.yaml --stage 2

# Seven GPUs as in the paper, DeepSpeed ZeRO-2 (see examples/README.md for DDP, ZeRO-3, FSDP):
accelerate launch --config_file examples/accelerate/deepspeed_zero2.yaml --num_processes 7 \\
    examples/train_sft.py --config examples/configs/qwen2vl_7b_full.yaml --stage 1
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from vixray_data import schema
from vixray_data.conversations import STAGE_FIELDS, has_targets, require_columns, require_values
from vixray_data.errors import VixrayError
from vixray_data.load import load_vixray

try:  # the [train] extra; without it even --help should say what to install, not print a traceback
    import torch
    from accelerate import PartialState
    from transformers import AutoModelForImageTextToText, AutoProcessor, TrainerCallback
    from trl import ModelConfig, SFTConfig, SFTTrainer, TrlParser, get_peft_config, get_quantization_config

    from vixray_data.training import (
        LANGUAGE_MODEL_LORA_TARGETS,
        AssistantOnlyCollator,
        PrecisionError,
        RemoteCodeError,
        ThroughputCallback,
        UnreachableError,
        UnsupportedModelError,
        check_model_family,
        checked_load,
        pick_precision,
        quiet_peft_alias,
        set_image_budget,
    )
except ModuleNotFoundError as missing:
    sys.exit(
        f"train_sft.py: {missing.name} is not installed; fine-tuning needs the training extra: "
        "pip install 'vixray-data[train]'"
    )

log = logging.getLogger("train_sft")


@dataclass
class VixrayArguments:
    stage: int = field(default=1, metadata={"help": "1: findings, 2: impressions, 3: findings then impressions."})
    dataset: str = field(default=schema.HUB_ID, metadata={"help": "Hub id or local built folder (e.g. ./vixray)."})
    train_split: str = field(default=schema.TRAIN, metadata={"help": "Split to train on."})
    eval_split: str | None = field(default=None, metadata={"help": "e.g. validation; None skips evaluation."})
    max_train_samples: int | None = field(
        default=None,
        metadata={
            "help": "Train on the first N records of the split (after those without the stage's target are dropped); "
            "None: all."
        },
    )
    max_pixels: int | None = field(
        default=256 * 28 * 28,
        metadata={"help": "Pixel budget per X-ray for Qwen-VL (~256 visual tokens at 256*28*28); InternVL ignores it."},
    )
    min_pixels: int | None = field(
        default=None,
        metadata={"help": "Smallest pixel count an X-ray is scaled up to (Qwen-VL); None: the processor's own."},
    )


@dataclass
class TrainingArguments(SFTConfig):
    """TRL's SFTConfig, except that what is left unset is picked from the hardware, without deprecated names."""

    bf16: bool | None = field(
        default=None,
        metadata={"help": "bf16 mixed precision. Unset: bf16 where the GPU supports it, else fp16 on CUDA, else fp32."},
    )
    # transformers 5 renamed gradient_checkpointing; TRL still defaults the old name to True, which warns every run
    activation_checkpointing: bool | None = field(
        default=None,
        metadata={
            "help": "Recompute activations in the backward pass to save memory (the paper's setting). Unset: on."
        },
    )
    gradient_checkpointing: bool | None = field(
        default=None,
        metadata={"help": "Deprecated alias of --activation_checkpointing (transformers 5); use that instead."},
    )
    dataloader_pin_memory: bool | None = field(
        default=None,
        metadata={
            "help": "Pin batches in page-locked memory for faster copies to the accelerator. Unset: on when one is "
            "used, off on CPU (where torch warns that pinning does nothing)."
        },
    )

    def __post_init__(self):
        self.bf16, self.fp16 = pick_precision(self.bf16, self.fp16, use_cpu=self.use_cpu)
        if self.activation_checkpointing is None and self.gradient_checkpointing is None:
            self.activation_checkpointing = True  # TRL's default and the paper's
        if self.dataloader_pin_memory is None:
            accelerator = getattr(torch, "accelerator", torch.cuda)  # torch.accelerator: torch >= 2.6
            self.dataloader_pin_memory = not self.use_cpu and accelerator.is_available()
        super().__post_init__()


def parse_arguments(argv: list[str] | None = None) -> tuple[VixrayArguments, TrainingArguments, ModelConfig]:
    """The script's, TRL's SFT and model options, from ``--config FILE.yaml`` overridden by the command line."""
    parser = TrlParser(
        (VixrayArguments, TrainingArguments, ModelConfig),
        description=(
            "Fine-tune a vision-language model on ViX-Ray (one stage). --config FILE.yaml sets any option below; "
            "the command line overrides it. Examples: examples/README.md."
        ),
    )
    return parser.parse_args_and_config(argv)


def load_data(args: VixrayArguments):
    """(train, evaluation or None): the records to train on, checked before any model is loaded."""
    train = checked_load("dataset", args.dataset, load_vixray, args.dataset, split=args.train_split)
    require_columns(train.column_names, stage=args.stage, name=args.dataset)
    require_values(
        train.select_columns(list(STAGE_FIELDS[args.stage])),
        stage=args.stage,
        name=f"{args.dataset}[{args.train_split}]",
    )
    # records without this stage's target cannot be trained on: drop them, and say how many
    targets = list(STAGE_FIELDS[args.stage])
    before = len(train)
    train = train.filter(
        lambda *values: has_targets(dict(zip(targets, values, strict=True)), stage=args.stage), input_columns=targets
    )
    if len(train) < before:
        log.warning(
            "dropped %d of %d %s records with an empty %s",
            before - len(train),
            before,
            args.train_split,
            " or ".join(targets),
        )
    if args.max_train_samples is not None:
        train = train.select(range(min(args.max_train_samples, len(train))))
    evaluation = (
        checked_load("dataset", args.dataset, load_vixray, args.dataset, split=args.eval_split)
        if args.eval_split
        else None
    )
    return train, evaluation


def load_model(model_args: ModelConfig, training_args: TrainingArguments, vixray_args: VixrayArguments):
    """(model, processor) of a supported family, the processor at the X-ray pixel budget."""
    name, revision, remote = model_args.model_name_or_path, model_args.model_revision, training_args.trust_remote_code
    check_model_family(name, revision=revision)
    dtype = model_args.dtype if model_args.dtype in ("auto", None) else getattr(torch, model_args.dtype)
    quantization_config = get_quantization_config(model_args)
    model = checked_load(
        "model",
        name,
        AutoModelForImageTextToText.from_pretrained,
        name,
        revision=revision,
        dtype=dtype,
        trust_remote_code=remote,
        attn_implementation=model_args.attn_implementation,
        quantization_config=quantization_config,
        # a quantised base sits whole on this process's GPU
        device_map=({"": PartialState().local_process_index} if quantization_config is not None else None),
    )
    processor = checked_load(
        "model", name, AutoProcessor.from_pretrained, name, revision=revision, trust_remote_code=remote
    )
    set_image_budget(processor, min_pixels=vixray_args.min_pixels, max_pixels=vixray_args.max_pixels)
    return model, processor


def lora_config(model_args: ModelConfig):
    """TRL's PEFT config from the model options, on the language model's projections unless targets are given."""
    peft_config = get_peft_config(model_args)
    if peft_config is not None and model_args.lora_target_modules is None:
        peft_config.target_modules = LANGUAGE_MODEL_LORA_TARGETS
    return peft_config


def build_trainer(
    model,
    processor,
    train,
    evaluation,
    training_args: TrainingArguments,
    *,
    stage: int,
    peft_config=None,
    callbacks: Sequence[TrainerCallback] = (),
) -> SFTTrainer:
    """The SFTTrainer this script trains with (``benchmarks/bench_train.py`` times this same trainer)."""
    training_args.remove_unused_columns = False  # the collator reads raw records
    training_args.dataset_kwargs = {"skip_prepare_dataset": True}
    if training_args.include_num_input_tokens_seen in ("no", False):  # tokens/s for the throughput report
        training_args.include_num_input_tokens_seen = "non_padding"
    collator = AssistantOnlyCollator(processor, stage, max_length=training_args.max_length)
    with quiet_peft_alias():  # LoRA: the trainer wraps the model with PEFT here
        return SFTTrainer(
            model=model,
            args=training_args,
            data_collator=collator,
            train_dataset=train,
            eval_dataset=evaluation,
            processing_class=processor,
            peft_config=peft_config,
            callbacks=list(callbacks),
        )


def main(argv: list[str] | None = None) -> SFTTrainer:
    vixray_args, training_args, model_args = parse_arguments(argv)
    if training_args.log_level != "passive":  # e.g. debug: the collator logs the record ids of every batch
        logging.getLogger("vixray_data").setLevel(training_args.get_process_log_level())
    train, evaluation = load_data(vixray_args)
    model, processor = load_model(model_args, training_args, vixray_args)
    throughput = ThroughputCallback()
    trainer = build_trainer(
        model,
        processor,
        train,
        evaluation,
        training_args,
        stage=vixray_args.stage,
        peft_config=lora_config(model_args),
        callbacks=[throughput],
    )
    trainer.train()
    trainer.save_model(training_args.output_dir)
    if trainer.is_world_process_zero():
        print(f"stage {vixray_args.stage}: saved to {training_args.output_dir}; throughput {throughput.summary}")
    return trainer


if __name__ == "__main__":
    # the rank prefixes every line of a multi-process launch (RANK is set by accelerate / torchrun)
    logging.basicConfig(
        level=logging.INFO, format=f"[rank {os.environ.get('RANK', '0')}] %(levelname)s %(name)s: %(message)s"
    )
    try:
        main(sys.argv[1:])
    except (VixrayError, UnreachableError, UnsupportedModelError, PrecisionError, RemoteCodeError) as error:
        sys.exit(f"train_sft.py: {error}")

# Copyright the ViX-Ray toolkit authors. Licensed as the repository.
"""Fine-tune a vision-language model on ViX-Ray, one of the paper's three stages (§4.3, Appendix A/B).

Stage 1 writes the findings, stage 2 the impressions, stage 3 is the two-turn conversation (findings, then
"Kết luận bệnh nhân bị gì?" and the impressions). Loss is on the assistant turns only
(``vixray_data.training.AssistantOnlyCollator``). Defaults are the paper's: 20 epochs, lr 3e-5, batch 8,
gradient accumulation 4, AdamW, gradient checkpointing; precision, unless set, is bf16 where the GPU supports it
(the paper's), else fp16 on CUDA, else fp32 with a warning. Failures a user can fix (no model, an unreachable hub
id, a precision the machine lacks, a missing ``[train]`` extra) end in one line saying what to do.

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
from dataclasses import dataclass, field

from vixray_data import schema
from vixray_data.conversations import STAGE_FIELDS, has_targets, require_columns, require_values
from vixray_data.errors import VixrayError
from vixray_data.load import load_vixray

try:  # the [train] extra; without it even --help should say what to install, not print a traceback
    import torch
    from accelerate import PartialState
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import ModelConfig, SFTConfig, SFTTrainer, TrlParser, get_peft_config, get_quantization_config

    from vixray_data.training import (
        LANGUAGE_MODEL_LORA_TARGETS,
        AssistantOnlyCollator,
        PrecisionError,
        ThroughputCallback,
        UnreachableError,
        UnsupportedModelError,
        check_model_family,
        pick_precision,
        set_image_budget,
        unreachable,
    )
except ModuleNotFoundError as missing:
    sys.exit(f"train_sft.py: {missing.name} is not installed; fine-tuning needs the training extra: "
             "pip install 'vixray-data[train]'")

log = logging.getLogger("train_sft")


@dataclass
class VixrayArguments:
    stage: int = field(default=1, metadata={"help": "1: findings, 2: impressions, 3: findings then impressions."})
    dataset: str = field(default=schema.HUB_ID, metadata={"help": "Hub id or local built folder (e.g. ./vixray)."})
    train_split: str = schema.TRAIN
    eval_split: str | None = field(default=None, metadata={"help": "e.g. validation; None skips evaluation."})
    max_train_samples: int | None = None
    max_pixels: int | None = field(default=256 * 28 * 28, metadata={"help": "~256 visual tokens per X-ray."})
    min_pixels: int | None = None


@dataclass
class TrainingArguments(SFTConfig):
    """TRL's SFTConfig, except that precision left unset is picked from the hardware (``pick_precision``)."""

    bf16: bool | None = field(default=None, metadata={
        "help": "bf16 mixed precision. Unset: bf16 where the GPU supports it, else fp16 on CUDA, else fp32."})

    def __post_init__(self):
        self.bf16, self.fp16 = pick_precision(self.bf16, self.fp16, use_cpu=self.use_cpu)
        super().__post_init__()


def _load(kind: str, name: str, loader, *args, **kwargs):
    """``loader(*args, **kwargs)``, with a hub id that cannot be reached turned into one clear line."""
    try:
        return loader(*args, **kwargs)
    except OSError as error:  # ConnectionError, OfflineModeIsEnabled, transformers' "couldn't connect"
        if isinstance(error, UnreachableError):
            raise
        raise unreachable(kind, name, error) from error


def main(argv: list[str] | None = None) -> SFTTrainer:
    parser = TrlParser((VixrayArguments, TrainingArguments, ModelConfig))
    vixray_args, training_args, model_args = parser.parse_args_and_config(argv)

    ################
    # Dataset (checked before any model is loaded)
    ################
    if training_args.log_level != "passive":  # e.g. debug: the collator logs the record ids of every batch
        logging.getLogger("vixray_data").setLevel(training_args.get_process_log_level())
    train = _load("dataset", vixray_args.dataset, load_vixray, vixray_args.dataset, split=vixray_args.train_split)
    require_columns(train.column_names, stage=vixray_args.stage, name=vixray_args.dataset)
    require_values(train.select_columns(list(STAGE_FIELDS[vixray_args.stage])), stage=vixray_args.stage,
                   name=f"{vixray_args.dataset}[{vixray_args.train_split}]")
    # records without this stage's target cannot be trained on: drop them, and say how many
    targets = list(STAGE_FIELDS[vixray_args.stage])
    before = len(train)
    train = train.filter(lambda *values: has_targets(dict(zip(targets, values, strict=True)), stage=vixray_args.stage),
                         input_columns=targets)
    if len(train) < before:
        log.warning("dropped %d of %d %s records with an empty %s", before - len(train), before,
                       vixray_args.train_split, " or ".join(targets))
    if vixray_args.max_train_samples is not None:
        train = train.select(range(min(vixray_args.max_train_samples, len(train))))
    evaluation = (_load("dataset", vixray_args.dataset, load_vixray, vixray_args.dataset, split=vixray_args.eval_split)
                  if vixray_args.eval_split else None)

    ################
    # Model & processor
    ################
    check_model_family(model_args.model_name_or_path, revision=model_args.model_revision)
    dtype = model_args.dtype if model_args.dtype in ("auto", None) else getattr(torch, model_args.dtype)
    quantization_config = get_quantization_config(model_args)
    name, remote = model_args.model_name_or_path, training_args.trust_remote_code
    model = _load("model", name, AutoModelForImageTextToText.from_pretrained,
                  name, revision=model_args.model_revision, dtype=dtype, trust_remote_code=remote,
                  attn_implementation=model_args.attn_implementation, quantization_config=quantization_config,
                  # a quantised base sits whole on this process's GPU
                  device_map={"": PartialState().local_process_index} if quantization_config is not None else None)
    processor = _load("model", name, AutoProcessor.from_pretrained, name, revision=model_args.model_revision,
                      trust_remote_code=remote)
    set_image_budget(processor, min_pixels=vixray_args.min_pixels, max_pixels=vixray_args.max_pixels)
    peft_config = get_peft_config(model_args)
    if peft_config is not None and model_args.lora_target_modules is None:
        peft_config.target_modules = LANGUAGE_MODEL_LORA_TARGETS

    ################
    # Training
    ################
    training_args.remove_unused_columns = False  # the collator reads raw records
    training_args.dataset_kwargs = {"skip_prepare_dataset": True}
    if training_args.include_num_input_tokens_seen in ("no", False):  # tokens/s for the throughput report
        training_args.include_num_input_tokens_seen = "non_padding"
    collator = AssistantOnlyCollator(processor, vixray_args.stage, max_length=training_args.max_length)
    throughput = ThroughputCallback()
    trainer = SFTTrainer(model=model, args=training_args, data_collator=collator, train_dataset=train,
                         eval_dataset=evaluation, processing_class=processor, peft_config=peft_config,
                         callbacks=[throughput])
    trainer.train()
    trainer.save_model(training_args.output_dir)
    if trainer.is_world_process_zero():
        print(f"stage {vixray_args.stage}: saved to {training_args.output_dir}; throughput {throughput.summary}")
    return trainer


if __name__ == "__main__":
    # the rank prefixes every line of a multi-process launch (RANK is set by accelerate / torchrun)
    logging.basicConfig(level=logging.INFO, format=f"[rank {os.environ.get('RANK', '0')}] %(levelname)s %(name)s: "
                                                   "%(message)s")
    try:
        main(sys.argv[1:])
    except (VixrayError, UnreachableError, UnsupportedModelError, PrecisionError) as error:
        sys.exit(f"train_sft.py: {error}")

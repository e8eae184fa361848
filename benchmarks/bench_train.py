"""Fine-tuning throughput and peak memory of real-size models, randomly initialised (no weights needed).

    .venv/bin/python benchmarks/bench_train.py --models qwen2vl_2b qwen25vl_3b --modes full lora --steps 10
    .venv/bin/python benchmarks/bench_train.py --models qwen25vl_7b --modes lora --steps 10   # 7B: LoRA on one GPU
    .venv/bin/python benchmarks/bench_train.py --models tiny_qwen2vl --batch-size 2 --grad-accum 1 --steps 3  # CPU

What is timed is ``examples/train_sft.py``'s own path: its options parsed from the training YAML (``--full-config``,
default examples/configs/qwen2vl_2b_full.yaml; ``--lora-config``, default qwen2vl_2b_lora.yaml), its data loading
and record filter, and the SFTTrainer its ``build_trainer`` makes (the assistant-only collator, precision from
``pick_precision``, activation checkpointing, AdamW, LoRA on the language model's projections), trained for
``--steps`` optimizer steps of stage 1 on a demo build. Only the model and processor differ: each model is built from
``benchmarks/model_configs/<name>.json`` (the published dimensions of Qwen2-VL-2B, Qwen2.5-VL-3B/7B and InternVL3-1B;
only the special-token ids are remapped to the offline tokenizer) in the YAML's dtype (float32 on CPU), instead of
being downloaded.

The text is tokenised by the tests' offline BPE tokenizer (the real ones cannot be downloaded here), so text-token
counts only approximate Qwen's; image tokens are exact for the budget (~256 per X-ray at 256*28*28 pixels,
256 per 448 px InternVL tile). Step time is the wall time between two optimizer steps' ends (data loading and
collation included); the first step is warm-up and left out of the medians. Writes one JSON record per
(model, mode): samples/s, tokens/s (non-padding input tokens, image tokens included), median step time and peak
memory (GPU: ``torch.cuda.max_memory_allocated``; CPU: the process's peak RSS).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the offline tokenizer and image-only processors the tests build
sys.path.insert(0, str(ROOT / "examples"))  # train_sft.py: the path being timed

import train_sft  # noqa: E402
from tiny_models import (  # noqa: E402
    INTERNVL_CHAT_TEMPLATE,
    INTERNVL_IMAGE_TOKENS,
    QWEN2_VL_CHAT_TEMPLATE,
    train_tokenizer,
)
from tiny_processing import ImageOnlyInternVLProcessor, ImageOnlyQwen2VLProcessor  # noqa: E402
from transformers import AutoConfig, AutoModelForImageTextToText, TrainerCallback  # noqa: E402

from vixray_data import schema  # noqa: E402
from vixray_data.build import build  # noqa: E402
from vixray_data.config import BuildConfig  # noqa: E402
from vixray_data.load import load_vixray  # noqa: E402
from vixray_data.training import set_image_budget  # noqa: E402

MODEL_CONFIGS = ROOT / "benchmarks" / "model_configs"
TRAIN_CONFIGS = {
    "full": ROOT / "examples" / "configs" / "qwen2vl_2b_full.yaml",
    "lora": ROOT / "examples" / "configs" / "qwen2vl_2b_lora.yaml",
}


def make_processor(model_type: str, texts: list[str], vision: dict, *, max_pixels: int):
    """Offline tokenizer + the family's image processor at the training config's pixel budget."""
    if model_type == "internvl":
        from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

        tokenizer = train_tokenizer(texts, extra=INTERNVL_IMAGE_TOKENS.values())
        tokenizer._set_model_specific_special_tokens(special_tokens=INTERNVL_IMAGE_TOKENS)
        tile = vision["image_size"]
        image_processor = GotOcr2ImageProcessorPil(
            size={"height": tile, "width": tile}, crop_to_patches=True, min_patches=1, max_patches=12
        )
        return ImageOnlyInternVLProcessor(
            image_processor=image_processor,
            tokenizer=tokenizer,
            image_seq_length=(tile // vision["patch_size"]) ** 2 // 4,
            chat_template=INTERNVL_CHAT_TEMPLATE,
        )
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    tokenizer = train_tokenizer(texts)
    image_processor = Qwen2VLImageProcessorPil(
        min_pixels=56 * 56, max_pixels=max_pixels, patch_size=14, merge_size=2, temporal_patch_size=2
    )
    processor = ImageOnlyQwen2VLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, chat_template=QWEN2_VL_CHAT_TEMPLATE
    )
    set_image_budget(processor, max_pixels=max_pixels)
    return processor


def make_model(settings: dict, tokenizer, *, device: str, dtype: torch.dtype):
    """The published architecture, randomly initialised, with its special-token ids remapped to ``tokenizer``."""
    settings = {k: v for k, v in settings.items() if not k.startswith("_")}
    model_type = settings.pop("model_type")
    ids = {
        "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    }
    settings["text_config"] = {**settings["text_config"], **ids}
    if model_type == "internvl":
        settings["image_token_id"] = tokenizer.context_image_token_id
    else:
        settings.update(
            {
                name: tokenizer.convert_tokens_to_ids(token)
                for name, token in (
                    ("image_token_id", "<|image_pad|>"),
                    ("video_token_id", "<|video_pad|>"),
                    ("vision_start_token_id", "<|vision_start|>"),
                    ("vision_end_token_id", "<|vision_end|>"),
                )
            }
        )
    config = AutoConfig.for_model(model_type, **settings)
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForImageTextToText.from_config(config, dtype=dtype)
    return model


class StepTimer(TrainerCallback):
    """Wall time and non-padding input tokens of each optimizer step, from one step's end to the next."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.tokens: list[int] = []
        self._last, self._seen = 0.0, 0

    def on_train_begin(self, args, state, control, **kwargs) -> None:
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        self._last, self._seen = time.perf_counter(), int(state.num_input_tokens_seen or 0)

    def on_step_end(self, args, state, control, **kwargs) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        now, seen = time.perf_counter(), int(state.num_input_tokens_seen or 0)
        self.seconds.append(now - self._last)
        self.tokens.append(seen - self._seen)
        self._last, self._seen = now, seen


def run_one(
    name: str, mode: str, data: Path, texts: list[str], config: Path, *, steps: int, device: str, overrides: list[str]
) -> dict:
    """``steps`` optimizer steps of train_sft.py's SFTTrainer on ``name`` in ``mode``, and their figures."""
    settings = json.loads((MODEL_CONFIGS / f"{name}.json").read_text())
    with tempfile.TemporaryDirectory() as out:
        argv = [
            "--config",
            str(config),
            "--dataset",
            str(data),
            "--stage",
            "1",
            "--max_steps",
            str(steps),
            "--output_dir",
            out,
            "--save_strategy",
            "no",
            "--report_to",
            "none",
            "--logging_steps",
            "1",
            "--disable_tqdm",
            "true",
            *(["--use_cpu", "true"] if device == "cpu" else []),
            *overrides,
        ]
        vixray_args, training_args, model_args = train_sft.parse_arguments(argv)
        train, _ = train_sft.load_data(vixray_args)
        processor = make_processor(
            settings["model_type"], texts, settings["vision_config"], max_pixels=vixray_args.max_pixels
        )
        dtype = (
            torch.float32 if device == "cpu" or model_args.dtype in (None, "auto") else getattr(torch, model_args.dtype)
        )
        model = make_model(settings, processor.tokenizer, device=device, dtype=dtype)
        params = sum(p.numel() for p in model.parameters())
        timer = StepTimer()
        trainer = train_sft.build_trainer(
            model,
            processor,
            train,
            None,
            training_args,
            stage=vixray_args.stage,
            peft_config=train_sft.lora_config(model_args),
            callbacks=[timer],
        )
        trainer.train()
    timed = timer.seconds[1:] or timer.seconds  # the first step is warm-up
    median = statistics.median(timed)
    tokens_per_step = statistics.median(timer.tokens[1:] or timer.tokens)
    peak = (
        torch.cuda.max_memory_allocated() / 2**30
        if device == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    )
    batch_size, accumulation = training_args.per_device_train_batch_size, training_args.gradient_accumulation_steps
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return {
        "model": name,
        "mode": mode,
        "train_config": str(config),
        "parameters": params,
        "trainable_parameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
        "device": device,
        "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
        "dtype": str(dtype).removeprefix("torch."),
        "precision": "bf16" if training_args.bf16 else "fp16" if training_args.fp16 else "fp32",
        "activation_checkpointing": training_args.activation_checkpointing,
        "steps": trainer.state.global_step,
        "batch_size": batch_size,
        "gradient_accumulation_steps": accumulation,
        "max_pixels": vixray_args.max_pixels,
        "max_length": training_args.max_length,
        "final_loss": round(losses[-1], 4),
        "step_seconds_median": round(median, 4),
        "samples_per_second": round(batch_size * accumulation / median, 3),
        "tokens_per_second": round(tokens_per_step / median, 1),
        "tokens_per_step": tokens_per_step,
        "peak_memory_gib": round(peak, 3),
        "peak_memory_kind": "cuda_allocated" if device == "cuda" else "cpu_rss",
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        nargs="+",
        default=["qwen2vl_2b", "qwen25vl_3b", "internvl3_1b"],
        help=f"names in {MODEL_CONFIGS.relative_to(ROOT)}/",
    )
    parser.add_argument("--modes", nargs="+", choices=["full", "lora"], default=["full", "lora"])
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per run (the first is warm-up)")
    parser.add_argument("--full-config", type=Path, default=TRAIN_CONFIGS["full"], help="training YAML, full mode")
    parser.add_argument("--lora-config", type=Path, default=TRAIN_CONFIGS["lora"], help="training YAML, LoRA mode")
    parser.add_argument("--batch-size", type=int, help="override the YAML's per_device_train_batch_size")
    parser.add_argument("--grad-accum", type=int, help="override the YAML's gradient_accumulation_steps")
    parser.add_argument("--demo-size", type=int, default=120, help="records in the demo build")
    parser.add_argument("--image-size", type=int, default=512, help="demo X-ray side in pixels")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path("bench_train.json"))
    args = parser.parse_args(argv)

    overrides = [
        *(["--per_device_train_batch_size", str(args.batch_size)] if args.batch_size else []),
        *(["--gradient_accumulation_steps", str(args.grad_accum)] if args.grad_accum else []),
    ]
    configs = {"full": args.full_config, "lora": args.lora_config}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "vixray"
        build(
            BuildConfig(
                out=data,
                demo_size=args.demo_size,
                demo_image_size=args.image_size,
                seed=175,
                num_proc=1,
                progress=False,
            )
        )
        records = load_vixray(str(data), split=schema.TRAIN)
        texts = [text for field in (schema.FINDINGS, schema.IMPRESSIONS) for text in records[field] if text]
        for name in args.models:
            for mode in args.modes:
                result = run_one(
                    name, mode, data, texts, configs[mode], steps=args.steps, device=args.device, overrides=overrides
                )
                print(json.dumps(result))
                results.append(result)
                if args.device == "cuda":
                    torch.cuda.empty_cache()
    report = {
        "command": " ".join(["benchmarks/bench_train.py", *(argv if argv is not None else sys.argv[1:])]),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "results": results,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()

"""Fine-tuning throughput and peak memory of real-size models, randomly initialised (no weights needed).

    .venv/bin/python benchmarks/bench_train.py --models qwen2vl_2b qwen25vl_3b --modes full lora --steps 10
    .venv/bin/python benchmarks/bench_train.py --models qwen25vl_7b --modes lora --steps 10   # 7B: LoRA on one GPU
    .venv/bin/python benchmarks/bench_train.py --models tiny_qwen2vl --batch-size 2 --grad-accum 1 --steps 3  # CPU

Each model is built from ``benchmarks/model_configs/<name>.json`` (the published dimensions of Qwen2-VL-2B,
Qwen2.5-VL-3B/7B and InternVL3-1B; only the special-token ids are remapped to the offline tokenizer), then runs
``--steps`` optimizer steps of stage 1 on a demo build with the YAML config's batch size, gradient accumulation,
``max_pixels`` and ``max_length`` (``--train-config``, default examples/configs/qwen2vl_2b_full.yaml; every shipped
config has the same values), gradient checkpointing on, AdamW at the paper's lr. Full fine-tuning keeps fp32
weights with bf16 autocast (as the full YAMLs); LoRA puts r=16 adapters on the language model's projections over
bf16 weights on GPU (as the LoRA YAMLs). Precision follows ``vixray_data.training.pick_precision``.

The text is tokenised by the tests' offline BPE tokenizer (the real ones cannot be downloaded here), so text-token
counts only approximate Qwen's; image tokens are exact for the budget (~256 per X-ray at 256*28*28 pixels,
256 per 448 px InternVL tile). The first step is warm-up and left out of the step-time median. Writes one JSON
record per (model, mode): samples/s, tokens/s (non-padding input tokens, image tokens included), median step time
and peak memory (GPU: ``torch.cuda.max_memory_allocated``; CPU: the process's peak RSS).
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
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the offline tokenizer and image-only processors the tests build

from tiny_models import (  # noqa: E402
    INTERNVL_CHAT_TEMPLATE,
    INTERNVL_IMAGE_TOKENS,
    QWEN2_VL_CHAT_TEMPLATE,
    train_tokenizer,
)
from tiny_processing import ImageOnlyInternVLProcessor, ImageOnlyQwen2VLProcessor  # noqa: E402
from transformers import AutoConfig, AutoModelForImageTextToText  # noqa: E402

from vixray_data import schema  # noqa: E402
from vixray_data.build import build  # noqa: E402
from vixray_data.config import BuildConfig  # noqa: E402
from vixray_data.load import load_vixray  # noqa: E402
from vixray_data.training import (  # noqa: E402
    LANGUAGE_MODEL_LORA_TARGETS,
    AssistantOnlyCollator,
    pick_precision,
    set_image_budget,
)

MODEL_CONFIGS = ROOT / "benchmarks" / "model_configs"
DEFAULT_TRAIN_CONFIG = ROOT / "examples" / "configs" / "qwen2vl_2b_full.yaml"


def make_processor(model_type: str, texts: list[str], vision: dict, *, max_pixels: int):
    """Offline tokenizer + the family's image processor at the training config's pixel budget."""
    if model_type == "internvl":
        from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

        tokenizer = train_tokenizer(texts, extra=INTERNVL_IMAGE_TOKENS.values())
        tokenizer._set_model_specific_special_tokens(special_tokens=INTERNVL_IMAGE_TOKENS)
        tile = vision["image_size"]
        image_processor = GotOcr2ImageProcessorPil(size={"height": tile, "width": tile}, crop_to_patches=True,
                                                   min_patches=1, max_patches=12)
        return ImageOnlyInternVLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                          image_seq_length=(tile // vision["patch_size"]) ** 2 // 4,
                                          chat_template=INTERNVL_CHAT_TEMPLATE)
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    tokenizer = train_tokenizer(texts)
    image_processor = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=max_pixels, patch_size=14, merge_size=2,
                                               temporal_patch_size=2)
    processor = ImageOnlyQwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                          chat_template=QWEN2_VL_CHAT_TEMPLATE)
    set_image_budget(processor, max_pixels=max_pixels)
    return processor


def make_model(settings: dict, tokenizer, *, device: str, dtype: torch.dtype):
    """The published architecture, randomly initialised, with its special-token ids remapped to ``tokenizer``."""
    settings = {k: v for k, v in settings.items() if not k.startswith("_")}
    model_type = settings.pop("model_type")
    ids = {"eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"), "pad_token_id": tokenizer.pad_token_id,
           "bos_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>")}
    settings["text_config"] = {**settings["text_config"], **ids}
    if model_type == "internvl":
        settings["image_token_id"] = tokenizer.context_image_token_id
    else:
        settings.update({name: tokenizer.convert_tokens_to_ids(token) for name, token in (
            ("image_token_id", "<|image_pad|>"), ("video_token_id", "<|video_pad|>"),
            ("vision_start_token_id", "<|vision_start|>"), ("vision_end_token_id", "<|vision_end|>"))})
    config = AutoConfig.for_model(model_type, **settings)
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForImageTextToText.from_config(config, dtype=dtype)
    return model


def run_one(name: str, mode: str, records, texts: list[str], train: dict, *, steps: int, device: str) -> dict:
    settings = json.loads((MODEL_CONFIGS / f"{name}.json").read_text())
    processor = make_processor(settings["model_type"], texts, settings["vision_config"], max_pixels=train["max_pixels"])
    bf16, fp16 = pick_precision(None, False, use_cpu=device == "cpu")
    half = torch.bfloat16 if bf16 else torch.float16 if fp16 else None
    weights = half if (mode == "lora" and half is not None) else torch.float32
    model = make_model(settings, processor.tokenizer, device=device, dtype=weights)
    params = sum(p.numel() for p in model.parameters())
    if mode == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
                                                 target_modules=LANGUAGE_MODEL_LORA_TARGETS))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=train["learning_rate"])
    collator = AssistantOnlyCollator(processor, 1, max_length=train["max_length"])
    batch_size, accumulation = train["per_device_train_batch_size"], train["gradient_accumulation_steps"]
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    step_seconds, step_tokens, cursor = [], [], 0
    for _ in range(steps):
        tokens = 0
        start = time.perf_counter()
        for _ in range(accumulation):
            rows = [records[(cursor + i) % len(records)] for i in range(batch_size)]
            cursor += batch_size
            batch = {k: v.to(device) if hasattr(v, "to") else v for k, v in collator(rows).items()}
            tokens += int(batch["attention_mask"].sum())
            with torch.autocast(device_type=device, dtype=half, enabled=half is not None and mode == "full"):
                loss = model(**batch).loss / accumulation
            loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device == "cuda":
            torch.cuda.synchronize()
        step_seconds.append(time.perf_counter() - start)
        step_tokens.append(tokens)
    timed = step_seconds[1:] or step_seconds  # the first step is warm-up
    median = statistics.median(timed)
    tokens_per_step = statistics.median(step_tokens[1:] or step_tokens)
    peak = (torch.cuda.max_memory_allocated() / 2**30 if device == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    return {"model": name, "mode": mode, "parameters": params,
            "trainable_parameters": sum(p.numel() for p in trainable), "device": device,
            "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
            "precision": "bf16" if bf16 else "fp16" if fp16 else "fp32", "steps": steps,
            "batch_size": batch_size, "gradient_accumulation_steps": accumulation, "max_pixels": train["max_pixels"],
            "max_length": train["max_length"], "final_loss": round(loss.item() * accumulation, 4),
            "step_seconds_median": round(median, 4), "samples_per_second": round(batch_size * accumulation / median, 3),
            "tokens_per_second": round(tokens_per_step / median, 1), "tokens_per_step": tokens_per_step,
            "peak_memory_gib": round(peak, 3), "peak_memory_kind": "cuda_allocated" if device == "cuda" else "cpu_rss"}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["qwen2vl_2b", "qwen25vl_3b", "internvl3_1b"],
                        help=f"names in {MODEL_CONFIGS.relative_to(ROOT)}/")
    parser.add_argument("--modes", nargs="+", choices=["full", "lora"], default=["full", "lora"])
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per run (the first is warm-up)")
    parser.add_argument("--train-config", type=Path, default=DEFAULT_TRAIN_CONFIG)
    parser.add_argument("--batch-size", type=int, help="override the YAML's per_device_train_batch_size")
    parser.add_argument("--grad-accum", type=int, help="override the YAML's gradient_accumulation_steps")
    parser.add_argument("--demo-size", type=int, default=120, help="records in the demo build")
    parser.add_argument("--image-size", type=int, default=512, help="demo X-ray side in pixels")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=Path("bench_train.json"))
    args = parser.parse_args(argv)

    train = yaml.safe_load(args.train_config.read_text(encoding="utf-8"))
    train["per_device_train_batch_size"] = args.batch_size or train["per_device_train_batch_size"]
    train["gradient_accumulation_steps"] = args.grad_accum or train["gradient_accumulation_steps"]
    with tempfile.TemporaryDirectory() as tmp:
        build(BuildConfig(out=Path(tmp) / "vixray", demo_size=args.demo_size, demo_image_size=args.image_size,
                          seed=175, num_proc=1, progress=False))
        records = load_vixray(str(Path(tmp) / "vixray"), split=schema.TRAIN)
        records = [records[i] for i in range(len(records))]
    texts = [r[field] for r in records for field in (schema.FINDINGS, schema.IMPRESSIONS) if r[field]]
    results = []
    for name in args.models:
        for mode in args.modes:
            result = run_one(name, mode, records, texts, train, steps=args.steps, device=args.device)
            print(json.dumps(result))
            results.append(result)
            if args.device == "cuda":
                torch.cuda.empty_cache()
    report = {"command": " ".join(["benchmarks/bench_train.py", *(argv if argv is not None else sys.argv[1:])]),
              "torch": torch.__version__, "python": platform.python_version(), "results": results}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()

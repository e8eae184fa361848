# Copyright the ViX-Ray toolkit authors. Licensed as the repository.
"""Generate reports for one split with a fine-tuned checkpoint (or a base model + LoRA adapter).

Writes predictions JSONL, one line per record and field: ``id, stage, field, prediction, reference, split``,
the input of ``vixray evaluate``. Stage 3 chains like the paper: the model's own findings are fed back as
the assistant turn before it is asked "Kết luận bệnh nhân bị gì?" for the impressions.

# A full fine-tuned checkpoint, stage 1, the test split, greedy:
python examples/generate.py --model runs/qwen2vl-2b-stage1 --stage 1 --split test --output preds-s1.jsonl

# A LoRA adapter directory (its adapter_config.json names the base model), stage 3, a local folder:
python examples/generate.py --model runs/qwen2vl-2b-lora-stage3 --stage 3 --dataset ./vixray --output preds-s3.jsonl
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from vixray_data import schema
from vixray_data.conversations import STAGE_FIELDS
from vixray_data.errors import VixrayError
from vixray_data.load import load_vixray

try:  # the [train] extra; without it even --help should say what to install, not print a traceback
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor, HfArgumentParser

    from vixray_data.training import (
        UnreachableError,
        UnsupportedModelError,
        check_model_family,
        generation_batch,
        set_image_budget,
        unreachable,
    )
except ModuleNotFoundError as missing:
    sys.exit(f"generate.py: {missing.name} is not installed; fine-tuning needs the training extra: "
             "pip install 'vixray-data[train]'")

log = logging.getLogger("generate")


@dataclass
class GenerateArguments:
    model: str = field(metadata={"help": "Checkpoint dir or hub id; or a LoRA adapter dir (base read from it)."})
    output: str = field(metadata={"help": "Predictions JSONL to write."})
    stage: int = 1
    dataset: str = schema.HUB_ID
    split: str = schema.TEST
    base_model: str | None = field(default=None, metadata={"help": "Override the adapter's base model."})
    batch_size: int = 8
    max_new_tokens: int = 512
    do_sample: bool = False
    num_beams: int = 1
    max_samples: int | None = None
    max_pixels: int | None = 256 * 28 * 28
    min_pixels: int | None = None
    dtype: str = field(default="auto", metadata={"help": "auto, bfloat16, float16 or float32."})
    device: str | None = field(default=None, metadata={"help": "Default: cuda when available, else cpu."})


def load_model(args: GenerateArguments):
    """(model, processor) from a checkpoint, or a base model with the adapter merged in."""
    adapter_config = Path(args.model) / "adapter_config.json"
    adapter = args.model if adapter_config.is_file() else None
    base = args.base_model or (json.loads(adapter_config.read_text())["base_model_name_or_path"] if adapter
                               else args.model)
    check_model_family(base)
    dtype = args.dtype if args.dtype == "auto" else getattr(torch, args.dtype)
    model = AutoModelForImageTextToText.from_pretrained(base, dtype=dtype)
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    try:
        processor = AutoProcessor.from_pretrained(args.model)  # the trainer saves the processor beside the weights
    except (OSError, ValueError):
        processor = AutoProcessor.from_pretrained(base)
    set_image_budget(processor, min_pixels=args.min_pixels, max_pixels=args.max_pixels)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device).eval(), processor


@torch.inference_mode()
def _generate(model, processor, records, args: GenerateArguments, findings=None) -> list[str]:
    batch = generation_batch(processor, records, stage=args.stage, findings=findings).to(model.device)
    out = model.generate(**batch, max_new_tokens=args.max_new_tokens, do_sample=args.do_sample,
                         num_beams=args.num_beams)
    texts = processor.batch_decode(out[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    return [text.strip() for text in texts]


def main(argv: list[str] | None = None) -> Path:
    (args,) = HfArgumentParser(GenerateArguments).parse_args_into_dataclasses(argv)
    fields = STAGE_FIELDS.get(args.stage)
    if fields is None:
        raise SystemExit(f"--stage must be one of {sorted(STAGE_FIELDS)}")
    try:
        data = load_vixray(args.dataset, split=args.split)
    except OSError as error:  # ConnectionError / OfflineModeIsEnabled for a hub id that cannot be reached
        raise unreachable("dataset", args.dataset, error) from error
    if args.max_samples is not None:
        data = data.select(range(min(args.max_samples, len(data))))
    model, processor = load_model(args)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as sink:
        for start in tqdm(range(0, len(data), args.batch_size), desc=f"stage {args.stage}", unit="batch"):
            records = list(data.select(range(start, min(start + args.batch_size, len(data)))))
            predictions = {fields[0]: _generate(model, processor, records, args)}
            if args.stage == 3:  # the paper's chaining: own findings back in, then ask for the conclusion
                predictions[fields[1]] = _generate(model, processor, records, args, findings=predictions[fields[0]])
            for i, record in enumerate(records):
                for name in fields:
                    row = {"id": record[schema.ID], "stage": args.stage, "field": name,
                           "prediction": predictions[name][i], "reference": record.get(name) or "",
                           "split": args.split}
                    sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(data) * len(fields)} predictions for {len(data)} records to {output}")
    return output


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        main(sys.argv[1:])
    except (VixrayError, UnreachableError, UnsupportedModelError) as error:
        sys.exit(f"generate.py: {error}")

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
        RemoteCodeError,
        UnreachableError,
        UnsupportedModelError,
        check_model_family,
        checked_load,
        generation_batch,
        quiet_peft_alias,
        set_image_budget,
    )
except ModuleNotFoundError as missing:
    sys.exit(
        f"generate.py: {missing.name} is not installed; fine-tuning needs the training extra: "
        "pip install 'vixray-data[train]'"
    )

log = logging.getLogger("generate")


@dataclass
class GenerateArguments:
    model: str = field(metadata={"help": "Checkpoint dir or hub id; or a LoRA adapter dir (base read from it)."})
    output: str = field(metadata={"help": "Predictions JSONL to write."})
    stage: int = field(
        default=1,
        metadata={"help": "1: findings, 2: impressions, 3: findings, then impressions after the model's own findings."},
    )
    dataset: str = field(default=schema.HUB_ID, metadata={"help": "Hub id or local built folder (e.g. ./vixray)."})
    split: str = field(default=schema.TEST, metadata={"help": "Split to generate for."})
    base_model: str | None = field(default=None, metadata={"help": "Override the adapter's base model."})
    batch_size: int = field(default=8, metadata={"help": "Records per generate() call (left-padded)."})
    max_new_tokens: int = field(default=512, metadata={"help": "Longest answer, in tokens, per turn."})
    do_sample: bool = field(default=False, metadata={"help": "Sample instead of greedy decoding."})
    num_beams: int = field(default=1, metadata={"help": "Beam search width; 1: no beam search."})
    max_samples: int | None = field(default=None, metadata={"help": "Only the first N records; None: all."})
    max_pixels: int | None = field(
        default=256 * 28 * 28,
        metadata={
            "help": "Pixel budget per X-ray for Qwen-VL, as in training (~256 visual tokens); InternVL ignores it."
        },
    )
    min_pixels: int | None = field(
        default=None,
        metadata={"help": "Smallest pixel count an X-ray is scaled up to (Qwen-VL); None: the processor's own."},
    )
    dtype: str = field(default="auto", metadata={"help": "auto, bfloat16, float16 or float32."})
    device: str | None = field(default=None, metadata={"help": "None: cuda when available, else cpu."})
    trust_remote_code: bool = field(
        default=False,
        metadata={
            "help": "Run the checkpoint's own code (auto_map in its config files) to load it; only for code you trust."
        },
    )


def load_model(args: GenerateArguments):
    """(model, processor) from a checkpoint, or a base model with the adapter merged in."""
    adapter_config = Path(args.model) / "adapter_config.json"
    adapter = args.model if adapter_config.is_file() else None
    base = args.base_model or (
        json.loads(adapter_config.read_text())["base_model_name_or_path"] if adapter else args.model
    )
    check_model_family(base)
    dtype = args.dtype if args.dtype == "auto" else getattr(torch, args.dtype)
    remote = args.trust_remote_code  # always passed: left unset, transformers would ask on the terminal
    model = checked_load(
        "model", base, AutoModelForImageTextToText.from_pretrained, base, dtype=dtype, trust_remote_code=remote
    )
    if adapter:
        from peft import PeftModel

        with quiet_peft_alias():
            model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    try:  # the trainer saves the processor beside the weights
        processor = checked_load(
            "model", args.model, AutoProcessor.from_pretrained, args.model, trust_remote_code=remote
        )
    except (OSError, ValueError) as error:
        if isinstance(error, RemoteCodeError):
            raise
        processor = checked_load("model", base, AutoProcessor.from_pretrained, base, trust_remote_code=remote)
    set_image_budget(processor, min_pixels=args.min_pixels, max_pixels=args.max_pixels)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device).eval(), processor


@torch.inference_mode()
def _generate(model, processor, records, args: GenerateArguments, findings=None) -> list[str]:
    batch = generation_batch(processor, records, stage=args.stage, findings=findings).to(model.device)
    out = model.generate(
        **batch, max_new_tokens=args.max_new_tokens, do_sample=args.do_sample, num_beams=args.num_beams
    )
    texts = processor.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    return [text.strip() for text in texts]


def main(argv: list[str] | None = None) -> Path:
    parser = HfArgumentParser(GenerateArguments, description=__doc__.split("\n\n")[0])
    (args,) = parser.parse_args_into_dataclasses(argv)
    fields = STAGE_FIELDS.get(args.stage)
    if fields is None:
        raise SystemExit(f"--stage must be one of {sorted(STAGE_FIELDS)}")
    data = checked_load("dataset", args.dataset, load_vixray, args.dataset, split=args.split)
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
                    row = {
                        "id": record[schema.ID],
                        "stage": args.stage,
                        "field": name,
                        "prediction": predictions[name][i],
                        "reference": record.get(name) or "",
                        "split": args.split,
                    }
                    sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(data) * len(fields)} predictions for {len(data)} records to {output}")
    return output


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    try:
        main(sys.argv[1:])
    except (VixrayError, UnreachableError, UnsupportedModelError, RemoteCodeError) as error:
        sys.exit(f"generate.py: {error}")

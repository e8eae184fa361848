"""InternVL in transformers' -hf format, end to end on a tiny random checkpoint built offline.

The checkpoint (``tests/tiny_models.build_tiny_internvl``) has InternVL -hf's chat template, its named image tokens
(``<img>``, ``<IMG_CONTEXT>``, ``</img>``), the tiling image processor and the InternVL model class with a Qwen2
language model, so the collator, LoRA targets, SFTTrainer and generate.py meet the same structure as
OpenGVLab/InternVL3-1B-hf.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from vixray_data.conversations import SYSTEM_PROMPT, assistant_texts, conversation
from vixray_data.evaluation.predictions import read_predictions
from vixray_data.training import (
    LANGUAGE_MODEL_LORA_TARGETS,
    AssistantOnlyCollator,
    check_model_family,
    set_image_budget,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import generate  # noqa: E402
import train_sft  # noqa: E402

CPU_ARGS = [
    "--report_to",
    "none",
    "--dtype",
    "float32",
    "--activation_checkpointing",
    "false",
    "--save_strategy",
    "no",
    "--logging_steps",
    "1",
    "--seed",
    "0",
]


@pytest.fixture(scope="module")
def internvl(tiny_models) -> Path:
    return tiny_models["internvl"]


@pytest.fixture(scope="module")
def processor(internvl):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(internvl)


def test_tiny_checkpoint_is_the_internvl_family_the_examples_support(internvl):
    from transformers import AutoModelForImageTextToText

    assert check_model_family(str(internvl)) == "internvl"
    model = AutoModelForImageTextToText.from_pretrained(internvl)
    assert type(model).__name__ == "InternVLForConditionalGeneration"
    assert type(model.model.language_model).__name__ == "Qwen2Model"


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_labels_decode_to_exactly_the_answers_under_internvls_chat_template(processor, train_records, stage):
    rows = [train_records[i] for i in range(3)]
    batch = AssistantOnlyCollator(processor, stage)(rows)
    tokenizer = processor.tokenizer
    image_ids = {tokenizer.convert_tokens_to_ids(t) for t in ("<img>", "<IMG_CONTEXT>", "</img>")}
    ids, labels, mask = batch["input_ids"], batch["labels"], batch["attention_mask"]
    assert int((ids == tokenizer.convert_tokens_to_ids("<IMG_CONTEXT>")).sum()) == 3 * processor.image_seq_length
    for row, record in enumerate(rows):
        rendered = tokenizer.decode(ids[row][mask[row] == 1])
        assert rendered.startswith(f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n<img>")
        kept = labels[row][labels[row] != -100]
        assert (kept == ids[row][labels[row] != -100]).all()
        expected = "".join(t + "<|im_end|>" for t in assistant_texts(conversation(record, stage=stage)))
        assert tokenizer.decode(kept) == expected
        assert not image_ids & set(kept.tolist())
        assert (labels[row][mask[row] == 0] == -100).all()


def test_pixel_budget_does_not_apply_to_internvl_tiles_and_says_so(processor, caplog):
    with caplog.at_level("WARNING", logger="vixray_data.training"):
        set_image_budget(processor, max_pixels=200704)
    assert "has no pixel budget; min_pixels/max_pixels ignored" in caplog.text


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_sft_trainer_trains_each_stage_with_finite_loss(internvl, demo_dir, tmp_path, stage):
    trainer = train_sft.main(
        [
            "--model_name_or_path",
            str(internvl),
            "--dataset",
            str(demo_dir),
            "--stage",
            str(stage),
            "--output_dir",
            str(tmp_path / "out"),
            "--max_steps",
            "2",
            "--per_device_train_batch_size",
            "2",
            *CPU_ARGS,
        ]
    )
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    assert isinstance(trainer.data_collator, AssistantOnlyCollator)
    assert (tmp_path / "out" / "model.safetensors").is_file()


def test_lora_wraps_only_language_model_projections_and_generate_runs_from_the_adapter(internvl, demo_dir, tmp_path):
    out = tmp_path / "lora"
    trainer = train_sft.main(
        [
            "--model_name_or_path",
            str(internvl),
            "--dataset",
            str(demo_dir),
            "--stage",
            "3",
            "--output_dir",
            str(out),
            "--max_steps",
            "1",
            "--per_device_train_batch_size",
            "2",
            "--use_peft",
            "true",
            "--lora_r",
            "4",
            *CPU_ARGS,
        ]
    )
    wrapped = [n for n, m in trainer.model.named_modules() if hasattr(m, "lora_A") and "lora_A" not in n.split(".")]
    assert wrapped and all(".language_model." in n for n in wrapped)
    assert {n.rsplit(".", 1)[-1] for n in wrapped} == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    trainable = [n for n, p in trainer.model.named_parameters() if p.requires_grad]
    assert trainable and not any("vision_tower" in n or "multi_modal_projector" in n for n in trainable)
    assert json.loads((out / "adapter_config.json").read_text())["target_modules"] == LANGUAGE_MODEL_LORA_TARGETS

    preds = generate.main(
        [
            "--model",
            str(out),
            "--stage",
            "3",
            "--dataset",
            str(demo_dir),
            "--split",
            "test",
            "--max_samples",
            "2",
            "--max_new_tokens",
            "4",
            "--output",
            str(tmp_path / "p.jsonl"),
        ]
    )
    rows = [json.loads(line) for line in preds.read_text(encoding="utf-8").splitlines()]
    assert [r["field"] for r in rows] == ["findings", "impressions"] * 2
    assert len(read_predictions(preds).records) == 4

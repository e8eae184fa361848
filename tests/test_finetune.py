"""Fine-tuning examples end to end on a tiny random Qwen2-VL built offline (no GPU, no hub)."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest

from vixray_data import schema
from vixray_data.conversations import SYSTEM_PROMPT, assistant_texts, conversation
from vixray_data.errors import SchemaError
from vixray_data.evaluation.predictions import read_predictions
from vixray_data.load import load_vixray
from vixray_data.training import (
    LANGUAGE_MODEL_LORA_TARGETS,
    AssistantOnlyCollator,
    UnsupportedModelError,
    check_model_family,
    set_image_budget,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import generate  # noqa: E402
import train_sft  # noqa: E402

TINY_PIXELS = ["--max_pixels", "3136", "--min_pixels", "3136"]
CPU_ARGS = [
    "--report_to",
    "none",
    "--dtype",
    "float32",
    "--bf16",
    "false",
    "--activation_checkpointing",
    "false",
    "--save_strategy",
    "no",
    "--logging_steps",
    "1",
    "--seed",
    "0",
]


@pytest.fixture(scope="session")
def processor(tiny_models):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(tiny_models["qwen2_vl"])


def _train(model: Path, data: Path, out: Path, *extra: str):
    return train_sft.main(
        [
            "--model_name_or_path",
            str(model),
            "--dataset",
            str(data),
            "--output_dir",
            str(out),
            *TINY_PIXELS,
            *CPU_ARGS,
            *extra,
        ]
    )


@pytest.fixture(scope="session")
def stage3_checkpoint(tiny_models, demo_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ft") / "stage3"
    _train(
        tiny_models["qwen2_vl"], demo_dir, out, "--stage", "3", "--max_steps", "2", "--per_device_train_batch_size", "2"
    )
    return out


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_labels_cover_exactly_the_assistant_turns_and_their_end_token(processor, train_records, stage):
    rows = [train_records[i] for i in range(3)]
    set_image_budget(processor, min_pixels=3136, max_pixels=3136)
    batch = AssistantOnlyCollator(processor, stage)(rows)
    tokenizer = processor.tokenizer
    image_pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    labels, ids, mask = batch["labels"], batch["input_ids"], batch["attention_mask"]
    assert (ids == image_pad).sum() > 0
    for row, record in enumerate(rows):
        kept = labels[row][labels[row] != -100]
        assert (kept == ids[row][labels[row] != -100]).all()
        expected = "".join(t + "<|im_end|>" for t in assistant_texts(conversation(record, stage=stage)))
        decoded = tokenizer.decode(kept)
        assert decoded == expected
        assert image_pad not in kept.tolist()
        assert SYSTEM_PROMPT not in decoded and "Cho biết" not in decoded and "<|im_start|>" not in decoded
        assert (labels[row][mask[row] == 0] == -100).all()
    assert (mask == 0).any()  # rows differ in length, so padding was present and masked


def test_max_length_truncates_only_the_answer_tail_never_image_tokens(processor, train_records):
    set_image_budget(processor, min_pixels=3136, max_pixels=3136)
    full = AssistantOnlyCollator(processor, 1)([train_records[0]])
    answer_start = int((full["labels"][0] != -100).nonzero()[0])
    cut = AssistantOnlyCollator(processor, 1, max_length=answer_start + 3)([train_records[0]])
    assert cut["input_ids"].shape[1] == answer_start + 3
    assert (cut["input_ids"][0] == full["input_ids"][0, : answer_start + 3]).all()
    assert int((cut["labels"][0] != -100).sum()) == 3
    assert cut["pixel_values"].shape == full["pixel_values"].shape
    with pytest.raises(ValueError, match=rf"record {train_records[0][schema.ID]}: .*image tokens are never truncated"):
        AssistantOnlyCollator(processor, 1, max_length=answer_start - 5)([train_records[0]])


def test_image_budget_bounds_visual_tokens_of_a_full_size_radiograph():
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

    def tokens(max_pixels):
        h, w = smart_resize(2500, 2048, factor=28, min_pixels=56 * 56, max_pixels=max_pixels)
        return (h // 28) * (w // 28)

    assert 6400 <= tokens(10**9) <= 6600  # native resolution: ~6,500 visual tokens
    assert 200 <= tokens(256 * 28 * 28) <= 256


@pytest.mark.parametrize(("family", "stage"), [("qwen2_vl", 1), ("qwen2_vl", 2), ("qwen2_5_vl", 1)])
def test_sft_trainer_steps_give_finite_loss(tiny_models, demo_dir, tmp_path, family, stage):
    evaluate = (
        [
            "--eval_split",
            "validation",
            "--eval_strategy",
            "steps",
            "--eval_steps",
            "2",
            "--per_device_eval_batch_size",
            "8",
        ]
        if stage == 2
        else []
    )
    trainer = _train(
        tiny_models[family],
        demo_dir,
        tmp_path / "out",
        "--stage",
        str(stage),
        "--max_steps",
        "2",
        "--per_device_train_batch_size",
        "2",
        *evaluate,
    )
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    if evaluate:
        assert [math.isfinite(h["eval_loss"]) for h in trainer.state.log_history if "eval_loss" in h] == [True]
    throughput = json.loads((tmp_path / "out" / "throughput.json").read_text())
    assert throughput["samples"] == 4 and throughput["tokens"] > 0 and throughput["peak_gpu_memory_gib"] is None


def test_stage3_training_saves_a_reloadable_checkpoint(stage3_checkpoint):
    assert (stage3_checkpoint / "model.safetensors").is_file()
    assert (stage3_checkpoint / "processor_config.json").is_file()


def test_repeated_training_on_one_fixed_collated_batch_drives_the_loss_down(tiny_models, processor, train_records):
    import torch
    from transformers import AutoModelForImageTextToText

    set_image_budget(processor, min_pixels=3136, max_pixels=3136)
    batch = AssistantOnlyCollator(processor, 3)([train_records[i] for i in range(2)])
    torch.manual_seed(0)
    model = AutoModelForImageTextToText.from_pretrained(tiny_models["qwen2_vl"]).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    losses = []
    for _ in range(12):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert all(math.isfinite(x) for x in losses)
    assert losses[-1] < 0.5 * losses[0]


def test_lora_trains_only_language_model_projections_and_generates_from_the_adapter(tiny_models, demo_dir, tmp_path):
    out = tmp_path / "lora"
    trainer = _train(
        tiny_models["qwen2_vl"],
        demo_dir,
        out,
        "--stage",
        "1",
        "--max_steps",
        "1",
        "--per_device_train_batch_size",
        "2",
        "--use_peft",
        "true",
        "--lora_r",
        "4",
    )
    wrapped = [n for n, m in trainer.model.named_modules() if hasattr(m, "lora_A") and "lora_A" not in n.split(".")]
    assert wrapped and all(".language_model." in n for n in wrapped)
    assert not any(".visual." in n for n, p in trainer.model.named_parameters() if p.requires_grad)
    assert json.loads((out / "adapter_config.json").read_text())["target_modules"] == LANGUAGE_MODEL_LORA_TARGETS
    preds = generate.main(
        [
            "--model",
            str(out),
            "--stage",
            "1",
            "--dataset",
            str(demo_dir),
            "--split",
            "test",
            "--max_samples",
            "2",
            "--max_new_tokens",
            "4",
            *TINY_PIXELS,
            "--output",
            str(tmp_path / "p.jsonl"),
        ]
    )
    assert len(read_predictions(preds).records) == 2


def test_generate_stage3_feeds_its_own_findings_back_for_the_impressions(
    stage3_checkpoint, demo_dir, tmp_path, monkeypatch
):
    calls = []
    original = generate.generation_batch

    def spy(processor, records, *, stage, findings=None):
        calls.append(None if findings is None else list(findings))
        return original(processor, records, stage=stage, findings=findings)

    monkeypatch.setattr(generate, "generation_batch", spy)
    test = load_vixray(str(demo_dir), split=schema.TEST)
    preds = generate.main(
        [
            "--model",
            str(stage3_checkpoint),
            "--stage",
            "3",
            "--dataset",
            str(demo_dir),
            "--split",
            "test",
            "--max_samples",
            "3",
            "--batch_size",
            "2",
            "--max_new_tokens",
            "6",
            *TINY_PIXELS,
            "--output",
            str(tmp_path / "p3.jsonl"),
        ]
    )
    rows = [json.loads(line) for line in preds.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["field"]) for r in rows] == [
        (test[i][schema.ID], field) for i in range(3) for field in (schema.FINDINGS, schema.IMPRESSIONS)
    ]
    assert all(r["stage"] == 3 and r["split"] == "test" for r in rows)
    assert [r["reference"] for r in rows[1::2]] == [test[i][schema.IMPRESSIONS] for i in range(3)]
    findings = [r["prediction"] for r in rows[0::2]]
    assert calls == [None, findings[:2], None, findings[2:]]  # second turn of each batch gets its own findings
    assert len(read_predictions(preds).records) == 6


def test_unknown_model_family_lists_supported_ones_before_loading_weights(demo_dir, tmp_path):
    model = tmp_path / "minicpm"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "minicpmv"}))  # no weights: must not get that far
    with pytest.raises(UnsupportedModelError, match=r"'minicpmv'.*qwen2_vl.*qwen2_5_vl.*internvl.*MiniCPM-V"):
        _train(model, demo_dir, tmp_path / "out", "--stage", "1", "--max_steps", "1")
    for family in ("qwen2_vl", "qwen2_5_vl", "internvl"):
        (model / "config.json").write_text(json.dumps({"model_type": family}))
        assert check_model_family(str(model)) == family


def test_stage3_without_impressions_fails_before_any_model_is_loaded(train_records, tmp_path):
    data = tmp_path / "no_impressions"
    (data / "data").mkdir(parents=True)
    rows = train_records.select(range(4)).map(lambda _: {schema.IMPRESSIONS: None})
    rows.to_parquet(str(data / "data" / "train-00000-of-00001.parquet"))
    missing_model = tmp_path / "no-such-model"  # never read: the dataset check comes first
    with pytest.raises(SchemaError, match=r"stage 3 needs impressions.*4 row\(s\)"):
        _train(missing_model, data, tmp_path / "out", "--stage", "3", "--max_steps", "1")


@pytest.mark.parametrize("config", sorted((EXAMPLES / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_example_configs_parse_with_the_papers_hyperparameters(config):
    import yaml
    from trl import ModelConfig, TrlParser

    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert "bf16" not in settings and "fp16" not in settings  # picked from the hardware: bf16 on the paper's GPUs
    assert settings["activation_checkpointing"] is True
    parser = TrlParser((train_sft.VixrayArguments, train_sft.TrainingArguments, ModelConfig))
    parsed, training, model = parser.parse_args_and_config(["--config", str(config)])  # no GPU here: fp32
    assert (training.num_train_epochs, training.learning_rate) == (20, 3e-5)
    assert (training.per_device_train_batch_size, training.gradient_accumulation_steps) == (8, 4)
    assert training.optim == "adamw_torch" and training.gradient_checkpointing
    assert (training.bf16, training.fp16) == (False, False)
    assert model.model_name_or_path and parsed.max_pixels == 256 * 28 * 28 and parsed.stage == 1
    if model.use_peft:
        assert model.lora_target_modules is None  # train_sft.py then targets the language model only


def test_records_without_the_stage_target_are_dropped_with_a_count_not_crashed_on(
    tiny_models, train_records, tmp_path, caplog
):
    data = tmp_path / "some_impressions_missing"
    (data / "data").mkdir(parents=True)
    rows = train_records.select(range(4)).map(
        lambda row, i: {schema.IMPRESSIONS: None if i % 2 else row[schema.IMPRESSIONS]}, with_indices=True
    )
    rows.to_parquet(str(data / "data" / "train-00000-of-00001.parquet"))
    with caplog.at_level("WARNING", logger="train_sft"):
        trainer = _train(tiny_models["qwen2_vl"], data, tmp_path / "out", "--stage", "2", "--max_steps", "1")
    assert len(trainer.train_dataset) == 2
    assert "dropped 2 of 4 train records with an empty impressions" in caplog.text


def _options_without_help(help_text: str) -> list[str]:
    """Options in argparse ``--help`` output whose description is empty or shows no default."""
    body = help_text.split("\noptions:\n", 1)[1]
    entries = re.split(r"\n(?=  -)", "\n" + body)
    missing = []
    for entry in filter(str.strip, entries):
        flags, _, inline = entry.strip("\n").split("\n", 1)[0].strip().partition("  ")
        text = " ".join([inline, *(line.strip() for line in entry.strip("\n").split("\n")[1:])]).strip()
        if flags.startswith("-h, --help"):
            continue
        if not text or "(default:" not in text:
            missing.append(flags)
    return missing


@pytest.mark.parametrize("script", [train_sft, generate], ids=["train_sft.py", "generate.py"])
def test_every_option_of_the_example_scripts_has_help_and_shows_its_default(script, capsys):
    with pytest.raises(SystemExit) as stop:
        script.main(["--help"])
    assert stop.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.count("\n  --") > (100 if script is train_sft else 15)
    assert "--trust_remote_code" in help_text and "--stage" in help_text
    assert _options_without_help(help_text) == []
    assert _options_without_help(help_text + "  --undocumented UNDOCUMENTED\n") == ["--undocumented UNDOCUMENTED"]


#: Warnings a user should never see from a plain run: deprecations and noise from the training stack.
NOISY = (FutureWarning, DeprecationWarning, UserWarning)
STACK = ("transformers", "trl", "torch", "peft", "accelerate")


@pytest.mark.parametrize("extra", [[], ["--use_peft", "true", "--lora_r", "4"]], ids=["full", "lora"])
def test_a_plain_cpu_run_of_train_sft_prints_no_deprecation_or_pin_memory_warning(
    tiny_models, demo_dir, tmp_path, extra
):
    import warnings

    # the defaults of a user's first run: no checkpointing or pin-memory flags (picked by the script)
    argv = [
        "--model_name_or_path",
        str(tiny_models["qwen2_vl"]),
        "--dataset",
        str(demo_dir),
        "--stage",
        "1",
        "--output_dir",
        str(tmp_path / "out"),
        "--max_steps",
        "1",
        "--per_device_train_batch_size",
        "2",
        "--report_to",
        "none",
        "--save_strategy",
        "no",
        *TINY_PIXELS,
        *extra,
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = train_sft.main(argv)
    noisy = [
        f"{w.category.__name__} {w.filename}:{w.lineno}: {w.message}"
        for w in caught
        if issubclass(w.category, NOISY) and any(f"/{package}/" in w.filename for package in STACK)
    ]
    assert noisy == []
    assert trainer.args.activation_checkpointing is True  # the paper's setting, under transformers 5's name
    assert trainer.args.dataloader_pin_memory is False  # no accelerator here


def test_pin_memory_and_checkpointing_follow_the_flags_when_given():
    from trl import ModelConfig, TrlParser

    parser = TrlParser((train_sft.VixrayArguments, train_sft.TrainingArguments, ModelConfig))
    _, training, _ = parser.parse_args_and_config(
        ["--dataloader_pin_memory", "true", "--activation_checkpointing", "false"]
    )
    assert (training.dataloader_pin_memory, training.activation_checkpointing) == (True, False)
    assert training.gradient_checkpointing is False  # the old name mirrors the new one for code that reads it

"""benchmarks/bench_train.py: real-size architectures from the configs in the repo, and a CPU run of a tiny one."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_train  # noqa: E402


def test_tiny_config_times_train_sfts_own_trainer_full_and_lora_on_cpu_and_writes_the_figures(tmp_path, monkeypatch):
    import train_sft

    built = []
    original = train_sft.build_trainer

    def spy(*args, **kwargs):  # the benchmark must train the trainer the script builds, not a loop of its own
        built.append(original(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(train_sft, "build_trainer", spy)
    out = tmp_path / "bench.json"
    bench_train.main(
        [
            "--models",
            "tiny_qwen2vl",
            "--batch-size",
            "2",
            "--grad-accum",
            "2",
            "--steps",
            "2",
            "--demo-size",
            "40",
            "--image-size",
            "64",
            "--device",
            "cpu",
            "--out",
            str(out),
        ]
    )
    report = json.loads(out.read_text())
    full, lora = report["results"]
    assert (full["mode"], lora["mode"]) == ("full", "lora")
    assert [type(trainer).__name__ for trainer in built] == ["SFTTrainer", "SFTTrainer"]
    assert all(trainer.state.global_step == 2 for trainer in built)
    assert (Path(full["train_config"]).name, Path(lora["train_config"]).name) == (
        "qwen2vl_2b_full.yaml",
        "qwen2vl_2b_lora.yaml",
    )
    for result in (full, lora):
        assert result["device"] == "cpu" and result["precision"] == "fp32" and result["steps"] == 2
        assert (result["batch_size"], result["gradient_accumulation_steps"]) == (2, 2)
        assert result["max_pixels"] == 256 * 28 * 28 and result["max_length"] == 1024  # from the YAML config
        assert result["activation_checkpointing"] is True  # from the YAML config
        assert result["samples_per_second"] > 0 and result["tokens_per_second"] > 0 and result["tokens_per_step"] > 0
        assert result["step_seconds_median"] > 0 and result["peak_memory_gib"] > 0
        assert math.isfinite(result["final_loss"])
    assert full["trainable_parameters"] == full["parameters"]
    assert 0 < lora["trainable_parameters"] < lora["parameters"] / 10
    assert report["command"].startswith("benchmarks/bench_train.py --models tiny_qwen2vl")


@pytest.mark.parametrize(
    ("name", "family", "billions"),
    [
        ("qwen2vl_2b", "Qwen2VLForConditionalGeneration", 2.21),
        ("qwen25vl_3b", "Qwen2_5_VLForConditionalGeneration", 3.75),
        ("qwen25vl_7b", "Qwen2_5_VLForConditionalGeneration", 8.29),
        ("internvl3_1b", "InternVLForConditionalGeneration", 0.94),
    ],
)
def test_model_configs_build_the_published_architecture_and_parameter_count(name, family, billions):
    from tiny_models import INTERNVL_IMAGE_TOKENS, train_tokenizer

    settings = json.loads((bench_train.MODEL_CONFIGS / f"{name}.json").read_text())
    internvl = settings["model_type"] == "internvl"
    tokenizer = train_tokenizer(["phổi hai bên sáng đều"] * 4, extra=INTERNVL_IMAGE_TOKENS.values() if internvl else ())
    if internvl:
        tokenizer._set_model_specific_special_tokens(special_tokens=INTERNVL_IMAGE_TOKENS)
    model = bench_train.make_model(settings, tokenizer, device="meta", dtype=None)  # shapes only, no memory
    assert type(model).__name__ == family
    assert round(sum(p.numel() for p in model.parameters()) / 1e9, 2) == billions

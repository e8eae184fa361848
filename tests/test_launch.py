"""Multi-process launches of examples/train_sft.py, and every shipped accelerate config read by accelerate itself.

DDP runs here for real: ``accelerate launch --config_file examples/accelerate/ddp.yaml`` with two CPU processes
(gloo), the tiny Qwen2-VL and a few steps per stage. FSDP and DeepSpeed cannot run on this machine (accelerate
enables FSDP only on GPU process groups, where a CPU launch silently falls back to DDP; DeepSpeed needs CUDA), so
their YAMLs go through accelerate's own launch parser and the environment it hands the training processes is
checked key by key: a typo in a shipped config fails here instead of on a rented GPU.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACCELERATE_CONFIGS = ROOT / "examples" / "accelerate"
TRAINING_CONFIGS = ROOT / "examples" / "configs"
COLLATED = re.compile(r"\[rank (\d+)\] DEBUG vixray_data\.training: collating records (\S+)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _launch(config: Path, model: Path, data: Path, out: Path, stage: int) -> subprocess.CompletedProcess:
    """Two CPU processes of train_sft.py under ``config``; the collator logs each rank's record ids."""
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(config),
        "--num_processes",
        "2",
        "--mixed_precision",
        "no",
        "--main_process_port",
        str(_free_port()),
        str(ROOT / "examples" / "train_sft.py"),
        "--model_name_or_path",
        str(model),
        "--trust_remote_code",
        "true",
        "--dataset",
        str(data),
        "--stage",
        str(stage),
        "--max_steps",
        "2",
        "--per_device_train_batch_size",
        "2",
        "--max_pixels",
        "3136",
        "--min_pixels",
        "3136",
        "--use_cpu",
        "true",
        "--activation_checkpointing",
        "false",
        "--output_dir",
        str(out),
        "--report_to",
        "none",
        "--save_strategy",
        "no",
        "--seed",
        "0",
        "--log_level",
        "debug",
        "--log_level_replica",
        "debug",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_ddp_launch_on_two_cpu_processes_trains_disjoint_batches_and_saves_a_reloadable_model(
    tiny_models, demo_dir, tmp_path, stage
):
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    out = tmp_path / f"ddp-stage{stage}"
    run = _launch(ACCELERATE_CONFIGS / "ddp.yaml", tiny_models["qwen2_vl"], demo_dir, out, stage)
    assert run.returncode == 0, run.stderr[-3000:]
    seen: dict[int, list[str]] = {}
    for rank, ids in COLLATED.findall(run.stderr):
        seen.setdefault(int(rank), []).extend(ids.split(","))
    assert sorted(seen) == [0, 1]
    assert all(len(ids) >= 4 for ids in seen.values())  # 2 steps x batch 2 each (the loader may fetch one ahead)
    assert not set(seen[0]) & set(seen[1])  # the distributed sampler gave each rank its own shard
    assert f"stage {stage}: saved to {out}" in run.stdout

    trained = AutoModelForImageTextToText.from_pretrained(out)
    base = AutoModelForImageTextToText.from_pretrained(tiny_models["qwen2_vl"])
    assert AutoProcessor.from_pretrained(out, trust_remote_code=True).tokenizer is not None
    changed = [name for name, p in trained.state_dict().items() if not torch.equal(p, base.state_dict()[name])]
    assert changed and all(torch.isfinite(p).all() for p in trained.state_dict().values())


def _launch_env(config: Path) -> dict[str, str]:
    """The environment ``accelerate launch --config_file config`` gives each training process (no process started)."""
    from accelerate.commands.launch import (
        _validate_launch_command,
        launch_command_parser,
        prepare_deepspeed_cmd_env,
        prepare_multi_gpu_env,
    )

    args = launch_command_parser().parse_args(["--config_file", str(config), "examples/train_sft.py"])
    args, defaults, mixed_from_config = _validate_launch_command(args)
    if args.use_deepspeed:  # as accelerate's launch_command does before its DeepSpeed launcher
        fields = [*defaults.deepspeed_config, *(["mixed_precision"] if mixed_from_config else [])]
        args.deepspeed_fields_from_accelerate_config = ",".join(fields)
        _, env = prepare_deepspeed_cmd_env(args)
    else:
        env = prepare_multi_gpu_env(args)
    return {key: value for key, value in env.items() if key.startswith(("ACCELERATE_", "FSDP_"))}


#: What each shipped config must hand the training processes: launcher settings and the keys accelerate reads.
EXPECTED_LAUNCH = {
    "ddp.yaml": ("MULTI_GPU", {"ACCELERATE_MIXED_PRECISION": "bf16"}),
    "deepspeed_zero2.yaml": (
        "DEEPSPEED",
        {
            "ACCELERATE_USE_DEEPSPEED": "true",
            "ACCELERATE_DEEPSPEED_ZERO_STAGE": "2",
            "ACCELERATE_MIXED_PRECISION": "bf16",
            "ACCELERATE_DEEPSPEED_OFFLOAD_OPTIMIZER_DEVICE": "none",
            "ACCELERATE_DEEPSPEED_OFFLOAD_PARAM_DEVICE": "none",
            "ACCELERATE_DEEPSPEED_ZERO3_INIT": "false",
        },
    ),
    "deepspeed_zero3.yaml": (
        "DEEPSPEED",
        {
            "ACCELERATE_USE_DEEPSPEED": "true",
            "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3",
            "ACCELERATE_MIXED_PRECISION": "bf16",
            "ACCELERATE_DEEPSPEED_OFFLOAD_OPTIMIZER_DEVICE": "none",
            "ACCELERATE_DEEPSPEED_OFFLOAD_PARAM_DEVICE": "none",
            "ACCELERATE_DEEPSPEED_ZERO3_INIT": "true",
            "ACCELERATE_DEEPSPEED_ZERO3_SAVE_16BIT_MODEL": "true",
        },
    ),
    "fsdp.yaml": (
        "FSDP",
        {
            "ACCELERATE_USE_FSDP": "true",
            "FSDP_VERSION": "2",
            "ACCELERATE_MIXED_PRECISION": "bf16",
            "FSDP_AUTO_WRAP_POLICY": "TRANSFORMER_BASED_WRAP",
            "FSDP_OFFLOAD_PARAMS": "false",
            "FSDP_TRANSFORMER_CLS_TO_WRAP": "Qwen2VLDecoderLayer,Qwen2VLVisionBlock",
            "FSDP_STATE_DICT_TYPE": "FULL_STATE_DICT",
            "FSDP_CPU_RAM_EFFICIENT_LOADING": "true",
            "FSDP_RESHARD_AFTER_FORWARD": "true",
        },
    ),
}


def test_every_shipped_accelerate_config_has_its_expected_launch_settings():
    assert sorted(p.name for p in ACCELERATE_CONFIGS.glob("*.yaml")) == sorted(EXPECTED_LAUNCH)


@pytest.mark.parametrize("name", sorted(EXPECTED_LAUNCH))
def test_accelerate_config_parses_to_the_settings_accelerate_hands_the_trainer(name):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(ACCELERATE_CONFIGS / name))
    distributed_type, expected = EXPECTED_LAUNCH[name]
    assert config.distributed_type.value == distributed_type
    assert (config.num_machines, config.num_processes, config.use_cpu) == (1, 7, False)  # the paper's seven GPUs
    env = _launch_env(ACCELERATE_CONFIGS / name)
    assert {key: env.get(key) for key in expected} == expected
    # gradient accumulation stays the training YAML's (4): no accelerate config may set another value
    assert "ACCELERATE_GRADIENT_ACCUMULATION_STEPS" not in env
    assert "gradient_accumulation_steps" not in (config.deepspeed_config or {})
    assert "gradient_accumulation_steps" not in env.get("ACCELERATE_CONFIG_DS_FIELDS", "")
    unknown = set(yaml.safe_load((ACCELERATE_CONFIGS / name).read_text())) - set(vars(config))
    assert not unknown, f"keys accelerate does not know: {unknown}"


def test_training_configs_keep_the_gradient_accumulation_the_accelerate_configs_rely_on():
    for config in TRAINING_CONFIGS.glob("*.yaml"):
        assert yaml.safe_load(config.read_text())["gradient_accumulation_steps"] == 4, config.name


@pytest.mark.parametrize(
    ("family", "classes"),
    [
        ("qwen2_vl", "Qwen2VLDecoderLayer,Qwen2VLVisionBlock"),  # fsdp.yaml as shipped
        ("qwen2_5_vl", "Qwen2_5_VLDecoderLayer,Qwen2_5_VLVisionBlock"),  # the edit examples/README.md gives
        ("internvl", "Qwen2DecoderLayer,InternVLVisionLayer"),
    ],
)
def test_fsdp_wrap_classes_named_in_the_docs_exist_in_each_family(tiny_models, family, classes):
    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(tiny_models[family])
    present = {type(module).__name__ for module in model.modules()}
    assert set(classes.split(",")) <= present
    if family == "qwen2_vl":
        assert _launch_env(ACCELERATE_CONFIGS / "fsdp.yaml")["FSDP_TRANSFORMER_CLS_TO_WRAP"] == classes
    readme = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    assert classes in readme or family == "qwen2_vl"

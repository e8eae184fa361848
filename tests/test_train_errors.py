"""What a user sees when train_sft.py cannot train: one line naming the problem and the fix, never a traceback.

The first-run cases run the script as a subprocess, the way a user starts it, with the hub switched off
(HF_HUB_OFFLINE=1); the rest call it in-process, which raises the exception whose message is that line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vixray_data.training import TRAIN_INSTALL, PrecisionError, UnreachableError, pick_precision

ROOT = Path(__file__).resolve().parents[1]
TRAIN_SFT = ROOT / "examples" / "train_sft.py"
sys.path.insert(0, str(TRAIN_SFT.parent))


def _run(*args: str, python: tuple[str, ...] = (str(TRAIN_SFT),)) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, *python, *args], capture_output=True, text=True, env=env, timeout=300, cwd=ROOT
    )


def _last_line(run: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    return run.stderr.strip().splitlines()[-1]


def test_cpu_first_run_without_a_model_stops_with_one_line_naming_the_flag(demo_dir):
    run = _run("--dataset", str(demo_dir), "--max_steps", "1")
    assert run.returncode == 1
    assert _last_line(run).startswith("train_sft.py: no model given: pass --model_name_or_path")


def test_unreachable_model_id_names_it_and_says_what_to_do(demo_dir):
    run = _run("--dataset", str(demo_dir), "--max_steps", "1", "--model_name_or_path", "Qwen/Qwen2-VL-2B-Instruct")
    assert run.returncode == 1
    line = _last_line(run)
    assert "for Qwen/Qwen2-VL-2B-Instruct (HF_HUB_OFFLINE=1 and no cached copy)" in line
    assert "give a local folder instead" in line and "`hf download Qwen/Qwen2-VL-2B-Instruct --repo-type model" in line


def test_an_unanswering_hub_fails_a_model_id_at_once_without_hub_offline_set(demo_dir):
    import socket

    with socket.socket() as closed:  # a loopback port nobody listens on: the hub "does not answer"
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{port}", OMP_NUM_THREADS="1")
    run = subprocess.run(
        [
            sys.executable,
            str(TRAIN_SFT),
            "--dataset",
            str(demo_dir),
            "--max_steps",
            "1",
            "--model_name_or_path",
            "Qwen/Qwen2-VL-2B-Instruct",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 1
    line = _last_line(run)
    assert line.startswith(
        f"train_sft.py: cannot reach the Hugging Face hub at http://127.0.0.1:{port} for Qwen/Qwen2-VL-2B-Instruct ("
    )


def test_unreachable_dataset_id_names_it_and_says_what_to_do(monkeypatch, tmp_path):
    import train_sft

    def offline(source, **kwargs):  # what datasets raises for a hub id under HF_HUB_OFFLINE=1
        raise ConnectionError(f"Couldn't reach '{source}' on the Hub (OfflineModeIsEnabled)")

    monkeypatch.setattr(train_sft, "load_vixray", offline)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UnreachableError) as error:
        train_sft.main(["--dataset", "nobody/no-such-dataset", "--output_dir", str(tmp_path)])
    message = str(error.value)
    assert "\n" not in message and "for nobody/no-such-dataset (HF_HUB_OFFLINE=1 and no cached copy)" in message
    assert "give a local folder instead: one written by `vixray build`" in message


def test_bf16_forced_on_a_machine_without_a_gpu_says_which_flag_to_change(monkeypatch):
    import torch
    import train_sft
    from trl import ModelConfig, TrlParser

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    parser = TrlParser((train_sft.VixrayArguments, train_sft.TrainingArguments, ModelConfig))
    with pytest.raises(PrecisionError, match=r"bf16 was requested .* there is no CUDA GPU here.*--bf16 false"):
        parser.parse_args_and_config(["--bf16", "true"])


def test_cpu_first_run_with_a_local_model_trains_in_fp32_with_a_warning(demo_dir, tiny_models, tmp_path):
    run = _run(
        "--dataset",
        str(demo_dir),
        "--max_steps",
        "1",
        "--model_name_or_path",
        str(tiny_models["internvl"]),
        "--trust_remote_code",
        "true",
        "--output_dir",
        str(tmp_path / "out"),
        "--report_to",
        "none",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "no CUDA GPU: training in fp32 on CPU" in run.stderr
    assert json.loads((tmp_path / "out" / "throughput.json").read_text())["steps"] == 1
    assert (tmp_path / "out" / "model.safetensors").is_file()


@pytest.mark.parametrize(("script", "missing"), [("train_sft.py", "trl"), ("generate.py", "transformers")])
def test_help_without_the_train_extra_names_the_install_command(script, missing):
    # a None entry in sys.modules makes `import <missing>` fail as if the package were not installed
    blocker = (
        f"import runpy, sys; sys.modules[{missing!r}] = None; sys.argv = [{script!r}, '--help']; "
        f"runpy.run_path({str(ROOT / 'examples' / script)!r}, run_name='__main__')"
    )
    run = _run(python=("-c", blocker))
    assert run.returncode == 1
    assert _last_line(run) == (
        f"{script}: {missing} is not installed; fine-tuning needs the training extra: {TRAIN_INSTALL}"
    )


def test_one_training_install_line_in_both_readmes():
    for readme in (ROOT / "README.md", ROOT / "examples" / "README.md"):
        text = readme.read_text(encoding="utf-8")
        assert TRAIN_INSTALL in text, readme
        assert "pip install -e . torchvision" not in text


def _hardware(monkeypatch, *, cuda: bool, bf16: bool = False, mixed: str | None = None) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    if mixed is None:
        monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
    else:
        monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", mixed)


@pytest.mark.parametrize(
    ("cuda", "bf16", "expected"),
    [
        (True, True, (True, False)),  # Ampere and newer: bf16, the paper's precision
        (True, False, (False, True)),  # older CUDA GPUs: fp16
        (False, False, (False, False)),  # CPU: fp32
    ],
)
def test_unset_precision_is_picked_from_the_hardware(monkeypatch, caplog, cuda, bf16, expected):
    _hardware(monkeypatch, cuda=cuda, bf16=bf16)
    with caplog.at_level("WARNING", logger="vixray_data.training"):
        assert pick_precision(None, False) == expected
    assert ("fp32 on CPU" in caplog.text) == (not cuda)


def test_set_precision_is_kept_and_the_accelerate_config_counts_as_set(monkeypatch):
    _hardware(monkeypatch, cuda=True, bf16=True)
    assert pick_precision(False, False) == (False, False)  # --bf16 false: fp32 on purpose
    assert pick_precision(None, True) == (False, True)
    _hardware(monkeypatch, cuda=True, bf16=True, mixed="fp16")
    assert pick_precision(None, False) == (False, True)
    _hardware(monkeypatch, cuda=True, bf16=False, mixed="bf16")
    with pytest.raises(PrecisionError, match=r"no bf16 \(pre-Ampere\): use --fp16 true"):
        pick_precision(None, False)
    _hardware(monkeypatch, cuda=False)
    with pytest.raises(PrecisionError, match="fp16 was requested"):
        pick_precision(None, True)
    assert pick_precision(True, False, use_cpu=True) == (True, False)  # bf16 on CPU, asked for explicitly


def _remote_code_checkpoint(tiny_model: Path, out: Path) -> Path:
    """A copy of a tiny checkpoint whose processor is its own code: ``auto_map`` names a module written beside it.

    The model class is transformers' own (a supported family); the processor class exists only in
    ``vixray_custom_processing.py``, so loading it needs ``trust_remote_code`` as a hub remote-code checkpoint does.
    """
    import shutil

    shutil.copytree(tiny_model, out, ignore=shutil.ignore_patterns("tiny_processing.py"))
    shutil.copy(ROOT / "tests" / "tiny_processing.py", out / "vixray_custom_processing.py")
    custom = "vixray_custom_processing.ImageOnlyQwen2VLProcessor"
    for name in ("processor_config.json", "tokenizer_config.json"):
        settings = json.loads((out / name).read_text())
        settings["auto_map"] = {"AutoProcessor": custom}
        settings.get("image_processor", {}).pop("auto_map", None)
        (out / name).write_text(json.dumps(settings))
    return out


def _remote_code_line(script: str, model: Path) -> str:
    return (
        f"{script}: model {model}: the checkpoint ships its own code (auto_map in its config files), which runs "
        f"only with --trust_remote_code true; pass it if you trust that code"
    )


@pytest.fixture(scope="module")
def remote_code_model(tiny_models, tmp_path_factory) -> Path:
    return _remote_code_checkpoint(tiny_models["qwen2_vl"], tmp_path_factory.mktemp("remote") / "ckpt")


def test_train_sft_on_a_checkpoint_with_its_own_code_says_to_pass_trust_remote_code(
    remote_code_model, demo_dir, tmp_path
):
    run = _run(
        "--dataset",
        str(demo_dir),
        "--max_steps",
        "1",
        "--model_name_or_path",
        str(remote_code_model),
        "--output_dir",
        str(tmp_path / "out"),
        "--report_to",
        "none",
    )
    assert run.returncode == 1
    assert _last_line(run) == _remote_code_line("train_sft.py", remote_code_model)
    assert "Do you wish to run the custom code" not in run.stderr + run.stdout  # no prompt on a terminal either


def test_generate_on_a_checkpoint_with_its_own_code_says_to_pass_trust_remote_code_and_runs_with_it(
    remote_code_model, demo_dir, tmp_path
):
    generate = (str(ROOT / "examples" / "generate.py"),)
    common = (
        "--model",
        str(remote_code_model),
        "--dataset",
        str(demo_dir),
        "--max_samples",
        "1",
        "--max_new_tokens",
        "2",
        "--output",
        str(tmp_path / "p.jsonl"),
    )
    run = _run(*common, python=generate)
    assert run.returncode == 1
    assert _last_line(run) == _remote_code_line("generate.py", remote_code_model)
    assert "Do you wish to run the custom code" not in run.stderr + run.stdout
    assert not (tmp_path / "p.jsonl").exists()
    run = _run(*common, "--trust_remote_code", "true", python=generate)
    assert run.returncode == 0, run.stderr[-3000:]
    assert len((tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()) == 1

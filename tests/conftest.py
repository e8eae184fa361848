"""Shared fixtures: one small demo build per test session, for every test that needs a built folder.

The Hugging Face caches point at a temporary folder for the whole session, set here, before any test module
imports ``datasets`` or ``huggingface_hub`` (both read these variables at import): the suite writes nothing into the
user's own caches, and subprocesses inherit the same folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

#: The session's Hugging Face home: every HF cache lives under it, removed when the session ends.
HF_ROOT = Path(tempfile.mkdtemp(prefix="vixray-tests-hf-"))
os.environ.update(
    HF_HOME=str(HF_ROOT),
    HF_DATASETS_CACHE=str(HF_ROOT / "datasets"),
    HF_HUB_CACHE=str(HF_ROOT / "hub"),
    HF_XET_CACHE=str(HF_ROOT / "xet"),
    HF_MODULES_CACHE=str(HF_ROOT / "modules"),
)

import pytest  # noqa: E402

from vixray_data.build import BuildResult, build  # noqa: E402
from vixray_data.config import BuildConfig  # noqa: E402

#: The session demo build: small enough to build in about a second, large enough for every split.
DEMO_SIZE = 60
DEMO_IMAGE_SIZE = 64
DEMO_SEED = 175


def demo_config(out: Path, **overrides) -> BuildConfig:
    """The settings of the session demo build, with ``overrides`` (tests building their own copy use this)."""
    settings = {
        "out": out,
        "demo_size": DEMO_SIZE,
        "demo_image_size": DEMO_IMAGE_SIZE,
        "seed": DEMO_SEED,
        "num_proc": 1,
        "progress": False,
    }
    settings.update(overrides)
    return BuildConfig(**settings)


@pytest.fixture(scope="session", autouse=True)
def hf_caches():
    """The session's temporary Hugging Face home (see the module docstring), removed at the end."""
    yield HF_ROOT
    shutil.rmtree(HF_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> BuildResult:
    """A built demo folder (60 records, 64 px images, seed 175) and its manifest/rejects. Do not modify it."""
    return build(demo_config(tmp_path_factory.mktemp("demo") / "vixray"))


@pytest.fixture(scope="session")
def demo_dir(demo_build) -> Path:
    """Path of the session demo build: ``datasets.load_dataset(str(demo_dir))`` loads it. Read-only."""
    return demo_build.out


@pytest.fixture(scope="session")
def train_records(demo_dir):
    """The demo build's train split (canonical schema)."""
    from vixray_data import schema
    from vixray_data.load import load_vixray

    return load_vixray(str(demo_dir), split=schema.TRAIN)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, train_records) -> dict[str, Path]:
    """Tiny Qwen2-VL, Qwen2.5-VL and InternVL -hf checkpoints whose tokenizer was trained on the demo reports."""
    from tiny_models import build_tiny_internvl, build_tiny_qwen, register_image_only_processor

    from vixray_data import schema
    from vixray_data.conversations import SYSTEM_PROMPT, conversation

    register_image_only_processor()
    texts = [r for col in (schema.FINDINGS, schema.IMPRESSIONS) for r in train_records[col]]
    texts.append(conversation(train_records[0], stage=3)["messages"][1]["content"][1]["text"] + SYSTEM_PROMPT)
    root = tmp_path_factory.mktemp("tiny")
    models = {family: build_tiny_qwen(root / family, texts, family=family) for family in ("qwen2_vl", "qwen2_5_vl")}
    models["internvl"] = build_tiny_internvl(root / "internvl", texts)
    return models

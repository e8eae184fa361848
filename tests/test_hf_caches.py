"""The test suite writes nothing into the user's Hugging Face caches: they point into a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import HF_ROOT


def test_datasets_and_the_hub_client_cache_under_the_sessions_temporary_folder(demo_dir):
    import datasets
    import huggingface_hub

    for path in (
        datasets.config.HF_DATASETS_CACHE,
        datasets.config.HF_MODULES_CACHE,
        huggingface_hub.constants.HF_HUB_CACHE,
        huggingface_hub.constants.HF_HOME,
    ):
        assert Path(path).is_relative_to(HF_ROOT), path
    datasets.load_dataset(str(demo_dir), split="test")  # writes its cache ...
    assert list(Path(datasets.config.HF_DATASETS_CACHE).iterdir())  # ... there


def test_a_subprocess_of_the_suite_caches_there_too():
    done = subprocess.run(
        [sys.executable, "-c", "import datasets; print(datasets.config.HF_DATASETS_CACHE)"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert Path(done.stdout.strip()).is_relative_to(HF_ROOT)

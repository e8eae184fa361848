"""ViX-Ray toolkit: build, load, study, fine-tune on and score the Vietnamese chest X-ray corpus."""

from __future__ import annotations

from typing import Any

from . import schema
from .schema import FIELDS, SPLITS

__version__ = "0.1.0"
__all__ = ["FEATURES", "FIELDS", "SPLITS", "__version__", "schema", "load_vixray"]


def __getattr__(name: str) -> Any:
    # lazy: keep `import vixray_data` cheap for the CLI and the examples
    if name == "FEATURES":  # datasets.Features: importing datasets costs ~0.6 s
        return schema.FEATURES
    if name == "load_vixray":
        from .load import load_vixray

        return load_vixray
    raise AttributeError(name)

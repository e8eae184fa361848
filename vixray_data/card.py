"""Render the dataset card (the output folder's README.md) from DATASET_CARD.md and the build's figures.

(First version: YAML header with configs and dataset_info, then the card text; the card work
fills in the computed figures.)
"""

from __future__ import annotations

from pathlib import Path

import yaml

from . import schema

CARD_TEMPLATE = Path(__file__).resolve().parent.parent / "DATASET_CARD.md"


def _features_yaml() -> list[dict]:
    out = []
    for name, feature in schema.FEATURES.items():
        dtype = "image" if name == schema.IMAGE else feature.dtype
        out.append({"name": name, "dtype": dtype})
    return out


def render_card(manifest: dict) -> str:
    """README.md text for a built folder described by ``manifest``."""
    splits = manifest["splits"]
    header = {
        "configs": [{"config_name": "default",
                     "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in splits]}],
        "dataset_info": {
            "features": _features_yaml(),
            # num_bytes also keys the `datasets` cache: without it a rebuilt folder of the same name and split
            # sizes loads the previous build's cached Arrow files (the local cache key ignores file contents)
            "splits": [{"name": s, "num_bytes": sum(x["bytes"] for x in info.get("shards", ())),
                        "num_examples": info["num_examples"]} for s, info in splits.items()],
        },
    }
    body = CARD_TEMPLATE.read_text(encoding="utf-8") if CARD_TEMPLATE.exists() else "# ViX-Ray\n"
    if body.startswith("---"):
        body = body.split("---", 2)[2].lstrip()
    return "---\n" + yaml.safe_dump(header, allow_unicode=True, sort_keys=False) + "---\n\n" + body

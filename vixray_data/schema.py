"""The ViX-Ray schema, declared once.

Every module that needs a field name, a type or a split name imports it from here:
the builder writes :data:`ARROW_SCHEMA`, the loader normalises onto :data:`FEATURES`, the card prints
:data:`DTYPES`. Both schemas are derived from :data:`DTYPES`; ``FEATURES`` is built on first use, so the
builder and the CLI never import ``datasets`` (about 0.6 s) for a type declaration.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    from datasets import Features

ID = "id"
IMAGE = "image"
AGE = "age"
SEX = "sex"
VIEW = "view"
NOTE = "note"
TECHNIQUE = "technique"
FINDINGS = "findings"
IMPRESSIONS = "impressions"

#: Column order of every shard.
FIELDS: tuple[str, ...] = (ID, IMAGE, AGE, SEX, VIEW, NOTE, TECHNIQUE, FINDINGS, IMPRESSIONS)
#: Free-text fields (scrubbed for PHI, counted by the statistics).
TEXT_FIELDS: tuple[str, ...] = (NOTE, TECHNIQUE, FINDINGS, IMPRESSIONS)
#: Report fields a record cannot be written without.
REQUIRED_TEXT: tuple[str, ...] = (FINDINGS, IMPRESSIONS)

#: Each field's type: a ``datasets`` Value dtype, or ``"image"`` for the ``Image()`` feature.
DTYPES: dict[str, str] = {
    ID: "string",
    IMAGE: "image",
    AGE: "int32",
    SEX: "string",
    VIEW: "string",
    NOTE: "string",
    TECHNIQUE: "string",
    FINDINGS: "string",
    IMPRESSIONS: "string",
}

TRAIN, VALIDATION, TEST = "train", "validation", "test"
SPLITS: tuple[str, ...] = (TRAIN, VALIDATION, TEST)
#: Default 8:1:1 split ratio (paper §3.3).
SPLIT_RATIOS: tuple[float, ...] = (0.8, 0.1, 0.1)


def split_order(names: Iterable[str]) -> list[str]:
    """``names`` in the order every listing uses: the schema's splits as in :data:`SPLITS`, then any others by name."""
    given = set(names)
    return [s for s in SPLITS if s in given] + sorted(given - set(SPLITS))


#: The hospital's Vietnamese sex values, and what the schema accepts.
MALE, FEMALE = "Nam", "Nữ"
SEX_VALUES: tuple[str, ...] = (MALE, FEMALE)
#: Views seen in chest radiography; others are rejected by the builder.
VIEW_VALUES: tuple[str, ...] = ("PA", "AP", "LL", "LAT", "RL", "LLD", "RLD")

AGE_MIN, AGE_MAX = 0, 120
#: HIPAA safe-harbour: ages above 89 are written as 90.
AGE_CAP = 90

#: Hub viewer limits: row groups under ~100 MB, shards under 500 MB.
DEFAULT_ROW_GROUP_BYTES = 100 * 1024 * 1024
DEFAULT_SHARD_BYTES = 500 * 1024 * 1024

#: The published release on the hub (columns differ; see ``vixray_data.load``).
HUB_ID = "MilitaryHospital175/VNMedical_bv175"
#: Where ``vixray build`` writes the demo corpus, so ``load_dataset("vixray")`` finds it.
DEFAULT_OUT = "vixray"

SHARD_PATTERN = "data/{split}-{index:05d}-of-{count:05d}.parquet"
MANIFEST = "manifest.json"
REJECTS = "rejects.jsonl"
CARD = "README.md"


def _arrow_schema() -> pa.Schema:
    """The parquet schema ``datasets`` writes for :data:`FEATURES` (same fields and ``huggingface`` metadata)."""
    import pyarrow as pa

    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    fields = [pa.field(name, image if dtype == "image" else pa.type_for_alias(dtype)) for name, dtype in DTYPES.items()]
    features = {
        name: {"_type": "Image"} if dtype == "image" else {"dtype": dtype, "_type": "Value"}
        for name, dtype in DTYPES.items()
    }
    return pa.schema(fields, metadata={"huggingface": json.dumps({"info": {"features": features}})})


def _features() -> Features:
    from datasets import Features, Image, Value

    return Features({name: Image() if dtype == "image" else Value(dtype) for name, dtype in DTYPES.items()})


_LAZY = {"FEATURES": _features, "ARROW_SCHEMA": _arrow_schema}


def __getattr__(name: str) -> Any:
    # FEATURES (datasets.Features) and ARROW_SCHEMA (pyarrow.Schema) are built once, on first access
    if name in _LAZY:
        value = _LAZY[name]()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

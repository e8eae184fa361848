"""Load ViX-Ray in the canonical schema, from a built folder, a parquet file or a hub id.

Everything goes through ``datasets.load_dataset`` (so a hub id takes the real hub code path), then
:func:`normalize_dataset` maps other schemas onto :data:`vixray_data.schema.FEATURES`: the published
release's columns (``image, findings, impressions, Ages, sex, view, Ghi chú, Kỹ thuật``; splits
``train/val/test``), other capitalisations, English or Vietnamese headers, ``Male``/``Female`` for
``Nam``/``Nữ``. Columns that cannot be mapped raise :class:`~vixray_data.errors.SchemaError` naming
what is missing and what was found. Values go through :mod:`vixray_data.values`, the builder's parsers:
ages in months become years, ages above 89 become 90, an impossible value raises naming the split and row.
A hub id that cannot be reached fails within seconds, in one line (:func:`load_hub_dataset`).

Streaming: pyarrow reads a parquet stream ahead in its own threads, through a Python file object. A script that
stops reading early (``next(iter(ds))``, ``islice``, ``break``) and then exits leaves those reads pending; when they
reach for the GIL while the interpreter is finalizing, the process aborts ("terminate called without an active
exception") or hangs in ``arrow::internal::ThreadPool::Shutdown`` (apache/arrow#45214, open in pyarrow 26). Every
iterator this module opens is closed, and a process that loaded a streaming dataset here waits a moment at exit,
while Python is still whole, for those reads to finish (:func:`_settle_arrow_at_exit`).
"""

from __future__ import annotations

import atexit
import gc
import logging
import time
from contextlib import closing
from pathlib import Path
from typing import Any, TypeAlias

import datasets
from datasets import Dataset, DatasetDict, Image, IterableDataset, IterableDatasetDict
from datasets.exceptions import DatasetNotFoundError

from . import schema
from .errors import SchemaError, SourceError
from .hub import endpoint, is_hub_id, require_hub, unreachable_message
from .text import header_key, normalize
from .values import DATASET_ALIASES, parse_age, parse_sex, parse_view

log = logging.getLogger(__name__)

AnyDataset: TypeAlias = Dataset | DatasetDict | IterableDataset | IterableDatasetDict
#: Columns a dataset cannot be used without; the others become null when absent.
REQUIRED: tuple[str, ...] = (schema.IMAGE, *schema.REQUIRED_TEXT)
SPLIT_ALIASES: dict[str, str] = {
    "train": schema.TRAIN,
    "training": schema.TRAIN,
    "val": schema.VALIDATION,
    "valid": schema.VALIDATION,
    "validation": schema.VALIDATION,
    "dev": schema.VALIDATION,
    "development": schema.VALIDATION,
    "test": schema.TEST,
    "testing": schema.TEST,
}
_LOOKUP = {alias: field for field, aliases in DATASET_ALIASES.items() for alias in aliases}


def map_columns(columns: list[str]) -> dict[str, str]:
    """Source column -> schema field for every column that has one; SchemaError when required ones lack."""
    mapping: dict[str, str] = {}
    taken: dict[str, str] = {}
    # exact schema names first, so a dataset with both ``findings`` and ``Mô tả`` keeps ``findings``
    for column in sorted(columns, key=lambda c: c not in schema.FIELDS):
        field = column if column in schema.FIELDS else _LOOKUP.get(header_key(column))
        if field is None or field in taken:
            continue
        mapping[column], taken[field] = field, column
    missing = [f for f in REQUIRED if f not in taken]
    if missing:
        raise SchemaError(
            f"cannot map onto the ViX-Ray schema: missing {', '.join(missing)}; "
            f"found columns {', '.join(map(repr, columns)) or '(none)'}"
        )
    return mapping


def split_name(name: str) -> str:
    """``val``/``dev``/``valid`` -> ``validation`` etc.; unknown names pass through."""
    return SPLIT_ALIASES.get(str(name).lower(), str(name))


def _text(value: Any) -> str | None:
    return normalize(str(value)) or None if value is not None else None


_CONVERT = {
    schema.AGE: parse_age,
    schema.SEX: parse_sex,
    schema.VIEW: parse_view,
    schema.NOTE: _text,
    schema.TECHNIQUE: _text,
    schema.FINDINGS: _text,
    schema.IMPRESSIONS: _text,
}


def _convert(field: str, value: Any, split: str, row: int) -> Any:
    try:
        return _CONVERT[field](value)
    except ValueError as exc:  # the parsers never repeat the value (it may identify a patient)
        raise SchemaError(f"split {split} row {row}: {field}: {exc}") from None


#: Seconds the interpreter waits at exit for pyarrow's pending stream reads (measured: 0.05 s was enough for a
#: 100-row, 4 MB row group on a loaded 2-core machine; a read from the hub may take longer).
ARROW_SETTLE_SECONDS = 0.25
_settle_registered = False


def _settle_arrow_at_exit() -> None:
    """Close abandoned stream iterators and let pyarrow's threads finish their reads before Python finalizes."""
    gc.collect()  # unreachable generators close their files now, so pending reads end at once
    time.sleep(ARROW_SETTLE_SECONDS)  # releases the GIL that those reads wait for


def settle_streams_at_exit(ds: Any) -> Any:
    """``ds``, after making sure that, if it streams, the process waits for pyarrow's reads at exit."""
    global _settle_registered
    if isinstance(ds, (IterableDataset, IterableDatasetDict)) and not _settle_registered:
        atexit.register(_settle_arrow_at_exit)
        _settle_registered = True
    return ds


def _columns(ds: Dataset | IterableDataset) -> list[str]:
    if ds.column_names is not None:
        return list(ds.column_names)
    with closing(iter(ds)) as rows:  # streaming without declared features: look at one row, then close the stream
        first = next(rows, None)
    return list(first) if first else []


def _normalize_split(ds: Dataset | IterableDataset, split: str) -> Dataset | IterableDataset:
    columns = _columns(ds)
    if columns == list(schema.FIELDS) and ds.features == schema.FEATURES:
        return ds  # already canonical (a folder written by the builder)
    mapping = map_columns(columns)
    extra = [c for c in columns if c not in mapping]
    if extra:
        log.info("%s: dropping columns with no schema field: %s", split, ", ".join(extra))
        ds = ds.remove_columns(extra)
    renames = {src: dst for src, dst in mapping.items() if src != dst}
    if renames:
        ds = ds.rename_columns(renames)
    present = [f for f in schema.FIELDS if f in mapping.values() and f != schema.IMAGE]
    wanted = [f for f in schema.FIELDS if f != schema.IMAGE]

    def convert(*args: Any) -> dict[str, list[Any]]:
        *values, indices = args
        batch = dict(zip(present, values, strict=True))
        out: dict[str, list[Any]] = {}
        for field in wanted:
            if field == schema.ID:
                out[field] = [str(v) for v in batch[field]] if field in batch else [f"{split}-{i:05d}" for i in indices]
            elif field in batch:
                out[field] = [_convert(field, v, split, i) for v, i in zip(batch[field], indices, strict=True)]
            else:
                out[field] = [None] * len(indices)
        return out

    ds = ds.map(convert, batched=True, input_columns=present, with_indices=True)
    if ds.features is not None and not isinstance(ds.features.get(schema.IMAGE), Image):
        ds = ds.cast_column(schema.IMAGE, Image())
    ds = ds.cast(schema.FEATURES)
    return ds.select_columns(list(schema.FIELDS))


def normalize_dataset(ds: AnyDataset, *, split: str = schema.TRAIN) -> AnyDataset:
    """Map ``ds`` (one split or a dict of splits) onto the canonical schema and split names."""
    if isinstance(ds, (DatasetDict, IterableDatasetDict)):
        parts: dict[str, Any] = {}
        for name, part in ds.items():
            canonical = split_name(name)
            if canonical in parts:
                raise SchemaError(f"two splits map to {canonical!r}: {', '.join(ds)}")
            parts[canonical] = _normalize_split(part, canonical)
        return type(ds)({name: parts[name] for name in schema.split_order(parts)})
    return _normalize_split(ds, split_name(split))


def load_hub_dataset(repo_id: str, **kwargs: Any) -> Any:
    """``datasets.load_dataset(repo_id, **kwargs)``, failing within seconds, in one line, when the hub is unreachable.

    Offline (``HF_HUB_OFFLINE=1``) only ``datasets``' cache is used; otherwise :func:`~vixray_data.hub.require_hub`
    checks first.
    """
    require_hub(repo_id)
    try:
        return settle_streams_at_exit(datasets.load_dataset(repo_id, **kwargs))
    except ConnectionError as exc:  # datasets' own "Couldn't reach" errors, and offline mode without a cache
        raise SourceError(unreachable_message(repo_id, exc)) from None
    except DatasetNotFoundError as exc:
        raise SourceError(
            f"{repo_id}: {exc} (at {endpoint()}); a gated dataset needs `hf auth login` after access is granted"
        ) from None


def load_vixray(
    source: str | Path = schema.DEFAULT_OUT, split: str | None = None, streaming: bool = False, **kwargs: Any
) -> AnyDataset:
    """Load a built folder, a parquet file/folder in any supported schema, or a hub id, in the canonical schema.

    ``split`` accepts the canonical names and their aliases (``val``, ``dev``); extra keyword arguments
    go to ``datasets.load_dataset`` (``revision``, ``token``, ``cache_dir`` ...).
    """
    path = Path(source)
    if path.is_file():
        if path.suffix != ".parquet":
            raise SourceError(f"{path} is not a parquet file or a dataset folder")
        ds = datasets.load_dataset("parquet", data_files={schema.TRAIN: str(path)}, streaming=streaming, **kwargs)
    elif path.is_dir():
        ds = datasets.load_dataset(str(path), streaming=streaming, **kwargs)
    elif is_hub_id(source):
        ds = load_hub_dataset(str(source), streaming=streaming, **kwargs)
    else:
        raise SourceError(
            f"no dataset folder at {source!r} (build one with `vixray build`), and it is not a hub id "
            f"like {schema.HUB_ID}"
        )
    ds = normalize_dataset(settle_streams_at_exit(ds))
    if split is None:
        return ds
    wanted = split_name(split)
    if wanted not in ds:
        raise SchemaError(f"no split {split!r} in {source}; splits are {', '.join(ds)}")
    return ds[wanted]

"""The statistics' input: the text and metadata columns of every split, never the images.

A built folder is read straight from its parquet shards with only the needed columns (the image
column is never read, let alone decoded); a hub id or a folder in the published release's layout
goes through :func:`vixray_data.load.load_vixray` and ``select_columns``; a ``DatasetDict`` is
normalised onto the schema by the loader when its columns are not already canonical.
"""

from __future__ import annotations

import logging
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import DatasetDict

from .. import schema
from ..errors import SchemaError, SourceError
from ..hub import is_hub_id

log = logging.getLogger(__name__)

#: The columns the statistics read: everything but the id, the image and the free-text notes.
COLUMNS: tuple[str, ...] = (schema.AGE, schema.SEX, schema.VIEW, schema.FINDINGS, schema.IMPRESSIONS)
#: Column names only the published release uses (see ``vixray_data.load``): their presence marks it.
RELEASE_MARKERS: frozenset[str] = frozenset({"Ages", "Ghi chú", "Kỹ thuật"})


@dataclass
class Corpus:
    """Column values per split; ``published`` says whether this is the paper's release."""

    splits: dict[str, dict[str, list[Any]]]
    origin: str
    published: bool = False
    notes: list[str] = field(default_factory=list)

    def column(self, name: str, split: str | None = None) -> list[Any]:
        if split is not None:
            return self.splits[split][name]
        return [value for columns in self.splits.values() for value in columns[name]]

    def size(self, split: str | None = None) -> int:
        return len(self.column(schema.FINDINGS, split))


def _from_columns(split: str, columns: dict[str, list[Any]], origin: str) -> dict[str, list[Any]]:
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise SchemaError(f"{origin} [{split}]: missing column(s) {missing}; found {sorted(columns)}")
    return {c: list(columns[c]) for c in COLUMNS}


def _is_release_folder(folder: Path) -> bool:
    for name in (schema.MANIFEST, schema.CARD):
        path = folder / name
        if path.is_file() and schema.HUB_ID in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


def _from_built_folder(folder: Path) -> Corpus | None:
    """Read a folder written by ``vixray build``; ``None`` when its shards are not in the canonical schema."""
    from ..shards import read_columns

    try:
        splits = read_columns(folder, COLUMNS)
    except SchemaError:
        return None  # not canonical: let the loader normalise it
    if not splits:
        return None
    return Corpus(
        splits={s: splits[s] for s in schema.split_order(splits)},
        origin=str(folder),
        published=_is_release_folder(folder),
    )


def _without_image_decoding(ds):
    """Image columns cast to ``Image(decode=False)``: a streamed row then carries bytes, never a decoded picture."""
    from datasets import Image

    for name, feature in (ds.features or {}).items():
        if isinstance(feature, Image) and feature.decode:
            ds = ds.cast_column(name, Image(decode=False))
    return ds


def _from_dataset_dict(dataset_dict, origin: str) -> Corpus:
    names = {n for ds in dataset_dict.values() for n in (ds.column_names or [])}
    published = bool(names & RELEASE_MARKERS)
    if not set(COLUMNS) <= names:
        from datasets import IterableDatasetDict

        from ..load import normalize_dataset  # the loader owns the column mapping

        parts = {split: _without_image_decoding(ds) for split, ds in dataset_dict.items()}
        dataset_dict = normalize_dataset(IterableDatasetDict(parts) if _streaming(parts) else DatasetDict(parts))
    splits = {}
    for split in schema.split_order(dataset_dict):
        ds = dataset_dict[split].select_columns(list(COLUMNS))  # the image column is dropped, never decoded
        columns: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        with closing(ds.iter(batch_size=1000)) as batches:  # closed even when reading stops half-way
            for batch in batches:
                for c in COLUMNS:
                    columns[c].extend(batch[c])
        splits[split] = _from_columns(split, columns, origin)
    return Corpus(splits=splits, origin=origin, published=published)


def _streaming(parts: dict) -> bool:
    from datasets import IterableDataset

    return any(isinstance(ds, IterableDataset) for ds in parts.values())


def _load_raw(source: str, *, streaming: bool):
    """``datasets.load_dataset`` as the loader calls it, without its normalisation (done above, image-free)."""
    import datasets

    from ..load import load_hub_dataset, settle_streams_at_exit

    try:
        if is_hub_id(source):
            return load_hub_dataset(source, streaming=streaming)  # one-line error when the hub is unreachable
        return settle_streams_at_exit(datasets.load_dataset(source, streaming=streaming))
    except (FileNotFoundError, ValueError) as exc:
        raise SourceError(f"{source}: cannot load ({exc})") from exc


def load_corpus(source: Any, *, streaming: bool = True) -> Corpus:
    """Text columns of a built folder, a hub id, a ``DatasetDict`` / ``IterableDatasetDict`` or a ``Dataset``."""
    if isinstance(source, Corpus):
        return source
    if isinstance(source, dict):  # DatasetDict, IterableDatasetDict, or a plain {split: Dataset}
        return _from_dataset_dict(source, origin=type(source).__name__)
    if hasattr(source, "column_names") and hasattr(source, "select_columns"):  # a single split
        return _from_dataset_dict({schema.TRAIN: source}, origin=type(source).__name__)
    path = Path(source)
    if path.is_dir():
        corpus = _from_built_folder(path)
        if corpus is not None:
            return corpus
        corpus = _from_dataset_dict(_load_raw(str(path), streaming=streaming), origin=str(path))
        corpus.published = corpus.published or _is_release_folder(path)
        return corpus
    if not is_hub_id(str(source)):
        raise SourceError(f"{source}: not a dataset folder or a hub id (like {schema.HUB_ID}); "
                          "give a built folder, a hub id or a DatasetDict")  # fmt: skip
    corpus = _from_dataset_dict(_load_raw(str(source), streaming=streaming), origin=str(source))
    corpus.published = corpus.published or str(source) == schema.HUB_ID
    return corpus

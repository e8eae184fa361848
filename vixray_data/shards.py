"""Reading a built folder's shards column by column: the one reader behind the card's field statistics,
the corpus statistics and the review page. Only the columns asked for are read; images never are unless named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import schema
from .errors import SchemaError, SourceError
from .manifest import Manifest


def shard_paths(folder: Path, manifest: Manifest | None = None) -> dict[str, list[Path]]:
    """Split -> its shard files, from ``manifest`` (or the folder's manifest.json), else from ``data/*.parquet``.

    Raises :class:`~vixray_data.errors.ManifestError` for a manifest.json that cannot be read.
    """
    folder = Path(folder)
    if manifest is None and (folder / schema.MANIFEST).is_file():
        manifest = Manifest.read(folder)
    if manifest is not None:
        return {split: [folder / shard.path for shard in info.shards] for split, info in manifest.splits.items()}
    shards: dict[str, list[Path]] = {}
    for path in sorted((folder / "data").glob("*.parquet")):
        shards.setdefault(path.name.split("-", 1)[0], []).append(path)
    return {split: shards[split] for split in schema.split_order(shards)}


def read_columns(
    folder: Path, columns: tuple[str, ...] | list[str], *, manifest: Manifest | None = None
) -> dict[str, dict[str, list[Any]]]:
    """Split -> column -> values, for ``columns`` of every shard of ``folder``, in shard and row order.

    Raises SourceError for a listed shard that is missing and SchemaError for a shard without one of ``columns``.
    """
    import pyarrow.parquet as pq

    out: dict[str, dict[str, list[Any]]] = {}
    for split, paths in shard_paths(folder, manifest).items():
        values: dict[str, list[Any]] = {name: [] for name in columns}
        for path in paths:
            if not path.is_file():
                raise SourceError(f"{path}: shard listed in the manifest is missing")
            missing = [name for name in columns if name not in pq.read_schema(path).names]
            if missing:
                raise SchemaError(f"{path}: no column(s) {', '.join(missing)}")
            table = pq.read_table(path, columns=list(columns))
            for name in columns:
                values[name].extend(table.column(name).to_pylist())
        out[split] = values
    return out

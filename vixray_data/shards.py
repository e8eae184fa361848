"""Reading a built folder's shards column by column: the one reader behind the card's field statistics,
the corpus statistics and the review page. Only the columns asked for are read; images never are unless named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import schema
from .errors import SchemaError, SourceError


def shard_paths(folder: Path, manifest: dict | None = None) -> dict[str, list[Path]]:
    """Split -> its shard files, from ``manifest`` (or the folder's manifest.json), else from ``data/*.parquet``."""
    folder = Path(folder)
    manifest_path = folder / schema.MANIFEST
    if manifest is None and manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError(f"{manifest_path}: unreadable manifest ({type(exc).__name__})") from exc
    shards: dict[str, list[Path]] = {}
    if manifest is not None:
        try:
            for split, info in manifest["splits"].items():
                shards[split] = [folder / shard["path"] for shard in info.get("shards", ())]
        except (KeyError, TypeError, AttributeError) as exc:
            raise SourceError(f"{manifest_path}: unreadable manifest (no splits/shards: {exc})") from exc
        return shards
    for path in sorted((folder / "data").glob("*.parquet")):
        shards.setdefault(path.name.split("-", 1)[0], []).append(path)
    known = [s for s in schema.SPLITS if s in shards]
    return {s: shards[s] for s in known + sorted(set(shards) - set(known))}


def read_columns(folder: Path, columns: tuple[str, ...] | list[str], *,
                 manifest: dict | None = None) -> dict[str, dict[str, list[Any]]]:
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

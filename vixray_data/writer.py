"""Parquet writer for one split: rows in, shards out, row groups and shards kept under byte limits.

Rows are buffered and flushed as one row group when the next row would take the buffer past
``row_group_bytes`` (the hub viewer cannot read row groups of hundreds of MB) or when it holds
``row_group_rows`` rows (100, as ``datasets`` writes image datasets: small groups keep memory to a few MB
and the viewer quick); a shard is closed when the next row group would take it past ``shard_bytes``.
Shard names carry the final count (``-of-NNNNN``), which is only known at the end, so shards are written
under temporary names and renamed by :meth:`SplitWriter.close`. Settings are fixed (no timestamps, fixed
compression, no image statistics), so the same rows give byte-identical files. Each shard's sha256 and size are
taken from the bytes as they are written (:class:`_HashingFile`), so no shard is read back for the manifest.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from . import schema
from .manifest import ShardInfo

#: Image bytes are already compressed (PNG/JPEG): storing them again compressed only costs time.
_COMPRESSION = {
    f"{schema.IMAGE}.bytes": "NONE",
    f"{schema.IMAGE}.path": "SNAPPY",
    **{name: "ZSTD" for name in schema.FIELDS if name != schema.IMAGE},
}
#: Min/max statistics only where they help a reader filter; on images and report text they only add bytes.
_STATISTICS = [schema.ID, schema.AGE, schema.SEX, schema.VIEW]
#: Per-row estimate of what parquet adds beyond the raw values (offsets, levels, the path string).
ROW_OVERHEAD = 64
#: Rows per row group unless the byte limit comes first (``datasets``' choice for image datasets).
ROW_GROUP_ROWS = 100
#: Per-row-group estimate of page headers and footer entries, so row groups and shards stay under their limits.
ROW_GROUP_OVERHEAD = 4096
FILE_OVERHEAD = 8192


def row_bytes(row: dict[str, Any]) -> int:
    """Estimated bytes a row takes in a row group: its image bytes, its text, a fixed overhead."""
    size = ROW_OVERHEAD
    for name in schema.FIELDS:
        value = row.get(name)
        if name == schema.IMAGE:
            image = row[schema.IMAGE]
            size += len(image["bytes"]) + len(image["path"])
        elif isinstance(value, str):
            size += len(value.encode("utf-8"))
        elif value is not None:
            size += 8
    return size


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class _HashingFile(io.RawIOBase):
    """A file being written whose sha256 and size are taken from the bytes as they go by: the parquet writer
    writes each shard once, sequentially, so the digest of what went through is the digest of the file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "wb")  # noqa: SIM115 -- closed by close()
        self._sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # bytes-like, as io's
        view = memoryview(data)
        self._sha256.update(view)
        self._file.write(view)
        self.size += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.size

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()


#: The most bytes one binary array can hold (32-bit offsets).
_BINARY_LIMIT = 2**31 - 1


def _binary(values: list[bytes]) -> pa.Array:
    """A binary array of image bytes: joined into one buffer with their offsets (what ``pa.array`` builds from a list
    of bytes, equal element for element) in a fifth of its time, which it spends holding the GIL that the image
    threads need."""
    import numpy as np

    if any(value is None for value in values) or sum(map(len, values)) > _BINARY_LIMIT:
        return pa.array(values, pa.binary())
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum([len(value) for value in values], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.binary(), len(values), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))]
    )


class SplitWriter:
    """Writes the rows of one split under ``root/data/``. Two verbs: :meth:`write` and :meth:`close`."""

    def __init__(
        self,
        root: Path,
        split: str,
        *,
        row_group_bytes: int = schema.DEFAULT_ROW_GROUP_BYTES,
        shard_bytes: int = schema.DEFAULT_SHARD_BYTES,
        row_group_rows: int = ROW_GROUP_ROWS,
    ) -> None:
        if row_group_bytes <= 0 or shard_bytes <= 0 or row_group_rows <= 0:
            raise ValueError("row_group_bytes, shard_bytes and row_group_rows must be positive")
        self.root, self.split = Path(root), split
        self.row_group_bytes, self.shard_bytes, self.row_group_rows = row_group_bytes, shard_bytes, row_group_rows
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        self._schema = schema.ARROW_SCHEMA
        self._buffer: list[dict[str, Any]] = []
        self._buffer_bytes = 0
        self._writer: pq.ParquetWriter | None = None
        self._sink: _HashingFile | None = None
        self._shard_estimate = 0
        self._parts: list[Path] = []
        self._written: list[tuple[str, int]] = []  # (sha256, bytes) of each closed shard
        self.num_rows = 0

    def _part_path(self, index: int) -> Path:
        return self.root / "data" / f".{self.split}-{index:05d}.parquet.part"

    def _open_shard(self) -> pq.ParquetWriter:
        path = self._part_path(len(self._parts))
        self._parts.append(path)
        self._sink = _HashingFile(path)
        self._writer = pq.ParquetWriter(
            self._sink,
            self._schema,
            compression=_COMPRESSION,
            use_dictionary=False,
            write_statistics=_STATISTICS,
            store_schema=True,
        )
        self._shard_estimate = FILE_OVERHEAD
        return self._writer

    def _close_shard(self) -> None:
        if self._writer is not None and self._sink is not None:
            self._writer.close()
            self._sink.close()
            self._written.append((self._sink.hexdigest(), self._sink.size))
            self._writer = self._sink = None

    def _flush(self) -> None:
        if not self._buffer:
            return
        group = self._buffer_bytes + ROW_GROUP_OVERHEAD
        if self._writer is not None and self._shard_estimate + group > self.shard_bytes:
            self._close_shard()
        writer = self._writer or self._open_shard()
        rows, buffer = len(self._buffer), self._buffer
        self._buffer, self._buffer_bytes = [], 0
        arrays = []
        for field in self._schema:
            if field.name == schema.IMAGE:
                images = [row[schema.IMAGE] for row in buffer]
                arrays.append(
                    pa.StructArray.from_arrays(
                        [_binary([i["bytes"] for i in images]), pa.array([i["path"] for i in images])],
                        fields=list(field.type),
                    )
                )
            else:
                arrays.append(pa.array([row.get(field.name) for row in buffer], field.type))
        del buffer, images  # the Python bytes go before parquet encodes: one copy of the row group, not two
        writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema), row_group_size=rows)
        self._shard_estimate += group

    def write(self, row: dict[str, Any]) -> None:
        """Add one row: a dict with every schema field, ``image`` as ``{"bytes": ..., "path": ...}``."""
        size = row_bytes(row)
        if self._buffer and (
            self._buffer_bytes + size + ROW_GROUP_OVERHEAD > self.row_group_bytes
            or len(self._buffer) >= self.row_group_rows
        ):
            self._flush()
        self._buffer.append(row)
        self._buffer_bytes += size
        self.num_rows += 1

    def close(self) -> list[ShardInfo]:
        """Flush, close, rename the shards to their final ``-of-NNNNN`` names and describe them."""
        self._flush()
        if not self._parts:  # no rows: no shard (an empty shard makes datasets' split checks fail)
            return []
        self._close_shard()
        count = len(self._parts)
        shards = []
        for index, part in enumerate(self._parts):
            rel = schema.SHARD_PATTERN.format(split=self.split, index=index, count=count)
            final = self.root / rel
            part.replace(final)
            meta = pq.ParquetFile(final).metadata
            groups = [meta.row_group(g).total_byte_size for g in range(meta.num_row_groups)]
            sha256, size = self._written[index]
            shards.append(
                ShardInfo(
                    path=rel,
                    sha256=sha256,
                    bytes=size,
                    num_rows=meta.num_rows,
                    row_groups=meta.num_row_groups,
                    max_row_group_bytes=max(groups, default=0),
                )
            )
        self._parts, self._written = [], []
        return shards

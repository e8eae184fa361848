"""The leak scan: look for every identifying value seen in the inputs, in its spellings, in everything a folder
holds (the builder runs it on what it wrote; ``vixray scan`` and ``vixray validate --phi-values`` on any folder).

A plain byte grep is not enough: parquet pages are compressed (snappy/zstd), JSON escapes non-ASCII
(``Nguy\\u1ec5n``) and PNG ``zTXt``/``iTXt`` chunks are deflated. So every file is turned into the
texts it can carry before searching:

* parquet: the footer's key/value metadata, every string value of every column (nested ones too), and
  for binary values (the images) every PNG chunk other than pixel data (text chunks inflated) or every
  JPEG APPn/COM segment; pixel data itself is not text and is not searched (a byte-level hit there is
  chance, not a leak);
* JSON / JSON Lines: every key and string value after parsing (numbers are counts and sizes, not
  searched, so a short numeric ID cannot "hit" a byte count); PNG/JPEG files: as image values above;
* anything else: its bytes as UTF-8.

Each value is searched in its common spellings (:func:`spellings`: DICOM person names as ``NGUYEN VAN AN`` and
in Vietnamese order, dates as ``YYYYMMDD``, ``YYYY-MM-DD``, ``DD/MM/YYYY`` and friends), NFC/NFD alike (texts are
NFC-normalised first), with the build's one index (:class:`~vixray_data.phi.values.ValueIndex`, shared with the
scrub): a text is cut into words and digit runs once and their n-grams looked up by hash, so the cost per text
does not grow with the number of values. A spelling matches case- and diacritic-insensitively and with any
short separator between its words (``Nguyen-Van-An``); a one-word value without digits as written. A hit is
whole words and digit runs, so an ID ``1234`` does not "hit" inside a hex pseudonym; in ``rejects.jsonl`` the
builder's own references (``row 416``, ``file 3fa2…``) are not searched. Values the scrub keeps by design
(clinical vocabulary, one everyday word standing alone: :mod:`.kept_values`) are not searched for. Results hold
the first 64 bits of the value's SHA-256 (16 hex digits, :func:`value_hash`), never the value.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..manifest import LeakScanSummary
from ..phi.values import ValueIndex, leak_spellings
from ..records import mask_refs
from ..schema import REJECTS
from ..text import bytes_text, fold
from . import kept_values

_WORD = re.compile(r"[^\W_]+")


@dataclass
class ScanResult:
    values_checked: int
    files_scanned: int
    hits: list[dict] = field(default_factory=list)  # {"file", "where", "value_sha256": 16 hex}; never the value

    @property
    def clean(self) -> bool:
        return not self.hits

    def summary(self) -> LeakScanSummary:
        """The manifest's ``leak_scan`` section."""
        return LeakScanSummary(
            values_checked=self.values_checked,
            files_scanned=self.files_scanned,
            hits=len(self.hits),
            hit_details=tuple(self.hits),
            clean=self.clean,
        )

    def to_json(self) -> dict:
        return self.summary().to_json()


# --------------------------------------------------------------------------- spellings of a value


def spellings(value: str) -> tuple[set[str], set[str]]:
    """(spellings, folded spellings) under which ``value`` is searched; both empty when too short. The index
    compares tokens (:class:`~vixray_data.phi.values.ValueIndex`), so every spelling matches case- and
    diacritic-insensitively and with any short separator (``NGUYEN-VAN-AN``); a one-word value without digits
    keeps its diacritics (``Hòa`` is not ``hóa``)."""
    exact = leak_spellings(value)
    one_word = len(_WORD.findall(value)) == 1 and not any(c.isdigit() for c in value)
    return exact, set() if one_word else {fold(form) for form in exact}


def index(values: ValueIndex | Iterable[str]) -> ValueIndex:
    """The build's index as it is, or one built from ``values`` (values the scrub keeps by design marked, not
    searched for: :mod:`.kept_values`)."""
    if isinstance(values, ValueIndex):
        return values
    return ValueIndex(values, classify=kept_values.classifier())


def read_index(path: Path) -> ValueIndex:
    """The index of a ``--phi-values`` file (see :func:`read_values`), read line by line."""
    with open(path, encoding="utf-8-sig") as handle:
        return index(line.strip() for line in handle if line.strip())


# --------------------------------------------------------------------------- what a file can carry


def image_texts(data: bytes) -> Iterator[tuple[str, str]]:
    """(where, text) for every non-pixel part of a PNG or JPEG: text chunks inflated, EXIF/ICC/COM raw."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        i = 8
        while i + 8 <= len(data):
            (length,) = struct.unpack(">I", data[i : i + 4])
            kind = data[i + 4 : i + 8].decode("latin-1")
            body = data[i + 8 : i + 8 + length]
            i += 12 + length
            if kind in ("IDAT", "IEND"):
                continue
            text = bytes_text(body)
            try:
                if kind == "zTXt":
                    keyword, _, rest = body.partition(b"\0")
                    text = bytes_text(keyword) + " " + bytes_text(zlib.decompress(rest[1:]))
                elif kind == "iTXt":
                    keyword, _, rest = body.partition(b"\0")
                    compressed, rest = rest[0], rest[2:]
                    language, _, rest = rest.partition(b"\0")
                    translated, _, payload = rest.partition(b"\0")
                    payload = zlib.decompress(payload) if compressed else payload
                    text = " ".join(bytes_text(p) for p in (keyword, language, translated, payload))
                elif kind == "iCCP":
                    name, _, rest = body.partition(b"\0")
                    text = bytes_text(name) + " " + bytes_text(zlib.decompress(rest[1:]))
            except (zlib.error, IndexError):
                pass
            yield f"png {kind}", text
    elif data[:2] == b"\xff\xd8":
        i = 2
        while i + 4 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker == 0xDA or marker == 0xD9:
                break
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xE0 <= marker <= 0xEF or marker == 0xFE:
                part = "COM" if marker == 0xFE else f"APP{marker - 0xE0}"
                yield f"jpeg {part}", bytes_text(data[i + 4 : i + 2 + length])
            i += 2 + length
    else:
        yield "bytes", bytes_text(data)


def _json_strings(obj, where: str) -> Iterator[tuple[str, str]]:
    """Every key and string value of a JSON document, all under one ``where``."""
    for _, text in json_paths(obj, ""):
        yield where, text


def _parquet_texts(path: Path, *, images: bool = True) -> Iterator[tuple[str, str]]:
    """Footer metadata and column values; ``images=False`` reads no binary column at all (the builder scans the
    image bytes as it writes them, see :class:`ImageScan`), so the scan costs the text columns only."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    for key, value in (parquet.metadata.metadata or {}).items():
        yield "footer metadata", bytes_text(key) + " " + bytes_text(value)
    columns = None
    if not images:
        leaves = parquet.schema_arrow
        columns = [name for name in _leaf_paths(leaves, pa) if not _is_binary(leaves, name, pa)]
    for group in range(parquet.num_row_groups):
        table = parquet.read_row_group(group, columns=columns)
        ids = table.column("id").to_pylist() if "id" in table.column_names else None
        for name in table.column_names:
            column = table.column(name)
            if ids is not None and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                for record, value in zip(ids, column.to_pylist(), strict=True):  # a hit names the record
                    if value:
                        yield f"column {name} (row group {group}, id {record})", value
                continue
            yield from _arrow_texts(column, f"column {name} (row group {group})", pa)


def _leaf_paths(schema, pa) -> list[str]:
    """Dotted paths of the leaf fields (``image.bytes``, ``image.path``, ``id``): what parquet can read alone."""

    def walk(field, prefix: str) -> Iterator[str]:
        if pa.types.is_struct(field.type):
            for i in range(field.type.num_fields):
                yield from walk(field.type.field(i), f"{prefix}{field.name}.")
        else:
            yield prefix + field.name

    return [path for field in schema for path in walk(field, "")]


def _is_binary(schema, path: str, pa) -> bool:
    kind = schema.field(path.split(".")[0]).type
    for name in path.split(".")[1:]:
        kind = kind.field(name).type
    return pa.types.is_binary(kind) or pa.types.is_large_binary(kind)


def _arrow_texts(column, where: str, pa) -> Iterator[tuple[str, str]]:
    kind = column.type
    if pa.types.is_struct(kind):
        for i in range(kind.num_fields):
            child = kind.field(i).name
            chunks = [chunk.field(i) for chunk in column.chunks] if hasattr(column, "chunks") else [column.field(i)]
            yield from _arrow_texts(pa.chunked_array(chunks, type=kind.field(i).type), f"{where}.{child}", pa)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        chunks = [chunk.flatten() for chunk in column.chunks]
        yield from _arrow_texts(pa.chunked_array(chunks, type=kind.value_type), where, pa)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        for value in column.to_pylist():
            if value:
                yield where, value
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        for row, value in enumerate(column.to_pylist()):
            if value:
                for part, text in image_texts(value):
                    yield f"{where} row {row} {part}", text


def file_texts(path: Path, *, images: bool = True) -> Iterator[tuple[str, str]]:
    """(where, text) pairs covering everything in ``path`` that can carry an identifying value.

    ``images=False``: binary parquet columns are skipped (only for a build whose images :class:`ImageScan` saw).
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            yield from _parquet_texts(path, images=images)
            return
        except (OSError, ValueError):  # not readable as parquet (pyarrow's errors derive from these): bytes
            pass
    data = path.read_bytes()
    if suffix in (".png", ".jpg", ".jpeg"):
        yield from image_texts(data)
        return
    text = bytes_text(data)
    if suffix == ".json":
        try:
            yield from _json_strings(json.loads(text), "json")
            return
        except json.JSONDecodeError:
            pass
    elif suffix == ".jsonl":
        refs = mask_refs if path.name == REJECTS else str  # the builder's row numbers and file pseudonyms: not data
        for number, line in enumerate(text.splitlines(), 1):
            try:
                texts = list(_json_strings(json.loads(line), f"line {number}"))
            except json.JSONDecodeError:
                texts = [(f"line {number}", line)]
            yield from ((where, refs(value)) for where, value in texts)
        return
    yield "text", text


def value_hash(value: str) -> str:
    """What a hit reports as ``value_sha256``: the first 64 bits of the value's SHA-256 (NFC, stripped), in hex.
    The index keeps no more of it (8 bytes a value, not 32); every reader shows no more (``vixray scan``,
    ``validate``, the review page)."""
    return hashlib.sha256(unicodedata.normalize("NFC", value).strip().encode("utf-8")).hexdigest()[:16]


def scan_folder(
    folder: Path, values: ValueIndex | Iterable[str], *, images: bool = True, builder: bool = False
) -> ScanResult:
    """Search every file under ``folder`` for each value in any of its spellings (see module docstring).

    ``values``: the build's :class:`ValueIndex` (built once, shared with the scrub) or the values themselves.
    ``images=False`` skips the binary (image) columns of parquet files: the builder passes it after scanning
    every image it wrote with :class:`ImageScan`. ``builder=True``: the builder's own files, where numbers of
    under six digits are not searched (:func:`.kept_values.searched_in_builder_files`).
    """
    folder = Path(folder)
    found = index(values)
    checked = found.searched(builder=builder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    hits: list[dict] = []
    for path in files:
        seen: set[tuple[str, int]] = set()
        for where, text in file_texts(path, images=images) if checked else ():
            for vid in sorted(found.leaks(text, builder=builder)):
                if (where, vid) not in seen:
                    seen.add((where, vid))
                    hits.append(
                        {"file": path.relative_to(folder).as_posix(), "where": where, "value_sha256": found.sha256(vid)}
                    )
    return ScanResult(values_checked=checked, files_scanned=len(files), hits=hits)


class ImageScan:
    """The leak scan of image bytes as the builder writes them: no second read of the image column afterwards.

    Each image's non-pixel parts (:func:`image_texts`: PNG chunks other than IDAT, JPEG APPn/COM) are searched
    when it is written; the folder scan then reads the text columns only (``scan_folder(..., images=False)``).
    """

    def __init__(self, values: ValueIndex | Iterable[str]) -> None:
        self._index = index(values)
        self._searched = self._index.searched() > 0
        self.hits: list[dict] = []

    def add(self, file: str, where: str, data: bytes) -> None:
        if not self._searched:
            return
        for part, text in image_texts(data):
            for vid in sorted(self._index.leaks(text)):
                self.hits.append({"file": file, "where": f"{where} {part}", "value_sha256": self._index.sha256(vid)})


def read_values(path: Path) -> list[str]:
    """A ``--phi-values`` file: one identifying value per line (UTF-8, BOM allowed); blank lines skipped."""
    return [line.strip() for line in Path(path).read_text(encoding="utf-8-sig").splitlines() if line.strip()]


def json_paths(obj, path: str) -> Iterator[tuple[str, str]]:
    """(dotted path, string) for every key and string value of a JSON document."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            child = f"{path}.{key}" if path else str(key)
            yield path or "(keys)", str(key)
            yield from json_paths(value, child)
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from json_paths(item, f"{path}[{i}]")
    elif isinstance(obj, str):
        yield path, obj

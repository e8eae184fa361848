"""The report/metadata table of a hospital export: find it, read it, map its headers onto roles.

A *role* is either a schema field (age, sex, view, note, technique, findings, impressions) or one of
the identifying columns the reader needs to join and to de-identify (study key, patient key, file,
patient name, birth date, study date, and other identifying columns such as phone or address).
Headers are recognised case- and diacritic-insensitively in English and Vietnamese; an explicit
mapping (``--columns findings="Mô tả",impressions="Kết luận"`` or a YAML/TOML/JSON file) wins.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from .. import schema
from ..errors import SchemaError, SourceError
from ..text import header_key
from ..values import (  # noqa: F401 - the roles beyond the schema fields, named table.STUDY etc. by the readers
    BIRTH_DATE,
    FILE,
    PATIENT,
    PATIENT_NAME,
    PHI_ROLES,
    STUDY,
    STUDY_DATE,
    TABLE_ALIASES,
)

TABLE_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
#: Byte-order marks, longest first (a UTF-32 LE mark starts like a UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: How the manifest names each encoding a sheet can be read in.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16 with BOM",
    "utf-32": "UTF-32 with BOM",
    "cp1258": "Windows-1258",
}

#: Role -> header variants, in the order roles are assigned; declared with the loader's in vixray_data.values.
ALIASES: dict[str, tuple[str, ...]] = TABLE_ALIASES
ROLES = tuple(ALIASES)
REQUIRED_ROLES = (schema.FINDINGS, schema.IMPRESSIONS)


def find_table(source: Path, table: Path | None = None) -> Path:
    """The table named by ``--table``, else the single CSV/XLSX/JSONL file at the export's top level."""
    if table is not None:
        path = Path(table)
        if not path.is_file():
            raise SourceError(f"table {path} does not exist")
        if path.suffix.lower() not in TABLE_SUFFIXES:
            raise SourceError(f"table {path.name}: expected one of {sorted(TABLE_SUFFIXES)}")
        return path
    found = sorted(
        p
        for p in Path(source).iterdir()
        if p.is_file()
        and p.suffix.lower() in TABLE_SUFFIXES
        and not p.name.startswith((".", "~$"))
        and (p.suffix.lower() != ".txt" or _unicode_text(p))
    )
    if not found:
        raise SourceError(
            f"{source}: no report table (CSV, TSV, Excel's Unicode Text, XLSX or JSONL) at the top "
            "level; pass --table PATH"
        )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise SourceError(f"{source}: {len(found)} candidate tables at the top level ({names}); name one with --table")
    return found[0]


def table_kind(path: Path) -> str:
    return TABLE_SUFFIXES[Path(path).suffix.lower()]


def _cell(value) -> str:
    """A cell as text: '' for missing, ints without '.0' (Excel reads 72 as 72.0), dates ISO; a list or
    object (JSONL) becomes :data:`~vixray_data.deid.NON_TEXT`, so its record is rejected, not written as a repr."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        from ..deid import NON_TEXT

        return NON_TEXT
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def _unicode_text(path: Path) -> bool:
    """Whether a ``.txt`` file is Excel's "Unicode Text" (UTF-16 with its byte-order mark): a sheet, not notes."""
    with open(path, "rb") as handle:
        return handle.read(2) in (b"\xff\xfe", b"\xfe\xff")


#: Runs of two or more characters of the Windows code pages' upper half: where UTF-8 text read as cp1252 or
#: cp1258 and saved again shows ("Nguyá»…n", "Bá»‡nh", "Ä‘"). A run is mojibake when its code-page bytes are UTF-8.
_HIGH_RUN = re.compile(
    "[\u00a0-\u00ff\u0102\u0103\u0110\u0111\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u01a0\u01a1\u01af\u01b0\u02c6\u02dc\u0300\u0301\u0303\u0309\u0323"
    "\u2013-\u203a\u20ab\u20ac\u2122]{2,}"
)


def _mojibake(text: str) -> bool:
    """Whether a run of code-page characters is the bytes of UTF-8 Latin letters (``á»…`` is ``ễ``); a capital
    and a closing quote (``Ô”``, bytes of a Cyrillic letter) are not."""
    for run in _HIGH_RUN.findall(text):
        for page in ("cp1252", "cp1258"):
            try:
                letters = run.encode(page).decode("utf-8")
            except UnicodeError:
                continue
            if any("\u00c0" <= c <= "\u024f" or "\u1e00" <= c <= "\u1eff" for c in letters):
                return True
    return False


#: A UTF-8 lead byte and a continuation byte: rare in Windows-1258 text (a letter, then a symbol such as ``…``).
_UTF8_PAIR = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
#: Letters a Windows-1258 tone mark (a combining character) follows in Vietnamese.
_VOWELS = frozenset("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")


def _problem(text: str, encoding: str) -> str | None:
    """What makes a decoded (NFC) sheet text unreadable, in the order it is reported; None when nothing does."""
    import unicodedata

    if "\x00" in text:
        return "nul"
    if "\ufffd" in text:
        return "replacement characters (U+FFFD): text already damaged by an earlier conversion"
    if _mojibake(text):
        return "UTF-8 text that was read in another encoding and saved again"
    if encoding == "cp1258" and any(
        unicodedata.combining(c) and (i == 0 or text[i - 1] not in _VOWELS) for i, c in enumerate(text)
    ):
        return "tone marks on no vowel: not Windows-1258"
    return None


def _raise_problem(path: Path, encoding: str, problem: str | None) -> None:
    if problem == "nul":
        raise SourceError(
            f"table {path.name}: NUL characters in the text (UTF-16 saved without its byte-order "
            "mark?); save it as UTF-8 or as Excel's Unicode Text"
        )
    if problem is not None:
        raise SourceError(
            f"table {path.name}: read as {ENCODINGS[encoding]}, it holds {problem}; save the sheet again as UTF-8"
        )


def decode_sheet(path: Path, data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV/TSV sheet's bytes: a byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8
    when the bytes are UTF-8; else Windows-1258 (Vietnamese Windows), whose tone marks are combining characters,
    composed here (NFC). A sheet that reads as mis-decoded text (NUL characters, replacement characters, UTF-8
    read as a Windows code page, a tone mark on no vowel) is a :class:`SourceError` naming the file.

    The whole text at once; the reader streams the same decisions with :func:`sheet_encoding` and :func:`_pieces`.
    """
    import unicodedata

    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    try:
        if encoding is None:
            try:
                text, encoding = data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError as exc:
                damaged = data.decode("utf-8", "replace").count("\ufffd")
                if damaged * 4 < len(_UTF8_PAIR.findall(data)):  # mostly UTF-8: a few bad bytes, not a code page
                    raise SourceError(
                        f"table {path.name}: UTF-8 text with bytes that are not UTF-8 (at byte "
                        f"{exc.start}); save it again as UTF-8"
                    ) from exc
                text, encoding = data.decode("cp1258"), "cp1258"
        else:
            text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"table {path.name}: not UTF-8, UTF-16 or Windows-1258 text ({exc.reason} at byte {exc.start})"
        ) from exc
    text = unicodedata.normalize("NFC", text)
    _raise_problem(path, encoding, _problem(text, encoding))
    return text, encoding


#: Bytes read at a time when a sheet is decoded as a stream (a piece then holds a few times this in text).
_CHUNK = 1 << 18


def _pieces(path: Path, encoding: str) -> Iterator[str]:
    """The sheet's text, decoded and composed (NFC), in pieces that end at a line end (but the last).

    Nothing composes across a line feed, so the pieces are the whole text's NFC cut at line feeds; a piece is at
    most one chunk plus the line that straddles it.
    """
    import codecs
    import unicodedata

    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""
    with open(path, "rb") as handle:
        while True:
            data = handle.read(_CHUNK)
            text = pending + decoder.decode(data, final=not data)
            if not data:
                if text:
                    yield unicodedata.normalize("NFC", text)
                return
            cut = text.rfind("\n") + 1
            if cut:
                yield unicodedata.normalize("NFC", text[:cut])
            pending = text[cut:]


def _lines(path: Path, encoding: str) -> Iterator[str]:
    """The sheet's lines as ``io.StringIO`` of the whole text gives them (ended by a line feed only)."""

    for piece in _pieces(path, encoding):
        yield from io.StringIO(piece)


def _scan(path: Path, encoding: str) -> str | None:
    """Decode the whole sheet once, piece by piece, and return the :func:`_problem` the whole text would have."""
    worst: str | None = None
    for piece in _pieces(path, encoding):
        problem = _problem(piece, encoding)
        if problem is not None and (worst is None or _RANK[problem[:4]] < _RANK[worst[:4]]):
            worst = problem
    return worst


#: The order :func:`_problem` reports problems in, by their first letters.
_RANK = {"nul": 0, "repl": 1, "UTF-": 2, "tone": 3}


def _utf8_damage(path: Path) -> tuple[int, int]:
    """(replacement characters when read as UTF-8, UTF-8 lead+continuation byte pairs), read in chunks."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    damaged = pairs = 0
    carry = b""
    with open(path, "rb") as handle:
        while True:
            data = handle.read(_CHUNK)
            damaged += decoder.decode(data, final=not data).count("\ufffd")
            if not data:
                pairs += len(_UTF8_PAIR.findall(carry))
                return damaged, pairs
            block = carry + data
            # a lead byte at the end may pair with the next chunk's first byte; it cannot end a pair itself
            carry = block[-1:] if 0xC2 <= block[-1] <= 0xF4 else b""
            pairs += len(_UTF8_PAIR.findall(block[: len(block) - len(carry)]))


def sheet_encoding(path: Path) -> str:
    """The encoding :func:`decode_sheet` would read the sheet in, with the same refusals, reading the file in
    chunks: the decoded text is never held whole (a sheet can be gigabytes of report text)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    problem = None
    try:
        if encoding is None:
            try:
                problem, encoding = _scan(path, "utf-8"), "utf-8"
            except UnicodeDecodeError:
                damaged, pairs = _utf8_damage(path)
                if damaged * 4 < pairs:  # mostly UTF-8: a few bad bytes, not a code page
                    decode_sheet(path, path.read_bytes())  # raises, naming the byte (the file is refused anyway)
                encoding = "cp1258"
                problem = _scan(path, encoding)
        else:
            problem = _scan(path, encoding)
    except UnicodeDecodeError:
        decode_sheet(path, path.read_bytes())  # raises, naming the byte as the whole-text decoding does
        raise
    _raise_problem(path, encoding, problem)
    return encoding


class Table:
    """A report table whose headers are known and whose rows are read from the file again on each :meth:`rows`.

    Nothing beyond a row is held while rows are read, so a reader that needs the rows twice reads the file twice.
    """

    def __init__(self, path: Path, headers: list[str], reader, encoding: str | None = None) -> None:
        self.path = path
        self.headers = headers
        self.encoding = encoding
        self._reader = reader

    def rows(self) -> Iterator[dict[str, str]]:
        """Each data row as {header: cell text}, in the file's order."""
        with _reading(self.path):
            yield from self._reader()


@contextmanager
def _reading(path: Path):
    """Every way a table can be unreadable as a :class:`SourceError` naming the file."""
    kind = table_kind(path)
    try:
        yield
    except (SourceError, SchemaError):
        raise
    except UnicodeDecodeError as exc:
        raise SourceError(f"table {path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except RecursionError as exc:
        raise SourceError(f"table {path.name}: nested too deeply to read") from exc
    except (ValueError, OSError, csv.Error) as exc:
        raise SourceError(f"table {path.name}: cannot read ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile, openpyxl's KeyError/InvalidFileException, lxml errors, ...
        raise SourceError(f"table {path.name}: cannot read ({type(exc).__name__}: not a valid {kind} file)") from exc


def open_table(path: Path, *, columns: dict[str, str] | None = None, info: dict[str, str] | None = None) -> Table:
    """A CSV/TSV (UTF-8, UTF-16 or Windows-1258: :func:`sheet_encoding`), XLSX or JSONL table, opened for
    streaming; ``info`` receives the ``encoding`` a CSV/TSV is read in.

    Every way a table can be unreadable before its rows are read (empty, corrupt, mis-decoded, duplicate headers,
    ...) is a :class:`SourceError` naming the file; a row that cannot be parsed is one when :meth:`Table.rows`
    reaches it. An XLSX workbook is read from the sheet that has the report columns (``columns`` is the explicit
    ``--columns`` mapping).
    """
    path = Path(path)
    kind = table_kind(path)
    with _reading(path):
        if path.stat().st_size == 0:
            raise SourceError(f"table {path.name}: the file is empty (0 bytes)")
        if kind in ("csv", "tsv"):
            encoding = sheet_encoding(path)
            if info is not None:
                info["encoding"] = ENCODINGS[encoding]
            return _open_csv(path, kind, encoding)
        if kind == "xlsx":
            return _open_xlsx(path, columns)
        return _open_jsonl(path)


def read_table(
    path: Path, *, columns: dict[str, str] | None = None, info: dict[str, str] | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """Headers and every row of a table at once (:func:`open_table`; a reader of a whole export streams)."""
    table = open_table(path, columns=columns, info=info)
    return table.headers, list(table.rows())


class _Dialect(csv.Dialect):
    """pandas' Python engine's dialect (``read_csv(engine="python")``, which read these sheets before)."""

    delimiter = ","
    quotechar = '"'
    escapechar = None
    doublequote = True
    skipinitialspace = False
    quoting = csv.QUOTE_MINIMAL
    lineterminator = "\n"


def _blank(record: list[str]) -> bool:
    """A line pandas skips (``skip_blank_lines``): no field, or one field of white space."""
    return not (len(record) > 1 or (len(record) == 1 and record[0].strip()))


def _csv_records(path: Path, kind: str, encoding: str, delimiter: str | None) -> tuple[list[str], Iterator[list[str]]]:
    """(header record, the other records) as pandas' Python engine splits them: a CSV's delimiter sniffed from its
    first line, which is parsed on its own; the rest read strictly (a stray quote is an error, not text)."""

    lines = _lines(path, encoding)
    dialect = type("SheetDialect", (_Dialect,), {"delimiter": delimiter or "\t"})
    if kind == "tsv":
        records = csv.reader(lines, dialect=dialect, strict=True)
        return next(records, []), records
    first = next(lines, "")
    return next(csv.reader(io.StringIO(first), dialect=dialect), []), csv.reader(lines, dialect=dialect, strict=True)


def _open_csv(path: Path, kind: str, encoding: str) -> Table:
    """A CSV/TSV read with the ``csv`` module, rows as pandas' Python engine gave them (``dtype=str``, no NA
    values, short rows padded with empty cells, blank lines skipped); a sheet whose shape pandas would read
    differently (a row longer than the header, which pandas takes for an index column, or an error) is read by
    pandas itself, in chunks."""
    delimiter = None
    if kind == "csv":
        first = next(_lines(path, encoding), "")
        try:
            delimiter = csv.Sniffer().sniff(first).delimiter
        except csv.Error:
            return _open_pandas(path, kind, encoding)
    header, records = _csv_records(path, kind, encoding, delimiter)
    width = len(header)
    try:
        regular = not _blank(header) and not header[0].startswith("\ufeff") and all(len(r) <= width for r in records)
    except csv.Error:  # pandas reads every line before it checks widths: the same error, raised as it raised it
        _pandas_frames(path, kind, encoding, None)
        regular = False
    if not regular:
        return _open_pandas(path, kind, encoding)
    headers = [(f"Unnamed: {i}" if c == "" else c).strip().lstrip("\ufeff") for i, c in enumerate(header)]
    if _duplicates(headers):  # refused once every row was read, as when pandas read them all first
        list(_csv_rows(path, kind, encoding, delimiter, headers))
    _refuse_duplicates(path, headers)

    def reader() -> Iterator[dict[str, str]]:
        return _csv_rows(path, kind, encoding, delimiter, headers)

    return Table(path, headers, reader, encoding)


def _csv_rows(
    path: Path, kind: str, encoding: str, delimiter: str | None, headers: list[str]
) -> Iterator[dict[str, str]]:
    _, records = _csv_records(path, kind, encoding, delimiter)
    for record in records:
        if not _blank(record):
            yield {h: _cell(v) for h, v in zip(headers, record + [""] * (len(headers) - len(record)), strict=True)}


class _TextStream:
    """A sheet's decoded lines as a text file for pandas (``read``/``readline``/iteration)."""

    mode = "r"

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._rest = ""

    def __iter__(self) -> _TextStream:
        return self

    def readline(self, size: int | None = -1) -> str:
        if self._rest:
            line, self._rest = self._rest, ""
            return line
        return next(self._lines, "")

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            text = self._rest + "".join(self._lines)
            self._rest = ""
            return text
        while len(self._rest) < size:
            line = next(self._lines, "")
            if not line:
                break
            self._rest += line
        text, self._rest = self._rest[:size], self._rest[size:]
        return text


def _pandas_frames(path: Path, kind: str, encoding: str, chunksize: int | None) -> Any:
    """pandas' reading of the sheet as before (its Python engine, every cell as text), over the decoded stream."""
    import pandas as pd

    options: dict[str, Any] = {
        "sep": "\t" if kind == "tsv" else None,
        "engine": "python",
        "dtype": str,
        "keep_default_na": False,
        "chunksize": chunksize,
    }
    return pd.read_csv(cast(Any, _TextStream(_lines(path, encoding))), **options)


#: Rows pandas reads at a time for a sheet it reads (:func:`_open_pandas`).
_PANDAS_CHUNK = 2000


def _open_pandas(path: Path, kind: str, encoding: str) -> Table:
    """A sheet the ``csv`` reading does not match pandas on, read by pandas as before, a chunk of rows at a time."""
    with _pandas_frames(path, kind, encoding, _PANDAS_CHUNK) as frames:
        first = next(iter(frames), None)
    if first is None:  # no row at all: the whole read gives the columns, as before
        first = _pandas_frames(path, kind, encoding, None)
    columns = list(first.columns)
    headers = [str(c).strip().lstrip("\ufeff") for c in columns]
    if _duplicates(headers):
        list(_pandas_rows(path, kind, encoding, headers))
    _refuse_duplicates(path, headers)

    def reader() -> Iterator[dict[str, str]]:
        return _pandas_rows(path, kind, encoding, headers)

    return Table(path, headers, reader, encoding)


def _pandas_rows(path: Path, kind: str, encoding: str, headers: list[str]) -> Iterator[dict[str, str]]:
    with _pandas_frames(path, kind, encoding, _PANDAS_CHUNK) as frames:
        for frame in frames:
            for values in frame.itertuples(index=False, name=None):
                yield {h: _cell(v) for h, v in zip(headers, values, strict=True)}


def _duplicates(headers: list[str]) -> list[str]:
    """Headers given twice (pandas reads a second ``name`` as ``name.1``, so ``name.1`` beside ``name`` is one)."""
    seen = set(headers)
    return sorted(
        {m.group(1) for h in headers if (m := re.fullmatch(r"(.+)\.(\d+)", h)) and m.group(1) in seen}
        | {h for h in headers if headers.count(h) > 1}
    )


def _refuse_duplicates(path: Path, headers: list[str]) -> None:
    """Two columns of one name: which one is the report is a guess."""
    duplicates = _duplicates(headers)
    if duplicates:
        raise SchemaError(
            f"table {path.name}: duplicate column header(s) {duplicates}; rename them so each column has one name"
        )


def _unique_keys(path: Path, number: int):
    """A JSON object hook that refuses a key given twice (``json`` would keep the last one silently)."""

    def hook(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _ in pairs]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise SchemaError(f"table {path.name} line {number}: duplicate key(s) {duplicates}")
        return dict(pairs)

    return hook


@dataclass
class _SheetShape:
    """What one streaming pass over a worksheet learns: its header row and which columns and rows it keeps."""

    headers: list[str]
    keep: list[int]  # columns kept: named, or holding a value below the header
    width: int
    rows: int  # non-blank rows below the header
    filled: bool  # every kept cell below the header holds a value (so no formula can lack its cached value)


def _shape(ws) -> _SheetShape:
    """Header row and data-row shape of a worksheet; blank rows and unnamed empty columns dropped."""
    header: tuple | None = None
    width = rows = 0
    shortest: int | None = None
    valued: set[int] = set()  # columns with a value below the header
    empty: set[int] = set()  # columns with an empty cell below the header (within the row's length)
    for row in ws.iter_rows(values_only=True):
        cells = [_cell(v) for v in row]
        if not any(cells):
            continue
        width = max(width, len(row))
        if header is None:
            header = tuple(row)
            continue
        rows += 1
        shortest = len(row) if shortest is None else min(shortest, len(row))
        for i, text in enumerate(cells):
            (valued if text else empty).add(i)
    if header is None:
        return _SheetShape([], [], 0, 0, True)
    header = header + (None,) * (width - len(header))
    keep = [i for i in range(width) if header[i] is not None or i in valued]
    headers = [_cell(header[i]) or f"Unnamed: {i}" for i in keep]
    filled = not any(i in empty or (shortest is not None and i >= shortest) for i in keep)
    return _SheetShape(headers, keep, width, rows, filled)


def _has_columns(headers: list[str], columns: dict[str, str] | None) -> bool:
    try:
        map_columns(headers, explicit=columns)
    except SchemaError:
        return False
    return True


def _open_xlsx(path: Path, columns: dict[str, str] | None) -> Table:
    """The sheet holding the report columns (the only non-empty one, or the only one that maps).

    Cells are read as Excel cached them; a formula whose result was never cached (a workbook written by a
    script, never opened in Excel) would read as empty, so such cells are refused by name. Worksheets are read
    as streams (``read_only``): once for their shape, then row by row.
    """
    from openpyxl import load_workbook

    values = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {ws.title: _shape(ws) for ws in values.worksheets}
    finally:
        values.close()
    filled = {name: shape for name, shape in sheets.items() if shape.headers}
    if not filled:
        raise SourceError(f"table {path.name}: every sheet is empty ({', '.join(map(repr, sheets))})")
    candidates = (
        list(filled) if len(filled) == 1 else [n for n, shape in filled.items() if _has_columns(shape.headers, columns)]
    )
    if len(candidates) != 1:
        described = "; ".join(
            f"{name!r}: {shape.rows} row(s), columns {shape.headers}" for name, shape in filled.items()
        )
        which = "none has" if not candidates else f"{len(candidates)} have"
        raise SourceError(
            f"table {path.name}: {len(filled)} sheets hold data and {which} the report columns "
            f"({described}); keep the report on one sheet or name its columns with --columns"
        )
    name = candidates[0]
    shape = filled[name]
    _refuse_duplicates(path, shape.headers)
    if not shape.filled:
        _refuse_uncached_formulas(path, name)

    def reader() -> Iterator[dict[str, str]]:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            header_seen = False
            for row in book[name].iter_rows(values_only=True):
                if not any(_cell(v) for v in row):
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                row = tuple(row) + (None,) * (shape.width - len(row))
                yield {h: _cell(row[i]) for h, i in zip(shape.headers, shape.keep, strict=True)}
        finally:
            book.close()

    return Table(path, shape.headers, reader)


def _refuse_uncached_formulas(path: Path, sheet: str) -> None:
    """SourceError naming the cells (A1 style) that hold a formula without a cached value.

    Only when some cell read empty (else no formula can be uncached); one streaming pass per view of the
    workbook (read-only worksheets have no cheap random access).
    """
    from openpyxl import load_workbook

    def cells(data_only: bool, keep) -> set[str]:
        book = load_workbook(path, read_only=True, data_only=data_only)
        try:
            return {
                cell.coordinate
                for row in book[sheet].iter_rows()
                for cell in row
                if hasattr(cell, "coordinate") and keep(cell)
            }
        finally:
            book.close()

    formulas = cells(False, lambda cell: getattr(cell, "data_type", None) == "f")
    if not formulas:
        return
    empty = formulas & cells(True, lambda cell: cell.value is None)
    if empty:
        ordered = sorted(empty, key=lambda c: (int("".join(filter(str.isdigit, c))), len(c), c))
        shown = ", ".join(ordered[:10]) + (f" and {len(ordered) - 10} more" if len(ordered) > 10 else "")
        raise SourceError(
            f"table {path.name}: sheet {sheet!r} has formula cell(s) without a cached value ({shown}); "
            "open and save the workbook in Excel or LibreOffice so their values are stored"
        )


def _jsonl_objects(path: Path) -> Iterator[dict[str, str]]:
    """Each JSONL line's object, cells as text; blank lines skipped."""
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line, object_pairs_hook=_unique_keys(path, number))
            except json.JSONDecodeError as exc:
                raise SourceError(f"table {path.name} line {number}: invalid JSON ({exc.msg})") from exc
            except RecursionError as exc:
                raise SourceError(f"table {path.name} line {number}: JSON nested too deeply") from exc
            if not isinstance(obj, dict):
                raise SourceError(f"table {path.name} line {number}: expected a JSON object")
            yield {str(k): _cell(v) for k, v in obj.items()}


def _open_jsonl(path: Path) -> Table:
    """Headers are every key in order of first appearance, so one pass reads them all before rows are given."""
    headers: dict[str, None] = {}
    for obj in _jsonl_objects(path):
        headers.update(dict.fromkeys(obj))
    names = list(headers)

    def reader() -> Iterator[dict[str, str]]:
        for obj in _jsonl_objects(path):
            yield {h: obj.get(h, "") for h in names}

    return Table(path, names, reader)


def parse_columns_option(text: str | None) -> dict[str, str]:
    """``--columns`` value -> {role: column}: ``findings="Mô tả",impressions=Kết luận`` or a YAML/TOML/JSON file."""
    if not text or not text.strip():
        return {}
    candidate = Path(text)
    if candidate.suffix.lower() in (".yaml", ".yml", ".toml", ".json") and candidate.is_file():
        raw = candidate.read_text(encoding="utf-8-sig")
        if candidate.suffix.lower() == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # the same parser before it joined the standard library
                import tomli as tomllib

            mapping = tomllib.loads(raw)
        elif candidate.suffix.lower() == ".json":
            mapping = json.loads(raw)
        else:
            mapping = yaml.safe_load(raw)
        if isinstance(mapping, dict) and isinstance(mapping.get("columns"), dict):
            mapping = mapping["columns"]
        if not isinstance(mapping, dict):
            raise SchemaError(f"{candidate.name}: expected a mapping of field = column")
        return _check_mapping({str(k): str(v) for k, v in mapping.items()})
    mapping = {}
    for part in re.findall(r'(?:[^,"]|"[^"]*")+', text):
        if "=" not in part:
            raise SchemaError(f"--columns: expected field=column, got {part.strip()!r}")
        name, column = part.split("=", 1)
        mapping[name.strip()] = column.strip().strip('"').strip("'")
    return _check_mapping(mapping)


def _check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """Known roles only; the schema's ``id`` and ``image`` name the study-key and file columns."""
    mapping = {{schema.ID: STUDY, schema.IMAGE: FILE}.get(k, k): v for k, v in mapping.items()}
    unknown = sorted(set(mapping) - set(ROLES))
    if unknown:
        raise SchemaError(f"--columns: unknown field(s) {unknown}; known: {list(ROLES)}")
    return mapping


@dataclass
class ColumnMap:
    """Which header plays which role; ``dropped`` are the columns that never leave the reader."""

    roles: dict[str, str]  # role -> header
    dropped: list[str] = field(default_factory=list)

    def get(self, row: dict[str, str], role: str) -> str:
        header = self.roles.get(role)
        return row.get(header, "").strip() if header else ""


def map_columns(
    headers: list[str],
    *,
    explicit: dict[str, str] | None = None,
    key_column: str | None = None,
    table_name: str = "table",
) -> ColumnMap:
    """Assign roles to headers: explicit mapping first, then ``--key``, then recognised variants."""
    explicit = _check_mapping(dict(explicit or {}))
    if key_column:
        explicit.setdefault(STUDY, key_column)
    by_key = {header_key(h): h for h in headers}
    roles: dict[str, str] = {}
    for role, column in explicit.items():
        if column in headers:
            roles[role] = column
        elif header_key(column) in by_key:
            roles[role] = by_key[header_key(column)]
        else:
            raise SchemaError(f"{table_name}: column {column!r} (for {role}) not found; found columns: {headers}")
    taken = set(roles.values())
    for role, aliases in ALIASES.items():
        if role in roles:
            continue
        for alias in aliases:
            header = by_key.get(alias)
            if header is not None and header not in taken:
                roles[role] = header
                taken.add(header)
                break
    missing = [r for r in REQUIRED_ROLES if r not in roles]
    if missing:
        raise SchemaError(
            f"{table_name}: missing column(s) for {missing}; found columns: {headers}. "
            f'Name them with --columns, e.g. --columns findings="Mô tả",impressions="Kết luận"'
        )
    return ColumnMap(roles=roles, dropped=[h for h in headers if h not in taken])

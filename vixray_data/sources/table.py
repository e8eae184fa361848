"""The report/metadata table of a hospital export: find it, read it, map its headers onto roles.

A *role* is either a schema field (age, sex, view, note, technique, findings, impressions) or one of
the identifying columns the reader needs to join and to de-identify (study key, patient key, file,
patient name, birth date, study date, and other identifying columns such as phone or address).
Headers are recognised case- and diacritic-insensitively in English and Vietnamese; an explicit
mapping (``--columns findings="Mô tả",impressions="Kết luận"`` or a YAML/TOML/JSON file) wins.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

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


def decode_sheet(path: Path, data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV/TSV sheet's bytes: a byte-order mark decides (UTF-8, UTF-16, UTF-32); else UTF-8
    when the bytes are UTF-8; else Windows-1258 (Vietnamese Windows), whose tone marks are combining characters,
    composed here (NFC). A sheet that reads as mis-decoded text (NUL characters, replacement characters, UTF-8
    read as a Windows code page, a tone mark on no vowel) is a :class:`SourceError` naming the file."""
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
    if "\x00" in text:
        raise SourceError(
            f"table {path.name}: NUL characters in the text (UTF-16 saved without its byte-order "
            "mark?); save it as UTF-8 or as Excel's Unicode Text"
        )
    problem = (
        "replacement characters (U+FFFD): text already damaged by an earlier conversion"
        if "\ufffd" in text
        else "UTF-8 text that was read in another encoding and saved again"
        if _mojibake(text)
        else "tone marks on no vowel: not Windows-1258"
        if encoding == "cp1258"
        and any(unicodedata.combining(c) and (i == 0 or text[i - 1] not in _VOWELS) for i, c in enumerate(text))
        else None
    )
    if problem is not None:
        raise SourceError(
            f"table {path.name}: read as {ENCODINGS[encoding]}, it holds {problem}; save the sheet again as UTF-8"
        )
    return text, encoding


def read_table(
    path: Path, *, columns: dict[str, str] | None = None, info: dict[str, str] | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """Headers and rows (every cell as text) of a CSV/TSV (UTF-8, UTF-16 or Windows-1258: :func:`decode_sheet`),
    XLSX or JSONL table; ``info`` receives the ``encoding`` a CSV/TSV was read in.

    Every way a table can be unreadable (empty, corrupt, mis-decoded, nested past reason, ...) is a
    :class:`SourceError` naming the file. An XLSX workbook is read from the sheet that has the report
    columns (``columns`` is the explicit ``--columns`` mapping).
    """
    path = Path(path)
    kind = table_kind(path)
    try:
        if path.stat().st_size == 0:
            raise SourceError(f"table {path.name}: the file is empty (0 bytes)")
        if kind in ("csv", "tsv"):
            import io

            import pandas as pd

            text, encoding = decode_sheet(path, path.read_bytes())
            if info is not None:
                info["encoding"] = ENCODINGS[encoding]
            frame = pd.read_csv(
                io.StringIO(text),
                sep="\t" if kind == "tsv" else None,
                engine="python",
                dtype=str,
                keep_default_na=False,
            )
        elif kind == "xlsx":
            return _read_xlsx(path, columns)
        else:
            return _read_jsonl(path)
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
    headers = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    _refuse_duplicates(path, headers)
    rows = [
        {h: _cell(v) for h, v in zip(headers, values, strict=True)}
        for values in frame.itertuples(index=False, name=None)
    ]
    return headers, rows


def _refuse_duplicates(path: Path, headers: list[str]) -> None:
    """Two columns of one name (pandas reads the second as ``name.1``): which one is the report is a guess."""
    seen = set(headers)
    duplicates = sorted(
        {m.group(1) for h in headers if (m := re.fullmatch(r"(.+)\.(\d+)", h)) and m.group(1) in seen}
        | {h for h in headers if headers.count(h) > 1}
    )
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


def _sheet(ws) -> tuple[list[str], list[tuple]]:
    """Header row and data rows of a worksheet; blank rows and unnamed empty columns dropped."""
    grid = [row for row in ws.iter_rows(values_only=True) if any(_cell(v) for v in row)]
    if not grid:
        return [], []
    width = max(len(row) for row in grid)
    grid = [tuple(row) + (None,) * (width - len(row)) for row in grid]
    keep = [i for i in range(width) if grid[0][i] is not None or any(_cell(row[i]) for row in grid[1:])]
    headers = [_cell(grid[0][i]) or f"Unnamed: {i}" for i in keep]
    return headers, [tuple(row[i] for i in keep) for row in grid[1:]]


def _has_columns(headers: list[str], columns: dict[str, str] | None) -> bool:
    try:
        map_columns(headers, explicit=columns)
    except SchemaError:
        return False
    return True


def _read_xlsx(path: Path, columns: dict[str, str] | None) -> tuple[list[str], list[dict[str, str]]]:
    """The sheet holding the report columns (the only non-empty one, or the only one that maps).

    Cells are read as Excel cached them; a formula whose result was never cached (a workbook written by a
    script, never opened in Excel) would read as empty, so such cells are refused by name.
    """
    from openpyxl import load_workbook

    values = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {ws.title: _sheet(ws) for ws in values.worksheets}
    finally:
        values.close()
    filled = {name: sheet for name, sheet in sheets.items() if sheet[0]}
    if not filled:
        raise SourceError(f"table {path.name}: every sheet is empty ({', '.join(map(repr, sheets))})")
    candidates = list(filled) if len(filled) == 1 else [n for n, (h, _) in filled.items() if _has_columns(h, columns)]
    if len(candidates) != 1:
        described = "; ".join(
            f"{name!r}: {len(rows)} row(s), columns {headers}" for name, (headers, rows) in filled.items()
        )
        which = "none has" if not candidates else f"{len(candidates)} have"
        raise SourceError(
            f"table {path.name}: {len(filled)} sheets hold data and {which} the report columns "
            f"({described}); keep the report on one sheet or name its columns with --columns"
        )
    name = candidates[0]
    headers, grid = filled[name]
    _refuse_duplicates(path, headers)
    _refuse_uncached_formulas(path, name, headers, grid)
    rows = [{h: _cell(v) for h, v in zip(headers, row, strict=True)} for row in grid]
    return headers, rows


def _refuse_uncached_formulas(path: Path, sheet: str, headers: list[str], grid: list[tuple]) -> None:
    """SourceError naming the cells (A1 style) that hold a formula without a cached value.

    Only when some cell read empty (else no formula can be uncached); one streaming pass per view of the
    workbook (read-only worksheets have no cheap random access).
    """
    if all(_cell(v) for row in grid for v in row):
        return
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


def _read_jsonl(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    headers: dict[str, None] = {}
    rows = []
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
            headers.update(dict.fromkeys(str(k) for k in obj))
            rows.append({str(k): _cell(v) for k, v in obj.items()})
    return list(headers), [{h: row.get(h, "") for h in headers} for row in rows]


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

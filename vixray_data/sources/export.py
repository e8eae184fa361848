"""A hospital export: a folder of DICOM files or PNG/JPEG images plus one report/metadata table.

Every input is accounted for: each table row and each image file ends up in exactly one yielded item,
a ``RawRecord`` (a row joined with its image) or a ``Reject`` (a row with no image, an image with no
row, a corrupt or duplicate file, ...). References in rejects are pseudonymous (``row 12``,
``file 3fa2…``): rejects.jsonl is part of the output and source file names may carry names.
"""

from __future__ import annotations

import logging
import os
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import schema
from ..config import BuildConfig
from ..deid import NON_TEXT, pseudonym, resolve_key
from ..errors import RecordError, SchemaError, SourceError
from ..records import RawRecord, Reject, SeenImages
from ..values import age_from_dates, parse_age
from . import dicom as dcm
from . import table as tbl
from .imagefile import ImageFile, embedded_texts, strip_jpeg_metadata

__all__ = ["ExportSource", "ImageFile", "strip_jpeg_metadata"]

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}


def _text_path(rel: str) -> str:
    """A relative path as valid text: bytes that are not UTF-8 (``\\xff`` in a name) become U+FFFD.

    Python hands such names over as lone surrogates, which no encoder accepts (the pseudonym, the
    logs, rejects.jsonl); the real path is still used to read the file.
    """
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


# --------------------------------------------------------------------------- the source


def _identifier_like(name: str) -> bool:
    """``NGUYEN_VAN_AN``, ``IM0001``, ``24001234`` yes; ``images``, ``DICOM``, ``2024`` no.

    Folder and file names are leak-scanned and scrubbed from text: a plain word would make every
    card that says "images" a leak, so only names with digits and letters, long digit runs, or
    several words joined by ``_``/``-``/spaces count.
    """
    letters, digits = any(c.isalpha() for c in name), any(c.isdigit() for c in name)
    words = [w for w in re.split(r"[_\-\s.^]+", name) if w]
    return len(name) >= 4 and ((letters and digits) or (digits and len(name) >= 6) or len(words) >= 2)


@dataclass
class _Row:
    number: int  # 1-based data row
    study_value: str  # the study-key column (accession, study UID, ...)
    file_value: str  # the file-name/path column
    study: str  # study identifier (HMAC'd into id)
    patient: str
    fields: dict[str, str]
    birth_date: str
    study_date: str
    phi: dict[str, str]
    key: str = ""  # value of the column the images are joined on (set once the join is chosen)


def _hash(value: str) -> int:
    """A non-empty key as a 64-bit number (0 stands for empty): what decisions across rows compare."""
    return (hash(value) or 1) if value else 0


@dataclass
class _Scan:
    """What the first read of the sheet keeps for decisions across rows, 16 bytes a row: each row's study and
    file values as :func:`_hash` numbers. The rows themselves are read again, one at a time."""

    table: tbl.Table
    cmap: tbl.ColumnMap
    study: array  # 'q': the study-key column's value per row
    file: array  # 'q': the file column's value per row
    stamp: tuple[int, int]  # the table file's size and modification time when it was read


#: A row's fate once the join is chosen: kept, no key (``no_image``), or a study an earlier row has.
_KEEP, _NO_KEY, _REPEATED = 0, 1, 2


class ExportSource:
    """Iterable over ``RawRecord | Reject`` for a hospital export folder (see module docstring)."""

    is_demo = False

    def __init__(self, config: BuildConfig) -> None:
        source = Path(config.source) if config.source is not None else None
        if source is None or not source.exists():
            raise SourceError(f"source {config.source} does not exist")
        self._config = config
        table: Path | None
        if source.is_file():  # the table itself: images are beside it
            self._root, table = source.parent, config.table or source
        else:
            self._root, table = source, config.table
        self._table = tbl.find_table(self._root, table)
        self._ref_key = resolve_key(config.deid_key_file, demo=False)
        self._stats: dict = {"kind": "hospital_export", "table": tbl.table_kind(self._table)}

    # ---- helpers
    def _file_ref(self, relpath: str) -> str:
        ref = f"file {pseudonym(self._ref_key, 'file', relpath, length=12)}"
        logger.debug("%s = %s", ref, relpath)
        return ref

    def _listing(self, stamp: tuple[int, int]) -> tuple[list[tuple[str, Path]], _ImageFiles]:
        """The export's files (:meth:`_files`): listed by a reading and handed to the next one, which takes them (a
        build reads twice: the folder is walked once, and the list is not held after the second reading). A reading
        of the sheet as it changed walks the folder again."""
        handed, self._handed = getattr(self, "_handed", None), None
        if handed is not None and handed[0] == stamp:
            return handed[1]
        listed = self._files()
        self._handed = (stamp, listed)
        return listed

    def _files(self) -> tuple[list[tuple[str, Path]], _ImageFiles]:
        """DICOM files (found by content, whatever their name) and PNG/JPEG files of the export, in path order.

        Files reached through a symbolic link that leaves the export folder are kept aside in
        ``self._outside`` (each becomes an ``outside_export`` reject): they are never read.
        """
        dicoms: list[tuple[str, Path]] = []
        images = _ImageFiles()
        other = 0
        self._outside: list[str] = []
        table = self._table.resolve()
        root = self._root.resolve()
        for name, is_link in _walk(self._root):
            path = self._root / name
            rel = _text_path(name)
            try:
                resolved = path.resolve() if is_link else root / name
            except (OSError, RuntimeError):  # a symlink loop
                resolved = None
            if resolved is None or not _within(resolved, root):  # a link (to a file or a folder) leaving the export
                self._outside.append(rel)
                continue
            if not path.is_file() or resolved == table:
                continue
            if path.suffix.lower() in IMAGE_SUFFIXES:
                images.append(name)
            elif path.name.upper() == "DICOMDIR":  # the media index, not an image
                other += 1
            elif path.parent == self._root and path.suffix.lower() in tbl.TABLE_SUFFIXES:
                continue
            elif dcm.is_dicom(path):
                dicoms.append((rel, path))
            else:
                other += 1
        images.freeze()
        warn = logger.warning if "other_files" not in self._stats else logger.debug  # said once: the build reads twice
        if other:
            warn("%d file(s) in the export are neither DICOM nor PNG/JPEG; ignored", other)
        self._stats["other_files"] = other
        if self._outside:
            warn("%d file(s) are links leaving the export folder; rejected unread", len(self._outside))
        if dicoms and len(images):
            raise SourceError(
                f"{self._root}: both DICOM ({len(dicoms)}) and PNG/JPEG ({len(images)}) files found;"
                " an export holds one kind"
            )
        if not dicoms and not len(images):
            raise SourceError(f"{self._root}: no DICOM, PNG or JPEG files found")
        return dicoms, images

    def _scan(self) -> _Scan:
        """Open the sheet and read it once for each row's keys (kept from an earlier read of the same file)."""
        stat = self._table.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        cached = getattr(self, "_scanned", None)
        if cached is not None and cached.stamp == stamp:
            return cached
        info: dict[str, str] = {}
        table = tbl.open_table(self._table, columns=self._config.columns, info=info)
        headers = table.headers
        if "encoding" in info:
            self._stats["table_encoding"] = info["encoding"]
        kind = self._stats["table"]
        try:
            cmap = tbl.map_columns(
                headers, explicit=self._config.columns, key_column=self._config.key_column, table_name=f"{kind} table"
            )
            if tbl.STUDY not in cmap.roles and tbl.FILE not in cmap.roles:
                raise SchemaError(
                    f"{kind} table: no join column (accession number, study UID or file name) recognised;"
                    f" found columns: {headers}; name one with --key COLUMN"
                )
        except SchemaError:
            for _ in table.rows():  # a sheet that cannot be read says so first, as when it was read whole
                pass
            raise
        study, file = array("q"), array("q")
        for row in table.rows():
            study.append(_hash(cmap.get(row, tbl.STUDY)))
            file.append(_hash(cmap.get(row, tbl.FILE).replace("\\", "/")))
        self._stats["columns"] = sorted(cmap.roles)
        self._stats["columns_dropped"] = len(cmap.dropped)
        self._stats["rows"] = len(study)
        self._scanned = _Scan(table, cmap, study, file, stamp)
        return self._scanned

    @staticmethod
    def _row(number: int, row: dict[str, str], cmap: tbl.ColumnMap) -> _Row:
        phi = {}
        for role in (
            tbl.STUDY,
            tbl.PATIENT,
            tbl.FILE,
            tbl.PATIENT_NAME,
            tbl.BIRTH_DATE,
            tbl.STUDY_DATE,
            *tbl.PHI_ROLES,
        ):
            value = cmap.get(row, role)
            if value:
                phi[f"table.{role}"] = value
                if role == tbl.FILE:
                    phi["table.file.name"] = Path(value.replace("\\", "/")).name
        for i, header in enumerate(cmap.dropped):  # a column that is no schema field identifies, whatever it holds
            value = row.get(header, "").strip()
            if value and value != NON_TEXT:
                phi[f"table.dropped.{i}"] = value
        return _Row(
            number=number,
            study_value=cmap.get(row, tbl.STUDY),
            file_value=cmap.get(row, tbl.FILE).replace("\\", "/"),
            study=cmap.get(row, tbl.STUDY) or cmap.get(row, tbl.FILE),
            patient=cmap.get(row, tbl.PATIENT),
            fields={name: cmap.get(row, name) for name in (schema.AGE, schema.SEX, schema.VIEW, *schema.TEXT_FIELDS)},
            birth_date=cmap.get(row, tbl.BIRTH_DATE),
            study_date=cmap.get(row, tbl.STUDY_DATE),
            phi=phi,
        )

    @staticmethod
    def _age(candidates: list[str], birth: str, at: str, flags: dict) -> str | None:
        """The first parseable age (table before header), else one computed from birth and study dates.

        When nothing parses and no dates repair it, the unparseable value goes on: the de-identifier
        rejects it as ``bad_age`` (the reason and column, never the value).
        """
        present = [value for value in candidates if value]
        for value in present:
            try:
                parse_age(value)
                return value
            except ValueError:
                continue
        computed = age_from_dates(birth, at)
        if computed is not None:
            flags["age_from_dates"] = True
            return str(computed)
        return present[0] if present else None

    @staticmethod
    def _file_phi(relpath: str) -> dict[str, str]:
        """The file's path and name, and the stem/folder names that look like identifiers (not "images")."""
        path = Path(relpath)
        phi = {"file.path": relpath, "file.name": path.name}
        if _identifier_like(path.stem):
            phi["file.stem"] = path.stem
        for i, part in enumerate(path.parent.parts):
            if _identifier_like(part):
                phi[f"file.dir.{i}"] = part
        return phi

    # ---- iteration
    def __iter__(self) -> Iterator[RawRecord | Reject]:
        rows = self._scan()
        dicoms, images = self._listing(rows.stamp)
        self._stats["images"] = "dicom" if dicoms else "png/jpeg"
        self._stats["image_files"] = len(dicoms) or len(images)
        for rel in self._outside:
            yield Reject(self._file_ref(rel), "outside_export", "a symbolic link leaving the export folder (not read)")
        if dicoms:
            yield from self._iter_dicom(rows, dicoms)
        else:
            yield from self._iter_images(rows, images)

    def _choose_join(self, rows: _Scan, hashed: dict[str, np.ndarray], *, prefer: tuple[str, str]) -> tuple[str, str]:
        """(table column, file attribute) matching the most rows; ties go to ``prefer``. ``hashed``: each file
        attribute's values as :func:`_hash` numbers."""
        best = None
        for column in ("study_value", "file_value"):
            values = np.frombuffer(rows.study if column == "study_value" else rows.file, np.int64)
            values = values[values != 0]
            if not len(values):
                continue
            for attr in hashed:
                score = (int(np.isin(values, hashed[attr]).sum()), column == prefer[0], attr == prefer[1])
                if best is None or score > best[0]:
                    best = (score, column, attr)
        if best is None:
            raise SourceError(f"{self._stats['table']} table: the join column is empty in every row")
        _, column, attr = best
        self._stats["join"] = attr
        return column, attr

    def _fates(self, rows: _Scan, column: str) -> bytearray:
        """Each row's fate (:data:`_KEEP`, :data:`_NO_KEY`, :data:`_REPEATED`), a byte a row: a row whose join
        value is empty has no image; of rows with one study id, the first with a join value is kept."""
        study = np.frombuffer(rows.study, np.int64)
        key = study if column == "study_value" else np.frombuffer(rows.file, np.int64)
        study = np.where(study != 0, study, np.frombuffer(rows.file, np.int64))
        fates = np.full(len(key), _REPEATED, np.uint8)
        fates[key == 0] = _NO_KEY
        keyed = np.flatnonzero(key != 0)
        _, first = np.unique(study[keyed], return_index=True)
        fates[keyed[first]] = _KEEP
        return bytearray(fates.tobytes())

    def _duplicate_rows(self, rows: _Scan, column: str) -> Iterator[tuple[_Row, Reject | None]]:
        """The sheet's rows read again one at a time, each with its key set and its reject if it has one."""
        fates = self._fates(rows, column)
        keys = rows.study if column == "study_value" else rows.file
        number = 0
        for number, values in enumerate(rows.table.rows(), 1):
            row = self._row(number, values, rows.cmap)
            row.key = getattr(row, column)
            if number > len(fates) or _hash(row.key) != keys[number - 1]:
                break
            ref = f"row {row.number}"
            if fates[number - 1] == _NO_KEY:
                yield row, Reject(ref, "no_image", "the join column is empty")
            elif fates[number - 1] == _REPEATED:
                yield row, Reject(ref, "duplicate_study", "an earlier row has the same study id")
            else:
                yield row, None
        else:
            if number == len(fates):
                return
        raise SourceError(f"table {self._table.name} changed while the export was read; build again")

    def _read_dicom_headers(
        self, files: list[tuple[str, Path]]
    ) -> tuple[list[tuple[str, Path, dcm.DicomInfo]], list[tuple[str, RecordError, dict[str, str]]]]:
        """Every file's header (no pixels), and the unusable files with their keys when readable."""
        infos: list[tuple[str, Path, dcm.DicomInfo]] = []
        syntaxes: Counter[str] = Counter()
        broken: list[tuple[str, RecordError, dict[str, str]]] = []
        for rel, path in files:
            try:
                info = dcm.read_info(path, relpath=self._file_ref(rel), max_pixels=self._config.max_pixels)
            except RecordError as exc:
                broken.append((rel, exc, dcm.read_keys(path)))
                continue
            syntaxes[info.transfer_syntax] += 1
            infos.append((rel, path, info))
        self._stats["transfer_syntaxes"] = dict(sorted(syntaxes.items()))
        return infos, broken

    def _iter_dicom(self, rows: _Scan, files: list[tuple[str, Path]]) -> Iterator[RawRecord | Reject]:
        infos, broken = self._read_dicom_headers(files)
        # Which header attribute (or file name) does the table's key refer to? The one matching most rows.
        candidates = _join_candidates(infos)
        hashed = {attr: np.fromiter(map(_hash, index), np.int64, len(index)) for attr, index in candidates.items()}
        column, join = self._choose_join(rows, hashed, prefer=("study_value", "AccessionNumber"))
        index = candidates.get(join, {})
        broken_index = {k[join]: b for b, (_, _, k) in reversed(list(enumerate(broken))) if k.get(join)}
        broken_used: set[int] = set()
        used: set[int] = set()
        seen = SeenImages()
        for row, reject in self._duplicate_rows(rows, column):
            if reject is not None:
                yield reject
                continue
            matches = [i for i in index.get(row.key, []) if i not in used]
            b = broken_index.get(row.key)
            if not matches and b is not None and b not in broken_used:  # the row's file is there but unusable
                broken_used.add(b)
                rel, error, _ = broken[b]
                yield Reject(f"row {row.number} / {error.ref}", error.reason, error.detail)
                continue
            if not matches:
                yield Reject(f"row {row.number}", "no_image", f"no DICOM file with this {join}")
                continue
            first, *extra = matches
            used.update(matches)
            rel, path, info = infos[first]
            for i in extra:  # more files for one study: copies of the first, or a second image of it
                reason = _duplicate_kind(infos[i][2], info)
                yield Reject(
                    self._file_ref(infos[i][0]), reason, f"another DICOM file has the same {join} (row {row.number})"
                )
            ref = f"row {row.number} / {self._file_ref(rel)}"
            if info.burned_in is not None and info.burned_in != "NO" and not self._config.allow_burned_in:
                yield Reject(
                    ref, "burned_in_annotation", "BurnedInAnnotation is not NO; pass --allow-burned-in once reviewed"
                )
                continue
            duplicate = seen.check(ref, info.file_sha256, info.pixel_sha256, "DICOM file")
            if duplicate is not None:
                yield duplicate
                continue
            flags: dict = {"tags_dropped": info.tags, "columns_dropped": self._stats["columns_dropped"]}
            if info.burned_in is not None:
                flags["burned_in_annotation"] = info.burned_in
            birth, at = row.birth_date or info.birth_date, row.study_date or info.study_date
            fields: dict[str, str | None] = dict(row.fields)
            fields[schema.AGE] = self._age([row.fields[schema.AGE], info.fields["age"]], birth, at, flags)
            fields[schema.SEX] = row.fields[schema.SEX] or info.fields["sex"]
            fields[schema.VIEW] = row.fields[schema.VIEW] or info.fields["view"]
            phi = {**info.phi, **row.phi, **self._file_phi(rel)}
            yield RawRecord(
                ref=ref,
                study_key=row.study,
                patient_key=row.patient or info.keys["PatientID"] or None,
                fields=fields,
                image=dcm.DicomImage(
                    path=str(path), ref=ref, bit_depth=self._config.bit_depth, max_pixels=self._config.max_pixels
                ),
                phi=phi,
                flags=flags,
                pixel_digest=info.pixel_sha256,
            )
        for i, (rel, _, _) in enumerate(infos):
            if i not in used:
                yield Reject(self._file_ref(rel), "no_report", f"no table row matches this file's {join}")
        for b, (_, error, _) in enumerate(broken):
            if b not in broken_used:
                yield Reject(error.ref, error.reason, error.detail)

    def _iter_images(self, rows: _Scan, files: _ImageFiles) -> Iterator[RawRecord | Reject]:
        self._stats["image_formats"] = files.formats()
        column, join = self._choose_join(rows, files.hashed(), prefer=("file_value", "file_path"))
        used = bytearray(len(files))
        for row, reject in self._duplicate_rows(rows, column):
            if reject is not None:
                yield reject
                continue
            i = files.find(join, row.key)
            if i is None:
                yield Reject(f"row {row.number}", "no_image", "no image file with this name")
                continue
            rel, path = files.rel(i), files.path(self._root, i)
            ref = f"row {row.number} / {self._file_ref(rel)}"
            if used[i]:
                yield Reject(ref, "duplicate_file", "an earlier row names the same image file")
                continue
            used[i] = 1
            fmt = IMAGE_SUFFIXES[path.suffix.lower()]
            try:  # header/chunk walk only: the workers decode each image once (and the builder drops duplicates)
                texts = embedded_texts(path, fmt)
            except Exception as exc:
                yield Reject(ref, "undecodable_image", f"{fmt}: {type(exc).__name__}")
                continue
            flags: dict = {"columns_dropped": self._stats["columns_dropped"], "tags_dropped": len(texts)}
            fields: dict[str, str | None] = dict(row.fields)
            fields[schema.AGE] = self._age([row.fields[schema.AGE]], row.birth_date, row.study_date, flags)
            yield RawRecord(
                ref=ref,
                study_key=row.study,
                patient_key=row.patient or None,
                fields=fields,
                image=ImageFile(path=str(path), ref=ref, fmt=fmt),
                phi={**texts, **row.phi, **self._file_phi(rel)},
                flags=flags,
            )
        for i in range(len(files)):
            if not used[i]:
                yield Reject(self._file_ref(files.rel(i)), "no_report", "no table row names this image file")

    def summary(self) -> dict:
        """Counts and formats only: no file names, column values or paths."""
        return {**self._stats, "bit_depth": self._config.bit_depth, "allow_burned_in": self._config.allow_burned_in}


def _join_candidates(infos: list[tuple[str, Path, dcm.DicomInfo]]) -> dict[str, dict[str, list[int]]]:
    """For each header attribute and file-name form, the files (by index) holding each value."""
    candidates: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, (rel, _, info) in enumerate(infos):
        for attr, value in info.keys.items():
            if value:
                candidates[attr][value].append(i)
        candidates["file_path"][rel].append(i)
        candidates["file_name"][Path(rel).name].append(i)
        candidates["file_stem"][Path(rel).stem].append(i)
    return candidates


def _duplicate_kind(other: dcm.DicomInfo, first: dcm.DicomInfo) -> str:
    """Why a second file of one study is not written: a copy, the same pixels re-encoded, or another image."""
    if other.file_sha256 == first.file_sha256:
        return "duplicate_file"
    if other.pixel_sha256 == first.pixel_sha256:
        return "duplicate_pixels"
    return "duplicate_study"


def _walk(root: Path) -> Iterator[tuple[str, bool]]:
    """(path relative to ``root``, is a symbolic link) of every entry under ``root`` but hidden ones, in the order
    of ``sorted(root.rglob("*"))`` (by path parts): each folder's entries by name, a folder before its contents.
    Like ``rglob``, a linked folder is listed, not entered; an unreadable folder is passed over."""
    stack: list[tuple[str, Iterator[tuple[str, bool, bool]]]] = [("", iter(_entries(root)))]
    while stack:
        prefix, entries = stack[-1]
        for name, is_link, is_dir in entries:
            rel = prefix + name
            yield rel, is_link
            if is_dir and not is_link:
                stack.append((rel + "/", iter(_entries(root / rel))))
                break
        else:
            stack.pop()


def _entries(folder: Path) -> list[tuple[str, bool, bool]]:
    """(name, is a link, is a folder when followed) of ``folder``'s entries not hidden, by name."""
    out = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                out.append((entry.name, entry.is_symlink(), is_dir))
    except (PermissionError, FileNotFoundError, NotADirectoryError):
        return []
    out.sort()
    return out


class _ImageFiles:
    """The export's PNG/JPEG files in path order, a few dozen bytes each: their relative paths in one blob (file
    system bytes) and, per join attribute (``file_path``, ``file_name``, ``file_stem``), the :func:`_hash` of each
    file's value sorted with the files' ordinals, so that the first file in path order with a value is found as a
    dict of value → first file would find it (candidates under one hash are compared as text)."""

    ATTRS = ("file_path", "file_name", "file_stem")

    def __init__(self) -> None:
        self._blob = bytearray()
        self._ends = array("q")
        self._values: dict[str, array] = {attr: array("q") for attr in self.ATTRS}
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def append(self, name: str) -> None:
        """Add the file at ``name`` (relative to the export, as the file system gives it)."""
        self._blob += os.fsencode(name)
        self._ends.append(len(self._blob))
        for attr, value in zip(self.ATTRS, self._attrs(_text_path(name)), strict=True):
            self._values[attr].append(_hash(value))

    @staticmethod
    def _attrs(rel: str) -> tuple[str, str, str]:
        path = Path(rel)
        return rel, path.name, path.stem

    def freeze(self) -> None:
        for attr, values in self._values.items():
            hashes = np.frombuffer(values, np.int64)
            order = np.argsort(hashes, kind="stable")  # equal hashes in path order
            self._sorted[attr] = (hashes[order], order.astype(np.uint32))
        self._values = {}

    def __len__(self) -> int:
        return len(self._ends)

    def _name(self, i: int) -> bytes:
        return bytes(self._blob[self._ends[i - 1] if i else 0 : self._ends[i]])

    def rel(self, i: int) -> str:
        """The file's relative path as text (see :func:`_text_path`)."""
        return self._name(i).decode("utf-8", "replace")

    def path(self, root: Path, i: int) -> Path:
        return root / os.fsdecode(self._name(i))

    def formats(self) -> dict[str, int]:
        formats = Counter(IMAGE_SUFFIXES[Path(self.rel(i)).suffix.lower()] for i in range(len(self)))
        return dict(sorted(formats.items()))

    def hashed(self) -> dict[str, np.ndarray]:
        """Each attribute's values as :func:`_hash` numbers (for the choice of the join)."""
        return {attr: hashes for attr, (hashes, _) in self._sorted.items()}

    def find(self, attr: str, value: str) -> int | None:
        """The first file (in path order) whose ``attr`` is ``value``."""
        hashes, files = self._sorted[attr]
        h = _hash(value)
        lo, hi = np.searchsorted(hashes, h, "left"), np.searchsorted(hashes, h, "right")
        for i in files[lo:hi].tolist():
            if self._attrs(self.rel(i))[self.ATTRS.index(attr)] == value:
                return i
        return None

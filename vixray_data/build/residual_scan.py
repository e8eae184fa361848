"""The residual-PHI screen and scan: any *kind* of PHI left in text the build writes.

Two detectors, built on different principles, look at every text field (detection only, not the scrub's
replacement step, so a weakened replacement cannot hide from them):

* ``recognizers``: the category recognizers of :mod:`vixray_data.phi` (patterns and anchor words);
* ``safelist``: :mod:`vixray_data.phi.safelist` when installed, which flags a PHI-shaped token (a name-like
  word, initials, a digit run, a date, an address) that the clinical lexicon, a Vietnamese word list, a class of
  legitimate text (acronyms, foreign drug names, form labels, numbers with units) does not explain.

The redaction marker ``___`` is never PHI and never context for PHI: each detector reads the text with every
marker blanked, and a span holding no letter or digit is not a hit.

:class:`ResidualScreen` runs them on each record's scrubbed text before it is written: a hit *quarantines the
record* (a ``residual_phi`` reject naming split, columns, categories and detectors, never the value) and the
rest of the build goes on. :func:`residual_scan` runs them again over what was written (the shards' text
columns; ``rejects.jsonl`` and ``manifest.json``, the builder's own text, with the recognizers only): after the
screen it must find nothing, so :func:`require_clean` failing a build means a bug, not data. ``vixray validate``
and ``vixray scan`` run :func:`residual_scan` on a folder.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from .. import schema
from ..errors import DeidError
from ..phi import REDACTED, Span, find_phi
from ..phi.spans import CATEGORIES as PHI_CATEGORIES
from ..phi.spans import VALUE
from ..records import CleanRecord, Reject, mask_refs
from .leak_scan import json_paths

log = logging.getLogger(__name__)

#: A detector: text -> the spans it takes for PHI (each with a category).
Detector = Callable[[str], list[Span]]

#: The categories the recognizers look for: every PHI category but the build's listed values (the leak scan's job).
CATEGORIES: tuple[str, ...] = tuple(c for c in PHI_CATEGORIES if c != VALUE)
#: What the post-write scan covers, as the manifest and the card say it.
SCANNED = f"text columns of the shards, {schema.REJECTS}, {schema.MANIFEST}"
#: The reason of a quarantined record in rejects.jsonl.
REASON = "residual_phi"
RECOGNIZERS = "recognizers"
SAFELIST = "safelist"


def default_detectors() -> dict[str, Detector]:
    """The recognizers, and the independent safe-list detector when its module is installed."""
    detectors: dict[str, Detector] = {RECOGNIZERS: find_phi}
    try:
        from ..phi.safelist import find_unexplained
    except ModuleNotFoundError as exc:  # not this build's detector set yet; a broken module still raises
        if exc.name != f"{__package__.rsplit('.', 1)[0]}.phi.safelist":
            raise
    else:
        detectors[SAFELIST] = find_unexplained
    return detectors


_BLANK = " " * len(REDACTED)

#: Characters of distinct texts whose spans a :class:`SpanMemo` keeps (least recently used dropped first): reports
#: repeat heavily (the demo's 5,400 records hold 2,378 distinct texts), and a text's spans depend on it alone.
MEMO_CHARS = 4_000_000


class SpanMemo:
    """A detector that remembers its spans for the distinct texts it saw last (:data:`MEMO_CHARS` characters of
    them): the same answer as ``detect`` (a pure function of the text), computed once per distinct text."""

    def __init__(self, detect: Detector, chars: int = MEMO_CHARS) -> None:
        self.detect, self.chars, self.held = detect, chars, 0
        self.spans: dict[str, list[Span]] = {}

    def __call__(self, text: str) -> list[Span]:
        spans = self.spans.pop(text, None)  # popped and put back: the most recently used last
        if spans is None:
            spans = self.detect(text)
            if len(text) > self.chars // 16:  # a text this long is rarely repeated: not kept
                return spans
            self.held += len(text)
            while self.held > self.chars:
                self.held -= len(oldest := next(iter(self.spans)))
                del self.spans[oldest]
        self.spans[text] = spans
        return list(spans)


def find_residual(text: str | None, detectors: Mapping[str, Detector]) -> list[tuple[str, str]]:
    """(detector, category) of every kind of PHI the detectors find in ``text``, sorted, without repeats.

    The redaction marker is blanked before detection (same length, so offsets hold): a detector cannot take
    it for PHI, nor for the context that makes a neighbour PHI; a span of nothing but spaces and punctuation
    is not a hit.
    """
    if not text:
        return []
    blanked = text.replace(REDACTED, _BLANK)
    found = set()
    for name, detect in detectors.items():
        for span in detect(blanked):
            if any(c.isalnum() for c in blanked[span.start : span.end]):
                found.add((name, span.category))
    return sorted(found)


class ResidualScreen:
    """The per-record screen: :meth:`check` each record's scrubbed text before it is written.

    A record with a hit becomes a ``residual_phi`` :class:`~vixray_data.records.Reject`; its hits (split, id,
    ref, column, category, detector; never the value) go to ``report`` (``--report-residual``) as they are
    found, so the file is complete even when ``--strict`` stops the build there. Its detectors remember the spans
    of the texts they read (:class:`SpanMemo`): a text repeated, or read again by the post-write scan, is not
    analysed again.
    """

    def __init__(self, detectors: Mapping[str, Detector] | None = None, *, report: Path | None = None) -> None:
        detectors = default_detectors() if detectors is None else detectors
        self.detectors: dict[str, Detector] = {name: SpanMemo(detect) for name, detect in detectors.items()}
        self.report = Path(report) if report is not None else None
        self.quarantined = 0
        self.by_detector: Counter[str] = Counter({name: 0 for name in self.detectors})
        if self.report is not None:
            self.report.write_text("", encoding="utf-8")  # this build's hits only

    def check(self, record: CleanRecord, split: str) -> Reject | None:
        """None when no detector finds PHI in the record's text fields, else the record's quarantine reject."""
        found = [
            (name, detector, category)
            for name in schema.TEXT_FIELDS
            for detector, category in find_residual(record.fields.get(name), self.detectors)
        ]
        if not found:
            return None
        self.quarantined += 1
        self.by_detector.update({detector for _, detector, _ in found})
        _append(
            self.report,
            [
                {
                    "file": None,
                    "split": split,
                    "id": record.id,
                    "ref": record.ref,
                    "column": name,
                    "category": category,
                    "detector": detector,
                }
                for name, detector, category in found
            ],
        )
        detail = "; ".join(f"{name}: {category} ({detector})" for name, detector, category in found)
        return Reject(record.ref, REASON, f"split {split}; {detail}")


def _append(report: Path | None, hits: Iterable[dict]) -> None:
    if report is None:
        return
    with open(report, "a", encoding="utf-8") as handle:
        for hit in hits:
            handle.write(json.dumps(hit, ensure_ascii=False, sort_keys=True) + "\n")


def _hits(
    file: str, split: str | None, record: str | None, column: str, text: str, detectors: Mapping[str, Detector]
) -> list[dict]:
    return [
        {"file": file, "split": split, "id": record, "column": column, "category": category, "detector": detector}
        for detector, category in find_residual(text, detectors)
    ]


#: What the builder itself writes in place of identifiers: a study/patient pseudonym (16 hex digits).
#: About 1 in 2,000 of them is all digits and would read as a record number.
_PATIENT_PSEUDONYM = re.compile(r"[0-9a-f]{16}")


@functools.lru_cache(maxsize=1)
def _syntax_words() -> re.Pattern:
    """The transfer syntaxes as the builder writes them (pydicom's keywords: ``JPEG2000`` reads as an id)."""
    from ..sources.dicom import syntax_words

    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(syntax_words(), key=len, reverse=True))) + r")\b")


def builder_text(text: str) -> str:
    """The builder's own words in rejects.jsonl and manifest.json masked (``row 12``, ``file 3fa2…``, transfer
    syntax keywords): the recognizers read what is left."""
    return _syntax_words().sub("<syntax>", mask_refs(text))


#: A version number the builder writes (its own, the lexicon's) under a key ending in ``version``.
_VERSION = re.compile(r"\d+(?:\.\d+){1,3}(?:[.+-]?[A-Za-z0-9]+)?")


#: Rows of text the post-write scan holds at once (a shard's text columns can be hundreds of MB).
_SCAN_BATCH_ROWS = 1024


def _shard_texts(path: Path) -> Iterator[tuple[str, str, str]]:
    """(record id, column, text) of each non-empty text cell of a shard, column by column and in batches: memory
    holds a batch, not the shard (a shard's text can be hundreds of MB). Reading errors surface as the cells are
    asked for."""
    import pyarrow.parquet as pq

    shard = pq.ParquetFile(path)
    for name in schema.TEXT_FIELDS:
        for batch in shard.iter_batches(batch_size=_SCAN_BATCH_ROWS, columns=[schema.ID, name]):
            for record, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                if text:
                    yield record, name, text


def residual_scan(folder: Path, detectors: Mapping[str, Detector] | None = None) -> list[dict]:
    """Hits of any PHI kind left in what a build wrote from data.

    Covers every text column of every shard (``data/*.parquet``) with ``detectors`` (default: both), and the
    string values of ``rejects.jsonl`` and ``manifest.json`` (the builder's own words and references, which
    no common-word list explains) with the recognizers; not the card, whose text is the project's template.
    Each hit names file, split, record id, column, category and detector, never the value.
    """
    folder = Path(folder)
    detectors = default_detectors() if detectors is None else detectors
    recognizers = {name: d for name, d in detectors.items() if name == RECOGNIZERS} or {RECOGNIZERS: find_phi}
    hits: list[dict] = []
    for path in sorted((folder / "data").glob("*.parquet")):
        rel = path.relative_to(folder).as_posix()
        split = path.name.split("-")[0]
        cells = _shard_texts(path)
        while True:
            try:  # only reading is guarded: a detector's own error is no unreadable shard
                cell = next(cells, None)
            except (OSError, ValueError, KeyError) as exc:  # not a shard of ours: validate reports it as such
                log.warning("residual scan: %s is not a readable shard (%s); skipped", rel, type(exc).__name__)
                break
            if cell is None:
                break
            hits += _hits(rel, split, *cell, detectors)
    rejects = folder / schema.REJECTS
    if rejects.is_file():
        for number, line in enumerate(rejects.read_text(encoding="utf-8").splitlines(), 1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                obj = {"line": line}
            for key, value in obj.items() if isinstance(obj, dict) else ():
                if isinstance(value, str):
                    hits += _hits(schema.REJECTS, None, f"line {number}", key, builder_text(value), recognizers)
    manifest = folder / schema.MANIFEST
    if manifest.is_file():
        for where, text in json_paths(json.loads(manifest.read_text(encoding="utf-8")), ""):
            if where.startswith("patients") and _PATIENT_PSEUDONYM.fullmatch(text):  # the builder's HMAC pseudonyms
                continue
            if where.endswith("version") and _VERSION.fullmatch(text):  # "2026.12.1" is a release, not a date
                continue
            hits += _hits(schema.MANIFEST, None, None, where or "(top)", builder_text(text), recognizers)
    return hits


def describe_residual(hit: dict) -> str:
    """One line naming where a residual hit is (no value)."""
    parts = [hit.get("file") or f"quarantined {hit.get('ref')}"]
    parts += [f"{key} {hit[key]}" for key in ("split", "id", "column") if hit.get(key)]
    by = f" ({hit['detector']})" if hit.get("detector") and hit["detector"] != RECOGNIZERS else ""
    return f"{', '.join(parts)}: {hit['category']}{by}"


def require_clean(
    folder: Path, *, report: Path | None = None, append: bool = False, detectors: Mapping[str, Detector] | None = None
) -> None:
    """The build's verification after writing: DeidError when the scan of ``folder`` finds any kind of PHI left,
    naming where (never the value). The per-record screen ran first, so a hit here is a bug in the builder, not
    data. ``report`` (``--report-residual``) receives every hit as JSON Lines; ``append`` adds to it."""
    hits = residual_scan(folder, detectors)
    if report is not None:
        if not append:
            Path(report).write_text("", encoding="utf-8")
        _append(Path(report), hits)
    if hits:
        where = "; ".join(describe_residual(h) for h in hits[:5])
        raise DeidError(
            f"residual PHI scan: {len(hits)} span kind(s) left in the output after the per-record "
            f"screen ({where}"
            + (", ..." if len(hits) > 5 else "")
            + "); nothing was written"
            + ("" if report else "; list them all with --report-residual PATH")
        )

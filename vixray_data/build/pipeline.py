"""The build, stage by stage: collect → de-identify → split → write → scan → seal, into a temporary folder that
replaces ``config.out`` only when every stage passed (:mod:`.output`).

The source is read twice, so memory holds the records in flight, not the corpus. The first reading (collect)
allow-lists each record so the de-identifier sees every identifying value, and keeps only what the split needs:
each record's pseudonyms as integers and its source position, and the rejects (a duplicate study id: the first
occurrence wins). The second reading (de-identify, write) allow-lists each kept record again, scrubs its text with
every value now known, and streams it, tagged with its split, through :class:`~.images.ImagePool` into that split's
:class:`~vixray_data.writer.SplitWriter` (all splits open at once; each keeps the source's order).

The output equals the one-pass build's (every record held until all values were known), rejects.jsonl included:
rejects are listed as before (first reading's, surplus, then the write's split by split). One decision moved: the
duplicate check on the image digests the workers return is made in source order, not split by split (all of train,
then validation, then test), so of two identical images in different splits the one listed first is now written.
It is still independent of the number of workers. Each stage names itself on entry (:class:`InFlight`), so an
exception nobody foresaw becomes one line saying what the build was doing and which record it held (refs only,
never values).
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .. import __version__, card, croissant, deid, heap, ocr, progress, schema, sources
from ..config import BuildConfig
from ..errors import DeidError, SourceError, StrictModeError, VixrayError
from ..manifest import Builder, Counts, Limits, Manifest, ResidualScanSummary, SplitCounts, SplitInfo
from ..phi import Analyzer, Span, ValueIndex
from ..records import CleanRecord, EncodedImage, RawRecord, Reject, SeenImages
from ..split import SplitLabels, label_splits
from ..writer import SplitWriter
from . import images, leak_scan, output, residual_scan, seal


@dataclass
class BuildResult:
    """What a build wrote: the folder, its manifest, and every reject with its reason."""

    out: Path
    manifest: Manifest
    rejects: list[Reject] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        return self.manifest.counts

    def summary_line(self) -> str:
        c = self.counts
        per = ", ".join(f"{s} {v.written}" for s, v in c.per_split.items())
        reasons = ", ".join(f"{r} {n}" for r, n in c.rejected_by_reason.items())
        return (
            f"read {c.read} · written {c.written} ({per}) · rejected {c.rejected}"
            + (f" ({reasons})" if reasons else "")
            + f" → {self.out}"
            + "".join(self.warnings())
        )

    def warnings(self) -> list[str]:
        """One line per split left empty (no shard written), saying why: too few patients or records."""
        c = self.counts
        groups, splits = c.split_groups, c.per_split
        if groups is not None and groups < len(splits):
            why = f"only {groups} patient{'s' if groups != 1 else ''}"
        else:
            why = f"only {c.written} record(s) written" + (f" of {groups} patients" if groups is not None else "")
        return [f"\n{split}: 0 records — {why}" for split, v in splits.items() if not v.written]


@dataclass
class InFlight:
    """What the build is doing, for the one line an unexpected exception becomes (refs only, never values).
    Every stage calls :meth:`enter` first, so the line never names a stage already left."""

    stage: str = "starting"
    ref: str | None = None

    def enter(self, stage: str, ref: str | None = None) -> None:
        self.stage, self.ref = stage, ref

    def describe(self) -> str:
        return self.stage + (f" {self.ref}" if self.ref else "")


def build(config: BuildConfig) -> BuildResult:
    """Build the dataset folder ``config.out``; returns its manifest and rejects.

    An exception that is not a library error leaves with ``in_flight`` set: the stage and the record being
    processed (refs only), which the CLI prints as its one line.
    """
    flight = InFlight()
    heap.map_large_blocks()
    # the build's Arrow buffers (the shards written, then read back by the scans) from the system allocator, whose
    # freed pages glibc gives back: pyarrow's default mimalloc pool kept about 45 MiB of them at 50k records (the
    # peak of the build, in the residual scan); the previous pool is set back when the build returns
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        return _build(config, flight)
    except VixrayError:
        raise
    except Exception as exc:
        with suppress(AttributeError):  # a few built-in exception types take no attributes
            exc.in_flight = flight.describe()  # type: ignore[attr-defined]
        raise
    finally:
        pa.set_memory_pool(pool)


def _build(config: BuildConfig, flight: InFlight) -> BuildResult:
    if config.source is not None and not Path(config.source).exists():
        raise SourceError(f"source {config.source} does not exist")
    out = Path(config.out)
    flight.enter("checking the output location", str(out))
    output.check_location(out, output.estimate_size(config))  # before anything is read
    flight.enter("opening the export")
    source = sources.open_source(config)
    key = deid.resolve_key(config.deid_key_file, demo=bool(getattr(source, "is_demo", False)))
    deidentifier = deid.Deidentifier(key)
    screen = ocr.TextScreen(config.ocr_allow or ocr.DEFAULT_MARKERS) if config.ocr else None
    if screen is not None:
        ocr.require()  # fails now, before anything is read or written, when the extra is missing
    flight.enter("preparing the output folder")
    with output.staged(out) as tmp:
        manifest, rejects = _build_into(tmp, config, source, (deidentifier, _Reparser(key)), screen, flight)
        flight.enter("moving the build into place at", str(out))
        output.swap_in(tmp, out)
    return BuildResult(out=out, manifest=manifest, rejects=rejects)


def _build_into(
    tmp: Path,
    config: BuildConfig,
    source: sources.Source,
    deidentifiers: tuple[deid.Deidentifier, _Reparser],
    screen: ocr.TextScreen | None,
    flight: InFlight,
) -> tuple[Manifest, list[Reject]]:
    deidentifier = deidentifiers[0]
    collected = _collect(config, source, deidentifier, flight)
    flight.enter("moving the index of identifying values to a file")
    deidentifier.values.spill(tmp)  # every value is known: the index leaves the heap (gone with it, never in ``out``)
    labels = _split(config, source, collected, flight)
    heap.give_back()
    written = _write(tmp, config, source, deidentifiers, collected, labels, screen, flight)
    heap.give_back()
    scan = _scan(tmp, config, written, deidentifier.values, flight)
    manifest = _seal(
        tmp,
        config,
        source,
        deidentifier,
        screen,
        collected=collected,
        labels=labels,
        written=written,
        scan=scan,
        flight=flight,
    )
    return manifest, written.rejects


# -- collect (pass 1): read every record, see its identifying values, keep its pseudonyms ----------------------
@dataclass
class _Collected:
    """What the first reading keeps of each record: no record itself, a few bytes of numbers each.

    ``position[k]`` is the source position (items counted from 0, rejects included) of the k-th record kept,
    ``ids`` and ``patients`` its pseudonyms as integers. Rejects are noted with their source position; a
    reference not known yet (a duplicate id's, its first occurrence's) is taken on the second reading."""

    read: int = 0
    position: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    patients: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    has_patient: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    light: bool = True  # every kept record's image is a file copy (threads are enough)
    structured: bool = True  # every kept record's image can be checked undecoded (--verify structure)
    rejects: list[_Noted] = field(default_factory=list)  # in source order

    def open_refs(self) -> set[int]:
        """The source positions whose references the rejects still need."""
        return {n.at for n in self.rejects if n.ref is None} | {n.first for n in self.rejects if n.first is not None}


@dataclass(frozen=True)
class _Noted:
    """A reject of the first reading: at source position ``at``; ``ref`` None until the second reading gives it;
    ``first`` the source position whose reference completes the detail (a duplicate id's first occurrence)."""

    at: int
    reason: str
    detail: str
    ref: str | None = None
    first: int | None = None

    def resolve(self, refs: Mapping[int, str]) -> Reject:
        detail = self.detail if self.first is None else f"{self.detail} {refs[self.first]}"
        return Reject(self.ref if self.ref is not None else refs[self.at], self.reason, detail)


def _collect(
    config: BuildConfig, source: sources.Source, deidentifier: deid.Deidentifier, flight: InFlight
) -> _Collected:
    """Every record read and allow-listed once, so that the identifying values of all records are known before
    any text is scrubbed; only the pseudonyms and the rejects are kept."""
    position, ids, patients, has_patient = array("q"), array("Q"), array("Q"), array("b")
    collected = _Collected()
    items = progress.bar(source, enabled=config.progress, desc="reading", unit="rec", total=_length(source))
    flight.enter("reading the export")
    for at, item in enumerate(items):
        collected.read += 1
        flight.enter("de-identifying", item.ref)
        result = item if isinstance(item, Reject) else deidentifier.process(item, scrub_text=False)
        flight.enter("reading the export after", item.ref)
        if isinstance(result, Reject):
            collected.rejects.append(_Noted(at, result.reason, result.detail, ref=result.ref))
            continue
        position.append(at)
        ids.append(int(result.id, 16))
        patients.append(int(result.patient, 16) if result.patient else 0)
        has_patient.append(result.patient is not None)
        collected.light = collected.light and images.is_light(result.image)
        collected.structured = collected.structured and images.has_structure(result.image)
    collected.position = np.frombuffer(position, dtype=np.int64)
    collected.ids = np.frombuffer(ids, dtype=np.uint64)
    collected.patients = np.frombuffer(patients, dtype=np.uint64)
    collected.has_patient = np.frombuffer(has_patient, dtype=np.int8).astype(bool)
    _drop_duplicate_ids(collected)
    return collected


def _length(source: sources.Source) -> int | None:
    return len(source) if isinstance(source, Sized) else None


def _drop_duplicate_ids(collected: _Collected) -> None:
    """A study id seen before is a ``duplicate_id`` reject naming the first occurrence; only the first is kept."""
    order = np.argsort(collected.ids, kind="stable")  # equal ids in source order: the first one first
    ranked = collected.ids[order]
    repeat = np.zeros(len(order), dtype=bool)
    repeat[1:] = ranked[1:] == ranked[:-1]
    if not repeat.any():
        return
    run_start = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(order))))  # each id's first occurrence
    for later, first in zip(order[repeat].tolist(), order[run_start[repeat]].tolist(), strict=True):
        at, first_at = int(collected.position[later]), int(collected.position[first])
        collected.rejects.append(_Noted(at, "duplicate_id", "same study id as", first=first_at))
    collected.rejects.sort(key=lambda noted: noted.at)
    keep = np.ones(len(order), dtype=bool)
    keep[order[repeat]] = False
    collected.position, collected.ids = collected.position[keep], collected.ids[keep]
    collected.patients, collected.has_patient = collected.patients[keep], collected.has_patient[keep]


# -- split: patient-level, by seed ---------------------------------------------------------------------
def _split(config: BuildConfig, source: sources.Source, collected: _Collected, flight: InFlight) -> SplitLabels:
    _strict_noted(config, source, collected, [])
    flight.enter("splitting")
    labels = label_splits(
        collected.patients,
        collected.has_patient,
        collected.ids,
        seed=config.seed,
        ratios=config.split_ratios,
        sizes=config.split_sizes,
    )
    surplus = np.flatnonzero(labels.labels < 0).tolist()
    _strict_noted(config, source, collected, [int(collected.position[k]) for k in surplus])
    return labels


def _strict_noted(config: BuildConfig, source: sources.Source, collected: _Collected, surplus: list[int]) -> None:
    """``--strict`` with a reject already: the references it needs, read again from the source, and the error."""
    if not config.strict or not (collected.rejects or surplus):
        return
    wanted = collected.open_refs() | set(surplus)
    refs = {at: item.ref for at, item in enumerate(source) if at in wanted}
    _strict_check(config, [n.resolve(refs) for n in collected.rejects] + [_surplus(refs[at]) for at in surplus])


def _surplus(ref: str) -> Reject:
    return Reject(ref, "not_in_split_sizes", "the --split-sizes leave no room for this record")


# -- write (pass 2): read again, scrub, produce the images in the pool, rows into the shards of every split ------
@dataclass
class _Written:
    splits: dict[str, SplitInfo]  # the splits that hold records
    per_split: dict[str, int]  # records written, every split
    patients: dict[str, tuple[str, ...]]
    image_hits: list[dict]  # the leak scan of the image bytes
    stats: card.FieldStats
    screen: residual_scan.ResidualScreen  # the residual-PHI screen of each record's text: who was quarantined
    rejects: list[Reject] = field(default_factory=list)  # every reject of the build, in rejects.jsonl's order


class _SplitStats(card.FieldStats):
    """The card's statistics with the splits in split order (rows arrive in source order, splits interleaved)."""

    def __init__(self, order: Sequence[str]) -> None:
        super().__init__()
        self.order = tuple(order)

    def result(self) -> dict[str, dict[str, Any]]:
        out = super().result()
        return {split: out[split] for split in self.order if split in out}


class _Reparser(deid.Deidentifier):
    """The allow-listing of :meth:`~deid.Deidentifier.process` for the second reading: the values were all seen
    and counted by the first, so this one notes none and its counts are not the build's."""

    def see(self, values: Iterable[str | None], *, keys: Iterable[str | None] = ()) -> None:
        return None


class _Settled(Analyzer):
    """The scrub's analyzer for the second reading, when every identifying value is known: a text's spans depend on
    the text alone then, so each distinct text is analysed once (:class:`~.residual_scan.SpanMemo`)."""

    def __init__(self, analyzer: Analyzer) -> None:
        super().__init__(values=analyzer.values, shapes=analyzer.shapes)
        self._spans = residual_scan.SpanMemo(super().find)

    def find(self, text: str) -> list[Span]:
        return self._spans(text)


class _Streamed:
    """The second reading of the source: each record kept by the first, allow-listed again and scrubbed with every
    identifying value, tagged with its split; the references the first reading left open are noted on the way."""

    def __init__(
        self,
        source: sources.Source,
        deidentifiers: tuple[deid.Deidentifier, _Reparser],
        collected: _Collected,
        labels: SplitLabels,
        flight: InFlight,
    ) -> None:
        self.source, self.collected, self.labels, self.flight = source, collected, labels, flight
        self.deidentifier, self.reparser = deidentifiers
        self.wanted = collected.open_refs()
        self.refs: dict[int, str] = {}
        self.surplus: list[Reject] = []

    def __iter__(self) -> Iterator[tuple[CleanRecord, str]]:
        position, names, labels = self.collected.position, self.labels.names, self.labels.labels
        k = 0
        for at, item in enumerate(self.source):
            if at in self.wanted:
                self.refs[at] = item.ref
            if k >= len(position) or position[k] != at:
                continue
            record = self._record(item, k)
            k += 1
            if labels[k - 1] < 0:
                self.surplus.append(_surplus(record.ref))
                continue
            yield record, names[labels[k - 1]]
        if k != len(position):
            raise SourceError(f"the source gave {k} of its {len(position)} records when read a second time")

    def _record(self, item: RawRecord | Reject, k: int) -> CleanRecord:
        self.flight.enter("scrubbing the text of", item.ref)
        record = item if isinstance(item, Reject) else self.reparser.process(item, scrub_text=False)
        if not isinstance(record, CleanRecord) or int(record.id, 16) != int(self.collected.ids[k]):
            raise SourceError(f"{item.ref}: the source gave another record when read a second time")
        self.deidentifier.scrub_record(record)
        return record


def _write(
    tmp: Path,
    config: BuildConfig,
    source: sources.Source,
    deidentifiers: tuple[deid.Deidentifier, _Reparser],
    collected: _Collected,
    labels: SplitLabels,
    screen: ocr.TextScreen | None,
    flight: InFlight,
) -> _Written:
    deidentifier = deidentifiers[0]
    names = labels.names
    count = int((labels.labels >= 0).sum())
    threads = images.num_proc(config)
    workers = images.workers_for(count, collected.light, threads, screen)
    written = _Written(
        splits={},
        per_split={},
        patients={},
        image_hits=[],
        stats=_SplitStats(names),
        screen=residual_scan.ResidualScreen(report=config.report_residual),
    )
    writers = {
        split: SplitWriter(tmp, split, row_group_bytes=config.row_group_bytes, shard_bytes=config.shard_bytes)
        for split in names
    }
    rows = _Rows(config, writers, written, deidentifier.values)
    stream = _Streamed(source, deidentifiers, collected, labels, flight)
    bar = progress.bar(total=count, enabled=config.progress, desc="writing", unit="img")
    analyzer, deidentifier.analyzer = deidentifier.analyzer, _Settled(deidentifier.analyzer)
    try:
        with images.ImagePool(threads=threads, workers=workers, screen=screen, verify=config.verify) as pool:
            for record, split, image, error in pool.stream(stream):
                bar.update()
                flight.enter("writing the row of", record.ref)
                rows.add(record, split, image, error)
    finally:
        deidentifier.analyzer = analyzer
    bar.close()
    for split, writer in writers.items():
        flight.enter("writing the shards of", split)
        shards = writer.close()
        written.per_split[split] = writer.num_rows
        if writer.num_rows:  # an empty split is left out: no shard, no config (datasets refuses empty ones)
            written.patients[split] = rows.patients(split)
            written.splits[split] = SplitInfo(num_examples=writer.num_rows, shards=tuple(shards))
    written.image_hits = rows.image_scan.hits
    written.rejects = [n.resolve(stream.refs) for n in collected.rejects] + stream.surplus
    written.rejects += [reject for split in names for reject in rows.rejects[split]]  # split by split, as written
    if not any(written.per_split.values()):  # a dataset of no split would not load; say why instead
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(Counter(r.reason for r in written.rejects).items()))
        raise SourceError(
            f"no record could be written: {collected.read} read, {len(written.rejects)} rejected"
            + (f" ({reasons})" if reasons else "")
        )
    flight.enter("writing", schema.REJECTS)
    seal.write_rejects(tmp, written.rejects)
    return written


_HEX16 = re.compile(r"[0-9a-f]{16}")  # a patient pseudonym (:func:`~vixray_data.deid.pseudonym`)


class _Rows:
    """Each produced record checked (its image, the residual screen, duplicate images) and written as a row of its
    split, or rejected; the image bytes leak-scanned as written."""

    def __init__(
        self, config: BuildConfig, writers: dict[str, SplitWriter], written: _Written, values: ValueIndex
    ) -> None:
        self.config, self.writers, self.written = config, writers, written
        self.seen = SeenImages()  # duplicates whose digests the workers computed: decided here, in source order
        self.image_scan = leak_scan.ImageScan(values)  # image bytes scanned as written, not re-read
        #: each split's patient pseudonyms as numbers (the 16 hex digits; 8 bytes a record, repeats included), and
        #: any pseudonym of another form as text: :meth:`patients` gives them sorted, each once
        self.keys: dict[str, array] = {split: array("Q") for split in writers}
        self.other_keys: dict[str, set[str]] = {split: set() for split in writers}
        self.rejects: dict[str, list[Reject]] = {split: [] for split in writers}

    def add(self, record: CleanRecord, split: str, image: EncodedImage | None, error: tuple[str, str] | None) -> None:
        reject = self._check(record, split, image, error)
        if reject is not None or image is None:
            self.rejects[split].append(reject or Reject(record.ref, "undecodable_image", "no image"))
            _strict_check(self.config, self.rejects[split])
            return
        row = {
            schema.ID: record.id,
            schema.IMAGE: {"bytes": image.data, "path": f"{record.id}.{image.ext}"},
            **{name: record.fields.get(name) for name in schema.FIELDS if name not in (schema.ID, schema.IMAGE)},
        }
        self.image_scan.add(f"data/{split} shards", f"column image.bytes (id {record.id})", image.data)
        self.writers[split].write(row)
        self.written.stats.add(split, row)
        if record.patient:
            if _HEX16.fullmatch(record.patient):
                self.keys[split].append(int(record.patient, 16))
            else:
                self.other_keys[split].add(record.patient)

    def patients(self, split: str) -> tuple[str, ...]:
        """The split's patient pseudonyms, sorted, each once (what the manifest lists)."""
        hexes = [f"{n:016x}" for n in np.unique(np.frombuffer(self.keys[split], np.uint64)).tolist()]  # in order
        other = self.other_keys[split]
        return tuple(sorted(other.union(hexes)) if other else hexes)

    def _check(
        self, record: CleanRecord, split: str, image: EncodedImage | None, error: tuple[str, str] | None
    ) -> Reject | None:
        if error is not None:
            return Reject(record.ref, error[0], error[1])
        quarantine = self.written.screen.check(record, split)  # residual PHI: not written
        if quarantine is not None or image is None:
            return quarantine
        return self.seen.check(record.ref, image.file_sha256, image.pixel_sha256, "image")


# -- scan: no kind of PHI, and no listed identifying value, in anything written ------------------------------
def _scan(
    tmp: Path, config: BuildConfig, written: _Written, values: ValueIndex, flight: InFlight
) -> leak_scan.ScanResult:
    flight.enter("scanning the output for residual PHI")
    residual_scan.require_clean(
        tmp, report=config.report_residual, append=True, detectors=written.screen.detectors
    )  # a verification: the screen ran
    heap.give_back()
    flight.enter("scanning the output for identifying values")
    scan = leak_scan.scan_folder(tmp, values, images=False)
    heap.give_back()
    scan.hits.extend(written.image_hits)
    if not scan.clean:
        raise DeidError(
            f"leak scan found {len(scan.hits)} identifying value(s) in the output "
            f"({', '.join(sorted({h['file'] for h in scan.hits}))}); nothing was written"
        )
    return scan


# -- seal: the manifest, the card and croissant.json, each leak-scanned --------------------------------------
def _seal(
    tmp: Path,
    config: BuildConfig,
    source: sources.Source,
    deidentifier: deid.Deidentifier,
    screen: ocr.TextScreen | None,
    *,
    collected: _Collected,
    labels: SplitLabels,
    written: _Written,
    scan: leak_scan.ScanResult,
    flight: InFlight,
) -> Manifest:
    flight.enter(f"writing {schema.MANIFEST}, {schema.CARD} and {croissant.CROISSANT}")
    rejects = written.rejects
    manifest = Manifest(
        builder=Builder(name="vixray-data", version=__version__),
        seed=config.seed,
        source=source.summary(),
        splits=written.splits,
        counts=Counts(
            read=collected.read,
            written=sum(written.per_split.values()),
            rejected=len(rejects),
            rejected_by_reason=dict(sorted(Counter(r.reason for r in rejects).items())),
            per_split={s: SplitCounts(n) for s, n in written.per_split.items()},
            split_groups=labels.groups,
        ),
        pixel_screening=seal.pixel_screening(screen),
        image_checks=images.image_checks(collected.structured, config),
        limits=Limits(row_group_bytes=config.row_group_bytes, shard_bytes=config.shard_bytes),
        patients=written.patients,
        deid=_audit(deidentifier),
        leak_scan=scan.summary(),
        residual_scan=ResidualScanSummary(
            hits=0,
            categories=residual_scan.CATEGORIES,
            scanned=residual_scan.SCANNED,
            detectors=tuple(written.screen.detectors),
            quarantined=written.screen.quarantined,
            quarantined_by_detector=dict(written.screen.by_detector),
        ),
        synthetic=bool(getattr(source, "is_demo", False)),
    )
    seal.seal(tmp, manifest, values=deidentifier.values, stats=written.stats, report_residual=config.report_residual)
    return manifest


def _strict_check(config: BuildConfig, rejects: list[Reject]) -> None:
    if config.strict and rejects:
        first = "; ".join(f"{r.ref}: {r.reason}" + (f" ({r.detail})" if r.detail else "") for r in rejects[:3])
        raise StrictModeError(f"--strict: {len(rejects)} record(s) rejected: {first}")


def _audit(deidentifier: deid.Deidentifier) -> dict[str, Any]:
    audit = getattr(deidentifier, "audit", {})
    if hasattr(audit, "to_json"):
        return audit.to_json()
    return dict(sorted(audit.items())) if isinstance(audit, Mapping) else dict(audit)

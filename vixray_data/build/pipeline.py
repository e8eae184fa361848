"""The build, stage by stage: collect → de-identify → split → write → scan → seal, into a temporary folder that
replaces ``config.out`` only when every stage passed (:mod:`.output`).

Only text is held in memory: records carry lazy image callables, produced per split, in order, by
:class:`~.images.ImagePool` and streamed into :class:`~vixray_data.writer.SplitWriter`. The duplicate check on the
image digests the workers return is made here, in write order, so the output does not depend on the number of
workers. Each stage names itself on entry (:class:`InFlight`), so an exception nobody foresaw becomes one line
saying what the build was doing and which record it held (refs only, never values).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, card, croissant, deid, ocr, progress, schema, sources
from ..config import BuildConfig
from ..errors import DeidError, SourceError, StrictModeError, VixrayError
from ..manifest import Builder, Counts, Limits, Manifest, ResidualScanSummary, SplitCounts, SplitInfo
from ..records import CleanRecord, Reject, SeenImages
from ..split import SplitPlan, plan_splits
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
    try:
        return _build(config, flight)
    except VixrayError:
        raise
    except Exception as exc:
        with suppress(AttributeError):  # a few built-in exception types take no attributes
            exc.in_flight = flight.describe()  # type: ignore[attr-defined]
        raise


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
        manifest, rejects = _build_into(tmp, config, source, deidentifier, screen, flight)
        flight.enter("moving the build into place at", str(out))
        output.swap_in(tmp, out)
    return BuildResult(out=out, manifest=manifest, rejects=rejects)


def _build_into(
    tmp: Path,
    config: BuildConfig,
    source: sources.Source,
    deidentifier: deid.Deidentifier,
    screen: ocr.TextScreen | None,
    flight: InFlight,
) -> tuple[Manifest, list[Reject]]:
    collected = _collect(config, source, deidentifier, flight)
    _deidentify(collected.records, deidentifier, flight)
    plan = _split(config, collected, flight)
    written = _write(tmp, config, collected, plan, screen, deidentifier.values, flight)
    scan = _scan(tmp, config, written, deidentifier.values, flight)
    manifest = _seal(
        tmp,
        config,
        source,
        deidentifier,
        screen,
        collected=collected,
        plan=plan,
        written=written,
        scan=scan,
        flight=flight,
    )
    return manifest, collected.rejects


# -- collect: read every record and allow-list its fields ----------------------------------------------
@dataclass
class _Collected:
    read: int
    records: list[CleanRecord]
    rejects: list[Reject]  # every reject of the build, added to by the later stages


def _collect(
    config: BuildConfig, source: sources.Source, deidentifier: deid.Deidentifier, flight: InFlight
) -> _Collected:
    """Every record read and allow-listed (pseudonyms, parsed fields), its text not yet scrubbed: the identifying
    values of all records must be known first."""
    read, records, rejects, seen = 0, [], [], {}
    items = progress.bar(
        source,
        enabled=config.progress,
        desc="reading",
        unit="rec",
        total=len(source) if hasattr(source, "__len__") else None,
    )
    flight.enter("reading the export")
    for item in items:
        read += 1
        flight.enter("de-identifying", item.ref)
        result = item if isinstance(item, Reject) else deidentifier.process(item, scrub_text=False)
        flight.enter("reading the export after", item.ref)
        if isinstance(result, CleanRecord) and result.id in seen:
            result = Reject(result.ref, "duplicate_id", f"same study id as {seen[result.id]}")
        if isinstance(result, Reject):
            rejects.append(result)
            continue
        seen[result.id] = result.ref
        records.append(result)
    return _Collected(read, records, rejects)


# -- de-identify: scrub every record's text of every record's identifying values -----------------------
def _deidentify(records: list[CleanRecord], deidentifier: deid.Deidentifier, flight: InFlight) -> None:
    for record in records:
        flight.enter("scrubbing the text of", record.ref)
        deidentifier.scrub_record(record)


# -- split: patient-level, by seed ---------------------------------------------------------------------
def _split(config: BuildConfig, collected: _Collected, flight: InFlight) -> SplitPlan:
    _strict_check(config, collected.rejects)
    flight.enter("splitting")
    records = collected.records
    plan = plan_splits(
        [r.patient for r in records],
        ids=[r.id for r in records],
        seed=config.seed,
        ratios=config.split_ratios,
        sizes=config.split_sizes,
    )
    for i in plan.surplus:
        collected.rejects.append(
            Reject(records[i].ref, "not_in_split_sizes", "the --split-sizes leave no room for this record")
        )
    _strict_check(config, collected.rejects)
    return plan


# -- write: images produced in the pool, rows into shards, image bytes leak-scanned as written -------------
@dataclass
class _Written:
    splits: dict[str, SplitInfo]  # the splits that hold records
    per_split: dict[str, int]  # records written, every split
    patients: dict[str, tuple[str, ...]]
    image_hits: list[dict]  # the leak scan of the image bytes
    stats: card.FieldStats
    screen: residual_scan.ResidualScreen  # the residual-PHI screen of each record's text: who was quarantined


def _write(
    tmp: Path,
    config: BuildConfig,
    collected: _Collected,
    plan: SplitPlan,
    screen: ocr.TextScreen | None,
    values: set[str],
    flight: InFlight,
) -> _Written:
    records, rejects = collected.records, collected.rejects
    threads = images.num_proc(config)
    workers = images.use_workers(records, threads, screen)
    written = _Written(
        splits={},
        per_split={},
        patients={},
        image_hits=[],
        stats=card.FieldStats(),
        screen=residual_scan.ResidualScreen(report=config.report_residual),
    )
    seen = SeenImages()  # duplicates whose digests the workers computed: decided here, in write order
    image_scan = leak_scan.ImageScan(values)  # image bytes scanned as written, not re-read
    bar = progress.bar(
        total=sum(len(v) for v in plan.indices.values()), enabled=config.progress, desc="writing", unit="img"
    )
    with images.ImagePool(records, threads=threads, workers=workers, screen=screen) as pool:
        for split, indices in plan.indices.items():
            writer = SplitWriter(tmp, split, row_group_bytes=config.row_group_bytes, shard_bytes=config.shard_bytes)
            keys = set()
            flight.enter("producing the image of", records[indices[0]].ref if indices else None)
            for position, (index, image, error) in enumerate(pool.images(indices), 1):
                bar.update()
                record = records[index]
                flight.ref = records[indices[position]].ref if position < len(indices) else None
                quarantine = None if error else written.screen.check(record, split)  # residual PHI: not written
                duplicate = (
                    None
                    if error or quarantine
                    else seen.check(record.ref, image.file_sha256, image.pixel_sha256, "image")
                )
                if error is not None or quarantine is not None or duplicate is not None:
                    rejects.append(quarantine or duplicate or Reject(record.ref, error[0], error[1]))
                    _strict_check(config, rejects)
                    continue
                row = {
                    schema.ID: record.id,
                    schema.IMAGE: {"bytes": image.data, "path": f"{record.id}.{image.ext}"},
                    **{
                        name: record.fields.get(name) for name in schema.FIELDS if name not in (schema.ID, schema.IMAGE)
                    },
                }
                image_scan.add(f"data/{split} shards", f"column image.bytes (id {record.id})", image.data)
                writer.write(row)
                written.stats.add(split, row)
                if record.patient:
                    keys.add(record.patient)
            flight.enter("writing the shards of", split)
            shards = writer.close()
            written.per_split[split] = writer.num_rows
            if writer.num_rows:  # an empty split is left out: no shard, no config (datasets refuses empty ones)
                written.patients[split] = tuple(sorted(keys))
                written.splits[split] = SplitInfo(num_examples=writer.num_rows, shards=tuple(shards))
    bar.close()
    written.image_hits = image_scan.hits
    if not any(written.per_split.values()):  # a dataset of no split would not load; say why instead
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(Counter(r.reason for r in rejects).items()))
        raise SourceError(
            f"no record could be written: {collected.read} read, {len(rejects)} rejected"
            + (f" ({reasons})" if reasons else "")
        )
    flight.enter("writing", schema.REJECTS)
    seal.write_rejects(tmp, rejects)
    return written


# -- scan: no kind of PHI, and no listed identifying value, in anything written ------------------------------
def _scan(
    tmp: Path, config: BuildConfig, written: _Written, values: set[str], flight: InFlight
) -> leak_scan.ScanResult:
    flight.enter("scanning the output for residual PHI")
    residual_scan.require_clean(
        tmp, report=config.report_residual, append=True, detectors=written.screen.detectors
    )  # a verification: the screen ran
    flight.enter("scanning the output for identifying values")
    scan = leak_scan.scan_folder(tmp, values, images=False)
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
    plan: SplitPlan,
    written: _Written,
    scan: leak_scan.ScanResult,
    flight: InFlight,
) -> Manifest:
    flight.enter(f"writing {schema.MANIFEST}, {schema.CARD} and {croissant.CROISSANT}")
    rejects = collected.rejects
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
            split_groups=plan.groups,
        ),
        pixel_screening=seal.pixel_screening(screen),
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

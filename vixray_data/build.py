"""The builder: source -> de-identify -> split -> images in workers -> parquet shards, atomically.

Only text is held in memory (records carry lazy image callables); images are produced per split, in
order, by a fork-based process pool (when producing one is real work: rendering, DICOM conversion, OCR) or a
thread pool (when it is a file copy: read, checked, decoded once), a bounded number of chunks ahead, and streamed
into :class:`~vixray_data.writer.SplitWriter`. Whatever needs decoded pixels (a copy's read check, pixel digest, OCR)
reads the one decode (or drawing) of each image, in the workers, and nothing is produced in the main process;
the duplicate check on the digests they return is made here, in write order, so the output does not depend on
the number of workers. A worker that dies fails the build at once, naming the record it held. Output
goes to a temporary folder beside ``config.out``, passes the leak scan, and only then replaces ``out``;
any failure removes the temporary folder and leaves an existing ``out`` as it was.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image

from . import __version__, card, croissant, deid, leakscan, ocr, phi, progress, schema, sources
from .config import BuildConfig
from .errors import DeidError, OutputError, RecordError, SourceError, StrictModeError, VixrayError, WorkerError
from .records import CleanRecord, EncodedImage, Reject, SeenImages
from .split import plan_splits
from .writer import SplitWriter, manifest_text

log = logging.getLogger(__name__)

_IMAGE_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG"}
#: Records handed to a worker at a time: large enough to amortise IPC, small enough to keep order cheap.
_CHUNK = 8


@dataclass
class BuildResult:
    """What a build wrote: the folder, its manifest, and every reject with its reason."""

    out: Path
    manifest: dict[str, Any]
    rejects: list[Reject] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, Any]:
        return self.manifest["counts"]

    def summary_line(self) -> str:
        c = self.counts
        per = ", ".join(f"{s} {v['written']}" for s, v in c["per_split"].items())
        reasons = ", ".join(f"{r} {n}" for r, n in c["rejected_by_reason"].items())
        return (f"read {c['read']} · written {c['written']} ({per}) · rejected {c['rejected']}"
                + (f" ({reasons})" if reasons else "") + f" → {self.out}" + "".join(self.warnings()))

    def warnings(self) -> list[str]:
        """One line per split left empty (no shard written), saying why: too few patients or records."""
        c = self.counts
        groups, splits = c.get("split_groups"), c["per_split"]
        if groups is not None and groups < len(splits):
            why = f"only {groups} patient{'s' if groups != 1 else ''}"
        else:
            why = f"only {c['written']} record(s) written" + (f" of {groups} patients" if groups is not None else "")
        return [f"\n{split}: 0 records — {why}" for split, v in splits.items() if not v["written"]]


# -- images in worker processes ---------------------------------------------------------------------
# The pool is forked after the records are collected, so workers find the image callables here by
# index: nothing but an int goes out and only bytes come back (callables need not be picklable).
_JOBS: Sequence[CleanRecord] = ()
#: Shared with the forked workers: per record, the pid of the worker producing it (0 when none), so a worker
#: that dies (the OOM killer's SIGKILL) can be named with the record it held.
_BUSY: Any = None
#: The pixel text screen of ``--ocr`` (None without it); forked workers find it here like ``_JOBS``.
_SCREEN: ocr.TextScreen | None = None


def _screen(image: EncodedImage, ref: str) -> EncodedImage:
    """Reject images carrying text beyond radiographic markers (``--ocr``), reading the pixels the producer
    decoded or drew (the bytes only for a producer that exposes none); the image comes back without its pixels,
    so a worker holds one image's pixels at a time and none are pickled back."""
    if _SCREEN is not None:
        if image.pixels is not None:
            _SCREEN.check_pixels(image.pixels, ref)
        else:
            _SCREEN.check(image.data, ref)
    return replace(image, pixels=None) if image.pixels is not None else image


def check_image(image: EncodedImage, ref: str) -> EncodedImage:
    """Refuse bytes that are not the image format they claim (cheap: headers and PNG checksums)."""
    expected = _IMAGE_FORMATS.get(image.ext.lower())
    if expected is None:
        raise RecordError(ref, "bad_image_format", f"unsupported image extension {image.ext!r}")
    try:
        with Image.open(io.BytesIO(image.data)) as probe:
            actual = probe.format
            probe.verify()
    except Exception as exc:  # PIL raises many types for corrupt data
        raise RecordError(ref, "undecodable_image", f"{type(exc).__name__}: {exc}") from None
    if actual != expected:
        raise RecordError(ref, "bad_image_format", f"bytes are {actual}, extension says {image.ext}")
    return image


def _produce(indices: Sequence[int]) -> list[tuple[int, EncodedImage | None, tuple[str, str] | None]]:
    out = []
    busy, pid = _BUSY, os.getpid()
    for index in indices:
        record = _JOBS[index]
        if busy is not None:
            busy[index] = pid
        try:
            out.append((index, _screen(check_image(record.image(), record.ref), record.ref), None))
        except RecordError as exc:
            out.append((index, None, (exc.reason, exc.detail)))
        if busy is not None:
            busy[index] = 0
    return out


def _images(indices: Sequence[int], submit, *, ahead: int) -> Iterator[tuple[int, EncodedImage | None, Any]]:
    """Images of ``indices`` in order; at most ``ahead`` chunks in flight, so memory stays flat in N.

    ``submit(chunk)`` starts producing a chunk and returns a future.
    """
    pending: deque = deque()
    for start in range(0, len(indices), _CHUNK):
        pending.append(submit(indices[start:start + _CHUNK]))
        if len(pending) >= ahead:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


def _exit_text(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"


class _Workers:
    """Forked worker processes (``concurrent.futures``: a dead worker breaks the pool instead of hanging it)."""

    def __init__(self, workers: int, records: Sequence[CleanRecord]) -> None:
        global _BUSY
        context = multiprocessing.get_context("fork")
        _BUSY = context.RawArray("i", len(records))
        self.records = records
        self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init)
        self._processes: dict[int, Any] = {}

    def submit(self, chunk: Sequence[int]):
        future = self.pool.submit(_produce, chunk)
        if not self._processes:  # forked on the first submit; kept to read exit codes if one dies
            self._processes = dict(getattr(self.pool, "_processes", None) or {})
        return future

    def death(self) -> WorkerError:
        """The error for a broken pool: the record(s) the dead worker held, and the signal that killed it."""
        busy = {index: pid for index, pid in enumerate(_BUSY) if pid}
        for process in self._processes.values():
            process.join(timeout=5)
        codes = {pid: process.exitcode for pid, process in self._processes.items()}
        # the pool terminates the surviving workers (SIGTERM) once one has died: the culprit exited otherwise
        dead = {pid for pid, code in codes.items() if code is not None and code != -signal.SIGTERM}
        held = [i for i, pid in busy.items() if pid in dead] or list(busy)
        how = ", ".join(sorted({_exit_text(codes[pid]) for pid in dead})) or "died"
        what = "; ".join(self.records[i].ref for i in held[:3]) or "no record in flight"
        hint = " (SIGKILL is usually the out-of-memory killer: try fewer --num-proc)" if any(
            codes[pid] == -signal.SIGKILL for pid in dead) else ""
        return WorkerError(f"an image worker process {how} while producing {what}{hint}; nothing was written")

    def close(self) -> None:
        global _BUSY
        _BUSY = None
        self.pool.shutdown(wait=True, cancel_futures=True)


# -- the build ---------------------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temps(out: Path) -> None:
    """Temp folders of builds that were killed (SIGKILL, power loss): the pid in their name is gone."""
    places = [out.parent] + ([out] if out.is_dir() else [])
    for folder in (f for place in places for f in place.glob(f"{out.name}.tmp-*")):
        match = re.fullmatch(re.escape(out.name) + r"\.tmp-(\d+)-\w+", folder.name)
        if match and folder.is_dir() and not _alive(int(match.group(1))):
            log.info("removing %s, left by an interrupted build", folder)
            shutil.rmtree(folder, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _inside(out: Path) -> bool:
    """Whether the temp folder must go inside ``out``: a mount point (a Docker volume) cannot be renamed,
    and a folder on another device than its parent cannot receive a rename from it."""
    if not out.is_dir():
        return False
    try:
        return os.path.ismount(out) or out.stat().st_dev != out.parent.stat().st_dev
    except OSError:
        return False


def _prepare_out(out: Path) -> Path:
    """Create the temporary folder beside ``out`` (inside it when ``out`` is a mount point); refuse to
    replace a folder that is not a build. The folder gets the user's umask (mkdtemp makes it 0700)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / schema.MANIFEST).exists():
        raise OutputError(f"refusing to replace {out}: it is not empty and holds no {schema.MANIFEST} "
                          "(not a ViX-Ray build)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(out)
        tmp = None
        if not _inside(out):
            try:
                tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-{os.getpid()}-", dir=out.parent))
            except PermissionError:  # a writable volume under a read-only parent
                if not out.is_dir():
                    raise
        if tmp is None:
            tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-{os.getpid()}-", dir=out))
        os.chmod(tmp, 0o777 & ~_umask())
        return tmp
    except OSError as exc:
        raise OutputError(f"cannot write output folder {out}: {exc.strerror or exc}") from exc


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` with renames only (same parent folder), so no reader sees half a build.

    When ``out`` cannot be renamed (a mount point: EBUSY; or the temp folder is inside it), its
    contents are swapped instead: old entries into a hidden folder, the new ones in, the old removed.
    """
    if tmp.parent == out:
        _swap_contents(tmp, out)
        return
    old = None
    try:
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
    except OSError as exc:
        if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES):
            raise
        _swap_contents(tmp, out)
        return
    try:
        os.replace(tmp, out)
    except OSError as exc:
        if old is not None:
            os.replace(old, out)
        if exc.errno not in (errno.EBUSY, errno.EXDEV) or not out.is_dir():
            raise
        _swap_contents(tmp, out)
        return
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _swap_contents(tmp: Path, out: Path) -> None:
    """Move ``out``'s entries aside and ``tmp``'s in (``shutil.move``: a rename, else a copy across devices)."""
    out.mkdir(exist_ok=True)
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out))
    moved_in: list[str] = []
    try:
        for entry in sorted(out.iterdir()):
            if entry not in (tmp, old):
                shutil.move(str(entry), str(old / entry.name))
        for entry in sorted(tmp.iterdir()):
            shutil.move(str(entry), str(out / entry.name))
            moved_in.append(entry.name)
    except BaseException:
        for name in moved_in:  # put the previous build back
            if (out / name).is_dir():
                shutil.rmtree(out / name, ignore_errors=True)
            else:
                (out / name).unlink(missing_ok=True)
        for entry in old.iterdir():
            shutil.move(str(entry), str(out / entry.name))
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class _InFlight:
    """What the build is doing, for the one line an unexpected exception becomes (refs only, never values)."""

    stage: str = "starting"
    ref: str | None = None

    def describe(self) -> str:
        return self.stage + (f" {self.ref}" if self.ref else "")


def _collect(config: BuildConfig, source, deidentifier: deid.Deidentifier,
             flight: _InFlight | None = None) -> tuple[int, list[CleanRecord], list[Reject]]:
    flight = flight or _InFlight()
    read, records, rejects, seen = 0, [], [], {}
    items = progress.bar(source, enabled=config.progress, desc="reading", unit="rec",
                         total=len(source) if hasattr(source, "__len__") else None)
    flight.stage = "reading the export"
    for item in items:
        read += 1
        flight.stage, flight.ref = "de-identifying", item.ref
        result = item if isinstance(item, Reject) else deidentifier.process(item, scrub_text=False)
        flight.stage = "reading the export after"
        if isinstance(result, CleanRecord) and result.id in seen:
            result = Reject(result.ref, "duplicate_id", f"same study id as {seen[result.id]}")
        if isinstance(result, Reject):
            rejects.append(result)
            continue
        seen[result.id] = result.ref
        records.append(result)
    for record in records:  # every record's identifying values are known now: scrub them from every text
        flight.stage, flight.ref = "scrubbing the text of", record.ref
        deidentifier.scrub_record(record)
    return read, records, rejects


def _strict_check(config: BuildConfig, rejects: list[Reject]) -> None:
    if config.strict and rejects:
        first = "; ".join(f"{r.ref}: {r.reason}" + (f" ({r.detail})" if r.detail else "") for r in rejects[:3])
        raise StrictModeError(f"--strict: {len(rejects)} record(s) rejected: {first}")


def _audit(deidentifier: deid.Deidentifier) -> dict:
    audit = getattr(deidentifier, "audit", {})
    if hasattr(audit, "to_json"):
        return audit.to_json()
    return dict(sorted(audit.items())) if isinstance(audit, Mapping) else dict(audit)


@contextmanager
def _terminate_as_interrupt():
    """SIGTERM (``kill``, a job scheduler) raises KeyboardInterrupt, so the temp folder is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _worker_init() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # workers just die when the pool is terminated


def _num_proc(config: BuildConfig) -> int:
    return max(1, config.num_proc if config.num_proc is not None else (os.cpu_count() or 1))


def _use_workers(records: Sequence[CleanRecord], num_proc: int, screen: ocr.TextScreen | None) -> int:
    """Worker processes (``num_proc``) when producing an image is real work: rendering (the demo), DICOM
    conversion, OCR, or a producer that does not say otherwise; 1 (threads) when every image is a file copy
    whose producer says it is ``light`` (reads, checksums and one decode release the GIL, and pickling the bytes
    back from processes would cost more). Decided from the producers, without producing anything here."""
    if num_proc <= 1 or len(records) <= 1:
        return 1
    if screen is None and all(getattr(record.image, "light", False) for record in records):
        log.debug("images are file copies: %d thread(s)", num_proc)
        return 1
    return num_proc


def build(config: BuildConfig) -> BuildResult:
    """Build the dataset folder ``config.out`` (see the module docstring); returns counts and rejects.

    An exception that is not a library error leaves with ``in_flight`` set: the stage and the record being
    processed (refs only), which the CLI prints as its one line.
    """
    flight = _InFlight()
    try:
        return _build(config, flight)
    except VixrayError:
        raise
    except Exception as exc:
        with suppress(AttributeError):  # a few built-in exception types take no attributes
            exc.in_flight = flight.describe()
        raise


def _build(config: BuildConfig, flight: _InFlight) -> BuildResult:
    if config.source is not None and not Path(config.source).exists():
        raise SourceError(f"source {config.source} does not exist")
    out = Path(config.out)
    flight.stage = "opening the export"
    source = sources.open_source(config)
    key = deid.resolve_key(config.deid_key_file, demo=bool(getattr(source, "is_demo", False)))
    deidentifier = deid.Deidentifier(key)
    screen = ocr.TextScreen(config.ocr_allow or ocr.DEFAULT_MARKERS) if config.ocr else None
    if screen is not None:
        ocr.require()  # fails now, before anything is read or written, when the extra is missing
    tmp = _prepare_out(out)
    try:
        with _terminate_as_interrupt():
            manifest, rejects = _build_into(tmp, config, source, deidentifier, screen=screen, flight=flight)
            flight.stage, flight.ref = "moving the build into place at", None
            _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out=out, manifest=manifest, rejects=rejects)


def _build_into(tmp: Path, config: BuildConfig, source, deidentifier: deid.Deidentifier, *,
                screen: ocr.TextScreen | None = None, flight: _InFlight | None = None) -> tuple[dict, list]:
    global _JOBS, _SCREEN
    flight = flight or _InFlight()
    read, records, rejects = _collect(config, source, deidentifier, flight)
    _strict_check(config, rejects)
    flight.stage, flight.ref = "splitting", None
    plan = plan_splits([r.patient for r in records], ids=[r.id for r in records], seed=config.seed,
                       ratios=config.split_ratios, sizes=config.split_sizes)
    for i in plan.surplus:
        rejects.append(Reject(records[i].ref, "not_in_split_sizes",
                              f"split sizes {config.split_sizes} leave no room for this record"))
    _strict_check(config, rejects)

    threads = _num_proc(config)
    workers = _use_workers(records, threads, screen)
    splits_info: dict[str, dict] = {}
    written: dict[str, int] = {}
    patients: dict[str, list[str]] = {}
    seen = SeenImages()  # duplicates whose digests the workers computed: decided here, in write order
    image_scan = leakscan.ImageScan(deidentifier.phi_values)  # image bytes scanned as written, not re-read
    _JOBS, _SCREEN = records, screen
    if workers > 1:
        pool = _Workers(workers, records)
        submit = pool.submit
    else:
        pool = ThreadPoolExecutor(threads)
        submit = lambda chunk: pool.submit(_produce, chunk)  # noqa: E731
    try:
        bar = progress.bar(total=sum(len(v) for v in plan.indices.values()), enabled=config.progress, desc="writing",
                           unit="img")
        for split, indices in plan.indices.items():
            writer = SplitWriter(tmp, split, row_group_bytes=config.row_group_bytes, shard_bytes=config.shard_bytes)
            keys = set()
            flight.stage = "producing the image of"
            flight.ref = records[indices[0]].ref if indices else None
            for position, (index, image, error) in enumerate(_images(indices, submit,
                                                                      ahead=2 * max(workers, threads) + 2), 1):
                bar.update()
                record = records[index]
                flight.ref = records[indices[position]].ref if position < len(indices) else None
                duplicate = None if error else seen.check(record.ref, image.file_sha256, image.pixel_sha256, "image")
                if error is not None or duplicate is not None:
                    rejects.append(duplicate or Reject(record.ref, error[0], error[1]))
                    _strict_check(config, rejects)
                    continue
                row = {schema.ID: record.id, schema.IMAGE: {"bytes": image.data, "path": f"{record.id}.{image.ext}"},
                       **{name: record.fields.get(name) for name in schema.FIELDS
                          if name not in (schema.ID, schema.IMAGE)}}
                image_scan.add(f"data/{split} shards", f"column image.bytes (id {record.id})", image.data)
                writer.write(row)
                if record.patient:
                    keys.add(record.patient)
            shards = writer.close()
            written[split] = writer.num_rows
            if writer.num_rows:  # an empty split is left out: no shard, no config (datasets refuses empty ones)
                patients[split] = sorted(keys)
                splits_info[split] = {"num_examples": writer.num_rows, "shards": [s.to_json() for s in shards]}
        bar.close()
    except BrokenProcessPool:
        raise pool.death() from None
    finally:
        _JOBS, _SCREEN = (), None
        if workers > 1:
            pool.close()
        else:
            pool.shutdown(wait=True, cancel_futures=True)

    if not any(written.values()):  # a dataset of no split would not load; say why instead
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(Counter(r.reason for r in rejects).items()))
        raise SourceError(f"no record could be written: {read} read, {len(rejects)} rejected"
                          + (f" ({reasons})" if reasons else ""))
    flight.stage, flight.ref = "writing", schema.REJECTS
    with open(tmp / schema.REJECTS, "w", encoding="utf-8") as handle:
        for reject in rejects:
            handle.write(json.dumps(reject.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
    _residual_check(tmp, config)
    scan = leakscan.scan_folder(tmp, deidentifier.phi_values, images=False)
    scan.hits.extend(image_scan.hits)
    if not scan.clean:
        raise DeidError(f"leak scan found {len(scan.hits)} identifying value(s) in the output "
                        f"({', '.join(sorted({h['file'] for h in scan.hits}))}); nothing was written")
    manifest = {
        "builder": {"name": "vixray-data", "version": __version__},
        "seed": config.seed,
        "source": source.summary(),
        "splits": splits_info,
        "counts": {
            "read": read,
            "written": sum(written.values()),
            "rejected": len(rejects),
            "rejected_by_reason": dict(sorted(Counter(r.reason for r in rejects).items())),
            "per_split": {s: {"written": n} for s, n in written.items()},
            "split_groups": plan.groups,
        },
        "pixel_screening": _screening(screen),
        "limits": {"row_group_bytes": config.row_group_bytes, "shard_bytes": config.shard_bytes},
        "patients": patients,
        "deid": _audit(deidentifier),
        "leak_scan": scan.to_json(),
        "residual_scan": {"hits": 0, "categories": list(phi.CATEGORIES[:-1]),
                          "scanned": f"text columns of the shards, {schema.REJECTS}, {schema.MANIFEST}"},
        "synthetic": bool(getattr(source, "is_demo", False)),
    }
    _write_meta(tmp, manifest, deidentifier, config)
    return manifest, rejects


def _residual_check(folder: Path, config: BuildConfig) -> None:
    """Fail the build when the residual-PHI scan finds any kind of PHI left (see leakscan.residual_scan)."""
    hits = leakscan.residual_scan(folder)
    if config.report_residual is not None:
        with open(config.report_residual, "a" if folder.name.startswith(".meta-") else "w", encoding="utf-8") as handle:
            for hit in hits:
                handle.write(json.dumps(hit, ensure_ascii=False, sort_keys=True) + "\n")
    if hits:
        where = "; ".join(leakscan.describe_residual(h) for h in hits[:5])
        raise DeidError(f"residual PHI scan: {len(hits)} span kind(s) left in the output ({where}"
                        + (", ..." if len(hits) > 5 else "") + "); nothing was written"
                        + ("" if config.report_residual else "; list them all with --report-residual PATH"))


def _screening(screen: ocr.TextScreen | None) -> dict:
    """What the manifest (and the card) say about text in the pixels."""
    if screen is None:
        return {"ocr": False, "statement": "pixels were not screened for burned-in text (build without --ocr); "
                                           "only images flagged BurnedInAnnotation were removed"}
    return {"ocr": True, "engine": "rapidocr-onnxruntime", "allowed_words": list(screen.words),
            "statement": "every image was read with OCR; images with text beyond the allowed marker words "
                         "were rejected (burned_in_text)"}


def _write_meta(tmp: Path, manifest: dict, deidentifier: deid.Deidentifier, config: BuildConfig) -> None:
    """manifest.json and README.md, leak-scanned on their own before they join the build.

    The manifest is scanned whole; of the card only the lines the build filled in (the template's prose,
    "Military Hospital 175" and its figures, is the project's text, not data), and without short bare
    numbers (a count in a table is not a patient's id); croissant.json is the manifest's facts in the
    project's words, so it is not scanned apart.
    """
    meta = Path(tempfile.mkdtemp(prefix=".meta-", dir=tmp.parent))
    try:
        (meta / schema.MANIFEST).write_text(manifest_text(manifest), encoding="utf-8")
        scan = leakscan.scan_folder(meta, deidentifier.phi_values)  # the manifest: all that meta holds so far
        card_text = card.render_card(manifest, folder=tmp)
        template = set(card.CARD_TEMPLATE.read_text(encoding="utf-8").splitlines())
        scanned = meta / ".scan"
        scanned.mkdir()
        (scanned / schema.CARD).write_text("\n".join(line for line in card_text.splitlines() if line not in template),
                                           encoding="utf-8")
        words = [v for v in deidentifier.phi_values if not (v.strip().isdigit() and len(v.strip()) < 6)]
        card_scan = leakscan.scan_folder(scanned, words)
        shutil.rmtree(scanned)
        (meta / schema.CARD).write_text(card_text, encoding="utf-8")
        (meta / croissant.CROISSANT).write_text(croissant.croissant_text(manifest), encoding="utf-8")
        if not (scan.clean and card_scan.clean):
            raise DeidError("leak scan found identifying values in manifest.json / README.md; nothing was written")
        _residual_check(meta, config)
        for name in (schema.MANIFEST, schema.CARD, croissant.CROISSANT):
            os.replace(meta / name, tmp / name)
    finally:
        shutil.rmtree(meta, ignore_errors=True)

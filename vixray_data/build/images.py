"""The images of the records being written: produced, checked and screened in a pool, handed back in write order.

Producing an image (rendering the demo's, converting a DICOM file, copying a PNG, ``--ocr``) happens in
forked worker processes when it is real work, or in threads when every image is a file copy (reads, checksums and
one decode release the GIL, and pickling the bytes back from processes would cost more). Whatever needs decoded
pixels (a copy's read check, pixel digest, OCR) reads the one decode (or drawing) of each image, in the worker, and
nothing is produced in the main process; bytes are checked once (by the copy, or here when their producer neither
checked nor encoded them), and ``--verify structure`` leaves a copy's pixels undecoded. At most a few chunks are in
flight, so memory stays flat in the number of records. A worker that dies (the OOM killer's SIGKILL, a crash in a
decoder) fails the build at once, naming the record it held.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from ..config import BuildConfig
from ..errors import RecordError, WorkerError
from ..ocr import TextScreen
from ..records import CleanRecord, EncodedImage

log = logging.getLogger(__name__)

IMAGE_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG"}
#: Records handed to a worker at a time: large enough to amortise IPC, small enough to keep order cheap.
CHUNK = 8

#: (record index, the image or None, (reason, detail) of a RecordError or None)
Produced = tuple[int, EncodedImage | None, tuple[str, str] | None]


def check_image(image: EncodedImage, ref: str) -> EncodedImage:
    """Refuse bytes that are not the image format they claim (cheap: headers and PNG checksums)."""
    expected = IMAGE_FORMATS.get(image.ext.lower())
    if expected is None:
        raise RecordError(ref, "bad_image_format", f"unsupported image extension {image.ext!r}")
    try:
        with Image.open(io.BytesIO(image.data)) as probe:
            actual = probe.format
            probe.verify()
    except Exception as exc:  # PIL raises many types for corrupt data
        raise RecordError(ref, "undecodable_image", type(exc).__name__) from None  # the type: no data-derived text
    if actual != expected:
        raise RecordError(ref, "bad_image_format", f"bytes are {actual}, extension says {image.ext}")
    return image


def screen_image(image: EncodedImage, ref: str, screen: TextScreen | None) -> EncodedImage:
    """Reject images carrying text beyond radiographic markers (``--ocr``), reading the pixels the producer
    decoded or drew (the bytes only for a producer that exposes none); the image comes back without its pixels,
    so a worker holds one image's pixels at a time and none are pickled back."""
    if screen is not None:
        if image.pixels is not None:
            screen.check_pixels(image.pixels, ref)
        else:
            screen.check(image.data, ref)
    return replace(image, pixels=None) if image.pixels is not None else image


@dataclass(frozen=True)
class Producer:
    """Produces, checks and screens the images of records by index; ``busy`` (shared with the main process) holds,
    per record, the pid of the worker producing it (0 when none), so a worker that dies can be named."""

    records: Sequence[CleanRecord]
    screen: TextScreen | None = None
    busy: Any = None
    verify: str = "pixels"  # BuildConfig.verify: "structure" leaves the pixels of a file copy undecoded

    def produce(self, record: CleanRecord) -> EncodedImage:
        """The record's image, checked once: bytes whose producer checked them (``checked``: the PNG/JPEG copy walked
        every chunk with its CRC) or that come with the pixels the producer decoded from them or encoded into them
        (DICOM conversion, the demo's drawing) are not checked again here. ``--verify structure`` takes a producer's
        ``structure()`` when it has one, unless ``--ocr`` needs the pixels."""
        structure = getattr(record.image, "structure", None) if self.verify == "structure" else None
        if structure is not None and self.screen is None:
            return structure()
        image = record.image()
        if getattr(record.image, "checked", False) or image.pixels is not None:
            return image
        return check_image(image, record.ref)

    def __call__(self, indices: Sequence[int]) -> list[Produced]:
        out: list[Produced] = []
        pid = os.getpid()
        for index in indices:
            record = self.records[index]
            if self.busy is not None:
                self.busy[index] = pid
            try:
                out.append((index, screen_image(self.produce(record), record.ref, self.screen), None))
            except RecordError as exc:
                out.append((index, None, (exc.reason, exc.detail)))
            if self.busy is not None:
                self.busy[index] = 0
        return out


# A forked worker gets its Producer from the pool's initializer: with the fork start method the initializer's
# arguments reach the child without pickling, so image callables need not be picklable. Only ints go out to a
# worker and only bytes come back.
_worker_producer: Producer | None = None


def _start_worker(producer: Producer) -> None:
    global _worker_producer
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # workers just die when the pool is terminated
    _worker_producer = producer


def _produce_in_worker(indices: Sequence[int]) -> list[Produced]:
    assert _worker_producer is not None, "the pool's initializer sets the producer"
    return _worker_producer(indices)


def image_checks(records: Sequence[CleanRecord], config: BuildConfig) -> str:
    """What the build did to check its images, for the manifest: ``structure`` when ``--verify structure`` left
    every image undecoded but those whose pixels had to change or be read (no ``--ocr``; every producer a file
    copy that can), else ``pixels`` (each image decoded once: DICOM conversion and rendering always decode)."""
    if config.verify == "structure" and not config.ocr and all(hasattr(r.image, "structure") for r in records):
        return "structure"
    return "pixels"


def num_proc(config: BuildConfig) -> int:
    return max(1, config.num_proc if config.num_proc is not None else (os.cpu_count() or 1))


def use_workers(records: Sequence[CleanRecord], num_proc: int, screen: TextScreen | None) -> int:
    """Worker processes (``num_proc``) when producing an image is real work: rendering (the demo), DICOM
    conversion, OCR, or a producer that does not say otherwise; 1 (threads) when every image is a file copy
    whose producer says it is ``light``. Decided from the producers, without producing anything here."""
    if num_proc <= 1 or len(records) <= 1:
        return 1
    if screen is None and all(getattr(record.image, "light", False) for record in records):
        log.debug("images are file copies: %d thread(s)", num_proc)
        return 1
    return num_proc


def _exit_text(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"


class ImagePool:
    """The images of ``records`` in the order asked for, produced by ``workers`` forked processes (when more than
    one) or ``threads`` threads. A context manager: leaving it shuts the pool down."""

    def __init__(
        self,
        records: Sequence[CleanRecord],
        *,
        threads: int,
        workers: int,
        screen: TextScreen | None = None,
        verify: str = "pixels",
    ) -> None:
        self.records = records
        self.ahead = 2 * max(workers, threads) + 2  # chunks in flight
        self._processes: dict[int, Any] = {}
        self._busy: Any = None
        if workers > 1:  # a dead worker breaks a concurrent.futures pool instead of hanging it
            context = multiprocessing.get_context("fork")
            self._busy = context.RawArray("i", len(records))
            self._pool: ProcessPoolExecutor | ThreadPoolExecutor = ProcessPoolExecutor(
                workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(Producer(records, screen, self._busy, verify),),
            )
        else:
            self._pool = ThreadPoolExecutor(threads)
            self._producer = Producer(records, screen, verify=verify)

    def _submit(self, chunk: Sequence[int]) -> Future:
        if isinstance(self._pool, ThreadPoolExecutor):
            return self._pool.submit(self._producer, chunk)
        future = self._pool.submit(_produce_in_worker, chunk)
        if not self._processes:  # forked on the first submit; kept to read exit codes if one dies
            self._processes = dict(getattr(self._pool, "_processes", None) or {})
        return future

    def images(self, indices: Sequence[int]) -> Iterator[Produced]:
        """What :class:`Producer` gives for each of ``indices``, in order; WorkerError when a worker died."""
        pending: deque[Future] = deque()
        try:
            for start in range(0, len(indices), CHUNK):
                pending.append(self._submit(indices[start : start + CHUNK]))
                if len(pending) >= self.ahead:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        except BrokenProcessPool:
            raise self._death() from None

    def _death(self) -> WorkerError:
        """The error for a broken pool: the record(s) the dead worker held, and the signal that killed it."""
        busy = {index: pid for index, pid in enumerate(self._busy) if pid}
        for process in self._processes.values():
            process.join(timeout=5)
        codes = {pid: process.exitcode for pid, process in self._processes.items()}
        # the pool terminates the surviving workers (SIGTERM) once one has died: the culprit exited otherwise
        dead = {pid for pid, code in codes.items() if code is not None and code != -signal.SIGTERM}
        held = [i for i, pid in busy.items() if pid in dead] or list(busy)
        how = ", ".join(sorted({_exit_text(codes[pid]) for pid in dead})) or "died"
        what = "; ".join(self.records[i].ref for i in held[:3]) or "no record in flight"
        hint = (
            " (SIGKILL is usually the out-of-memory killer: try fewer --num-proc)"
            if any(codes[pid] == -signal.SIGKILL for pid in dead)
            else ""
        )
        return WorkerError(f"an image worker process {how} while producing {what}{hint}; nothing was written")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ImagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

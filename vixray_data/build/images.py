"""The images of the records being written: produced, checked and screened in a pool, handed back in write order.

Producing an image (rendering the demo's, converting a DICOM file, copying a PNG, ``--ocr``) happens in
forked worker processes when it is real work, or in threads when every image is a file copy (reads, checksums and
one decode release the GIL, and pickling the bytes back from processes would cost more). Whatever needs decoded
pixels (a copy's read check, pixel digest, OCR) reads the one decode (or drawing) of each image, in the worker, and
nothing is produced in the main process; bytes are checked once (by the copy, or here when their producer neither
checked nor encoded them), and ``--verify structure`` leaves a copy's pixels undecoded. The pool consumes a stream
of records: records reach forked workers
through the fork (image callables need not be picklable), so the workers are forked afresh for each window of
:data:`WINDOW` records read; at most a window of records and a few chunks of images are held, so memory stays flat
in the number of records. What many images share (a producer's ``prepare``: the demo's anatomy) is made once in
the main process before each fork, so the workers inherit it. A worker that dies (the OOM killer's SIGKILL, a crash
in a decoder) fails the build at once, naming the record it held.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, TypeVar

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


def image_checks(structured: bool, config: BuildConfig) -> str:
    """What the build did to check its images, for the manifest: ``structure`` when ``--verify structure`` left
    every image undecoded but those whose pixels had to change or be read (no ``--ocr``; every producer a file
    copy that can: ``structured``, gathered while reading), else ``pixels`` (each image decoded once: DICOM
    conversion and rendering always decode)."""
    if config.verify == "structure" and not config.ocr and structured:
        return "structure"
    return "pixels"


def has_structure(image: Any) -> bool:
    """Whether a record's image producer can check its bytes without decoding them (``--verify structure``)."""
    return hasattr(image, "structure")


def num_proc(config: BuildConfig) -> int:
    return max(1, config.num_proc if config.num_proc is not None else (os.cpu_count() or 1))


def use_workers(records: Sequence[CleanRecord], num_proc: int, screen: TextScreen | None) -> int:
    """Worker processes (``num_proc``) when producing an image is real work: rendering (the demo), DICOM
    conversion, OCR, or a producer that does not say otherwise; 1 (threads) when every image is a file copy
    whose producer says it is ``light``. Decided from the producers, without producing anything here."""
    return workers_for(len(records), all(is_light(record.image) for record in records), num_proc, screen)


def is_light(image: Any) -> bool:
    """Whether an image producer says it is a file copy (``light``): threads are enough for those."""
    return bool(getattr(image, "light", False))


def workers_for(count: int, light: bool, num_proc: int, screen: TextScreen | None) -> int:
    """:func:`use_workers` for ``count`` records whose producers are all ``light`` or not (known before the
    records are held: the builder notes it as it reads)."""
    if num_proc <= 1 or count <= 1:
        return 1
    if screen is None and light:
        log.debug("images are file copies: %d thread(s)", num_proc)
        return 1
    return num_proc


def _exit_text(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"


#: Records held by one fork of the worker processes: they reach the workers through the fork (never pickled), so
#: the workers are forked afresh for each window of records read; large enough to amortise the fork.
WINDOW = 512

T = TypeVar("T")


class _Workers:
    """Worker processes forked over one window of records: they produce its images by index."""

    def __init__(self, records: Sequence[CleanRecord], workers: int, screen: TextScreen | None, verify: str) -> None:
        context = multiprocessing.get_context("fork")
        for record in records:  # work shared by many images (the demo's anatomy), done once here and inherited
            prepare = getattr(record.image, "prepare", None)
            if prepare is not None:
                prepare()
        self.records = records
        self.busy: Any = context.RawArray("i", len(records))
        self.processes: dict[int, Any] = {}
        self.executor = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(Producer(records, screen, self.busy, verify),),
        )  # a dead worker breaks a concurrent.futures pool instead of hanging it

    def submit(self, chunk: Sequence[int]) -> Future:
        future = self.executor.submit(_produce_in_worker, chunk)
        if not self.processes:  # forked on the first submit; kept to read exit codes if one dies
            self.processes = dict(getattr(self.executor, "_processes", None) or {})
        return future

    def death(self) -> WorkerError:
        """The error for a broken pool: the record(s) the dead worker held, and the signal that killed it."""
        busy = {index: pid for index, pid in enumerate(self.busy) if pid}
        for process in self.processes.values():
            process.join(timeout=5)
        codes = {pid: process.exitcode for pid, process in self.processes.items()}
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
        self.executor.shutdown(wait=True, cancel_futures=True)


class ImagePool:
    """The images of a stream of records, in the stream's order, produced by ``workers`` forked processes (when
    more than one) or ``threads`` threads. At most :data:`WINDOW` records are held, and a few chunks of images in
    flight. A context manager: leaving it shuts the pool down."""

    def __init__(self, *, threads: int, workers: int, screen: TextScreen | None = None, verify: str = "pixels") -> None:
        self.screen, self.workers, self.verify = screen, workers, verify
        self.ahead = 2 * max(workers, threads) + 2  # chunks in flight
        self._threads = ThreadPoolExecutor(threads) if workers <= 1 else None

    def stream(
        self, tagged: Iterable[tuple[CleanRecord, T]]
    ) -> Iterator[tuple[CleanRecord, T, EncodedImage | None, tuple[str, str] | None]]:
        """For each (record, tag) read from ``tagged``: the record, its tag, and what :class:`Producer` gives for it
        (the image, or the reason and detail of its RecordError); WorkerError when a worker died."""
        items = iter(tagged)
        while window := list(islice(items, WINDOW)):
            yield from self._window(window)

    def _window(
        self, window: list[tuple[CleanRecord, T]]
    ) -> Iterator[tuple[CleanRecord, T, EncodedImage | None, tuple[str, str] | None]]:
        records = [record for record, _ in window]
        workers = _Workers(records, self.workers, self.screen, self.verify) if self._threads is None else None
        producer = Producer(records, self.screen, verify=self.verify)
        pending: deque[Future] = deque()
        try:
            for start in range(0, len(records), CHUNK):
                chunk = list(range(start, min(start + CHUNK, len(records))))
                pending.append(workers.submit(chunk) if workers else self._submit(producer, chunk))
                while len(pending) >= self.ahead or (pending and start + CHUNK >= len(records)):
                    for index, image, error in pending.popleft().result():
                        yield records[index], window[index][1], image, error
        except BrokenProcessPool:
            assert workers is not None, "only a process pool breaks"
            raise workers.death() from None
        finally:
            if workers is not None:
                workers.close()

    def _submit(self, producer: Producer, chunk: Sequence[int]) -> Future:
        assert self._threads is not None
        return self._threads.submit(producer, chunk)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ImagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The build's output folder: written in a temporary folder beside ``out``, swapped in atomically.

Output goes to a temporary folder beside ``out`` (inside it when ``out`` is a mount point) and only replaces ``out``
once every check passed; any failure (an exception, SIGTERM, Ctrl-C) removes the temporary folder and leaves an
existing ``out`` as it was, and a later build removes the temporary folders of builds that were killed.
:func:`check_location` runs before anything is read: a read-only, unwritable or too small place fails in one line
then, not after the whole build.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import schema
from ..errors import OutputError

log = logging.getLogger(__name__)


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A temporary folder for the build of ``out`` (see :func:`prepare`), removed when the block fails, SIGTERM
    included; the block ends with :func:`swap_in`."""
    tmp = prepare(out)
    try:
        with _terminate_as_interrupt():
            yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
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


#: Bytes per pixel of a demo image as written (PNG of a radiograph-like picture): 42.7 kB for 512 x 512 px measured.
DEMO_BYTES_PER_PIXEL = 0.2
#: Room kept free beyond the estimate: the card, manifest, parquet overhead, and the estimate's error.
MARGIN_BYTES = 64 * 2**20


def estimate_size(config) -> int:
    """A rough estimate of the bytes the build of ``config`` writes: the demo's image bytes from its size, or the
    size of the files under the export (its images are re-encoded; a 16-bit PNG may be bigger than its DICOM)."""
    if config.source is None:
        return int(config.demo_size * config.demo_image_size**2 * DEMO_BYTES_PER_PIXEL)
    total = 0
    for root, _, files in os.walk(config.source):  # sizes only: nothing of the export is read
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def _existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(place: Path) -> str | None:
    """Why nothing can be written in ``place``, or None."""
    try:
        if os.statvfs(place).f_flag & os.ST_RDONLY:
            return f"{place} is on a read-only file system"
    except OSError as exc:
        return f"cannot inspect {place}: {exc.strerror or exc}"
    if not os.access(place, os.W_OK | os.X_OK):
        return f"no permission to write in {place}"
    return None


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def check_location(out: Path, needed: int) -> None:
    """Fail now, in one line, when the build could not be written where ``out`` says: a read-only mount, a folder
    without write permission, or less free space than ``needed`` (an estimate) plus a margin."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {out} exists and is not a folder")
    place = out if _inside(out) else _existing(out.parent)  # where the temporary folder will go
    why = _writable(place)
    if why is not None and place != out and out.is_dir() and _writable(out) is None:
        place, why = out, None  # a writable volume under a read-only parent: the build goes inside it
    if why is not None:
        raise OutputError(f"cannot write the output {out}: {why}")
    stats = os.statvfs(place)
    free = stats.f_bavail * stats.f_frsize
    if free < needed + MARGIN_BYTES:
        raise OutputError(
            f"not enough room for the output {out}: {_size(free)} free in {place}, the build needs "
            f"about {_size(needed + MARGIN_BYTES)} (an estimate from the source's size)"
        )


def prepare(out: Path) -> Path:
    """Create the temporary folder beside ``out`` (inside it when ``out`` is a mount point); refuse to
    replace a folder that is not a build. The folder gets the user's umask (mkdtemp makes it 0700)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / schema.MANIFEST).exists():
        raise OutputError(
            f"refusing to replace {out}: it is not empty and holds no {schema.MANIFEST} (not a ViX-Ray build)"
        )
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


def swap_in(tmp: Path, out: Path) -> None:
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

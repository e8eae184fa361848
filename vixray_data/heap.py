"""glibc's heap told to give back what a build freed, so a build's memory follows what it holds, not what it once
held (the value index's arrays re-made at each merge, a stage's rows and texts). Without glibc these do nothing."""

from __future__ import annotations

import ctypes
import functools
from typing import Any

#: Blocks of this size or more are mapped by glibc's malloc and unmapped when freed (see :func:`map_large_blocks`).
LARGE_BLOCK = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number


@functools.lru_cache(maxsize=1)
def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None  # glibc's


def give_back() -> None:
    """The heap's free pages back to the system (``malloc_trim``): what a merge of the value index or a build stage
    freed would otherwise stay resident, as heap blocks between live ones, under what comes next (an index of 11 MiB
    took 43 MiB, 25 MiB with this; 13 MiB stayed after writing 50k records)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def map_large_blocks() -> None:
    """Fix glibc's mmap threshold at :data:`LARGE_BLOCK` for the process: by default it rises to the size of the
    largest mapped block freed (up to 32 MiB), so that the value index's arrays, re-made at each merge, then come
    from the heap, whose freed blocks stay resident between smaller live ones."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK)

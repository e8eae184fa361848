"""Worker processes for the statistics and the evaluation, stopped by one Ctrl-C.

A terminal's Ctrl-C reaches every process of the foreground group. Workers that took it would each print a
``KeyboardInterrupt`` trace, and one interrupted while holding the pool's queue lock leaves the parent waiting on a
semaphore until a second Ctrl-C. So workers ignore SIGINT (from their first instruction: they are forked while the
parent only notes it, and their initializer ignores it), the parent alone raises ``KeyboardInterrupt`` (at once, or
once the workers are forked for a Ctrl-C that came while they were), and leaving the block on any exception
terminates the workers.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def process_pool(processes: int) -> Iterator[multiprocessing.pool.Pool]:
    """A ``multiprocessing`` pool (forked where the platform can) whose workers ignore Ctrl-C; terminated when the
    block raises, closed and joined when it ends."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    main = threading.current_thread() is threading.main_thread()
    deferred: list[int] = []
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # started in the background: Ctrl-C is not ours
    note = signal.SIG_IGN if ignored else (lambda signum, frame: deferred.append(signum))
    previous = signal.signal(signal.SIGINT, note) if main else None
    try:
        pool = multiprocessing.get_context(method).Pool(processes, initializer=_ignore_interrupts)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    if deferred:  # a Ctrl-C while the workers were being forked: not lost, acted on now
        pool.terminate()
        pool.join()
        raise KeyboardInterrupt
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()

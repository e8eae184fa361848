"""Sources: where records come from. A new input format is a new reader here, nothing else changes.

A source is iterable over ``RawRecord | Reject`` (a record it could not even read is a Reject,
never silently skipped) and describes itself in ``summary()`` for the manifest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from ..config import BuildConfig
from ..records import RawRecord, Reject


class Source(Protocol):
    is_demo: bool

    def __iter__(self) -> Iterator[RawRecord | Reject]: ...

    def summary(self) -> dict: ...


def open_source(config: BuildConfig) -> Source:
    """The demo generator when no SOURCE is given, else the hospital-export reader."""
    if config.source is None:
        from .demo import DemoSource

        return DemoSource(config)
    from .export import ExportSource

    return ExportSource(config)

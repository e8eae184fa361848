"""Precise exceptions. The library raises these; the CLI turns each into one line and an exit code."""

from __future__ import annotations


class VixrayError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class SourceError(VixrayError):
    """A source path is missing, unreadable or in no format we know."""

    exit_code = 2


class ManifestError(SourceError):
    """A folder's manifest.json is missing, unreadable, or not a build's manifest (names the file and the key)."""


class SchemaError(VixrayError):
    """Columns cannot be mapped onto the canonical schema."""

    exit_code = 2


class RecordError(VixrayError):
    """One record is unusable; ``reason`` is a short machine-readable code, ``ref`` names the record."""

    def __init__(self, ref: str, reason: str, detail: str = "") -> None:
        self.ref, self.reason, self.detail = ref, reason, detail
        super().__init__(f"{ref}: {reason}" + (f" ({detail})" if detail else ""))


class StrictModeError(VixrayError):
    """``--strict`` turned a rejected record into a failed build."""

    exit_code = 3


class WorkerError(VixrayError):
    """An image worker process died (killed by the OOM killer, a crash in a decoder); names the record it held."""


class DeidError(VixrayError):
    """De-identification cannot proceed (no key for a real source, a PHI leak found, ...)."""

    exit_code = 4


class ValidationError(VixrayError):
    """A built folder fails ``vixray validate``; ``problems`` lists every failure."""

    exit_code = 5

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:5]))


class EvaluationError(VixrayError):
    """Predictions cannot be scored (malformed lines, missing fields, unknown ids, judge failures)."""

    exit_code = 6


class OutputError(VixrayError):
    """The output folder cannot be written (or is not a build this tool may replace)."""

    exit_code = 2


class SplitError(VixrayError):
    """Split sizes or ratios that cannot be honoured."""

    exit_code = 2


class SegmenterError(VixrayError):
    """A segmentation backend is unknown or not installed."""

    exit_code = 2


class PublishError(VixrayError):
    """The build cannot be published (not logged in, bad repo id, the hub refused)."""

    exit_code = 7

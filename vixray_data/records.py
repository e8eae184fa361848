"""What flows between the pipeline stages: source -> RawRecord -> de-identify -> CleanRecord -> split -> write.

A source never decides what leaves the builder: it hands over everything it read, PHI included
(in ``phi``), and the de-identification stage builds the allow-listed row from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class EncodedImage:
    """Image bytes ready for the parquet ``image`` column, with no metadata chunks."""

    data: bytes
    ext: str  # "png" or "jpg": the pseudonymous file name's extension
    # Set by sources whose duplicate check needs the decoded pixels: the builder compares them in write order.
    file_sha256: str | None = None  # of the source file
    pixel_sha256: str | None = None  # of its decoded pixels (mode, size, samples)
    # The pixels the producer decoded or drew for these bytes (a loaded Pillow image or a numpy array), so the
    # worker's pixel checks (``--ocr``) read them instead of decoding the bytes again. Set only by the producer
    # and dropped by the builder's worker before the image leaves it: one image's pixels per worker, never pickled.
    pixels: Any = field(default=None, compare=False, repr=False)


@dataclass
class RawRecord:
    """One study as a source read it. Never written as is."""

    ref: str  # where it came from (file path, table row): for messages and rejects.jsonl only
    study_key: str  # source identifier of the study; HMAC'd into ``id``
    patient_key: str | None  # source identifier of the patient; HMAC'd, used for patient-level splits
    fields: dict[str, Any]  # schema fields other than id/image, as read (age may still be a string)
    image: Callable[[], EncodedImage]  # produces PHI-free image bytes; may raise RecordError
    phi: dict[str, str] = field(default_factory=dict)  # identifying values seen: scrubbed from text, leak-scanned
    flags: dict[str, Any] = field(default_factory=dict)  # e.g. {"burned_in_annotation": "YES"}
    pixel_digest: str | None = None  # set by sources that can hash pixels cheaply (duplicate detection)


@dataclass(frozen=True)
class Reject:
    """A record that is not written, with its reason (a short code) and detail; goes to rejects.jsonl."""

    ref: str
    reason: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"ref": self.ref, "reason": self.reason, "detail": self.detail}


#: The builder's own references in rejects.jsonl: a table row number and a file pseudonym (``file`` + 12 hex
#: digits). Written by the builder, not read from data; a row number or an all-digit pseudonym must not read as
#: an identifying value or a record number to the scans (:func:`mask_refs`).
_REFS = re.compile(r"\b(?:row \d+|file [0-9a-f]{12})\b")


def mask_refs(text: str) -> str:
    """``text`` with the builder's references (``row 12``, ``file 3fa2…``) as ``<ref>``: what the scans read."""
    return _REFS.sub("<ref>", text)


@dataclass
class CleanRecord:
    """An allow-listed, de-identified record: only schema fields, a pseudonymous id and patient."""

    id: str
    patient: str | None  # pseudonymous patient key (not a schema field: used for splitting, then dropped)
    fields: dict[str, Any]  # age/sex/view/note/technique/findings/impressions, validated
    image: Callable[[], EncodedImage]
    ref: str  # kept in memory for messages only; never written


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Digests:
    """A set of lower-case SHA-256 hex digests in 16 bytes each (a Python set of the strings takes about 140): the
    first 128 bits as two numbers in sorted arrays, the latest digests in a small set merged in when it fills. Two
    digests are one when their first 128 bits are (by chance, odds of 2⁻¹²⁸ a pair). Anything else (another length,
    upper case) is kept as a string."""

    _PENDING = 4096

    def __init__(self) -> None:
        self._pending: set[str] = set()
        self._other: set[str] = set()
        self._high = np.zeros(0, np.uint64)  # bits 0-63, sorted
        self._low = np.zeros(0, np.uint64)  # bits 64-127 of the same digest

    @staticmethod
    def _halves(digest: str) -> tuple[int, int] | None:
        if not _SHA256_HEX.fullmatch(digest):  # lower case only: ``AB…`` and ``ab…`` are two strings
            return None
        return int(digest[:16], 16), int(digest[16:32], 16)

    def __contains__(self, digest: str) -> bool:
        if digest in self._pending or digest in self._other:
            return True
        halves = self._halves(digest)
        if halves is None or not len(self._high):
            return False
        high, low = halves
        lo, hi = np.searchsorted(self._high, high, "left"), np.searchsorted(self._high, high, "right")
        return bool(lo < hi and (self._low[lo:hi] == low).any())

    def add(self, digest: str) -> None:
        if digest in self:
            return
        if self._halves(digest) is None:
            self._other.add(digest)
            return
        self._pending.add(digest)
        if len(self._pending) >= self._PENDING:
            self._merge()

    def _merge(self) -> None:
        pending = sorted(self._pending)
        high = np.array([int(d[:16], 16) for d in pending], np.uint64)
        low = np.array([int(d[16:32], 16) for d in pending], np.uint64)
        at = np.searchsorted(self._high, high)
        self._high = np.insert(self._high, at, high)
        self._low = np.insert(self._low, at, low)
        self._pending = set()


class SeenImages:
    """Byte- and pixel-identical duplicates across one export: the first copy is written, later ones rejected."""

    def __init__(self) -> None:
        self._files = Digests()
        self._pixels = Digests()

    def check(self, ref: str, file_digest: str | None, pixel_digest: str | None, kind: str) -> Reject | None:
        """A Reject when an earlier image had these bytes or pixels, else None (and the digests are remembered)."""
        if file_digest is not None and file_digest in self._files:
            return Reject(ref, "duplicate_file", f"byte-identical to an earlier {kind}")
        if pixel_digest is not None and pixel_digest in self._pixels:
            return Reject(ref, "duplicate_pixels", f"pixels identical to an earlier {kind}")
        for seen, digest in ((self._files, file_digest), (self._pixels, pixel_digest)):
            if digest is not None:
                seen.add(digest)
        return None

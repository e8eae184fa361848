"""Leak scan: after writing, look for every identifying value seen in the inputs in every output byte.

(Interface first; the de-identification work fills in the variants it searches for.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ScanResult:
    values_checked: int
    files_scanned: int
    hits: list[dict] = field(default_factory=list)  # {"file": relative path, "value_sha256": ...}; never the value

    @property
    def clean(self) -> bool:
        return not self.hits

    def to_json(self) -> dict:
        return {"values_checked": self.values_checked, "files_scanned": self.files_scanned,
                "hits": len(self.hits), "hit_details": self.hits, "clean": self.clean}


def scan_folder(folder: Path, values: Iterable[str]) -> ScanResult:
    """Search every file under ``folder`` for each value (UTF-8 bytes)."""
    needles = sorted({v.strip() for v in values if v and len(v.strip()) >= 3})
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
    hits = []
    for path in files:
        blob = path.read_bytes()
        for value in needles:
            if value.encode("utf-8") in blob:
                hits.append({"file": str(path.relative_to(folder)),
                             "value_sha256": hashlib.sha256(value.encode()).hexdigest()})
    return ScanResult(values_checked=len(needles), files_scanned=len(files), hits=hits)

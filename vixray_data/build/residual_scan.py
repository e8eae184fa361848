"""The residual-PHI scan: any *kind* of PHI left in what a build wrote from data, found by the category
recognizers of :mod:`vixray_data.phi` (detection only, not the scrub's replacement step, so a weakened replacement
cannot hide from it). The builder runs it on its output and fails on any hit; ``vixray validate`` and
``vixray scan`` run it on a folder.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from .. import schema
from ..errors import DeidError
from ..phi import find_phi
from ..phi.spans import CATEGORIES as PHI_CATEGORIES
from ..phi.spans import VALUE
from .leak_scan import json_paths

log = logging.getLogger(__name__)

#: The categories looked for: every PHI category but the build's listed values (the leak scan's job).
CATEGORIES: tuple[str, ...] = tuple(c for c in PHI_CATEGORIES if c != VALUE)
#: What the scan covers, as the manifest and the card say it.
SCANNED = f"text columns of the shards, {schema.REJECTS}, {schema.MANIFEST}"


def _residual_hit(file: str, split: str | None, record: str | None, column: str, text: str) -> list[dict]:
    return [{"file": file, "split": split, "id": record, "column": column, "category": category}
            for category in sorted({span.category for span in find_phi(text)})]


#: What the builder itself writes in place of identifiers: a study/patient pseudonym (16 hex digits) and a file
#: reference (``file`` + 12 hex digits). About 1 in 2,000 of them is all digits and would read as a record number.
_PATIENT_PSEUDONYM = re.compile(r"[0-9a-f]{16}")
_FILE_REF = re.compile(r"\bfile [0-9a-f]{12}\b")
#: A version number the builder writes (its own, the lexicon's) under a key ending in ``version``.
_VERSION = re.compile(r"\d+(?:\.\d+){1,3}(?:[.+-]?[A-Za-z0-9]+)?")


def residual_scan(folder: Path) -> list[dict]:
    """Spans of any PHI kind left in what a build wrote from data, found by the category recognizers.

    Covers every text column of every shard (``data/*.parquet``), ``rejects.jsonl`` and ``manifest.json``
    (string values); not the card, whose text is the project's template. Each hit names file, split,
    record id, column and category, never the value. Independent of the scrub's replacement step.
    """
    import pyarrow.parquet as pq

    folder = Path(folder)
    hits: list[dict] = []
    for path in sorted((folder / "data").glob("*.parquet")):
        rel = path.relative_to(folder).as_posix()
        split = path.name.split("-")[0]
        try:
            table = pq.read_table(path, columns=[schema.ID, *schema.TEXT_FIELDS])
        except (OSError, ValueError, KeyError) as exc:  # not a shard of ours: validate reports it as such
            log.warning("residual scan: %s is not a readable shard (%s); skipped", rel, type(exc).__name__)
            continue
        ids = table.column(schema.ID).to_pylist()
        for name in schema.TEXT_FIELDS:
            for record, text in zip(ids, table.column(name).to_pylist(), strict=True):
                if text:
                    hits += _residual_hit(rel, split, record, name, text)
    rejects = folder / schema.REJECTS
    if rejects.is_file():
        for number, line in enumerate(rejects.read_text(encoding="utf-8").splitlines(), 1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                obj = {"line": line}
            for key, value in (obj.items() if isinstance(obj, dict) else ()):
                if isinstance(value, str):
                    value = _FILE_REF.sub("file <pseudonym>", value) if key == "ref" else value
                    hits += _residual_hit(schema.REJECTS, None, f"line {number}", key, value)
    manifest = folder / schema.MANIFEST
    if manifest.is_file():
        for where, text in json_paths(json.loads(manifest.read_text(encoding="utf-8")), ""):
            if where.startswith("patients") and _PATIENT_PSEUDONYM.fullmatch(text):  # the builder's HMAC pseudonyms
                continue
            if where.endswith("version") and _VERSION.fullmatch(text):  # "2026.12.1" is a release, not a date
                continue
            hits += _residual_hit(schema.MANIFEST, None, None, where or "(top)", text)
    return hits


def describe_residual(hit: dict) -> str:
    """One line naming where a residual hit is (no value)."""
    parts = [hit["file"]] + [f"{key} {hit[key]}" for key in ("split", "id", "column") if hit.get(key)]
    return f"{', '.join(parts)}: {hit['category']}"


def require_clean(folder: Path, *, report: Path | None = None, append: bool = False) -> None:
    """The build's gate: DeidError when the scan of ``folder`` finds any kind of PHI left, naming where (never the
    value). ``report`` (``--report-residual``) receives every hit as JSON Lines; ``append`` adds to it (the
    manifest is scanned apart from the shards)."""
    hits = residual_scan(folder)
    if report is not None:
        with open(report, "a" if append else "w", encoding="utf-8") as handle:
            for hit in hits:
                handle.write(json.dumps(hit, ensure_ascii=False, sort_keys=True) + "\n")
    if hits:
        where = "; ".join(describe_residual(h) for h in hits[:5])
        raise DeidError(f"residual PHI scan: {len(hits)} span kind(s) left in the output ({where}"
                        + (", ..." if len(hits) > 5 else "") + "); nothing was written"
                        + ("" if report else "; list them all with --report-residual PATH"))

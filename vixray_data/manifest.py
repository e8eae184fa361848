"""manifest.json, typed: what a build wrote, with one writer and one reader.

The builder writes :meth:`Manifest.text` (fixed key order and indentation: part of the build's determinism);
everything that reads a built folder (card, croissant, validate, review, publish, the shard reader) reads
:meth:`Manifest.read`, which raises :class:`~vixray_data.errors.ManifestError`, naming the file and the key, for a
manifest that is missing, unreadable or not a build's. Sections an older build may lack (``pixel_screening``,
``image_checks``, ``patients``, ``leak_scan``, ``residual_scan``) read as ``None`` and are left out when written back,
so a manifest reads and writes back to the same bytes; ``vixray validate`` reports the ones a release needs.

Two sections are other stages' own reports, carried as they gave them: ``source`` (the source's
``summary()``, whose keys depend on the kind of source) and ``deid`` (the de-identifier's audit).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema
from .errors import ManifestError

#: What ``image_checks`` may say (``BuildConfig.verify``'s choices).
IMAGE_CHECKS = ("pixels", "structure")


class _Invalid(Exception):
    """A key that is missing or of the wrong type; :meth:`Manifest.read` adds the file."""


_KINDS = {str: "a string", int: "a whole number", bool: "true or false", dict: "an object", list: "a list"}


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _value(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Invalid(f"{where} is not {_KINDS[kind]}")
    return value


def _take(obj: dict, key: str, kind: type, where: str, *, optional: bool = False) -> Any:
    """``obj[key]`` checked to be a ``kind``; None for a missing ``optional`` key."""
    if key not in obj:
        if optional:
            return None
        raise _Invalid(f"no {_at(where, key)}")
    return _value(obj[key], kind, _at(where, key))


def _strings(values: list, where: str) -> tuple[str, ...]:
    return tuple(_value(v, str, f"{where}[{i}]") for i, v in enumerate(values))


@dataclass(frozen=True)
class Builder:
    name: str
    version: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version}

    @classmethod
    def from_json(cls, obj: dict, where: str) -> Builder:
        return cls(name=_take(obj, "name", str, where), version=_take(obj, "version", str, where))


@dataclass(frozen=True)
class ShardInfo:
    """One written shard, as the manifest lists it."""

    path: str  # relative to the output folder, posix
    sha256: str
    bytes: int
    num_rows: int
    row_groups: int
    max_row_group_bytes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "num_rows": self.num_rows,
            "row_groups": self.row_groups,
            "max_row_group_bytes": self.max_row_group_bytes,
        }

    @classmethod
    def from_json(cls, obj: dict, where: str) -> ShardInfo:
        return cls(
            path=_take(obj, "path", str, where),
            sha256=_take(obj, "sha256", str, where),
            bytes=_take(obj, "bytes", int, where),
            num_rows=_take(obj, "num_rows", int, where),
            row_groups=_take(obj, "row_groups", int, where),
            max_row_group_bytes=_take(obj, "max_row_group_bytes", int, where),
        )


@dataclass(frozen=True)
class SplitInfo:
    """A split that holds records: how many, and its shards in order."""

    num_examples: int
    shards: tuple[ShardInfo, ...]

    @property
    def bytes(self) -> int:
        return sum(shard.bytes for shard in self.shards)

    def to_json(self) -> dict[str, Any]:
        return {"num_examples": self.num_examples, "shards": [shard.to_json() for shard in self.shards]}

    @classmethod
    def from_json(cls, obj: dict, where: str) -> SplitInfo:
        shards = _take(obj, "shards", list, where)
        return cls(
            num_examples=_take(obj, "num_examples", int, where),
            shards=tuple(
                ShardInfo.from_json(_value(s, dict, f"{where}.shards[{i}]"), f"{where}.shards[{i}]")
                for i, s in enumerate(shards)
            ),
        )


@dataclass(frozen=True)
class SplitCounts:
    written: int


@dataclass(frozen=True)
class Counts:
    """Records read, written and rejected (by reason); written per split, empty splits included."""

    read: int
    written: int
    rejected: int
    rejected_by_reason: dict[str, int]
    per_split: dict[str, SplitCounts]
    #: patients (a record without a patient key counts one each): there cannot be more non-empty splits
    split_groups: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "read": self.read,
            "written": self.written,
            "rejected": self.rejected,
            "rejected_by_reason": dict(self.rejected_by_reason),
            "per_split": {s: {"written": c.written} for s, c in self.per_split.items()},
        }
        if self.split_groups is not None:
            out["split_groups"] = self.split_groups
        return out

    @classmethod
    def from_json(cls, obj: dict, where: str) -> Counts:
        reasons = _take(obj, "rejected_by_reason", dict, where)
        per_split = _take(obj, "per_split", dict, where)
        return cls(
            read=_take(obj, "read", int, where),
            written=_take(obj, "written", int, where),
            rejected=_take(obj, "rejected", int, where),
            rejected_by_reason={r: _value(n, int, f"{where}.rejected_by_reason.{r}") for r, n in reasons.items()},
            per_split={
                s: SplitCounts(
                    _take(_value(v, dict, f"{where}.per_split.{s}"), "written", int, f"{where}.per_split.{s}")
                )
                for s, v in per_split.items()
            },
            split_groups=_take(obj, "split_groups", int, where, optional=True),
        )


@dataclass(frozen=True)
class PixelScreening:
    """Whether the pixels were read for burned-in text (``--ocr``), said in a sentence the card and review show."""

    ocr: bool
    statement: str
    engine: str | None = None
    allowed_words: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ocr": self.ocr}
        if self.engine is not None:
            out["engine"] = self.engine
        if self.allowed_words is not None:
            out["allowed_words"] = list(self.allowed_words)
        out["statement"] = self.statement
        return out

    @classmethod
    def from_json(cls, obj: dict, where: str) -> PixelScreening:
        words = _take(obj, "allowed_words", list, where, optional=True)
        return cls(
            ocr=_take(obj, "ocr", bool, where),
            statement=_take(obj, "statement", str, where),
            engine=_take(obj, "engine", str, where, optional=True),
            allowed_words=None if words is None else _strings(words, _at(where, "allowed_words")),
        )


@dataclass(frozen=True)
class Limits:
    row_group_bytes: int
    shard_bytes: int

    def to_json(self) -> dict[str, Any]:
        return {"row_group_bytes": self.row_group_bytes, "shard_bytes": self.shard_bytes}

    @classmethod
    def from_json(cls, obj: dict, where: str) -> Limits:
        return cls(
            row_group_bytes=_take(obj, "row_group_bytes", int, where), shard_bytes=_take(obj, "shard_bytes", int, where)
        )


@dataclass(frozen=True)
class LeakScanSummary:
    """The leak scan the build passed: values searched for, files searched, hits (file and where, a value's sha256)."""

    values_checked: int
    files_scanned: int
    hits: int
    hit_details: tuple[dict[str, str], ...]
    clean: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "values_checked": self.values_checked,
            "files_scanned": self.files_scanned,
            "hits": self.hits,
            "hit_details": [dict(hit) for hit in self.hit_details],
            "clean": self.clean,
        }

    @classmethod
    def from_json(cls, obj: dict, where: str) -> LeakScanSummary:
        details = _take(obj, "hit_details", list, where)
        return cls(
            values_checked=_take(obj, "values_checked", int, where),
            files_scanned=_take(obj, "files_scanned", int, where),
            hits=_take(obj, "hits", int, where),
            hit_details=tuple(_value(h, dict, f"{where}.hit_details[{i}]") for i, h in enumerate(details)),
            clean=_take(obj, "clean", bool, where),
        )


@dataclass(frozen=True)
class ResidualScanSummary:
    """The residual-PHI screen and scan: the detectors, the records the per-record screen quarantined (by
    detector), and the post-write scan the build passed (the categories looked for, where, its hits). Builds
    before the screen lack ``detectors`` and the quarantine counts (``None``, left out when written back)."""

    hits: int
    categories: tuple[str, ...]
    scanned: str
    detectors: tuple[str, ...] | None = None
    quarantined: int | None = None  # records not written: residual PHI in their text (rejects.jsonl: residual_phi)
    quarantined_by_detector: dict[str, int] | None = None  # a record two detectors flag counts under both

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hits": self.hits, "categories": list(self.categories), "scanned": self.scanned}
        if self.detectors is not None:
            out["detectors"] = list(self.detectors)
        if self.quarantined is not None:
            out["quarantined"] = self.quarantined
        if self.quarantined_by_detector is not None:
            out["quarantined_by_detector"] = dict(self.quarantined_by_detector)
        return out

    @classmethod
    def from_json(cls, obj: dict, where: str) -> ResidualScanSummary:
        detectors = _take(obj, "detectors", list, where, optional=True)
        by = _take(obj, "quarantined_by_detector", dict, where, optional=True)
        return cls(
            hits=_take(obj, "hits", int, where),
            categories=_strings(_take(obj, "categories", list, where), _at(where, "categories")),
            scanned=_take(obj, "scanned", str, where),
            detectors=None if detectors is None else _strings(detectors, _at(where, "detectors")),
            quarantined=_take(obj, "quarantined", int, where, optional=True),
            quarantined_by_detector=None
            if by is None
            else {d: _value(n, int, f"{where}.quarantined_by_detector.{d}") for d, n in by.items()},
        )


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """A build's manifest.json; fields in the file's key order."""

    builder: Builder
    seed: int
    source: dict[str, Any]  # the source's summary()
    splits: dict[str, SplitInfo]  # the splits holding records, in schema order (an empty split is left out)
    counts: Counts
    pixel_screening: PixelScreening | None = None
    #: how the images were checked: "pixels" (each decoded once) or "structure" (``--verify structure``: chunks,
    #: CRCs and sizes, duplicates by compressed data); None for builds before the choice existed
    image_checks: str | None = None
    limits: Limits
    patients: dict[str, tuple[str, ...]] | None = None  # split -> pseudonymous patient keys, sorted
    deid: dict[str, Any]  # the de-identifier's audit
    leak_scan: LeakScanSummary | None = None
    residual_scan: ResidualScanSummary | None = None
    synthetic: bool

    @property
    def num_examples(self) -> int:
        return sum(info.num_examples for info in self.splits.values())

    def shards(self) -> list[ShardInfo]:
        """Every shard, split after split."""
        return [shard for info in self.splits.values() for shard in info.shards]

    # -- the one writer ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "builder": self.builder.to_json(),
            "seed": self.seed,
            "source": self.source,
            "splits": {s: info.to_json() for s, info in self.splits.items()},
            "counts": self.counts.to_json(),
        }
        if self.pixel_screening is not None:
            out["pixel_screening"] = self.pixel_screening.to_json()
        if self.image_checks is not None:
            out["image_checks"] = self.image_checks
        out["limits"] = self.limits.to_json()
        if self.patients is not None:
            out["patients"] = {s: list(keys) for s, keys in self.patients.items()}
        out["deid"] = self.deid
        if self.leak_scan is not None:
            out["leak_scan"] = self.leak_scan.to_json()
        if self.residual_scan is not None:
            out["residual_scan"] = self.residual_scan.to_json()
        out["synthetic"] = self.synthetic
        return out

    def text(self) -> str:
        """The exact text of manifest.json (fixed key order and indentation: part of determinism)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    def sha256(self) -> str:
        """sha256 of the manifest.json bytes (the card and the review page show it; validate compares it)."""
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()

    def write(self, folder: Path) -> Path:
        path = Path(folder) / schema.MANIFEST
        path.write_text(self.text(), encoding="utf-8")
        return path

    # -- the one reader ----------------------------------------------------------------------------------
    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of the built folder ``folder``; ManifestError when it is missing, unreadable or invalid."""
        path = Path(folder) / schema.MANIFEST
        if not path.is_file():
            raise ManifestError(f"{path}: missing (not a ViX-Ray build)")
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            raise ManifestError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
        except OSError as exc:
            raise ManifestError(f"{path}: unreadable ({exc.strerror or type(exc).__name__})") from None
        return cls.from_json(obj, name=str(path))

    @classmethod
    def from_json(cls, obj: Any, *, name: str = schema.MANIFEST) -> Manifest:
        """A manifest from its parsed JSON; ManifestError (naming ``name`` and the key) when it is not one."""
        try:
            if not isinstance(obj, dict):
                raise _Invalid("the document is not an object")
            splits = _take(obj, "splits", dict, "")
            patients = _take(obj, "patients", dict, "", optional=True)
            screening = _take(obj, "pixel_screening", dict, "", optional=True)
            leak = _take(obj, "leak_scan", dict, "", optional=True)
            checks = _take(obj, "image_checks", str, "", optional=True)
            if checks not in (None, *IMAGE_CHECKS):
                raise _Invalid(f"image_checks is not one of {', '.join(IMAGE_CHECKS)}")
            residual = _take(obj, "residual_scan", dict, "", optional=True)
            return cls(
                builder=Builder.from_json(_take(obj, "builder", dict, ""), "builder"),
                seed=_take(obj, "seed", int, ""),
                source=_take(obj, "source", dict, ""),
                splits={
                    s: SplitInfo.from_json(_value(v, dict, f"splits.{s}"), f"splits.{s}") for s, v in splits.items()
                },
                counts=Counts.from_json(_take(obj, "counts", dict, ""), "counts"),
                pixel_screening=None if screening is None else PixelScreening.from_json(screening, "pixel_screening"),
                image_checks=checks,
                limits=Limits.from_json(_take(obj, "limits", dict, ""), "limits"),
                patients=None
                if patients is None
                else {
                    s: _strings(_value(keys, list, f"patients.{s}"), f"patients.{s}") for s, keys in patients.items()
                },
                deid=_take(obj, "deid", dict, ""),
                leak_scan=None if leak is None else LeakScanSummary.from_json(leak, "leak_scan"),
                residual_scan=None if residual is None else ResidualScanSummary.from_json(residual, "residual_scan"),
                synthetic=_take(obj, "synthetic", bool, ""),
            )
        except _Invalid as exc:
            raise ManifestError(f"{name}: not a build's manifest ({exc})") from None

"""Reading the predictions JSONL that the generation script writes, with errors that name the line.

One JSON object per line: ``id``, ``stage``, ``field`` (``findings`` or ``impressions``),
``prediction``, ``reference``; ``split`` optional. A ``null`` prediction is an empty one (it scores 0);
a missing key, a non-string text, an unknown field or a repeated ``(id, stage, field)`` is an error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .. import schema
from ..errors import EvaluationError

log = logging.getLogger(__name__)

REQUIRED_KEYS: tuple[str, ...] = ("id", "stage", "field", "prediction", "reference")
SCORED_FIELDS: tuple[str, ...] = (schema.FINDINGS, schema.IMPRESSIONS)
#: Split name used when a line has none.
NO_SPLIT = "all"
_MAX_LISTED = 10


@dataclass(frozen=True)
class Prediction:
    id: str
    stage: str
    field: str
    prediction: str
    reference: str
    split: str = NO_SPLIT
    line: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.id, self.stage, self.field)


@dataclass
class PredictionSet:
    path: str
    records: list[Prediction]
    skipped: list[str] = field(default_factory=list)  # "line N: why", only under skip_invalid

    def by_key(self) -> dict[tuple[str, str, str], Prediction]:
        return {r.key: r for r in self.records}


def _problems(obj: object) -> list[str]:
    """Everything wrong with one line's object (empty when it is a valid prediction)."""
    if not isinstance(obj, dict):
        return [f"expected a JSON object, got {type(obj).__name__}"]
    problems = []
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        problems.append(f"missing field(s) {', '.join(missing)}")
    if "id" in obj and (not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool) or obj["id"] == ""):
        problems.append("id must be a non-empty string")
    if "stage" in obj and (not isinstance(obj["stage"], str | int) or isinstance(obj["stage"], bool)):
        problems.append("stage must be a string or an integer")
    if "field" in obj and obj["field"] not in SCORED_FIELDS:
        problems.append(f"field {obj['field']!r} is not one of {', '.join(SCORED_FIELDS)}")
    if "prediction" in obj and obj["prediction"] is not None and not isinstance(obj["prediction"], str):
        problems.append("prediction must be a string or null")
    if "reference" in obj and not isinstance(obj["reference"], str):
        problems.append("reference must be a string")
    if obj.get("split") is not None and not isinstance(obj["split"], str):
        problems.append("split must be a string")
    return problems


def _parse(obj: object) -> tuple[Prediction | None, list[str]]:
    problems = _problems(obj)
    if problems:
        return None, problems
    assert isinstance(obj, dict)
    return Prediction(
        id=str(obj["id"]),
        stage=str(obj["stage"]),
        field=obj["field"],
        prediction=obj["prediction"] or "",
        reference=obj["reference"],
        split=obj.get("split") or NO_SPLIT,
    ), []


def _listed(problems: list[str]) -> str:
    more = len(problems) - _MAX_LISTED
    return " | ".join(problems[:_MAX_LISTED]) + (f" | ... and {more} more" if more > 0 else "")


def read_predictions(path: str | Path, *, skip_invalid: bool = False) -> PredictionSet:
    """Parse and check a predictions file; every bad line and every repeated key is listed with its number, in one
    error (``skip_invalid`` skips bad lines, never repeated keys)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise EvaluationError(f"{path}: no such predictions file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path}: cannot read ({exc})") from exc
    records: list[Prediction] = []
    problems: list[str] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    duplicates: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        record, why = _parse(obj)
        if record is None:
            problems.append(f"line {number}: {'; '.join(why)}")
            continue
        record = Prediction(**{**record.__dict__, "line": number})
        if record.key in first_seen:
            duplicates.append(
                f"line {number}: duplicate (id, stage, field) {record.key} first seen on line {first_seen[record.key]}"
            )
            continue
        first_seen[record.key] = number
        records.append(record)
    # one pass, one message: every invalid line and every duplicate, so one fix of the file is enough
    if duplicates or (problems and not skip_invalid):
        found = []
        if problems:
            found.append(
                f"{len(problems)} invalid line(s)"
                + ("" if skip_invalid else " (--skip-invalid skips them)")
                + f": {_listed(problems)}"
            )
        if duplicates:  # never skipped: which of two predictions counts is not ours to guess
            found.append(f"{len(duplicates)} duplicate record(s) (never skipped): {_listed(duplicates)}")
        raise EvaluationError(f"{path}: " + "; ".join(found))
    for problem in problems:
        log.warning("%s: skipped %s", path, problem)
    if not records:
        raise EvaluationError(f"{path}: no predictions to score")
    return PredictionSet(path=str(path), records=records, skipped=problems)


@dataclass
class IdCheck:
    """Prediction ids against the reference ids, per (stage, field): what is missing and what is extra.

    Repeated (id, stage, field) lines never get this far: :func:`read_predictions` refuses them with their count.

    The reference ids are those of the dataset split(s) when given, else every id the file names: then each
    (stage, field) is checked against the others, so a stage that skipped records shows as missing.
    """

    reference: str  # where the reference ids come from
    references: int
    groups: dict[str, dict[str, list[str]]]  # "stage/field" -> {"missing": [...], "extra": [...]}

    def count(self, kind: str) -> int:
        return sum(len(g[kind]) for g in self.groups.values())

    @property
    def ok(self) -> bool:
        return not (self.count("missing") or self.count("extra"))

    def summary(self) -> str:
        return (
            f"ids: {self.references} reference id(s) ({self.reference}), {len(self.groups)} stage/field group(s); "
            f"missing {self.count('missing')}, extra {self.count('extra')}, duplicate 0 (refused when reading)"
        )

    def report(self) -> str:
        """The summary, then per group how many ids are missing or extra with the first few of them."""
        lines = [self.summary()]
        for group, found in self.groups.items():
            for kind in ("missing", "extra"):
                if found[kind]:
                    lines.append(f"  {group}: {len(found[kind])} {kind}, e.g. {', '.join(found[kind][:3])}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "reference": self.reference,
            "references": self.references,
            "duplicates": 0,
            "missing": self.count("missing"),
            "extra": self.count("extra"),
            "groups": {
                k: {kind: len(v[kind]) for kind in v} | {f"{kind}_ids": v[kind][:_MAX_LISTED] for kind in v}
                for k, v in self.groups.items()
            },
        }


def reference_ids(source: str) -> dict[str, set[str]]:
    """Split -> ids of a built folder or hub id (its id column only), under split aliases too (``val``, ``dev``)."""
    from ..load import SPLIT_ALIASES, load_vixray

    ds = load_vixray(source)  # canonical split names; a predictions file may use an alias (val, dev)
    ids = {name: set(part.select_columns([schema.ID])[schema.ID]) for name, part in ds.items()}
    return ids | {alias: ids[name] for alias, name in SPLIT_ALIASES.items() if name in ids}


def check_ids(
    predictions: PredictionSet, reference_ids: dict[str, set[str]] | None = None, *, reference: str = ""
) -> IdCheck:
    """Which reference ids each (stage, field) lacks and which ids it has that are not references.

    ``reference_ids`` maps split -> ids (a line's split selects its set; lines without a split use them all).
    """
    groups: dict[tuple[str, str], list[Prediction]] = {}
    for rec in predictions.records:
        groups.setdefault((rec.stage, rec.field), []).append(rec)
    if reference_ids is None:
        expected_all = {r.id for r in predictions.records}
        reference = reference or "every id in the file"
    else:
        expected_all = set().union(*reference_ids.values()) if reference_ids else set()
    out: dict[str, dict[str, list[str]]] = {}
    used: set[str] = set()  # the reference ids of the splits the file covers
    for (stage, field_name), recs in sorted(groups.items()):
        if reference_ids is None:
            expected = expected_all
        else:
            splits = {r.split for r in recs}
            expected = (
                expected_all
                if NO_SPLIT in splits
                else set().union(*(reference_ids.get(split, set()) for split in splits))
            )
        used |= expected
        seen = {r.id for r in recs}
        out[f"{stage}/{field_name}"] = {"missing": sorted(expected - seen), "extra": sorted(seen - expected)}
    return IdCheck(reference=reference, references=len(used), groups=out)


def pair_with(a: PredictionSet, b: PredictionSet) -> list[tuple[Prediction, Prediction]]:
    """Records of two systems paired by key; both must cover the same keys with the same references."""
    keys_a, keys_b = a.by_key(), b.by_key()
    only_a = sorted(set(keys_a) - set(keys_b))
    only_b = sorted(set(keys_b) - set(keys_a))
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"{len(only_a)} key(s) only in {a.path} (e.g. {only_a[:3]})")
        if only_b:
            parts.append(f"{len(only_b)} key(s) only in {b.path} (e.g. {only_b[:3]})")
        raise EvaluationError("cannot pair the two systems: " + "; ".join(parts))
    differing = [k for k in keys_a if keys_a[k].reference != keys_b[k].reference]
    if differing:
        raise EvaluationError(
            f"{len(differing)} record(s) have different references in the two files, e.g. {differing[:3]}"
        )
    return [(keys_a[k], keys_b[k]) for k in keys_a]

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


def _parse(obj: object) -> tuple[Prediction | None, str]:
    if not isinstance(obj, dict):
        return None, f"expected a JSON object, got {type(obj).__name__}"
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        return None, f"missing field(s) {', '.join(missing)}"
    if obj["field"] not in SCORED_FIELDS:
        return None, f"field {obj['field']!r} is not one of {', '.join(SCORED_FIELDS)}"
    if obj["reference"] is None or not isinstance(obj["reference"], str):
        return None, "reference must be a string"
    if obj["prediction"] is not None and not isinstance(obj["prediction"], str):
        return None, "prediction must be a string or null"
    split = obj.get("split") or NO_SPLIT
    if not isinstance(split, str):
        return None, "split must be a string"
    if not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool) or obj["id"] == "":
        return None, "id must be a non-empty string"
    if not isinstance(obj["stage"], str | int) or isinstance(obj["stage"], bool):
        return None, "stage must be a string or an integer"
    return (
        Prediction(
            id=str(obj["id"]),
            stage=str(obj["stage"]),
            field=obj["field"],
            prediction=obj["prediction"] or "",
            reference=obj["reference"],
            split=split,
        ),
        "",
    )


def read_predictions(path: str | Path, *, skip_invalid: bool = False) -> PredictionSet:
    """Parse and check a predictions file; every bad line is listed with its number."""
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
            problems.append(f"line {number}: {why}")
            continue
        record = Prediction(**{**record.__dict__, "line": number})
        if record.key in first_seen:
            duplicates.append(
                f"line {number}: duplicate (id, stage, field) {record.key} first seen on line {first_seen[record.key]}"
            )
            continue
        first_seen[record.key] = number
        records.append(record)
    if duplicates:  # never skipped: which of two predictions counts is not ours to guess
        raise EvaluationError(f"{path}: {len(duplicates)} duplicate record(s): " + "; ".join(duplicates[:_MAX_LISTED]))
    if problems:
        if not skip_invalid:
            listed = "; ".join(problems[:_MAX_LISTED]) + (" ..." if len(problems) > _MAX_LISTED else "")
            raise EvaluationError(
                f"{path}: {len(problems)} invalid line(s) (use --skip-invalid to skip them): {listed}"
            )
        for problem in problems:
            log.warning("%s: skipped %s", path, problem)
    if not records:
        raise EvaluationError(f"{path}: no predictions to score")
    return PredictionSet(path=str(path), records=records, skipped=problems)


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

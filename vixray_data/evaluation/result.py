"""What scoring a predictions file gives, as values: per-group metrics, signatures, per-record details, a comparison.

:func:`~vixray_data.evaluation.report.evaluate` returns an :class:`EvaluationResult`; its :meth:`~EvaluationResult.
as_dict` is the ``evaluation.json`` document, and :meth:`~EvaluationResult.write` writes that, the Markdown table and
``records.jsonl`` (one :class:`RecordDetail` a line) into an output folder. An LLM judge's raw replies go beside them
(:meth:`~vixray_data.evaluation.judge.LLMJudge.write_outputs`), also when scoring fails half-way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from .facts import CorpusFactScore, FactScore
from .judge import JudgeScore
from .labels import LabelScores
from .predictions import IdCheck
from .stats import Interval, PairedTest

#: The files :meth:`EvaluationResult.write` writes.
JSON_FILE, MARKDOWN_FILE, RECORDS_FILE = "evaluation.json", "evaluation.md", "records.jsonl"
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Metric:
    """One figure in percent, with its bootstrap interval where one is drawn."""

    value: float
    ci95: Interval | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": None if self.ci95 is None else self.ci95.as_list()}


@dataclass(frozen=True)
class JudgeAgreement:
    """Offline vs LLM backend: per-fact agreement (Cohen's kappa) and per-record correlation."""

    records: int
    facts_compared: int
    per_fact_agreement: float | None
    per_fact_kappa: float | None
    precision_pearson: float | None
    recall_pearson: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RecordDetail:
    """One prediction's scores: ROUGE per tokenisation, facts, clinical labels, and the judge's when one ran."""

    id: str
    stage: str
    field: str
    split: str
    rouge: dict[str, dict[str, float]]  # tokenisation prefix ("", "words_", "ascii_") -> R-1/R-2/R-L
    facts: FactScore
    labels_prediction: tuple[str, ...]
    labels_reference: tuple[str, ...]
    judge: JudgeScore | None = None
    judge_on_offline_facts: dict[str, list[bool]] | None = None  # {"offline": [...], "judge": [...]} per fact

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "stage": self.stage, "field": self.field, "split": self.split}
        for prefix, scores in self.rouge.items():
            out[f"{prefix}rouge"] = scores
        out["facts"] = self.facts.as_dict()
        out["labels"] = {"prediction": list(self.labels_prediction), "reference": list(self.labels_reference)}
        if self.judge is not None:
            out["judge"] = self.judge.as_dict()
        if self.judge_on_offline_facts is not None:
            out["judge_on_offline_facts"] = self.judge_on_offline_facts
        return out


@dataclass(frozen=True)
class GroupResult:
    """The figures of one (stage, field, split) group."""

    stage: str
    field: str
    split: str
    records: int
    metrics: dict[str, Metric]
    facts: CorpusFactScore
    labels: LabelScores
    judge_agreement: JudgeAgreement | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stage": self.stage,
            "field": self.field,
            "split": self.split,
            "records": self.records,
            "metrics": {name: m.as_dict() for name, m in self.metrics.items()},
            "facts": self.facts.as_dict(),
            "labels": self.labels.as_dict(),
        }
        if self.judge_agreement is not None:
            out["judge_agreement"] = self.judge_agreement.as_dict()
        return out


@dataclass(frozen=True)
class GroupComparison:
    """System A against system B on one group: a paired test per metric."""

    stage: str
    field: str
    split: str
    records: int
    tests: dict[str, PairedTest]

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "field": self.field,
            "split": self.split,
            "records": self.records,
            "tests": {name: test.as_dict() for name, test in self.tests.items()},
        }


@dataclass(frozen=True)
class Comparison:
    """Paired approximate randomisation, system A vs B, per group and metric; ``a``/``b`` name the two files."""

    seed: int
    groups: list[GroupComparison]
    a: str | None = None
    b: str | None = None
    method: str = "paired approximate randomisation (two-sided, add-one)"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "seed": self.seed, "groups": [g.as_dict() for g in self.groups]}
        if self.a is not None or self.b is not None:
            out["a"], out["b"] = self.a, self.b
        return out


@dataclass
class EvaluationResult:
    """Every figure of one predictions file (see :mod:`vixray_data.evaluation.report`).

    ``input``, ``skipped_lines`` and ``ids`` say what was scored (set when scoring a read file); ``comparison`` is
    the paired test against a second system, when one was given.
    """

    records: int
    word_level: bool
    signatures: dict[str, str]  # metric family -> how it was computed
    resamples: int
    seed: int
    fact_backend: str
    uncertain_policy: str
    groups: list[GroupResult]
    details: list[RecordDetail]  # per record, in group order: records.jsonl
    judge_agreement: JudgeAgreement | None = None
    input: str | None = None
    skipped_lines: list[str] | None = None
    ids: IdCheck | None = None
    comparison: Comparison | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``evaluation.json`` document (without the per-record details)."""
        out: dict[str, Any] = {
            "tool": {"name": "vixray-data", "version": __version__},
            "scale": "percent",
            "records": self.records,
            "word_level": self.word_level,
            "signatures": self.signatures,
            "bootstrap": {"resamples": self.resamples, "seed": self.seed, "confidence": CONFIDENCE},
            "fact_backend": self.fact_backend,
            "uncertain_policy": self.uncertain_policy,
            "groups": [g.as_dict() for g in self.groups],
        }
        if self.judge_agreement is not None:
            out["judge_agreement"] = self.judge_agreement.as_dict()
        if self.input is not None:
            out["input"] = self.input
        if self.skipped_lines is not None:
            out["skipped_lines"] = self.skipped_lines
        if self.ids is not None:
            out["ids"] = self.ids.as_dict()
        if self.comparison is not None:
            out["comparison"] = self.comparison.as_dict()
        return out

    def markdown(self) -> str:
        """The paper's table and the rest, as ``evaluation.md`` holds it."""
        from .report import render_markdown

        return render_markdown(self)

    def write(self, out: Path) -> list[Path]:
        """``evaluation.json``, ``evaluation.md`` and ``records.jsonl`` in ``out`` (created); the paths written."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / JSON_FILE, out / MARKDOWN_FILE, out / RECORDS_FILE]
        paths[0].write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        paths[1].write_text(self.markdown(), encoding="utf-8")
        with paths[2].open("w", encoding="utf-8") as fh:
            for detail in self.details:
                fh.write(json.dumps(detail.as_dict(), ensure_ascii=False) + "\n")
        return paths

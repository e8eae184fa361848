"""Clinical-label F1: a rule-based Vietnamese labeler over the lexicon, built on the fact extractor.

A report is positive for a label when it states a finding mapped to that label (the lexicon's
``findings.<id>.label``) as present. Negation is the extractor's: cues before the finding, after the
head ("Bóng tim không to") and shared heads ("Không thấy tràn dịch, tràn khí màng phổi") all make
the fact negated, so it adds no label. Uncertain findings ("nghĩ đến", "theo dõi", "không loại
trừ") follow the policy: ``positive`` (default, as CheXpert's U-Ones: a hedged finding is reported
to the clinician) or ``negative``.

Every report also has a *state* (:func:`report_state`): ``abnormal`` when it states a finding as present
(a finding without a label of its own, such as bronchiectasis or a pericardial effusion, counts);
else ``unrecognised`` when a clause of it could not be read (the extractor's ``unrecognised`` facts), or
when it states nothing at all; else ``normal``, which needs normality stated: a normal state or a finding
ruled out. ``no_finding`` is positive only for a ``normal`` report, so the labeler's "normal" can be
trusted: an abnormality the lexicon lacks makes a report ``unrecognised``, never normal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..clinical import NEGATED, NORMAL, PRESENT, UNCERTAIN, UNRECOGNISED, Fact, extract_facts
from ..errors import EvaluationError
from ..lexicon import load_lexicon

UNCERTAIN_POSITIVE, UNCERTAIN_NEGATIVE = "positive", "negative"
UNCERTAINTY_POLICIES: tuple[str, ...] = (UNCERTAIN_POSITIVE, UNCERTAIN_NEGATIVE)
NO_FINDING = "no_finding"
NORMAL_STATE, ABNORMAL_STATE, UNRECOGNISED_STATE = "normal", "abnormal", UNRECOGNISED
REPORT_STATES: tuple[str, ...] = (NORMAL_STATE, ABNORMAL_STATE, UNRECOGNISED_STATE)


def label_names() -> dict[str, str]:
    """Label id -> English name, in the lexicon's order."""
    return dict(load_lexicon().labels)


def _check(uncertain: str) -> None:
    if uncertain not in UNCERTAINTY_POLICIES:
        raise EvaluationError(f"unknown uncertainty policy {uncertain!r}; use one of {UNCERTAINTY_POLICIES}")


def _counts(fact: Fact, uncertain: str) -> bool:
    """A finding stated present that counts under the policy."""
    return (
        fact.finding is not None
        and fact.polarity == PRESENT
        and not (fact.certainty == UNCERTAIN and uncertain == UNCERTAIN_NEGATIVE)
    )


def report_state(facts: Sequence[Fact], *, uncertain: str = UNCERTAIN_POSITIVE) -> str:
    """``abnormal``, ``unrecognised`` or ``normal`` (see the module docstring)."""
    _check(uncertain)
    if any(_counts(f, uncertain) for f in facts):
        return ABNORMAL_STATE
    if any(f.polarity == UNRECOGNISED for f in facts):
        return UNRECOGNISED_STATE
    return NORMAL_STATE if any(f.polarity in (NORMAL, NEGATED) for f in facts) else UNRECOGNISED_STATE


def labels_from_facts(facts: Sequence[Fact], *, uncertain: str = UNCERTAIN_POSITIVE) -> set[str]:
    """The positive labels of a report's facts under an uncertainty policy (``no_finding`` for a normal one)."""
    _check(uncertain)
    lex = load_lexicon()
    positive = {
        label
        for f in facts
        if f.finding is not None and _counts(f, uncertain)
        for label in lex.findings[f.finding].labels
        if label in lex.labels
    }
    if NO_FINDING in lex.labels and report_state(facts, uncertain=uncertain) == NORMAL_STATE:
        positive.add(NO_FINDING)
    return positive


def label_report(text: str | None, *, uncertain: str = UNCERTAIN_POSITIVE) -> set[str]:
    """The positive labels of one report."""
    return labels_from_facts(extract_facts(text), uncertain=uncertain)


@dataclass(frozen=True)
class LabelCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class LabelScores:
    """Per-label counts and F1; macro averages the labels present in either side (support or predicted)."""

    per_label: dict[str, LabelCounts]
    micro_f1: float
    macro_f1: float
    uncertain_policy: str

    def as_dict(self) -> dict:
        return {
            "uncertain_policy": self.uncertain_policy,
            "micro_f1": self.micro_f1,
            "macro_f1": self.macro_f1,
            "per_label": {
                label: {
                    "support": c.support,
                    "tp": c.tp,
                    "fp": c.fp,
                    "fn": c.fn,
                    "precision": c.precision,
                    "recall": c.recall,
                    "f1": c.f1,
                }
                for label, c in self.per_label.items()
            },
        }


def label_scores(
    predicted: Sequence[set[str]], reference: Sequence[set[str]], *, uncertain: str = UNCERTAIN_POSITIVE
) -> LabelScores:
    """Micro and macro F1 over records' label sets."""
    counts = {}
    for label in label_names():
        tp = sum(label in p and label in r for p, r in zip(predicted, reference, strict=True))
        fp = sum(label in p and label not in r for p, r in zip(predicted, reference, strict=True))
        fn = sum(label not in p and label in r for p, r in zip(predicted, reference, strict=True))
        counts[label] = LabelCounts(tp, fp, fn)
    total = LabelCounts(*(sum(getattr(c, k) for c in counts.values()) for k in ("tp", "fp", "fn")))
    active = [c for c in counts.values() if c.tp + c.fp + c.fn]
    macro = sum(c.f1 for c in active) / len(active) if active else 0.0
    return LabelScores(per_label=counts, micro_f1=total.f1, macro_f1=macro, uncertain_policy=uncertain)

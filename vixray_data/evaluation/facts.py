"""Atomic-fact precision and recall, offline and deterministic (the paper's protocol, §4.2, without an LLM).

Both texts are decomposed by :func:`vixray_data.clinical.extract_facts`. Two facts match when their
:func:`vixray_data.clinical.match_key` agree (subject group, finding, polarity, laterality, after the
lexicon mapped synonyms and spellings to concepts); each fact matches at most one on the other side.
precision = matched prediction facts / prediction facts; recall = matched reference facts / reference
facts. A side with no facts scores 0 on its ratio (an empty prediction is 0/0, never a free 1.0), and
the record is flagged so the report can count it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..clinical import Fact, extract_facts, match_key

OFFLINE_BACKEND = "offline"
#: Bump when the matching rule changes: it is part of the fact-score signature.
OFFLINE_VERSION = "2"


@dataclass(frozen=True)
class FactScore:
    """One record's fact precision/recall with the evidence behind it."""

    precision: float
    recall: float
    matched: tuple[tuple[Fact, Fact], ...] = ()  # (prediction fact, reference fact)
    unmatched_prediction: tuple[Fact, ...] = ()  # hallucinated or wrong
    unmatched_reference: tuple[Fact, ...] = ()  # omitted or wrong
    n_prediction: int = 0
    n_reference: int = 0

    @property
    def prediction_has_facts(self) -> bool:
        return self.n_prediction > 0

    @property
    def reference_has_facts(self) -> bool:
        return self.n_reference > 0

    def as_dict(self) -> dict:
        def show(facts):
            return [f.text or f.describe() for f in facts]

        return {
            "precision": self.precision,
            "recall": self.recall,
            "n_prediction": self.n_prediction,
            "n_reference": self.n_reference,
            "matched": [[p.text, r.text] for p, r in self.matched],
            "unmatched_prediction": show(self.unmatched_prediction),
            "unmatched_reference": show(self.unmatched_reference),
        }


def match_facts(prediction: Sequence[Fact], reference: Sequence[Fact]) -> FactScore:
    """One-to-one matching on equal keys (optimal: equal keys form cliques, so greedy in order is maximal)."""
    waiting: dict[tuple, list[int]] = defaultdict(list)
    for j, fact in enumerate(reference):
        waiting[match_key(fact)].append(j)
    matched, unmatched_pred, used = [], [], set()
    for fact in prediction:
        queue = waiting.get(match_key(fact))
        if queue:
            j = queue.pop(0)
            used.add(j)
            matched.append((fact, reference[j]))
        else:
            unmatched_pred.append(fact)
    unmatched_ref = [f for j, f in enumerate(reference) if j not in used]
    n_pred, n_ref = len(prediction), len(reference)
    return FactScore(
        precision=len(matched) / n_pred if n_pred else 0.0,
        recall=len(matched) / n_ref if n_ref else 0.0,
        matched=tuple(matched),
        unmatched_prediction=tuple(unmatched_pred),
        unmatched_reference=tuple(unmatched_ref),
        n_prediction=n_pred,
        n_reference=n_ref,
    )


def fact_scores(prediction: str | None, reference: str | None) -> FactScore:
    """Offline atomic-fact precision and recall of a generated report against its reference."""
    return match_facts(extract_facts(prediction), extract_facts(reference))


@dataclass
class CorpusFactScore:
    """Corpus figures both ways: mean over records (the paper's) and pooled over facts."""

    precision_mean: float
    recall_mean: float
    precision_pooled: float
    recall_pooled: float
    records: int
    prediction_facts: int
    reference_facts: int
    matched: int
    records_without_prediction_facts: int
    records_without_reference_facts: int
    per_record: list[FactScore] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "per_record"}


def corpus_fact_scores(scores: Sequence[FactScore]) -> CorpusFactScore:
    """Aggregate per-record scores; an empty corpus scores 0."""
    n = len(scores)
    matched = sum(len(s.matched) for s in scores)
    n_pred = sum(s.n_prediction for s in scores)
    n_ref = sum(s.n_reference for s in scores)
    return CorpusFactScore(
        precision_mean=sum(s.precision for s in scores) / n if n else 0.0,
        recall_mean=sum(s.recall for s in scores) / n if n else 0.0,
        precision_pooled=matched / n_pred if n_pred else 0.0,
        recall_pooled=matched / n_ref if n_ref else 0.0,
        records=n,
        prediction_facts=n_pred,
        reference_facts=n_ref,
        matched=matched,
        records_without_prediction_facts=sum(not s.prediction_has_facts for s in scores),
        records_without_reference_facts=sum(not s.reference_has_facts for s in scores),
        per_record=list(scores),
    )

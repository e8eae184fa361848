"""Atomic-fact precision and recall, offline and deterministic (the paper's protocol, §4.2, without an LLM).

Both texts are decomposed by :func:`vixray_data.clinical.extract_facts` into the facts they state, one per
statement, as the paper counts them: equivalences decide whether a fact is *supported*, never how many
facts were stated. A fact is supported by the other text when a fact there has the same
:func:`vixray_data.clinical.match_key` (subject group, finding, polarity, laterality, after the lexicon
mapped synonyms and spellings to concepts), or, for a fact on one side, when the other text states it on
both sides (in one fact, or once per side). Two statements of one fact ("Bóng mờ tim không to, các cung
tim trong giới hạn sinh lý" against "Bóng tim không to") are two supported facts.

precision = supported prediction facts / prediction facts; recall = supported reference facts / reference
facts. A side with no facts scores 0 on its ratio (an empty prediction is 0/0, never a free 1.0), and
the record is flagged so the report can count it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..clinical import Fact, extract_facts, match_key
from ..clinical.facts import merge_sides
from ..lexicon import term_index

OFFLINE_BACKEND = "offline"
#: Bump when the matching rule changes: it is part of the fact-score signature. 3: support, not one-to-one
#: pairing (issue 19), and a side supported by both sides.
OFFLINE_VERSION = "3"


@dataclass(frozen=True)
class FactScore:
    """One record's fact precision/recall with the evidence behind it."""

    precision: float
    recall: float
    matched: tuple[tuple[Fact, Fact], ...] = ()  # (supported prediction fact, a reference fact supporting it)
    unmatched_prediction: tuple[Fact, ...] = ()  # hallucinated or wrong
    unmatched_reference: tuple[Fact, ...] = ()  # omitted or wrong
    covered_reference: tuple[Fact, ...] = ()  # reference facts the prediction supports, in reference order
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


def _support(facts: Sequence[Fact]) -> dict[tuple, Fact]:
    """Key -> the first fact of ``facts`` stating it; a finding stated once per side also counts as bilateral."""
    keys: dict[tuple, Fact] = {}
    for fact in facts:
        keys.setdefault(match_key(fact), fact)
    for fact in merge_sides(facts, term_index()):
        if fact.laterality == "bilateral":
            key = match_key(fact)
            if key not in keys:  # the right-hand statement of the pair stands for it
                keys[key] = next(f for f in facts if match_key(f)[:3] == key[:3] and f.laterality in ("left", "right"))
    return keys


def _supported(fact: Fact, keys: dict[tuple, Fact]) -> Fact | None:
    """The fact of the other text that supports ``fact``, if any: the same key, or both sides for one side."""
    key = match_key(fact)
    if key in keys:
        return keys[key]
    if key[3] in ("left", "right"):
        return keys.get((*key[:3], "bilateral"))
    return None


def match_facts(prediction: Sequence[Fact], reference: Sequence[Fact]) -> FactScore:
    """Each fact of each side judged supported or not by the other side (see the module docstring)."""
    ref_keys, pred_keys = _support(reference), _support(prediction)
    matched, unmatched_pred = [], []
    for fact in prediction:
        support = _supported(fact, ref_keys)
        if support is not None:
            matched.append((fact, support))
        else:
            unmatched_pred.append(fact)
    covered = [f for f in reference if _supported(f, pred_keys) is not None]
    unmatched_ref = [f for f in reference if _supported(f, pred_keys) is None]
    n_pred, n_ref = len(prediction), len(reference)
    return FactScore(
        precision=len(matched) / n_pred if n_pred else 0.0,
        recall=len(covered) / n_ref if n_ref else 0.0,
        matched=tuple(matched),
        unmatched_prediction=tuple(unmatched_pred),
        unmatched_reference=tuple(unmatched_ref),
        covered_reference=tuple(covered),
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
    matched: int  # supported prediction facts
    covered: int  # supported reference facts
    records_without_prediction_facts: int
    records_without_reference_facts: int
    per_record: list[FactScore] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "per_record"}


def corpus_fact_scores(scores: Sequence[FactScore]) -> CorpusFactScore:
    """Aggregate per-record scores; an empty corpus scores 0."""
    n = len(scores)
    matched = sum(len(s.matched) for s in scores)
    covered = sum(len(s.covered_reference) for s in scores)
    n_pred = sum(s.n_prediction for s in scores)
    n_ref = sum(s.n_reference for s in scores)
    return CorpusFactScore(
        precision_mean=sum(s.precision for s in scores) / n if n else 0.0,
        recall_mean=sum(s.recall for s in scores) / n if n else 0.0,
        precision_pooled=matched / n_pred if n_pred else 0.0,
        recall_pooled=covered / n_ref if n_ref else 0.0,
        records=n,
        prediction_facts=n_pred,
        reference_facts=n_ref,
        matched=matched,
        covered=covered,
        records_without_prediction_facts=sum(not s.prediction_has_facts for s in scores),
        records_without_reference_facts=sum(not s.reference_has_facts for s in scores),
        per_record=list(scores),
    )

"""The hand-annotated clinical gold set (tests/data/clinical_gold.yaml) and how the extractor is scored on it.

Shared by tests/test_clinical_gold.py (the targets) and benchmarks/bench_clinical.py (the figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from vixray_data.clinical import UNCERTAIN, Fact, extract_facts
from vixray_data.evaluation import label_scores, labels_from_facts, match_facts
from vixray_data.evaluation.labels import LabelScores

GOLD_PATH = Path(__file__).with_name("data") / "clinical_gold.yaml"


@dataclass(frozen=True)
class GoldItem:
    text: str
    labels: frozenset[str]
    facts: tuple[Fact, ...]
    tags: tuple[str, ...]


def parse_fact(spec: str) -> Fact:
    """``subject/finding/polarity[/side][/uncertain]``; ``-`` for no subject or no finding."""
    parts = spec.split("/")
    subject, finding, polarity, rest = parts[0], parts[1], parts[2], parts[3:]
    certainty = UNCERTAIN if "uncertain" in rest else "certain"
    side = next((p for p in rest if p != "uncertain"), None)
    none = {"-": None}
    return Fact(none.get(subject, subject), none.get(finding, finding), polarity, certainty, side, text=spec)


def load_gold(path: Path = GOLD_PATH) -> list[GoldItem]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    return [GoldItem(item["text"], frozenset(item["labels"]), tuple(parse_fact(f) for f in item["facts"]),
                     tuple(item.get("tags", ()))) for item in items]


@dataclass(frozen=True)
class GoldScore:
    labels: LabelScores
    fact_pairs: int  # gold facts
    extracted: int
    matched: int
    items_exact: int  # items whose extracted facts equal the gold facts (as matching keys)
    disagreements: list[tuple[str, list[str], list[str]]]  # text, missed gold facts, extra extracted facts

    @property
    def fact_precision(self) -> float:
        return self.matched / self.extracted if self.extracted else 0.0

    @property
    def fact_recall(self) -> float:
        return self.matched / self.fact_pairs if self.fact_pairs else 0.0


def score_gold(items: list[GoldItem]) -> GoldScore:
    """Per-label scores of the labeler and fact-pair agreement of the extractor against the gold set."""
    predicted, reference = [], []
    gold_n = extracted_n = matched_n = exact = 0
    disagreements = []
    for item in items:
        facts = extract_facts(item.text)
        predicted.append(labels_from_facts(facts))
        reference.append(set(item.labels))
        score = match_facts(facts, item.facts)
        gold_n += len(item.facts)
        extracted_n += len(facts)
        matched_n += len(score.matched)
        if score.unmatched_prediction or score.unmatched_reference:
            disagreements.append((item.text, [f.text for f in score.unmatched_reference],
                                  [f.describe() for f in score.unmatched_prediction]))
        else:
            exact += 1
    return GoldScore(label_scores(predicted, reference), gold_n, extracted_n, matched_n, exact, disagreements)


"""The hand-annotated clinical gold set (tests/data/clinical_gold.yaml) and how the extractor is scored on it.

Shared by tests/test_clinical_gold.py (the targets) and benchmarks/bench_clinical.py (the figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from vixray_data.clinical import UNCERTAIN, Fact, extract_facts
from vixray_data.evaluation import label_scores, labels_from_facts, match_facts
from vixray_data.evaluation.labels import LabelScores, report_state

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
    return [
        GoldItem(
            item["text"],
            frozenset(item["labels"]),
            tuple(parse_fact(f) for f in item["facts"]),
            tuple(item.get("tags", ())),
        )
        for item in items
    ]


@dataclass(frozen=True)
class GoldScore:
    labels: LabelScores
    fact_pairs: int  # gold facts
    extracted: int
    matched: int  # gold facts supported by the extracted ones
    supported: int  # extracted facts supported by the gold ones
    items_exact: int  # items whose extracted facts equal the gold facts (as matching keys)
    disagreements: list[tuple[str, list[str], list[str]]]  # text, missed gold facts, extra extracted facts

    @property
    def fact_precision(self) -> float:
        return self.supported / self.extracted if self.extracted else 0.0

    @property
    def fact_recall(self) -> float:
        return self.matched / self.fact_pairs if self.fact_pairs else 0.0


def score_gold(items: list[GoldItem]) -> GoldScore:
    """Per-label scores of the labeler and fact-pair agreement of the extractor against the gold set."""
    predicted, reference = [], []
    gold_n = extracted_n = matched_n = supported_n = exact = 0
    disagreements = []
    for item in items:
        facts = extract_facts(item.text)
        predicted.append(labels_from_facts(facts))
        reference.append(set(item.labels))
        score = match_facts(facts, item.facts)
        gold_n += len(item.facts)
        extracted_n += len(facts)
        matched_n += len(score.covered_reference)
        supported_n += len(score.matched)
        if score.unmatched_prediction or score.unmatched_reference:
            disagreements.append(
                (
                    item.text,
                    [f.text for f in score.unmatched_reference],
                    [f.describe() for f in score.unmatched_prediction],
                )
            )
        else:
            exact += 1
    return GoldScore(
        label_scores(predicted, reference), gold_n, extracted_n, matched_n, supported_n, exact, disagreements
    )


# --------------------------------------------------------------------------- the blind set (issue 19)

BLIND_PATH = GOLD_PATH.with_name("clinical_blind.yaml")
GOLD_STATES = ("normal", "abnormal")


@dataclass(frozen=True)
class BlindItem:
    """One sentence of a set written without reading the rules: labels (hedged count), negated labels, sides."""

    text: str
    labels: frozenset[str]  # present labels; {"no_finding"} when normal; empty when abnormal without a chest label
    negated: frozenset[str]  # labels the text states absent
    sides: dict[str, str]  # label -> left | right | bilateral
    state: str  # normal | abnormal
    tags: tuple[str, ...]
    note: str = ""


def load_blind(path: Path = BLIND_PATH) -> list[BlindItem]:
    """The blind items (a YAML list, or a mapping with ``items``); a malformed item names its position."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    raw = data["items"] if isinstance(data, dict) else data
    items = []
    for n, item in enumerate(raw, 1):
        state = item.get("state")
        if state not in GOLD_STATES or not item.get("text"):
            raise ValueError(f"{path}: item {n} needs a text and a state in {GOLD_STATES}")
        items.append(
            BlindItem(
                str(item["text"]),
                frozenset(item.get("labels") or ()),
                frozenset(item.get("negated") or ()),
                dict(item.get("sides") or {}),
                state,
                tuple(item.get("tags") or ()),
                str(item.get("note") or ""),
            )
        )
    return items


def negated_labels(facts) -> set[str]:
    """Labels of the findings the facts state absent (a normal mediastinum rules out its widening and shift)."""
    from vixray_data.lexicon import load_lexicon, term_index

    lex, index = load_lexicon(), term_index()
    out = set()
    for fact in facts:
        findings = ()
        if fact.polarity == "negated" and fact.finding:
            findings = (fact.finding,)
        elif fact.polarity == "normal" and fact.finding is None:
            findings = tuple(index.negated_means_normal.get(fact.subject, ()))
        out.update(label for f in findings if f in lex.findings for label in lex.findings[f].labels)
    return out


def predicted_sides(facts) -> dict[str, str | None]:
    """label -> the side of its present facts (left and right together are bilateral; None when none is said)."""
    from vixray_data.lexicon import load_lexicon

    lex = load_lexicon()
    sides: dict[str, set[str | None]] = {}
    for fact in facts:
        if fact.polarity == "present" and fact.finding in lex.findings:
            for label in lex.findings[fact.finding].labels:
                sides.setdefault(label, set()).add(fact.laterality)
    out = {}
    for label, seen in sides.items():
        said = seen - {None}
        out[label] = "bilateral" if "bilateral" in said or {"left", "right"} <= said else next(iter(said), None)
    return out


@dataclass(frozen=True)
class BlindResult:
    item: BlindItem
    labels: frozenset[str]
    negated: frozenset[str]
    state: str
    flips: tuple[str, ...]  # "label: gold negated, read present" or the reverse
    side_checks: tuple[tuple[str, str, str | None], ...]  # (label, gold side, read side)

    @property
    def labels_right(self) -> bool:
        return self.labels == self.item.labels

    @property
    def sides_right(self) -> bool:
        return all(gold == read for _, gold, read in self.side_checks)

    @property
    def right(self) -> bool:
        """Labels, state and sides all as annotated, and no polarity flip."""
        return self.labels_right and self.state == self.item.state and self.sides_right and not self.flips


@dataclass(frozen=True)
class BlindScore:
    labels: LabelScores
    results: list[BlindResult]
    unknown_labels: frozenset[str]  # annotated labels the lexicon does not have (scored as misses)

    @property
    def flips(self) -> list[tuple[str, str]]:
        return [(r.item.text, flip) for r in self.results for flip in r.flips]

    def state_confusion(self) -> dict[tuple[str, str], int]:
        """(gold state, read state) -> sentences."""
        out: dict[tuple[str, str], int] = {}
        for r in self.results:
            out[(r.item.state, r.state)] = out.get((r.item.state, r.state), 0) + 1
        return out

    def by_tag(self) -> dict[str, tuple[int, int]]:
        """tag -> (sentences right, sentences)."""
        out: dict[str, tuple[int, int]] = {}
        for r in self.results:
            for tag in r.item.tags:
                right, total = out.get(tag, (0, 0))
                out[tag] = (right + r.right, total + 1)
        return dict(sorted(out.items()))


def score_blind(items: list[BlindItem]) -> BlindScore:
    """The labeler against the blind annotations: labels, polarity flips, sides, the report state."""
    from vixray_data.evaluation.labels import label_names

    results = []
    for item in items:
        facts = extract_facts(item.text)
        labels = labels_from_facts(facts)
        negated = negated_labels(facts)
        flips = [
            f"{label}: stated absent, read present"
            for label in sorted(item.negated)
            if label in labels and label not in item.labels
        ]
        flips += [
            f"{label}: stated present, read absent"
            for label in sorted(item.labels)
            if label in negated and label not in labels
        ]
        read_sides = predicted_sides(facts)
        checks = tuple((label, side, read_sides.get(label)) for label, side in sorted(item.sides.items()))
        results.append(
            BlindResult(item, frozenset(labels), frozenset(negated), report_state(facts), tuple(flips), checks)
        )
    known = set(label_names())
    unknown = frozenset(label for item in items for label in item.labels | item.negated if label not in known)
    scores = label_scores([set(r.labels) for r in results], [set(r.item.labels) for r in results])
    return BlindScore(scores, results, unknown)

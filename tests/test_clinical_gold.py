"""The extractor and the labeler against the hand-annotated Vietnamese CXR sentences: the gold set
(tests/data/clinical_gold.yaml), the first held-out set, and the blind set of issue 19 (clinical_blind.yaml,
written without reading the rules; scored once before any rule changed, a development set since)."""

from collections import Counter

import pytest
from clinical_gold import GOLD_PATH, load_blind, load_gold, score_blind, score_gold

from vixray_data.clinical import extract_facts
from vixray_data.evaluation import labels_from_facts
from vixray_data.evaluation.labels import label_names


@pytest.fixture(scope="module")
def gold():
    return load_gold()


@pytest.fixture(scope="module")
def scored(gold):
    return score_gold(gold)


def test_the_gold_set_covers_every_label_and_every_hard_case(gold):
    assert len(gold) >= 250
    support = Counter(label for item in gold for label in item.labels)
    assert {label: n for label, n in support.items() if n < 5} == {}
    assert set(support) == set(label_names())
    tags = Counter(tag for item in gold for tag in item.tags)
    for tag in ("other_organ", "heading", "negation", "uncertainty", "laterality", "equivalence", "binding", "paper"):
        assert tags[tag] >= 8, tag


def test_every_label_scores_f1_of_at_least_095(scored):
    low = {label: round(c.f1, 3) for label, c in scored.labels.per_label.items() if c.f1 < 0.95}
    assert low == {}


def test_extracted_facts_agree_with_the_annotated_facts(scored):
    assert scored.fact_precision >= 0.95 and scored.fact_recall >= 0.95
    assert scored.disagreements == []


def test_the_held_out_sentences_agree_too():
    scored = score_gold(load_gold(GOLD_PATH.with_name("clinical_heldout.yaml")))
    assert scored.disagreements == []
    assert {label: c.f1 for label, c in scored.labels.per_label.items() if c.support and c.f1 < 0.95} == {}


def test_other_organ_findings_make_a_report_abnormal_but_add_no_chest_label(gold):
    for item in gold:
        if "other_organ" in item.tags and not item.labels:
            assert labels_from_facts(extract_facts(item.text)) == set(), item.text


def test_uncertain_findings_drop_out_under_the_negative_policy(gold):
    hedged = [item for item in gold if item.facts and all(f.certainty == "uncertain" for f in item.facts)]
    assert len(hedged) >= 10
    for item in hedged:
        assert labels_from_facts(extract_facts(item.text), uncertain="negative") <= {"no_finding"}, item.text


@pytest.fixture(scope="module")
def blind():
    return score_blind(load_blind())


def test_the_blind_set_scores_at_least_095_per_label_with_support_five(blind):
    assert blind.unknown_labels == frozenset()
    low = {label: round(c.f1, 3) for label, c in blind.labels.per_label.items() if c.support >= 5 and c.f1 < 0.95}
    assert low == {}


def test_the_blind_set_has_no_polarity_flip_and_no_silent_normal(blind):
    assert blind.flips == []
    assert blind.state_confusion().get(("abnormal", "normal"), 0) == 0
    assert blind.state_confusion().get(("normal", "normal"), 0) == sum(r.item.state == "normal" for r in blind.results)

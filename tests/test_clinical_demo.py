"""The extractor against the demo generator's own ground truth: every sentence it writes, read back as meant."""

import pytest

from vixray_data.clinical import Fact, extract_facts
from vixray_data.evaluation import match_facts

demo = pytest.importorskip("vixray_data.sources.demo")


def test_extracted_facts_equal_the_facts_the_demo_generator_wrote():
    source = demo.DemoSource(size=200, seed=175, image_size=16)
    counts = {"gold": 0, "extracted": 0, "matched": 0}
    misses = []
    for i in range(len(source)):
        truth = source.ground_truth(i)
        for section, text in (("findings", truth.findings_text), ("impressions", truth.impressions_text)):
            gold = [
                Fact(f.subject, f.finding, f.polarity, f.certainty, f.laterality, f.position, f.severity, f.text)
                for f in truth.facts
                if f.section == section
            ]
            score = match_facts(extract_facts(text), gold)
            counts["gold"] += len(gold)
            counts["extracted"] += score.n_prediction
            counts["matched"] += len(score.matched)
            misses += [f.text for f in (*score.unmatched_prediction, *score.unmatched_reference)]
    assert counts["gold"] > 1000
    assert misses == []
    assert counts["gold"] == counts["extracted"] == counts["matched"]

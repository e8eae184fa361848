"""Bootstrap intervals and paired approximate randomisation: seeded, and they behave as statistics should."""

import numpy as np
import pytest

from vixray_data.evaluation import bootstrap_ci, paired_randomization
from vixray_data.evaluation.lexical import bleu_metric, corpus_statistics, score_from_statistics
from vixray_data.evaluation.stats import bootstrap_ci_corpus, paired_randomization_corpus


def test_bootstrap_interval_contains_the_mean_and_is_reproducible_by_seed():
    values = np.random.default_rng(1).uniform(0, 100, size=200)
    ci = bootstrap_ci(values, seed=7)
    assert ci.low < values.mean() < ci.high
    assert bootstrap_ci(values, seed=7) == ci
    assert bootstrap_ci(values, seed=8) != ci


def test_constant_values_have_a_zero_width_interval():
    ci = bootstrap_ci([50.0] * 30)
    assert (ci.low, ci.high) == (50.0, 50.0)


def test_corpus_bleu_from_statistics_equals_sacrebleu_and_its_interval_brackets_it():
    predictions = ["phổi hai bên sáng đều", "bóng tim to", "tràn dịch màng phổi phải", "vôi hóa quai động mạch chủ"]
    references = ["phổi hai bên sáng đều", "bóng tim không to", "tràn dịch màng phổi trái", "quai động mạch chủ vồng"]
    metric = bleu_metric()
    stats = corpus_statistics(metric, predictions, references)
    whole = score_from_statistics(metric, stats.sum(axis=0))
    assert whole == pytest.approx(metric.corpus_score(predictions, [references]).score)
    ci = bootstrap_ci_corpus(stats, lambda s: score_from_statistics(metric, s), resamples=200, seed=0)
    assert ci.low <= whole <= ci.high


def test_identical_systems_are_not_significantly_different():
    values = np.random.default_rng(2).uniform(0, 1, size=100)
    test = paired_randomization(values, values, trials=2000)
    assert test.difference == 0 and test.p_value == 1.0


def test_a_consistently_better_system_is_significant():
    rng = np.random.default_rng(3)
    b = rng.uniform(0, 0.5, size=100)
    test = paired_randomization(b + 0.3, b, trials=2000, seed=0)
    assert test.difference == pytest.approx(0.3)
    assert test.p_value < 0.01


def test_noise_is_not_significant():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=60), rng.normal(size=60)
    assert paired_randomization(a, b, trials=2000).p_value > 0.05


def test_corpus_randomisation_finds_a_clear_bleu_gap():
    refs = ["phổi hai bên sáng đều bóng tim không to"] * 30
    good = list(refs)
    bad = ["xương sườn gãy cung sau"] * 30
    metric = bleu_metric()
    stats_good, stats_bad = corpus_statistics(metric, good, refs), corpus_statistics(metric, bad, refs)
    test = paired_randomization_corpus(stats_good, stats_bad, lambda s: score_from_statistics(metric, s), trials=200)
    assert test.difference > 90 and test.p_value < 0.01

"""Seeded bootstrap confidence intervals and paired approximate-randomisation tests.

Per-record metrics (ROUGE, fact precision/recall) resample per-record values; corpus metrics (BLEU,
chrF) resample per-record sufficient statistics and recompute the corpus score, as sacrebleu does.
Everything is vectorised with numpy and seeded, so a report is reproducible to the digit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_RESAMPLES = 1000
DEFAULT_TRIALS = 10000


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def as_list(self) -> list[float]:
        return [self.low, self.high]


def bootstrap_ci(
    values: npt.ArrayLike, *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0, confidence: float = 0.95
) -> Interval:
    """Percentile bootstrap interval of the mean of per-record values."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return Interval(0.0, 0.0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, data.size, size=(resamples, data.size))
    means = data[idx].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    return Interval(float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail)))


def bootstrap_ci_corpus(
    stats: np.ndarray,
    score: Callable[[np.ndarray], float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Percentile bootstrap interval of a corpus score computed from summed per-record statistics."""
    if len(stats) == 0:
        return Interval(0.0, 0.0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(stats), size=(resamples, len(stats)))
    scores = [score(stats[row].sum(axis=0)) for row in idx]
    tail = (1 - confidence) / 2 * 100
    return Interval(float(np.percentile(scores, tail)), float(np.percentile(scores, 100 - tail)))


@dataclass(frozen=True)
class PairedTest:
    """A minus B, and how often random swaps of the paired outputs give a difference at least as large."""

    a: float
    b: float
    difference: float
    p_value: float
    trials: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def paired_randomization(
    a: npt.ArrayLike, b: npt.ArrayLike, *, trials: int = DEFAULT_TRIALS, seed: int = 0
) -> PairedTest:
    """Approximate randomisation on the mean of per-record values (two-sided, add-one smoothed)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError("paired samples differ in length")
    observed = x.mean() - y.mean() if x.size else 0.0
    rng = np.random.default_rng(seed)
    diff = x - y
    swaps = rng.integers(0, 2, size=(trials, x.size)) * 2 - 1
    shuffled = np.abs((swaps * diff).mean(axis=1)) if x.size else np.zeros(trials)
    hits = int(np.sum(shuffled >= abs(observed) - 1e-12))
    return PairedTest(
        float(x.mean() if x.size else 0.0),
        float(y.mean() if y.size else 0.0),
        float(observed),
        (hits + 1) / (trials + 1),
        trials,
    )


def paired_randomization_corpus(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    score: Callable[[np.ndarray], float],
    *,
    trials: int = 1000,
    seed: int = 0,
) -> PairedTest:
    """Approximate randomisation for a corpus score: swap each record's statistics between systems."""
    sa, sb = score(stats_a.sum(axis=0)), score(stats_b.sum(axis=0))
    observed = sa - sb
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        swap = rng.integers(0, 2, size=len(stats_a)).astype(bool)[:, None]
        x = np.where(swap, stats_b, stats_a).sum(axis=0)
        y = np.where(swap, stats_a, stats_b).sum(axis=0)
        hits += abs(score(x) - score(y)) >= abs(observed) - 1e-12
    return PairedTest(sa, sb, observed, (hits + 1) / (trials + 1), trials)

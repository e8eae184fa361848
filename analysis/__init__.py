"""``python -m analysis SOURCE --out DIR``: the corpus statistics, runnable from the repository's top level.

The library is :mod:`vixray_data.statistics` (it ships in the wheel); this folder only keeps the command the paper's
readers know. ``from analysis import run_statistics`` still works from a checkout.
"""

from __future__ import annotations

from vixray_data.statistics import Corpus, StatsConfig, StatsResult, load_corpus, run_statistics

__all__ = ["Corpus", "StatsConfig", "StatsResult", "load_corpus", "run_statistics"]

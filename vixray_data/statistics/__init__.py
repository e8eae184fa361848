"""Corpus statistics and figures for ViX-Ray: Table 3, Figure 2a/2b frequencies, plots and ``report.md``.

Run as ``python -m analysis SOURCE --out DIR`` or ``vixray stats SOURCE --out DIR``; from Python::

    from vixray_data.statistics import StatsConfig, run_statistics
    run_statistics("vixray", StatsConfig(out=Path("stats")))
"""

from __future__ import annotations

from .corpus import Corpus, load_corpus
from .report import StatsConfig, StatsResult, run_statistics

__all__ = ["Corpus", "StatsConfig", "StatsResult", "load_corpus", "run_statistics"]

"""Benchmark: the whole statistics run (Table 3, Figure 2 counts, noun phrases, all figures, report.md).

    .venv/bin/python benchmarks/bench_stats.py            # 5,400 demo reports, median of 3
    .venv/bin/python benchmarks/bench_stats.py --size 1000 --repeats 1

Input: a text-only ``DatasetDict`` of demo reports (``DemoSource.record(i).fields``; images are never
rendered), split 4320/520/560 like the paper. The run analyses each distinct report once and segments /
POS-tags each distinct sentence once, so repetition matters; three corpora are timed:

- ``demo``: the demo reports as generated (templated: many identical reports), the best case;
- ``reports``: every report made distinct (a numbered sentence appended) but its sentences still
  repeat across reports, as in a hospital's templated reporting;
- ``sentences``: every sentence made distinct (a number inserted before each full stop), the worst case.

Beside the whole run, the plain-library route for Table 3 alone (pyvi ``ViTokenizer`` on every text, no
lexicon correction, no facts, no figures) is timed in the same process, for the ratio.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from datasets import Dataset, DatasetDict

from vixray_data import schema
from vixray_data.sources.demo import DemoSource
from vixray_data.statistics import StatsConfig, run_statistics

COLUMNS = (schema.AGE, schema.SEX, schema.VIEW, schema.FINDINGS, schema.IMPRESSIONS)


def demo_dict(size: int, *, unique: str = "") -> DatasetDict:
    source = DemoSource(size=size, seed=175)
    columns = {c: [] for c in COLUMNS}
    for i in range(size):
        fields = source.record(i).fields
        for c in COLUMNS:
            value = fields[c]
            if unique == "reports" and c in (schema.FINDINGS, schema.IMPRESSIONS):
                value = f"{value} Phim số {i}."
            elif unique == "sentences" and c in (schema.FINDINGS, schema.IMPRESSIONS):
                value = value.replace(".", f" {i}.")
            columns[c].append(value)
    cut1, cut2 = int(size * 0.8), int(size * 0.8) + int(size * 520 / 5400)
    bounds = {schema.TRAIN: (0, cut1), schema.VALIDATION: (cut1, cut2), schema.TEST: (cut2, size)}
    return DatasetDict({s: Dataset.from_dict({c: v[a:b] for c, v in columns.items()}) for s, (a, b) in bounds.items()})


def clear_caches() -> None:
    from vixray_data import segment
    from vixray_data.statistics import nounphrase

    segment._segment_sentence.cache_clear()
    nounphrase._sentence_chunks.cache_clear()
    nounphrase._anatomy_mentions.cache_clear()


def plain_table3(dataset: DatasetDict) -> float:
    """The route a notebook would take: ViTokenizer on every text, count tokens, no lexicon, no figures."""
    from pyvi import ViTokenizer

    start = time.perf_counter()
    for split in dataset.values():
        columns = split.select_columns([schema.FINDINGS, schema.IMPRESSIONS]).to_dict()
        for texts in columns.values():
            lengths = [len(ViTokenizer.tokenize(t).split()) for t in texts if t]
            _ = (min(lengths), statistics.fmean(lengths), max(lengths))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5400)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from pyvi import ViTokenizer

    ViTokenizer.tokenize("Phổi sáng")  # load the CRF model outside the timings
    print(f"cores available: {len(os.sched_getaffinity(0))}; {args.size} reports; median of {args.repeats}")
    for kind in ("demo", "reports", "sentences"):
        dataset = demo_dict(args.size, unique="" if kind == "demo" else kind)
        full, plain = [], []
        for _ in range(args.repeats):
            clear_caches()  # every run starts cold
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                run_statistics(dataset, StatsConfig(out=Path(out)))
                full.append(time.perf_counter() - start)
            plain.append(plain_table3(dataset))
        f, p = statistics.median(full), statistics.median(plain)
        print(
            f"{kind:9s} whole run incl. figures: {f:6.1f} s   plain pyvi Table 3 only: {p:6.1f} s   "
            f"ratio {f / p:4.1f}x   (runs: {', '.join(f'{t:.1f}' for t in full)})"
        )


if __name__ == "__main__":
    main()

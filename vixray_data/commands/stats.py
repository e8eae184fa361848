"""``vixray stats SOURCE --out DIR``: Table 3, Figure 2 frequencies, plots, report.md (``vixray_data.statistics``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..segment import BACKENDS

#: Where ``vixray stats`` writes, and where ``vixray review`` looks for its output, by default.
STATS_OUT = Path("stats")

NAME = "stats"
HELP = "corpus statistics: Table 3, body-part and diagnosis frequencies (Figure 2), plots, report.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="a built dataset folder, a hub id, or the published release's folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=STATS_OUT,
        help="folder for tables, figures and report.md (vixray review reads it from there)",
    )
    parser.add_argument("--segmenter", choices=BACKENDS, default="pyvi", help="word segmentation backend for lengths")
    parser.add_argument(
        "--noun-phrases", choices=("auto", "stanza", "pos+lexicon", "none"), default="auto",
        help="noun-phrase method for Figure 2a (auto: Stanza when it and its Vietnamese models are installed, "
             "`pip install 'vixray-data[nlp]'`, else pos+lexicon; report.md names the one used)",
    )  # fmt: skip
    compare = parser.add_mutually_exclusive_group()
    compare.add_argument(
        "--compare-paper",
        dest="compare_paper",
        action="store_true",
        default=None,
        help="write the paper's Table 3 figures beside ours in table3.md/.csv/.json and report.md "
        "(without either flag: only for the published release)",
    )
    compare.add_argument(
        "--no-compare-paper",
        dest="compare_paper",
        action="store_false",
        help="never add the paper's figures, even for the published release",
    )
    parser.add_argument(
        "--count-punctuation",
        dest="punctuation",
        action="store_true",
        help="count punctuation marks as tokens in Table 3 lengths (VnCoreNLP-style)",
    )
    parser.add_argument(
        "--no-figures",
        dest="figures",
        action="store_false",
        help="write the tables and report.md only, no PNG/SVG figures",
    )
    parser.add_argument("--top", type=int, default=20, metavar="N", help="bars per frequency figure")
    parser.add_argument(
        "--num-proc", type=int, default=None, help="processes for segmentation and parsing (default: all cores)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (none when stderr is not a TTY)")


def run(args: argparse.Namespace) -> int:
    from ..statistics import StatsConfig, run_statistics

    config = StatsConfig(
        out=args.out,
        backend=args.segmenter,
        noun_phrases=None if args.noun_phrases == "none" else args.noun_phrases,
        compare_paper=args.compare_paper,
        figures=args.figures,
        top=args.top,
        num_proc=args.num_proc,
        punctuation=args.punctuation,
        progress=not args.no_progress,
    )
    result = run_statistics(args.source, config)
    print(result.summary())
    print(f"report: {Path(args.out) / 'report.md'}")
    return 0

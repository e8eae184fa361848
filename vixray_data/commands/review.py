"""``vixray review DIR --out review.html``: one self-contained page to look at a build before it is published."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SourceError

NAME = "review"
HELP = "write one self-contained HTML page showing a build: counts, rejects, de-identification, a sample of studies"


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..review import THUMBNAIL_PX
    from .stats import STATS_OUT

    parser.add_argument("folder", type=Path, help="a folder written by `vixray build`")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("review.html"),
        help="the HTML file to write (keep it outside the build: it is not part of the release)",
    )
    parser.add_argument("--sample", type=int, default=3, metavar="N", help="studies shown per split, drawn at random")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --sample draw")
    parser.add_argument(
        "--ids",
        type=_ids,
        default=None,
        metavar="ID,ID,...",
        help="show these studies instead of a random sample (default: a sample)",
    )
    parser.add_argument(
        "--stats",
        type=Path,
        default=STATS_OUT,
        metavar="STATS",
        help="folder written by `vixray stats` whose Table 3 and figures to include, if it exists "
        f"(default: {STATS_OUT}, where `vixray stats` writes by default)",
    )
    parser.add_argument(
        "--thumbnail-px", type=int, default=THUMBNAIL_PX, metavar="PX", help="longest side of each thumbnail, in pixels"
    )


def run(args: argparse.Namespace) -> int:
    from ..review import count, write_review

    if not args.folder.is_dir():
        raise SourceError(f"{args.folder} is not a folder")
    if args.sample < 0 or args.thumbnail_px < 16:
        raise SourceError("--sample must be 0 or more and --thumbnail-px at least 16")
    review = write_review(
        args.folder,
        args.out,
        sample=args.sample,
        seed=args.seed,
        ids=args.ids,
        stats=args.stats,
        thumbnail_px=args.thumbnail_px,
    )
    size = args.out.stat().st_size
    stats = f"{count(len(review.figures), 'figure')}" + (" and Table 3" if review.table3 else "")
    print(
        f"wrote {args.out}: {count(len(review.studies), 'study', 'studies')}, "
        f"{count(review.replacements, '___ replacement')} shown, {stats} from {args.stats}"
        f"{'' if args.stats.is_dir() else ' (not found: run vixray stats first)'}, {size / 1e3:.0f} kB"
    )
    return 0

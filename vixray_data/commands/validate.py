"""``vixray validate DIR [--sample N]``: every check a build must pass before it is published."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SourceError, ValidationError

NAME = "validate"
HELP = "check a built folder (schema, card, shard hashes and sizes, images, ids, patients, leak scan, residual PHI)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="a folder written by `vixray build`")
    parser.add_argument("--sample", type=int, metavar="N", help="decode N images chosen at random (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed choosing the --sample images")
    parser.add_argument(
        "--phi-values",
        type=Path,
        metavar="FILE",
        help="also leak-scan the folder for these identifying values (one per line)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (none when stderr is not a TTY)")


def run(args: argparse.Namespace) -> int:
    from ..build.leak_scan import read_values
    from ..validate import check

    if not args.folder.is_dir():
        raise SourceError(f"{args.folder} is not a folder")
    if args.sample is not None and args.sample < 0:
        raise SourceError("--sample must be 0 or more")
    values = read_values(args.phi_values) if args.phi_values else None
    report = check(args.folder, sample=args.sample, seed=args.seed, phi_values=values, progress=not args.no_progress)
    if report.problems:
        for problem in report.problems:
            print(f"FAIL {problem}", file=sys.stderr)
        print(f"{args.folder}: {len(report.problems)} problem(s); not publishable", file=sys.stderr)
        return ValidationError.exit_code
    print(report.summary())
    return 0

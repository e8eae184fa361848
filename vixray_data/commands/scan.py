"""``vixray scan DIR [--phi-values FILE]``: the builder's leak scan and residual-PHI scan, on any folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import SourceError

NAME = "scan"
HELP = (
    "scan a folder for identifying values (one per line in --phi-values) and, in shards, rejects.jsonl and "
    "manifest.json, for any kind of PHI left; exit 1 on any hit"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="folder to scan (a built dataset or anything else)")
    parser.add_argument(
        "--phi-values",
        type=Path,
        default=None,
        metavar="FILE",
        help="UTF-8 text file, one identifying value per line (names, IDs, dates, ...)",
    )
    parser.add_argument("--json", action="store_true", help="print the full result as JSON (hashes, never values)")


def run(args: argparse.Namespace) -> int:
    from ..build.leak_scan import read_index, scan_folder
    from ..build.residual_scan import describe_residual, residual_scan

    if not args.folder.is_dir():
        raise SourceError(f"{args.folder} is not a folder")
    if args.phi_values is not None and not args.phi_values.is_file():
        raise SourceError(f"--phi-values {args.phi_values} does not exist")
    result = scan_folder(args.folder, read_index(args.phi_values) if args.phi_values else [])
    residual = residual_scan(args.folder)
    if args.json:
        print(json.dumps({**result.to_json(), "residual": residual}, indent=2, ensure_ascii=False))
    else:
        for hit in result.hits:
            print(f"LEAK {hit['file']}: {hit['where']} (value sha256 {hit['value_sha256'][:16]}…)")
        for hit in residual:
            print(f"RESIDUAL {describe_residual(hit)}")
        print(
            f"{result.values_checked} value(s) checked in {result.files_scanned} file(s): "
            + ("clean" if result.clean else f"{len(result.hits)} hit(s)")
            + f"; residual PHI kinds: {len(residual) or 'none'}"
        )
    return 0 if result.clean and not residual else 1

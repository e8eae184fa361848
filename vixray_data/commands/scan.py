"""``vixray scan DIR --phi-values FILE``: the builder's leak scan, on any folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import SourceError

NAME = "scan"
HELP = "scan a folder for identifying values (one per line in --phi-values); exit 1 on any hit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="folder to scan (a built dataset or anything else)")
    parser.add_argument("--phi-values", type=Path, required=True, metavar="FILE",
                        help="UTF-8 text file, one identifying value per line (names, IDs, dates, ...)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON (hashes, never values)")


def run(args: argparse.Namespace) -> int:
    from ..leakscan import read_values, scan_folder

    if not args.folder.is_dir():
        raise SourceError(f"{args.folder} is not a folder")
    if not args.phi_values.is_file():
        raise SourceError(f"--phi-values {args.phi_values} does not exist")
    result = scan_folder(args.folder, read_values(args.phi_values))
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        for hit in result.hits:
            print(f"LEAK {hit['file']}: {hit['where']} (value sha256 {hit['value_sha256'][:16]}…)")
        print(f"{result.values_checked} value(s) checked in {result.files_scanned} file(s): "
              + ("clean" if result.clean else f"{len(result.hits)} hit(s)"))
    return 0 if result.clean else 1

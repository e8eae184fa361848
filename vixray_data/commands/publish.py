"""``vixray publish DIR --repo ORG/NAME``: validate, show what goes up, upload (token from HF's own login)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SourceError

NAME = "publish"
HELP = "validate a build and upload it to a Hugging Face dataset repo (token: HF_TOKEN or `hf auth login`)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="a folder written by `vixray build`")
    parser.add_argument("--repo", required=True, metavar="ORG/NAME", help="dataset repository on the hub")
    parser.add_argument("--private", action="store_true", help="create the repository as private")
    parser.add_argument("--revision", metavar="BRANCH", help="branch to commit to (created when missing)")
    parser.add_argument("--dry-run", action="store_true", help="validate and list the files, upload nothing")
    parser.add_argument("--sample", type=int, metavar="N", help="validate by decoding N images (default: all)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (none when stderr is not a TTY)")


def run(args: argparse.Namespace) -> int:
    import sys

    from ..publish import publish

    if args.no_progress or not sys.stderr.isatty():  # the upload's bars are huggingface_hub's own
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if not args.folder.is_dir():
        raise SourceError(f"{args.folder} is not a folder")
    publish(
        args.folder,
        repo=args.repo,
        private=args.private,
        revision=args.revision,
        dry_run=args.dry_run,
        sample=args.sample,
        progress=not args.no_progress,
    )
    return 0

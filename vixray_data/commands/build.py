"""``vixray build [SOURCE]``: build the dataset folder (the demo corpus when no SOURCE is given).

The options are :class:`~vixray_data.config.BuildConfig`'s fields, each declaring its own flag there.
"""

from __future__ import annotations

import argparse

from .. import flags
from ..config import BuildConfig

NAME = "build"
HELP = "build a hub-ready dataset folder (parquet shards, README card, manifest) from an export or the demo corpus"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_arguments(parser, BuildConfig)


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    """The BuildConfig the parsed arguments describe."""
    return flags.from_arguments(BuildConfig, args)


def run(args: argparse.Namespace) -> int:
    from ..build import build  # heavy imports only when building

    result = build(config_from_args(args))
    print(result.summary_line())
    return 0

"""``vixray`` command line: a thin layer over the library.

Each subcommand is a module in ``vixray_data.commands`` with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Library errors become one line and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .errors import VixrayError

COMMANDS = ("build", "scan", "validate", "publish", "stats", "evaluate")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vixray", description="Build, check, study, publish and score ViX-Ray.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"vixray_data.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("vixray_data.commands"):
                continue  # subcommand not shipped in this version
            raise
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    try:
        return int(args._run(args) or 0)
    except VixrayError as exc:
        print(f"vixray {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"vixray {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

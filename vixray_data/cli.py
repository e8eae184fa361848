"""``vixray`` command line: a thin layer over the library.

Each subcommand is a module in ``vixray_data.commands`` with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Library errors become one line and an exit code;
so does any other exception (``-v`` prints its trace).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback

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
        _trace(args, exc.__cause__)
        print(f"vixray {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"vixray {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # no traceback reaches the user: its message may quote a value, so only the type
        _trace(args, exc)
        where = getattr(exc, "in_flight", None)  # set by the builder: the stage and record ref, never a value
        print(f"vixray {args.command}: error: unexpected {type(exc).__name__}" + (f" while {where}" if where else "")
              + f" (a bug, or an input we do not handle: run vixray -v {args.command} ... for the trace)",
              file=sys.stderr)
        return 70


def _trace(args: argparse.Namespace, exc: BaseException | None) -> None:
    """With ``-v``, the full trace of what went wrong (it may quote input values: for the operator only)."""
    if args.verbose and exc is not None:
        traceback.print_exception(exc, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

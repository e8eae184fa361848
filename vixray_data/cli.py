"""``vixray`` command line: a thin layer over the library.

Each subcommand is a module in ``vixray_data.commands`` with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Library errors become one line and an exit code;
so does any other exception (``-v`` prints its trace).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback

from . import __version__
from .errors import VixrayError

COMMANDS = ("build", "scan", "validate", "publish", "stats", "evaluate", "review")


class DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already says it or there is none to show.

    A flag (``--no-figures``, ``--strict``: no value) has no default to show: "(default: True)" beside
    ``--no-figures`` would read as if the flag were on. A default of 0 is shown (``--seed``).
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            not action.option_strings
            or "default" in text
            or action.nargs == 0
            or action.default is None
            or action.default is argparse.SUPPRESS
        ):
            return text
        return f"{text} (default: %(default)s)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vixray", description="Build, check, study, publish and score ViX-Ray.")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="vixray's own debug lines and traces, and the libraries' warnings and info lines",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"vixray_data.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("vixray_data.commands"):
                continue  # subcommand not shipped in this version
            raise
        command = sub.add_parser(
            module.NAME, help=module.HELP, description=module.HELP, formatter_class=DefaultsFormatter
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


#: Libraries whose info and warnings (``Repo card metadata block was not found``, retries, HTTP requests) are noise
#: at the default level: shown with ``-v``. Their errors reach the user as our own one-line errors.
NOISY_LOGGERS = ("datasets", "huggingface_hub", "httpx", "httpx2", "fsspec", "urllib3", "filelock")


#: The verbosity and progress-bar settings ``datasets`` and ``huggingface_hub`` read from the environment when they are
#: imported: only the loader, publish and hub code import them, so a command that never does (``vixray build``)
#: never pays their import time (about a second) just to silence them.
QUIET_ENV = {"DATASETS_VERBOSITY": "error", "HF_HUB_VERBOSITY": "error"}


def _quiet_libraries() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # a library not imported yet reads these as it is imported (a value the user set wins); one already imported
    # (a caller of main() that imported it) is told directly
    for variable, value in QUIET_ENV.items():
        os.environ.setdefault(variable, value)
    if not sys.stderr.isatty():  # like ours, their progress bars are for terminals, not logs
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    if "datasets" in sys.modules:
        import datasets

        datasets.utils.logging.set_verbosity_error()
        if not sys.stderr.isatty():
            datasets.disable_progress_bars()
    if "huggingface_hub" in sys.modules:
        import huggingface_hub.utils.logging

        huggingface_hub.utils.logging.set_verbosity_error()


def _log_levels(verbose: bool) -> None:
    """INFO for every logger; with ``-v``, DEBUG for vixray's own. The libraries' DEBUG lines are dumps, not
    diagnoses of our runs (PIL's ``STREAM b'IHDR'`` line for every PNG chunk it reads, matplotlib's font search,
    HTTP connection pools), so ``-v`` leaves them out."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if verbose:
        logging.getLogger("vixray_data").setLevel(logging.DEBUG)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _log_levels(args.verbose)
    if not args.verbose:
        _quiet_libraries()
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
        print(
            f"vixray {args.command}: error: unexpected {type(exc).__name__}"
            + (f" while {where}" if where else "")
            + f" (a bug, or an input we do not handle: run vixray -v {args.command} ... for the trace)",
            file=sys.stderr,
        )
        return 70


def _trace(args: argparse.Namespace, exc: BaseException | None) -> None:
    """With ``-v``, the full trace of what went wrong (it may quote input values: for the operator only)."""
    if args.verbose and exc is not None:
        traceback.print_exception(exc, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

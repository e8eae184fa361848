"""``python -m analysis SOURCE --out DIR``: the same command as ``vixray stats`` (:mod:`vixray_data.statistics`)."""

from __future__ import annotations

import argparse
import logging
import sys

from vixray_data.commands import stats
from vixray_data.errors import VixrayError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=stats.HELP)
    stats.add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        return stats.run(args)
    except VixrayError as exc:
        print(f"python -m analysis: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # like vixray: one line, the workers already ended (vixray_data.pool)
        print("python -m analysis: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Progress bars for long CLI work: tqdm on stderr, shown only when asked for and when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from tqdm import tqdm


def bar(iterable: Iterable | None = None, *, enabled: bool, **kwargs: Any) -> tqdm:
    """A tqdm bar on stderr; silent unless ``enabled`` and stderr is a TTY (logs and CI output stay clean)."""
    return tqdm(iterable, file=sys.stderr, disable=not (enabled and sys.stderr.isatty()), leave=False, **kwargs)

"""The Hugging Face hub as every part of the toolkit meets it: what a hub id looks like, one probe, one message.

Loading a dataset (:mod:`vixray_data.load`, the statistics) and a model (:mod:`vixray_data.training`) ask the same
question first, with :func:`require_hub`: does the hub answer for this id within seconds? ``datasets``,
``transformers`` and ``huggingface_hub`` would otherwise retry for tens of seconds. Whoever cannot reach it says so
in the words of :func:`unreachable_message`: the endpoint, the id, why, and how to work from a local folder instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import datasets

from .errors import SourceError

#: ``ORG/NAME``: the shape of a hub repository id.
REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")
#: Seconds the hub may take to answer the reachability check before a hub id is reported unreachable.
PROBE_TIMEOUT_S = 5
#: Values of ``HF_HUB_OFFLINE`` that mean offline (huggingface_hub's own list).
_TRUE = ("1", "ON", "YES", "TRUE")


def is_hub_id(source: Any) -> bool:
    """``ORG/NAME`` that is not an existing path: what ``datasets.load_dataset`` looks up on the hub."""
    return isinstance(source, str) and not Path(source).exists() and REPO_ID.fullmatch(source) is not None


def offline() -> bool:
    """``HF_HUB_OFFLINE`` as the libraries read it when imported, or as set in the environment since."""
    return bool(datasets.config.HF_HUB_OFFLINE) or os.environ.get("HF_HUB_OFFLINE", "").upper() in _TRUE


def endpoint() -> str:
    """The hub the libraries talk to (``HF_ENDPOINT``, else huggingface.co)."""
    return datasets.config.HF_ENDPOINT


def unreachable_message(repo_id: str, cause: BaseException, *, repo_type: str = "dataset") -> str:
    """The one line for a hub id that could not be reached: endpoint, id, why, and the local folder to give instead.

    Only the type of ``cause`` (the transport error) is shown: its text may be long or quote a URL with a token.
    Offline, the reason is always that the local cache has no copy.
    """
    why = "HF_HUB_OFFLINE=1 and no cached copy" if offline() else type(cause).__name__
    built = " one written by `vixray build`, or" if repo_type == "dataset" else ""
    return (
        f"cannot reach the Hugging Face hub at {endpoint()} for {repo_id} ({why}); to work offline, "
        f"give a local folder instead:{built} the {repo_type} downloaded with "
        f"`hf download {repo_id} --repo-type {repo_type} --local-dir DIR` on a connected machine"
    )


def require_hub(repo_id: str, *, repo_type: str = "dataset") -> None:
    """One request with a short timeout: SourceError at once when the hub does not answer for ``repo_id``.

    Nothing is asked offline (``HF_HUB_OFFLINE=1``), where only the local cache serves.
    """
    if offline():
        return
    from huggingface_hub.utils import get_session

    try:
        get_session().head(f"{endpoint().rstrip('/')}/api/{repo_type}s/{repo_id}", timeout=PROBE_TIMEOUT_S)
    except Exception as exc:  # any transport error (refused, DNS, timeout, proxy): the hub is not reachable
        raise SourceError(unreachable_message(repo_id, exc, repo_type=repo_type)) from None

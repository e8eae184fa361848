"""The builder: a hospital export (or the demo corpus) in, a de-identified, hub-ready dataset folder out.

One module per job, in the order the build runs them:

* ``pipeline``: the stages, collect → de-identify → split → write → scan → seal, and :func:`build`;
* ``images``: producing, checking and screening the images in a pool of worker processes or threads;
* ``leak_scan``: every listed identifying value, in its spellings, in every file written;
* ``residual_scan``: any kind of PHI left in the text written;
* ``seal``: rejects.jsonl, manifest.json, README.md and croissant.json, each scanned before it joins the build;
* ``output``: the temporary folder beside ``out`` and the atomic swap into place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import BuildResult, build

__all__ = ["BuildResult", "build"]


def __getattr__(name: str) -> Any:
    # lazy, like vixray_data/__init__: `vixray scan` and `vixray validate` import the two scans without the
    # pipeline's images, parquet writer and source readers
    if name in __all__:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

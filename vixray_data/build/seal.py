"""The files that describe a build: ``rejects.jsonl``, then ``manifest.json``, ``README.md`` (the card) and
``croissant.json``, each leak-scanned before it joins the build."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import card, croissant, schema
from ..errors import DeidError
from ..manifest import Manifest, PixelScreening
from ..ocr import TextScreen
from ..phi.values import ValueIndex
from ..records import Reject
from . import leak_scan, residual_scan


def write_rejects(folder: Path, rejects: Sequence[Reject]) -> None:
    """rejects.jsonl: one line per record not written, with its reason (refs, never values)."""
    with open(folder / schema.REJECTS, "w", encoding="utf-8") as handle:
        for reject in rejects:
            handle.write(json.dumps(reject.to_json(), ensure_ascii=False, sort_keys=True) + "\n")


def pixel_screening(screen: TextScreen | None) -> PixelScreening:
    """What the manifest (and the card) say about text in the pixels."""
    if screen is None:
        return PixelScreening(
            ocr=False,
            statement="pixels were not screened for burned-in text (build without "
            "--ocr); only images flagged BurnedInAnnotation were removed",
        )
    return PixelScreening(
        ocr=True,
        engine="rapidocr-onnxruntime",
        allowed_words=tuple(screen.words),
        statement="every image was read with OCR; images with text beyond the allowed marker words "
        "were rejected (burned_in_text)",
    )


def seal(
    folder: Path,
    manifest: Manifest,
    *,
    values: ValueIndex | Iterable[str],
    stats: card.FieldStats,
    report_residual: Path | None = None,
) -> None:
    """Write manifest.json, README.md and croissant.json into ``folder``, leak-scanned on their own first.

    The manifest is scanned whole; of the card only the lines the build filled in (the template's prose,
    "Military Hospital 175" and its figures, is the project's text, not data); neither for numbers of under
    six digits (a count or a version number is not a patient's id: :func:`.kept_values.searched_in_builder_files`).
    croissant.json is the manifest's facts in the project's words, so it is not scanned apart. The residual-PHI
    scan covers the manifest too (its hits are added to ``report_residual``).
    """
    values = leak_scan.index(values)  # the build's one index: built here only for a list of values
    meta = Path(tempfile.mkdtemp(prefix=".meta-", dir=folder.parent))
    try:
        manifest.write(meta)
        scan = leak_scan.scan_folder(meta, values, builder=True)  # the manifest: all that meta holds so far
        card_text = card.render_card(manifest, stats=stats)
        template = set(card.template_text().splitlines())
        scanned = meta / ".scan"
        scanned.mkdir()
        (scanned / schema.CARD).write_text(
            "\n".join(line for line in card_text.splitlines() if line not in template), encoding="utf-8"
        )
        card_scan = leak_scan.scan_folder(scanned, values, builder=True)
        shutil.rmtree(scanned)
        (meta / schema.CARD).write_text(card_text, encoding="utf-8")
        (meta / croissant.CROISSANT).write_text(croissant.croissant_text(manifest), encoding="utf-8")
        if not (scan.clean and card_scan.clean):
            raise DeidError("leak scan found identifying values in manifest.json / README.md; nothing was written")
        residual_scan.require_clean(meta, report=report_residual, append=True)
        for name in (schema.MANIFEST, schema.CARD, croissant.CROISSANT):
            os.replace(meta / name, folder / name)
    finally:
        shutil.rmtree(meta, ignore_errors=True)

"""A build on one page: ``vixray review DIR --out review.html``, for the people who sign off a release.

The page is self-contained (inline CSS, images as small JPEG data URIs, no script, no network): it can be
mailed to a privacy officer or opened on an offline machine. It shows the build's summary from
``manifest.json`` (counts per split, rejects by reason, the de-identification audit, the leak-scan result),
a seeded sample of studies per split (thumbnail, age / sex / view and the report text, with every ``___``
replacement highlighted and any text that still matches a PHI pattern of the de-identifier flagged), the
records the residual-PHI screen quarantined (``rejects.jsonl``: where and what kind, never the text), and
Table 3 and the figures ``vixray stats`` wrote when there are any. It reads on a laptop and on a phone: one
column that fits a 400 px screen, text wrapping inside its cards, wide tables scrolling in their own box.
"""

from __future__ import annotations

import base64
import html
import io
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import phi, schema
from .build.residual_scan import REASON as QUARANTINED
from .build.residual_scan import default_detectors, find_residual
from .errors import SourceError
from .manifest import Manifest
from .shards import read_columns, shard_paths

#: Longest side of a thumbnail, in pixels: enough to see a radiograph's layout, small enough to mail the page.
THUMBNAIL_PX = 256
_REDACTED = re.compile(re.escape(phi.REDACTED))
_TEXT = (schema.FINDINGS, schema.IMPRESSIONS, schema.NOTE, schema.TECHNIQUE)


@dataclass
class Study:
    split: str
    row: int
    values: dict[str, Any]  # schema fields; the image as its encoded bytes
    residual: dict[str, list[str]] = field(default_factory=dict)  # field -> PHI rules its text still matches


@dataclass(frozen=True)
class Figure:
    path: Path
    caption: str


@dataclass
class Review:
    folder: Path
    manifest: Manifest
    studies: list[Study]
    figures: list[Figure]
    table3: list[list[str]] | None  # Table 3's rows of cells, the header first
    table3_method: str | None = None
    quarantined: list[dict[str, str]] = field(default_factory=list)  # residual_phi rejects: ref and detail

    @property
    def replacements(self) -> int:
        return sum(len(_REDACTED.findall(s.values.get(f) or "")) for s in self.studies for f in _TEXT)


def choose(
    folder: Path, *, sample: int, seed: int = 0, ids: list[str] | None = None, manifest: Manifest | None = None
) -> dict[str, list[int]]:
    """Split -> row numbers to show: the rows of ``ids``, else ``sample`` rows per split drawn with ``seed``."""
    by_split = read_columns(folder, [schema.ID], manifest=manifest)
    if ids:
        where = {rid: (split, row) for split, cols in by_split.items() for row, rid in enumerate(cols[schema.ID])}
        unknown = [i for i in ids if i not in where]
        if unknown:
            raise SourceError(f"{folder}: no study with id {', '.join(unknown)}")
        rows: dict[str, list[int]] = {}
        for rid in ids:
            split, row = where[rid]
            rows.setdefault(split, []).append(row)
        return {split: sorted(rows[split]) for split in by_split if split in rows}
    rng = random.Random(seed)
    return {
        split: sorted(rng.sample(range(len(cols[schema.ID])), min(sample, len(cols[schema.ID]))))
        for split, cols in by_split.items()
    }


def _read_rows(folder: Path, split: str, rows: list[int], manifest: Manifest) -> list[Study]:
    """The chosen rows of one split, reading only the row groups that hold them."""
    import pyarrow.parquet as pq

    wanted, studies, offset = set(rows), [], 0
    detectors = default_detectors()
    for path in shard_paths(folder, manifest)[split]:
        parquet = pq.ParquetFile(path)
        for group in range(parquet.metadata.num_row_groups):
            n = parquet.metadata.row_group(group).num_rows
            inside = sorted(r - offset for r in wanted if offset <= r < offset + n)
            if inside:
                table = parquet.read_row_group(group).take(inside).to_pylist()
                for r, values in zip(inside, table, strict=True):
                    image = values.get(schema.IMAGE) or {}
                    values[schema.IMAGE] = image.get("bytes") if isinstance(image, dict) else None
                    residual = {}
                    for name in _TEXT:
                        hits = {category for _, category in find_residual(values.get(name), detectors)}
                        if hits:
                            residual[name] = sorted(hits)
                    studies.append(Study(split, offset + r, values, residual))
            offset += n
    return studies


def markdown_table(text: str) -> list[list[str]]:
    """The cells of a Markdown pipe table (``table3.md``), the header row first, the ``|---|`` line left out."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells if cell):
            continue
        rows.append(cells)
    return rows


def stats_figures(stats: Path) -> list[Figure]:
    """The PNG figures of a ``vixray stats`` folder with their captions, in the order ``stats.json`` lists them;
    a PNG it does not list comes after them, captioned by its file name."""
    listed: list[Any] = []  # JSON as read: each entry is checked below
    summary = stats / "stats.json"
    if summary.is_file():
        try:
            listed = json.loads(summary.read_text(encoding="utf-8")).get("figures") or []
        except (ValueError, AttributeError):
            listed = []
    figures = [
        Figure(stats / entry["png"], str(entry.get("caption") or entry["png"]))
        for entry in listed
        if isinstance(entry, dict) and isinstance(entry.get("png"), str) and (stats / entry["png"]).is_file()
    ]
    known = {f.path.name for f in figures}
    return figures + [Figure(p, p.stem.replace("_", " ")) for p in sorted(stats.glob("*.png")) if p.name not in known]


def collect(
    folder: Path, *, sample: int = 3, seed: int = 0, ids: list[str] | None = None, stats: Path | None = None
) -> Review:
    """What the page shows, read from ``folder`` (a build) and ``stats`` (a ``vixray stats`` folder; none: no
    statistics)."""
    folder = Path(folder)
    manifest = Manifest.read(folder)
    studies = [
        s
        for split, rows in choose(folder, sample=sample, seed=seed, ids=ids, manifest=manifest).items()
        for s in _read_rows(folder, split, rows, manifest)
    ]
    figures, table3, method = [], None, None
    if stats is not None and Path(stats).is_dir():
        stats = Path(stats)
        figures = stats_figures(stats)
        if (stats / "table3.md").is_file():
            table3 = markdown_table((stats / "table3.md").read_text(encoding="utf-8")) or None
        if (stats / "table3.json").is_file():
            try:
                method = json.loads((stats / "table3.json").read_text(encoding="utf-8")).get("method")
            except (ValueError, AttributeError):
                method = None
    return Review(
        folder=folder,
        manifest=manifest,
        studies=studies,
        figures=figures,
        table3=table3,
        table3_method=method,
        quarantined=_quarantined(folder),
    )


def _quarantined(folder: Path) -> list[dict[str, str]]:
    """The ``residual_phi`` lines of rejects.jsonl (ref and detail: where and what kind, never the text)."""
    path = folder / schema.REJECTS
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            reject = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(reject, dict) and reject.get("reason") == QUARANTINED:
            out.append({"ref": str(reject.get("ref", "")), "detail": str(reject.get("detail", ""))})
    return out


# -- rendering -----------------------------------------------------------------------------------------
def _data_uri(data: bytes, kind: str) -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


def thumbnail(data: bytes | None, size: int = THUMBNAIL_PX) -> str | None:
    """A JPEG data URI of the image scaled to ``size`` px on its longest side; None when it does not decode."""
    from PIL import Image

    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.mode.startswith(("I", "F")):  # 16-bit and float radiographs: scale to 8 bits by their maximum
                import numpy as np

                array = np.asarray(image, dtype=np.float64)
                image = Image.fromarray((array * (255.0 / max(float(array.max()), 1.0))).astype(np.uint8))
            image = image.convert("L" if image.mode in ("L", "LA", "1") else "RGB")
            image.thumbnail((size, size))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=80)
    except Exception:  # PIL raises many types for corrupt data; the page says so instead
        return None
    return _data_uri(buffer.getvalue(), "jpeg")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def count(n: int, one: str, many: str | None = None) -> str:
    """``1 study``, ``9 studies``, ``0 hits``: a number with its noun in the right number."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def highlight(text: str | None) -> str:
    """Escaped text with every ``___`` replacement wrapped in ``<mark class="redacted">``."""
    if not text:
        return '<span class="empty">(empty)</span>'
    return f'<mark class="redacted" title="replaced by de-identification">{phi.REDACTED}</mark>'.join(
        _e(part) for part in text.split(phi.REDACTED)
    )


def _table(head: list[str], rows: list[list[Any]], *, cls: str, row_heads: bool = False) -> str:
    """A table in its own horizontally scrolling box: a wide table never widens the page."""
    out = [
        f'<div class="scroll"><table class="{cls}"><thead><tr>',
        *(f"<th>{_e(h)}</th>" for h in head),
        "</tr></thead><tbody>",
    ]
    for row in rows:
        cells = [
            f'<th scope="row">{_e(c)}</th>' if row_heads and i == 0 else f"<td>{_e(c)}</td>" for i, c in enumerate(row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out) + "</tbody></table></div>"


def _summary(review: Review) -> str:
    m = review.manifest
    counts = m.counts
    patients = m.patients or {}
    rows = [
        [split, info.num_examples, len(patients.get(split, ())), len(info.shards), f"{info.bytes / 1e6:.2f}"]
        for split, info in m.splits.items()
    ]
    parts = [
        "<h2>Build</h2>",
        f"<p>Read {_e(counts.read)} · written {_e(counts.written)} · rejected "
        f"{_e(counts.rejected)}. Seed {_e(m.seed)}; source {_e(m.source.get('kind'))}."
        "</p>",
        _table(["split", "examples", "patients", "shards", "MB"], rows, cls="counts"),
    ]
    reasons = counts.rejected_by_reason
    parts += [
        "<h3>Rejects by reason</h3>",
        _table(["reason", "records"], [[r, n] for r, n in reasons.items()], cls="rejects")
        if reasons
        else '<p class="rejects">No record rejected.</p>',
    ]
    audit = [
        [k.replace("_", " "), ", ".join(f"{a} {b}" for a, b in v.items()) or "none" if isinstance(v, dict) else v]
        for k, v in m.deid.items()
    ]
    parts += ["<h3>De-identification audit</h3>", _table(["", "count"], audit, cls="deid")]
    scan = m.leak_scan
    clean = scan is not None and scan.clean and not scan.hits
    verdict = (
        "clean"
        if clean
        else (f"{count(scan.hits, 'hit')}: not publishable" if scan else "not recorded: not publishable")
    )
    parts.append(
        f'<h3>Leak scan</h3><p class="leak {"ok" if clean else "bad"}"><strong>{_e(verdict)}</strong>: '
        f"{_e(count(scan.values_checked if scan else 0, 'identifying value'))} searched for in "
        f"{_e(count(scan.files_scanned if scan else 0, 'file'))}.</p>"
    )
    residual = m.residual_scan
    if residual is not None:
        parts.append(
            f'<h3>Residual-PHI scan</h3><p class="residual-scan"><strong>{_e(count(residual.hits, "hit"))}'
            f"</strong> for {_e(', '.join(residual.categories))} in "
            f"{_e(residual.scanned)}.</p>"
        )
    if review.quarantined:
        parts += [
            f"<h3>Quarantined records ({len(review.quarantined)})</h3><p>Residual PHI in their text after "
            "de-identification: not written. Fix the text in the export and rebuild.</p>",
            _table(
                ["record", "where, what kind"], [[q["ref"], q["detail"]] for q in review.quarantined], cls="quarantined"
            ),
        ]
    screening = m.pixel_screening
    if screening is not None:
        parts.append(f'<h3>Pixel text</h3><p class="screening">{_e(screening.statement)}</p>')
    hits = scan.hit_details if scan else ()
    if hits:
        parts.append(
            _table(
                ["file", "where", "value sha256"],
                [[h.get("file"), h.get("where"), str(h.get("value_sha256", ""))[:16]] for h in hits],
                cls="leak-hits",
            )
        )
    return "\n".join(parts)


def _figures(review: Review) -> str:
    if not review.figures and not review.table3:
        return ""
    parts = ["<h2>Statistics (<code>vixray stats</code>)</h2>"]
    if review.table3:
        head, *rows = review.table3
        parts.append("<h3>Table 3: samples, age, report lengths</h3>")
        if review.table3_method:
            parts.append(f'<p class="method">Lengths: {_e(review.table3_method)}.</p>')
        parts.append(_table(head, rows, cls="table3", row_heads=True))
    for figure in review.figures:
        parts.append(
            f'<figure class="stat"><img alt="{_e(figure.caption)}" '
            f'src="{_data_uri(figure.path.read_bytes(), "png")}"><figcaption>{_e(figure.caption)}'
            "</figcaption></figure>"
        )
    return "\n".join(parts)


def _study(study: Study, size: int) -> str:
    v = study.values
    uri = thumbnail(v.get(schema.IMAGE), size)
    image = (
        f'<img alt="radiograph {_e(v.get(schema.ID))}" src="{uri}">'
        if uri
        else '<p class="bad">image does not decode</p>'
    )
    meta = " · ".join(
        f"{name} {_e(v.get(name) if v.get(name) is not None else '–')}"
        for name in (schema.AGE, schema.SEX, schema.VIEW)
    )
    texts = []
    for name in _TEXT:
        flag = ""
        if name in study.residual:
            kinds = study.residual[name]
            flag = (
                f' <span class="residual">still matches {"a PHI pattern" if len(kinds) == 1 else "PHI patterns"}'
                f": {_e(', '.join(kinds))}</span>"
            )
        texts.append(
            f'<dt>{_e(name)}</dt><dd class="{_e(name)}{" flagged" if flag else ""}">{highlight(v.get(name))}{flag}</dd>'
        )
    return (
        f'<article class="study" data-id="{_e(v.get(schema.ID))}" data-split="{_e(study.split)}">'
        f'<figure>{image}</figure><div class="report"><h4>{_e(v.get(schema.ID))} <small>{_e(study.split)} row '
        f'{study.row}</small></h4><p class="meta">{meta}</p><dl>{"".join(texts)}</dl></div></article>'
    )


_CSS = """
*,*::before,*::after{box-sizing:border-box}
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em;color:#222;overflow-wrap:anywhere}
h1{font-size:1.45em;line-height:1.25}h2{border-bottom:1px solid #ccc;margin-top:1.6em}h3{margin-bottom:.3em}
code{word-break:break-all}
.scroll{max-width:100%;overflow-x:auto;margin:.4em 0}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:normal}
thead th{background:#f4f4f4}tbody th{font-weight:normal;background:#fafafa}
table.table3 td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.warning{background:#fff4d6;border:1px solid #e0b84c;padding:.5em 1em}.method{color:#555}
.leak.ok strong{color:#17702d}.leak.bad strong,.bad{color:#b00020}
mark.redacted{background:#ffe066;padding:0 2px;border-radius:2px}
.residual{background:#b00020;color:#fff;padding:0 4px;border-radius:2px;font-size:.85em}
.study{display:flex;flex-wrap:wrap;gap:.6em 1em;border:1px solid #ddd;border-radius:4px;padding:.6em;margin:.6em 0}
.study figure{margin:0;flex:0 1 auto;max-width:100%}.study img{display:block;max-width:100%;height:auto;background:#000}
.report{flex:1 1 18em;min-width:0}.study h4{margin:0}.meta{color:#555;margin:.2em 0}
dt{font-weight:600;margin-top:.3em}dd{margin:0 0 0 1em}.empty{color:#999}
figure.stat{margin:1.2em 0}figure.stat img{display:block;width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;margin-top:.3em}
@media (max-width:600px){body{font-size:14px;padding:.6em}dd{margin-left:.4em}}
"""


def render(review: Review, *, thumbnail_px: int = THUMBNAIL_PX) -> str:
    """The page's HTML: no script, no external reference, every image a data URI."""
    m = review.manifest
    synthetic = (
        '<p class="warning"><strong>Synthetic demo build:</strong> generated records, not patient data.</p>'
        if m.synthetic
        else ""
    )
    by_split: dict[str, list[Study]] = {}
    for study in review.studies:
        by_split.setdefault(study.split, []).append(study)
    flagged = sum(bool(s.residual) for s in review.studies)
    sample = [
        f"<h2>Sample</h2><p>{count(len(review.studies), 'study', 'studies')} shown; "
        f'{review.replacements} <mark class="redacted">{phi.REDACTED}</mark> '
        f"{'replacement' if review.replacements == 1 else 'replacements'} in their text; {flagged} with text "
        "that still matches a PHI pattern.</p>"
    ]
    for split, studies in by_split.items():
        sample.append(f'<section class="split" data-split="{_e(split)}"><h3>{_e(split)}</h3>')
        sample += [_study(s, thumbnail_px) for s in studies]
        sample.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>ViX-Ray build review: {_e(review.folder.name)}</title><style>{_CSS}</style></head><body>"
        f"<h1>ViX-Ray build review: <code>{_e(review.folder.name)}</code></h1>"
        f"<p>manifest sha256 <code>{_e(m.sha256())}</code> · builder "
        f"{_e(m.builder.name)} {_e(m.builder.version)}</p>"
        f"{synthetic}{_summary(review)}{''.join(sample)}{_figures(review)}</body></html>\n"
    )


def write_review(
    folder: Path,
    out: Path,
    *,
    sample: int = 3,
    seed: int = 0,
    ids: list[str] | None = None,
    stats: Path | None = None,
    thumbnail_px: int = THUMBNAIL_PX,
) -> Review:
    """Collect and render the review page of ``folder`` into ``out``; returns what it shows."""
    review = collect(folder, sample=sample, seed=seed, ids=ids, stats=stats)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(review, thumbnail_px=thumbnail_px), encoding="utf-8")
    return review

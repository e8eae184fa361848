"""Figures as PNG and SVG with matplotlib's Agg backend (no display needed).

Labels are Vietnamese with English glosses, set in DejaVu Sans: it ships with matplotlib and covers
every Vietnamese letter with its tone mark (ế, ở, ữ, ạ ...), so no glyph falls back to a box.

The same data gives the same bytes: SVG ids come from a fixed hash salt (matplotlib draws them at random
otherwise) and no date is written into the SVG or PNG metadata.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .. import schema  # noqa: E402
from .corpus import Corpus  # noqa: E402
from .frequencies import Frequencies  # noqa: E402
from .table3 import Table3  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

log = logging.getLogger(__name__)

FONT = "DejaVu Sans"
FORMATS: tuple[str, ...] = ("png", "svg")
_STYLE: dict[RcKeyType, Any] = {
    "font.family": FONT,
    "font.size": 9,
    "svg.fonttype": "none",
    "figure.dpi": 110,
    "svg.hashsalt": "vixray-data",
}  # fixed clip-path and glyph ids: identical SVG bytes
#: Each figure's file stem and caption: report.md and the review page (``stats.json`` → ``figures``) use them.
CAPTIONS: dict[str, str] = {
    "lengths": "Report lengths: words per findings and per impressions text, one line per split",
    "figure2a_body_parts": "Figure 2a: body parts named in the findings, reports per polarity (present, uncertain, "
    "negated, normal, unread), the most frequent first",
    "figure2b_diagnoses": "Figure 2b: diagnoses in the impressions, reports per polarity, the most frequent first",
    "age_by_sex": "Patients' age by sex, all splits together",
    "views": "Studies per radiographic view",
}
_POLARITY_COLOURS = (
    ("present", "#c0392b"),
    ("uncertain", "#e67e22"),
    ("negated", "#2980b9"),
    ("normal", "#95a5a6"),
    ("unrecognised", "#7d3c98"),
)
_POLARITY_VI = {
    "present": "có",
    "uncertain": "nghi ngờ",
    "negated": "phủ định",
    "normal": "bình thường",
    "unrecognised": "chưa đọc được",
}
_SPLIT_VI = {schema.TRAIN: "train", schema.VALIDATION: "validation (dev)", schema.TEST: "test"}


def _save(fig, out_dir: Path, stem: str) -> list[Path]:
    paths = []
    for ext in FORMATS:
        path = out_dir / f"{stem}.{ext}"
        fig.savefig(path, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)  # no date
        paths.append(path)
    plt.close(fig)
    return paths


def frequency_figure(freq: Frequencies, out_dir: Path, stem: str, *, top: int = 20) -> list[Path]:
    """Horizontal stacked bars per concept: present / uncertain / negated / normal mentions."""
    from .frequencies import _severity_vi

    rows = [r for r in freq.sorted_rows() if r.mentions][:top][::-1]
    severity_vi = _severity_vi()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(8.5, 0.32 * max(len(rows), 3) + 1.4))
        labels = [r.label(severity_vi) for r in rows]
        left = [0] * len(rows)
        for polarity, colour in _POLARITY_COLOURS:
            values = [getattr(r, polarity) for r in rows]
            if any(values):
                ax.barh(labels, values, left=left, color=colour, label=f"{_POLARITY_VI[polarity]} ({polarity})")
                left = [a + b for a, b in zip(left, values, strict=True)]
        rest = [max(r.reports - total, 0) for r, total in zip(rows, left, strict=True)]
        if any(rest):
            ax.barh(labels, rest, left=left, color="#d5d8dc", label="chỉ nhắc đến (named only)")
        if not rows:
            ax.text(0.5, 0.5, "không có dữ liệu (no data)", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel("số báo cáo (reports)")
        ax.set_title(freq.name, loc="left")
        if rows:
            ax.legend(loc="lower right", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, out_dir, stem)


def length_histograms(table: Table3, out_dir: Path, stem: str = "lengths") -> list[Path]:
    """Word-count histograms of findings and impressions, one series per split."""
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        for ax, field, title in (
            (axes[0], schema.FINDINGS, "Độ dài phần mô tả (findings length)"),
            (axes[1], schema.IMPRESSIONS, "Độ dài phần kết luận (impressions length)"),
        ):
            series = {s: v[field] for s, v in table.lengths.items() if v[field]}
            top = max((max(v) for v in series.values()), default=1)
            bins = range(0, top + 2, max(1, (top + 1) // 30))
            for split, values in series.items():
                ax.hist(values, bins=bins, histtype="step", density=True, linewidth=1.4,
                        label=_SPLIT_VI.get(split, split))  # fmt: skip
            ax.set_title(title, loc="left")
            ax.set_xlabel("số từ (words)")
            ax.set_ylabel("tỉ lệ (density)")
            if series:
                ax.legend(frameon=False)
            ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, out_dir, stem)


def age_by_sex(corpus: Corpus, out_dir: Path, stem: str = "age_by_sex") -> list[Path]:
    """Age histograms per sex (Nam = male, Nữ = female), all splits together."""
    ages, sexes = corpus.column(schema.AGE), corpus.column(schema.SEX)
    groups: dict[str, list[int]] = {}
    for age, sex in zip(ages, sexes, strict=True):
        if age is not None:
            groups.setdefault(sex or "?", []).append(int(age))
    gloss = {schema.MALE: "Nam (male)", schema.FEMALE: "Nữ (female)"}
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        bins = range(schema.AGE_MIN, schema.AGE_CAP + 6, 5)
        for sex in sorted(groups, key=lambda s: (s not in gloss, s)):
            ax.hist(groups[sex], bins=bins, alpha=0.6, label=f"{gloss.get(sex, sex)}: {len(groups[sex])}")
        ax.set_title("Phân bố tuổi theo giới tính (age by sex)", loc="left")
        ax.set_xlabel("tuổi (age, years)")
        ax.set_ylabel("số ca (studies)")
        if groups:
            ax.legend(frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, out_dir, stem)


def view_counts(corpus: Corpus, out_dir: Path, stem: str = "views") -> list[Path]:
    """Studies per radiographic view (PA, AP, ...)."""
    counts = Counter(v or "?" for v in corpus.column(schema.VIEW))
    views = sorted(counts, key=lambda v: (-counts[v], v))
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        bars = ax.bar(views, [counts[v] for v in views], color="#34495e")
        ax.bar_label(bars)
        ax.set_title("Số ca theo tư thế chụp (studies per view)", loc="left")
        ax.set_ylabel("số ca (studies)")
        ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, out_dir, stem)

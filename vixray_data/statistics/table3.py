"""Table 3 of the paper: per split and overall, samples, average age, and min/avg/max report lengths.

Lengths are words after :func:`vixray_data.segment.segment` (lexicon-corrected pyvi by default; the
paper used VnCoreNLP), punctuation excluded unless ``punctuation=True`` (VnCoreNLP returns punctuation
marks as tokens, and the paper does not say whether it counted them). Empty or whitespace-only reports are counted apart
(``empty``) and left out of the length statistics instead of counting as length 0.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from statistics import fmean

from .. import schema
from ..segment import is_word, segment
from .corpus import Corpus

OVERALL = "overall"
#: The paper's Table 3 (train / dev / test); dev is our validation split.
PAPER_TABLE3: dict[str, dict[str, float]] = {
    schema.TRAIN: {"samples": 4320, "age_avg": 69, "findings_min": 19, "findings_avg": 46, "findings_max": 104,
                   "impressions_min": 4, "impressions_avg": 12, "impressions_max": 67},
    schema.VALIDATION: {"samples": 520, "age_avg": 70, "findings_min": 26, "findings_avg": 45, "findings_max": 91,
                        "impressions_min": 5, "impressions_avg": 14, "impressions_max": 52},
    schema.TEST: {"samples": 520, "age_avg": 70, "findings_min": 26, "findings_avg": 46, "findings_max": 85,
                  "impressions_min": 5, "impressions_avg": 13, "impressions_max": 45},
}  # fmt: skip
METRICS: tuple[str, ...] = (
    "samples", "age_avg", "findings_min", "findings_avg", "findings_max", "findings_empty",
    "impressions_min", "impressions_avg", "impressions_max", "impressions_empty",
)  # fmt: skip
LABELS = {
    "samples": "Num. samples", "age_avg": "Avg. age",
    "findings_min": "Findings length min", "findings_avg": "Findings length avg", "findings_max": "Findings length max",
    "findings_empty": "Findings empty",
    "impressions_min": "Impressions length min", "impressions_avg": "Impressions length avg",
    "impressions_max": "Impressions length max", "impressions_empty": "Impressions empty",
}  # fmt: skip


@dataclass(frozen=True)
class SplitStats:
    samples: int
    age_avg: float | None
    findings_min: int | None
    findings_avg: float | None
    findings_max: int | None
    findings_empty: int
    impressions_min: int | None
    impressions_avg: float | None
    impressions_max: int | None
    impressions_empty: int


@dataclass
class Table3:
    rows: dict[str, SplitStats]  # split name (and "overall") -> stats
    segmenter: str
    lengths: dict[str, dict[str, list[int]]]  # split -> field -> word counts of non-empty texts (for histograms)
    compare_paper: bool = False
    punctuation: bool = False

    @property
    def method(self) -> str:
        counted = "punctuation marks counted as tokens" if self.punctuation else "punctuation excluded"
        return f"words after vixray_data.segment (backend={self.segmenter}, lexicon-corrected), {counted}"

    def to_json(self) -> dict:
        out = {"method": self.method, "splits": {k: asdict(v) for k, v in self.rows.items()}}
        if self.compare_paper:
            out["paper"] = PAPER_TABLE3
        return out

    def _columns(self) -> list[tuple[str, str]]:
        """(header, key) pairs: ours per split, then the paper's beside each split it reports."""
        cols = []
        for split in self.rows:
            cols.append((split, split))
            if self.compare_paper and split in PAPER_TABLE3:
                cols.append((f"{split} (paper)", f"paper:{split}"))
        return cols

    def _cell(self, key: str, metric: str) -> str:
        value = PAPER_TABLE3[key[6:]].get(metric) if key.startswith("paper:") else getattr(self.rows[key], metric)
        if value is None:
            return "–"
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    def to_markdown(self) -> str:
        cols = self._columns()
        lines = ["| | " + " | ".join(h for h, _ in cols) + " |", "|---|" + "---:|" * len(cols)]
        lines += ["| " + LABELS[m] + " | " + " | ".join(self._cell(k, m) for _, k in cols) + " |" for m in METRICS]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        cols = self._columns()
        writer.writerow(["metric", *(h for h, _ in cols)])
        for metric in METRICS:
            writer.writerow([metric, *(self._cell(k, metric) for _, k in cols)])
        return buffer.getvalue()

    def write(self, out_dir) -> None:
        from pathlib import Path

        out = Path(out_dir)
        (out / "table3.md").write_text(self.to_markdown(), encoding="utf-8")
        (out / "table3.csv").write_text(self.to_csv(), encoding="utf-8")
        (out / "table3.json").write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")


def word_counts(texts: list[str | None], *, backend: str = "pyvi", punctuation: bool = False) -> list[int | None]:
    """Words per text (punctuation excluded unless asked); ``None`` for an empty or whitespace-only text."""
    out: list[int | None] = []
    for text in texts:
        tokens = segment(text, backend=backend) if text and text.strip() else []
        tokens = tokens if punctuation else [t for t in tokens if is_word(t)]
        out.append(len(tokens) if tokens else None)
    return out


def _stats(ages: list, findings: list[int | None], impressions: list[int | None]) -> SplitStats:
    def spread(counts):
        kept = [c for c in counts if c is not None]
        if not kept:
            return None, None, None
        return min(kept), round(fmean(kept), 2), max(kept)

    known_ages = [a for a in ages if a is not None]
    f_min, f_avg, f_max = spread(findings)
    i_min, i_avg, i_max = spread(impressions)
    return SplitStats(
        samples=len(findings),
        age_avg=round(fmean(known_ages), 2) if known_ages else None,
        findings_min=f_min, findings_avg=f_avg, findings_max=f_max,
        findings_empty=sum(c is None for c in findings),
        impressions_min=i_min, impressions_avg=i_avg, impressions_max=i_max,
        impressions_empty=sum(c is None for c in impressions),
    )  # fmt: skip


def table3(
    corpus: Corpus,
    *,
    backend: str = "pyvi",
    compare_paper: bool | None = None,
    counts: dict[str, dict[str, list[int | None]]] | None = None,
    punctuation: bool = False,
) -> Table3:
    """Compute Table 3; the paper's values sit beside ours when the corpus is the published release.

    ``counts`` (split -> field -> word counts) lets a caller that already segmented the texts reuse them.
    """
    counts = counts or {
        split: {
            f: word_counts(corpus.column(f, split), backend=backend, punctuation=punctuation)
            for f in (schema.FINDINGS, schema.IMPRESSIONS)
        }
        for split in corpus.splits
    }
    rows, all_ages, all_f, all_i = {}, [], [], []
    for split in corpus.splits:
        ages = corpus.column(schema.AGE, split)
        f, i = counts[split][schema.FINDINGS], counts[split][schema.IMPRESSIONS]
        rows[split] = _stats(ages, f, i)
        all_ages += ages
        all_f += f
        all_i += i
    rows[OVERALL] = _stats(all_ages, all_f, all_i)
    lengths = {
        split: {field: [c for c in counts[split][field] if c is not None] for field in counts[split]}
        for split in corpus.splits
    }
    return Table3(
        rows=rows,
        segmenter=backend,
        lengths=lengths,
        compare_paper=corpus.published if compare_paper is None else compare_paper,
        punctuation=punctuation,
    )

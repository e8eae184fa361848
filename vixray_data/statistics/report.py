"""The whole statistics run: Table 3, Figure 2a/2b counts, figures, and a ``report.md`` embedding them."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, schema
from ..lexicon import load_lexicon
from ..pool import process_pool
from ..progress import bar
from . import figures
from .corpus import Corpus, load_corpus
from .frequencies import Frequencies, body_parts, diagnoses
from .nounphrase import POS_LEXICON, NounPhraseExtractor, make_extractor, offline_extractor
from .table3 import Table3, table3

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class StatsConfig:
    out: Path
    backend: str = "pyvi"  # word segmentation backend for lengths (vixray_data.segment.BACKENDS)
    noun_phrases: str | None = "auto"  # "auto" | "stanza" | "pos+lexicon" | None (skip)
    compare_paper: bool | None = None  # None: when the input is the published release
    figures: bool = True
    top: int = 20  # bars per frequency figure
    num_proc: int | None = None  # processes for segmentation / facts / phrases; None: all cores
    punctuation: bool = False  # count punctuation marks as tokens in Table 3 lengths (VnCoreNLP-style)
    progress: bool = False  # a bar over the texts analysed, on a terminal's stderr


@dataclass
class StatsResult:
    corpus: Corpus
    table3: Table3
    body_parts: Frequencies
    diagnoses: Frequencies
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        overall = self.table3.rows["overall"]
        return (
            f"{overall.samples} reports from {self.corpus.origin}: findings avg {overall.findings_avg} words, "
            f"impressions avg {overall.impressions_avg} words; {len(self.body_parts.rows)} body parts, "
            f"{len(self.diagnoses.rows)} diagnosis rows; {len(self.files)} files"
        )


def _memo(function, cache: dict[Any, Any] | None = None):
    cache = {} if cache is None else cache

    def wrapper(text):
        if text not in cache:
            cache[text] = function(text)
        return cache[text]

    return wrapper


def _analyse(job: tuple[str, str, bool]) -> tuple[list[str], list, list[str] | None]:
    """Per distinct text (in a worker): words, atomic facts, and offline noun phrases when asked."""
    from ..clinical import extract_facts
    from ..segment import segment
    from .nounphrase import _pos_chunks

    text, backend, phrases = job
    tokens = segment(text, backend=backend)
    if not phrases:
        return tokens, extract_facts(text), None
    return tokens, extract_facts(text), _pos_chunks(tokens if backend == "pyvi" else segment(text))


def _precompute(
    corpus: Corpus, *, backend: str, phrases: bool, num_proc: int | None, progress: bool = False
) -> dict[str, tuple]:
    """Analyse every distinct non-empty text once, across processes: the run's dominant cost (pyvi's CRF)."""
    findings = {t for t in corpus.column(schema.FINDINGS) if t and t.strip()}
    texts = findings | {t for t in corpus.column(schema.IMPRESSIONS) if t and t.strip()}
    jobs = [(text, backend, phrases and text in findings) for text in sorted(texts)]
    workers = min(num_proc or os.cpu_count() or 1, max(1, len(jobs) // 200))
    shown: dict[str, Any] = {"enabled": progress, "total": len(jobs), "desc": "analysing reports", "unit": "text"}
    if workers <= 1:
        results = list(bar(map(_analyse, jobs), **shown))
    else:
        with process_pool(workers) as pool:  # one Ctrl-C stops it: workers ignore SIGINT, the parent terminates them
            chunks = max(8, len(jobs) // (workers * 8))
            results = list(bar(pool.imap(_analyse, jobs, chunksize=chunks), **shown))  # imap keeps the order
    log.debug("analysed %d distinct texts with %d process(es)", len(jobs), workers)
    return {job[0]: result for job, result in zip(jobs, results, strict=True)}


def run_statistics(source: Any, config: StatsConfig) -> StatsResult:
    """Read ``source`` (folder, hub id or DatasetDict; images never decoded) and write everything to ``config.out``."""
    from ..clinical import extract_facts
    from ..segment import is_word, segment

    corpus = load_corpus(source)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    extractor = make_extractor(config.noun_phrases) if config.noun_phrases else None
    offline_phrases = extractor is not None and extractor.method == POS_LEXICON
    done = _precompute(
        corpus, backend=config.backend, phrases=offline_phrases, num_proc=config.num_proc, progress=config.progress
    )
    tokens = _memo(lambda text: segment(text, backend=config.backend), {t: r[0] for t, r in done.items()})
    length = len if config.punctuation else (lambda words: sum(map(is_word, words)))
    counts = {
        split: {f: [length(tokens(t)) or None if t and t.strip() else None for t in corpus.column(f, split)]
                for f in (schema.FINDINGS, schema.IMPRESSIONS)}
        for split in corpus.splits
    }  # fmt: skip
    t3 = table3(corpus, backend=config.backend, compare_paper=config.compare_paper, counts=counts,
                punctuation=config.punctuation)  # fmt: skip
    facts = _memo(extract_facts, {t: r[1] for t, r in done.items()})
    if extractor is not None:
        if offline_phrases:
            extractor = offline_extractor(tokenize=tokens if config.backend == "pyvi" else None)
        known = {t: r[2] for t, r in done.items() if r[2] is not None}
        extractor = NounPhraseExtractor(extractor.method, _memo(extractor.extract, known))
    parts = body_parts(corpus, noun_phrases=extractor, extractor=facts)
    diags = diagnoses(corpus, extractor=facts)

    t3.write(out)
    parts.write(out, "figure2a_body_parts")
    diags.write(out, "figure2b_diagnoses")
    files = [out / n for n in ("table3.md", "table3.csv", "table3.json")]
    files += [out / f"{s}.{e}" for s in ("figure2a_body_parts", "figure2b_diagnoses") for e in ("json", "md")]
    images: dict[str, list[Path]] = {}
    if config.figures:
        images["figure2a"] = figures.frequency_figure(parts, out, "figure2a_body_parts", top=config.top)
        images["figure2b"] = figures.frequency_figure(diags, out, "figure2b_diagnoses", top=config.top)
        images["lengths"] = figures.length_histograms(t3, out)
        images["age"] = figures.age_by_sex(corpus, out)
        images["views"] = figures.view_counts(corpus, out)
        files += [p for paths in images.values() for p in paths]
    summary = {
        "tool": {"name": "vixray-data analysis", "version": __version__, "lexicon": load_lexicon().version},
        "source": corpus.origin,
        "published_release": corpus.published,
        "segmenter": config.backend,
        "noun_phrases": extractor.method if extractor else None,
        "splits": {split: corpus.size(split) for split in corpus.splits},
        "empty_texts": {"findings": parts.empty, "impressions": diags.empty},
        "figures": [
            {"png": paths[0].name, "svg": paths[1].name, "caption": figures.CAPTIONS[paths[0].stem]}
            for paths in images.values()
        ],
    }
    (out / "stats.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "report.md").write_text(render_report(corpus, t3, parts, diags, images, summary), encoding="utf-8")
    files += [out / "stats.json", out / "report.md"]
    result = StatsResult(corpus, t3, parts, diags, files)
    log.debug("statistics: %s", result.summary())  # the CLI prints the summary once
    return result


def render_report(corpus, t3: Table3, parts: Frequencies, diags: Frequencies, images, summary) -> str:
    def image(key: str) -> str:
        if key not in images:
            return ""
        caption = figures.CAPTIONS[images[key][0].stem]
        return f"![{caption}]({images[key][0].name})\n\n*{caption}.*\n"

    sizes = ", ".join(f"{split} {n}" for split, n in summary["splits"].items())
    lines = [
        "# ViX-Ray corpus statistics",
        "",
        f"Source: `{corpus.origin}` ({sizes}). Lexicon {summary['tool']['lexicon']}, "
        f"vixray-data {summary['tool']['version']}.",
        "",
        "## Table 3: samples, age, report lengths",
        "",
        f"Lengths: {t3.method}. The paper counted VnCoreNLP words, so small differences are expected."
        + (" The paper's published values stand beside ours." if t3.compare_paper else ""),
        "",
        t3.to_markdown(),
        "Empty or whitespace-only texts are counted in the *empty* rows and left out of the lengths.",
        "",
        image("lengths"),
        "## Figure 2a: body parts in findings",
        "",
        f"Noun phrases: {_phrase_method(summary['noun_phrases'])}.",
        "",
        image("figure2a"),
        parts.to_markdown(limit=30),
        "## Figure 2b: diagnoses in impressions",
        "",
        image("figure2b"),
        diags.to_markdown(limit=30),
        "## Patients and views",
        "",
        image("age"),
        image("views"),
    ]
    return "\n".join(lines)


def _phrase_method(method: str | None) -> str:
    if method is None:
        return "not counted (--noun-phrases none)"
    if method == POS_LEXICON:
        return (
            f"{POS_LEXICON} (pyvi POS tags and the lexicon; Stanza's constituency parser, which the paper used, "
            "is used instead when it and its Vietnamese models are installed: `pip install 'vixray-data[nlp]'`)"
        )
    return f"{method} (Stanza's Vietnamese constituency parser, as in the paper)"

"""Score a predictions file: every figure in one JSON document, and the paper's table in Markdown.

Records are grouped by (stage, field, split). Per group: ROUGE-1/2/L on syllables (and on segmenter
words when available, and rouge-score's ASCII tokens in compatibility mode), corpus BLEU-4 and chrF
(sacrebleu), offline fact precision/recall (mean over records and pooled), clinical-label F1, and
the LLM judge's precision/recall when one is configured. Figures are percentages; each carries a
seeded bootstrap 95% interval and every metric family a signature saying how it was made. The figures come back
as an :class:`~vixray_data.evaluation.result.EvaluationResult`, which writes the output files.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from .. import __version__, schema
from ..clinical import extract_facts
from ..lexicon import LEXICON_PATH, load_lexicon
from ..pool import process_pool
from ..progress import bar
from . import lexical
from .facts import OFFLINE_BACKEND, OFFLINE_VERSION, CorpusFactScore, FactScore, corpus_fact_scores, match_facts
from .judge import PROMPT_VERSION, LLMJudge
from .labels import UNCERTAIN_POSITIVE, LabelScores, label_scores, labels_from_facts
from .predictions import NO_SPLIT, IdCheck, Prediction, PredictionSet
from .result import (
    Comparison,
    EvaluationResult,
    GroupComparison,
    GroupResult,
    JudgeAgreement,
    Metric,
    RecordDetail,
)
from .stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_TRIALS,
    bootstrap_ci,
    bootstrap_ci_corpus,
    paired_randomization,
    paired_randomization_corpus,
)

log = logging.getLogger(__name__)

NORMALISATION = "nfc+tone:new+ws+lc"
#: Metrics of the paper's table, in its column order, with their Markdown headers.
PAPER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rouge1", "R-1"),
    ("rouge2", "R-2"),
    ("rougeL", "R-L"),
    ("bleu", "BLEU"),
    ("fact_precision", "Precision"),
    ("fact_recall", "Recall"),
)
_PARALLEL_MIN_TEXTS = 200  # below this a worker pool costs more than it saves
SPLIT_ORDER = (schema.VALIDATION, schema.TEST, schema.TRAIN, NO_SPLIT)


@dataclass(frozen=True, kw_only=True)
class EvaluationOptions:
    words: bool | None = None  # word-level ROUGE; None: when the segmenter is available
    compat_ascii: bool = False  # also report rouge-score's ASCII-tokenizer numbers (labelled)
    resamples: int = DEFAULT_RESAMPLES
    trials: int = DEFAULT_TRIALS
    seed: int = 0
    uncertain: str = UNCERTAIN_POSITIVE
    judge: LLMJudge | None = None
    compare_judges: bool = False
    progress: bool = False
    workers: int | None = None  # processes for tokenising and fact extraction; None: the usable cores (max 8)


def lexicon_fingerprint() -> str:
    """Lexicon version plus a short content hash, so an unbumped edit still changes the signature."""
    digest = hashlib.sha256(LEXICON_PATH.read_bytes()).hexdigest()[:8]
    return f"{load_lexicon().version}+{digest}"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def signatures(options: EvaluationOptions, *, words: bool) -> dict[str, str]:
    """How each metric family was computed, sacrebleu style."""
    tail = f"norm:{NORMALISATION}|vixray:{__version__}"
    lex = lexicon_fingerprint()
    out = {
        "rouge": f"rouge|tok:syllables|{tail}",
        "bleu": f"bleu|{lexical.metric_signature('bleu')}|{tail}",
        "chrf": f"chrf|{lexical.metric_signature('chrf')}|{tail}",
        "facts": f"facts|backend:{OFFLINE_BACKEND}-v{OFFLINE_VERSION}|lexicon:{lex}|{tail}",
        "labels": f"labels|rules:lexicon|lexicon:{lex}|uncertain:{options.uncertain}|{tail}",
    }
    if words:
        out["rouge_words"] = f"rouge|tok:words|seg:pyvi-{_version('pyvi')}+lexicon:{lex}|{tail}"
    if options.compat_ascii:
        out["rouge_ascii"] = f"rouge|tok:rouge-score-default-ascii|norm:none|COMPAT-ONLY|vixray:{__version__}"
    if options.judge is not None:
        out["judge"] = f"facts|{options.judge.signature()}|prompt_version:{PROMPT_VERSION}|vixray:{__version__}"
    return out


@dataclass
class _Scored:
    """Per-record values of one group, kept for intervals and paired tests."""

    per_record: dict[str, np.ndarray]  # metric -> values in [0, 100]
    corpus_stats: dict[str, np.ndarray]  # bleu/chrf -> per-record statistics
    records: list[RecordDetail]
    facts: CorpusFactScore
    labels: LabelScores


def _features(kinds: tuple[str, ...], text: str) -> list:
    return [extract_facts(text) if kind == "facts" else lexical.TOKENIZERS[kind](text) for kind in kinds]


class _TextCache:
    """Tokens and facts per distinct text: references recur across stages, and segmenting is the slow part.

    ``fill`` computes them for many texts at once, across worker processes when asked (the per-text work
    is independent and deterministic, so the result does not depend on the number of workers).
    """

    def __init__(self, kinds: tuple[str, ...] = (), workers: int = 1, progress: bool = False) -> None:
        self._memo: dict[tuple[str, str], object] = {}
        self.kinds, self.workers, self.progress = kinds, workers, progress

    def fill(self, texts: Sequence[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if any((k, t) not in self._memo for k in self.kinds)]
        if not todo or not self.kinds:
            return
        work = partial(_features, self.kinds)
        shown: dict[str, Any] = {
            "enabled": self.progress,
            "total": len(todo),
            "desc": "analysing texts",
            "unit": "text",
        }
        if self.workers > 1 and len(todo) >= _PARALLEL_MIN_TEXTS:
            with process_pool(self.workers) as pool:  # one Ctrl-C stops it (vixray_data.pool)
                chunks = max(1, len(todo) // (self.workers * 4))
                results = list(bar(pool.imap(work, todo, chunksize=chunks), **shown))  # imap keeps the order
        else:
            results = list(bar(map(work, todo), **shown))
        for text, values in zip(todo, results, strict=True):
            for kind, value in zip(self.kinds, values, strict=True):
                self._memo[(kind, text)] = value

    def get(self, kind: str, text: str):
        key = (kind, text)
        if key not in self._memo:
            self._memo[key] = _features((kind,), text)[0]
        return self._memo[key]


def _cache_for(records: Sequence[Prediction], options: EvaluationOptions, words: bool) -> _TextCache:
    kinds = [lexical.SYLLABLES, "facts"]
    if words:
        kinds.append(lexical.WORDS)
    if options.compat_ascii:
        kinds.append(lexical.ASCII)
    cache = _TextCache(tuple(kinds), workers=_workers(options.workers), progress=options.progress)
    cache.fill([t for r in records for t in (r.prediction, r.reference)])
    return cache


def _workers(requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8))


def _score_group(
    records: Sequence[Prediction], options: EvaluationOptions, words: bool, cache: _TextCache | None = None
) -> _Scored:
    cache = cache or _TextCache()
    per: dict[str, list[float]] = defaultdict(list)
    details = []
    fact_scores_list = []
    pred_labels, ref_labels = [], []
    tokenizations = [("", lexical.SYLLABLES)]
    if words:
        tokenizations.append(("words_", lexical.WORDS))
    if options.compat_ascii:
        tokenizations.append(("ascii_", lexical.ASCII))
    iterator = bar(records, enabled=options.progress, desc="scoring", unit="rec")  # shown on a terminal only
    for rec in iterator:
        rouge = {}
        for prefix, kind in tokenizations:
            score = lexical.rouge_tokens(cache.get(kind, rec.prediction), cache.get(kind, rec.reference))
            for name, value in score.as_dict().items():
                per[prefix + name].append(100 * value)
            rouge[prefix] = score.as_dict()
        pred_facts, ref_facts = cache.get("facts", rec.prediction), cache.get("facts", rec.reference)
        fs = match_facts(pred_facts, ref_facts)
        fact_scores_list.append(fs)
        per["fact_precision"].append(100 * fs.precision)
        per["fact_recall"].append(100 * fs.recall)
        pl = labels_from_facts(pred_facts, uncertain=options.uncertain)
        rl = labels_from_facts(ref_facts, uncertain=options.uncertain)
        pred_labels.append(pl)
        ref_labels.append(rl)
        js = on_offline = None
        if options.judge is not None:
            js = options.judge.score(rec.prediction, rec.reference)
            per["judge_precision"].append(100 * js.precision)
            per["judge_recall"].append(100 * js.recall)
            if options.compare_judges:
                on_offline = _judge_offline_facts(options.judge, fs)
        details.append(
            RecordDetail(
                id=rec.id,
                stage=rec.stage,
                field=rec.field,
                split=rec.split,
                rouge=rouge,
                facts=fs,
                labels_prediction=tuple(sorted(pl)),
                labels_reference=tuple(sorted(rl)),
                judge=js,
                judge_on_offline_facts=on_offline,
            )
        )
    predictions = [r.prediction for r in records]
    references = [r.reference for r in records]
    stats = {
        "bleu": lexical.corpus_statistics(lexical.bleu_metric(), predictions, references),
        "chrf": lexical.corpus_statistics(lexical.chrf_metric(), predictions, references),
    }
    corpus = corpus_fact_scores(fact_scores_list)
    labels = label_scores(pred_labels, ref_labels, uncertain=options.uncertain)
    return _Scored({k: np.asarray(v) for k, v in per.items()}, stats, details, corpus, labels)


def _judge_offline_facts(judge: LLMJudge, fs: FactScore) -> dict[str, list[bool]]:
    """The judge's matching on the offline extractor's statements: per-fact agreement needs the same facts."""
    pred = [p.text for p, _ in fs.matched] + [f.text for f in fs.unmatched_prediction]
    ref = [r.text for r in fs.covered_reference] + [f.text for f in fs.unmatched_reference]
    offline_pred = [True] * len(fs.matched) + [False] * len(fs.unmatched_prediction)
    offline_ref = [True] * len(fs.covered_reference) + [False] * len(fs.unmatched_reference)
    pairs = judge.match(pred, ref) if pred and ref else []
    judge_pred = [False] * len(pred)
    judge_ref = [False] * len(ref)
    for i, j in pairs:
        judge_pred[i] = judge_ref[j] = True
    return {"offline": offline_pred + offline_ref, "judge": judge_pred + judge_ref}


def _scorer(metric) -> Callable[[np.ndarray], float]:
    return partial(lexical.score_from_statistics, metric)


def _group_metrics(scored: _Scored, options: EvaluationOptions, seed: int) -> dict[str, Metric]:
    out = {}
    for name, values in scored.per_record.items():
        ci = bootstrap_ci(values, resamples=options.resamples, seed=seed)
        out[name] = Metric(float(values.mean()) if values.size else 0.0, ci)
    for name, metric in (("bleu", lexical.bleu_metric()), ("chrf", lexical.chrf_metric())):
        stats, score = scored.corpus_stats[name], _scorer(metric)
        value = score(stats.sum(axis=0)) if len(stats) else 0.0
        out[name] = Metric(value, bootstrap_ci_corpus(stats, score, resamples=options.resamples, seed=seed))
    out["fact_precision_pooled"] = Metric(100 * scored.facts.precision_pooled)
    out["fact_recall_pooled"] = Metric(100 * scored.facts.recall_pooled)
    out["label_micro_f1"] = Metric(100 * scored.labels.micro_f1)
    out["label_macro_f1"] = Metric(100 * scored.labels.macro_f1)
    return out


def _groups(records: Sequence[Prediction]) -> dict[tuple[str, str, str], list[Prediction]]:
    groups: dict[tuple[str, str, str], list[Prediction]] = defaultdict(list)
    for rec in records:
        groups[(rec.stage, rec.field, rec.split)].append(rec)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][0], _field_rank(kv[0][1]), _split_rank(kv[0][2]))))


def _field_rank(name: str) -> int:
    return (schema.FINDINGS, schema.IMPRESSIONS).index(name) if name in (schema.FINDINGS, schema.IMPRESSIONS) else 9


def _split_rank(name: str) -> int:
    return SPLIT_ORDER.index(name) if name in SPLIT_ORDER else len(SPLIT_ORDER)


def _agreement(scored: list[RecordDetail]) -> JudgeAgreement:
    """Offline vs LLM backend: per-fact agreement (Cohen's kappa) and per-record correlation."""
    judged = [(r, r.judge) for r in scored if r.judge is not None]  # every record, when a judge ran
    off_p = [r.facts.precision for r, _ in judged]
    off_r = [r.facts.recall for r, _ in judged]
    llm_p = [j.precision for _, j in judged]
    llm_r = [j.recall for _, j in judged]
    a = [x for r in scored for x in (r.judge_on_offline_facts or {}).get("offline", [])]
    b = [x for r in scored for x in (r.judge_on_offline_facts or {}).get("judge", [])]
    return JudgeAgreement(
        records=len(scored),
        facts_compared=len(a),
        per_fact_agreement=(sum(x == y for x, y in zip(a, b, strict=True)) / len(a)) if a else None,
        per_fact_kappa=_kappa(a, b),
        precision_pearson=_pearson(off_p, llm_p),
        recall_pearson=_pearson(off_r, llm_r),
    )


def _pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    if not a:
        return None
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def evaluate(
    records: Sequence[Prediction] | PredictionSet,
    *,
    options: EvaluationOptions | None = None,
    ids: IdCheck | None = None,
) -> EvaluationResult:
    """Every figure for a list of predictions (see the module docstring).

    Given a read :class:`~vixray_data.evaluation.predictions.PredictionSet`, the result also names its file and
    skipped lines; ``ids`` is the id check to report beside the scores.
    """
    source: PredictionSet | None = None
    if isinstance(records, PredictionSet):
        source, records = records, records.records
    options = options or EvaluationOptions()
    words = lexical.segmenter_available() if options.words is None else options.words
    if options.words is None and not words:
        log.warning("word segmenter unavailable: word-level ROUGE is left out")
    groups = []
    all_details = []
    cache = _cache_for(records, options, words)
    judging = options.compare_judges and options.judge is not None
    for index, ((stage, field_name, split), recs) in enumerate(_groups(records).items()):
        scored = _score_group(recs, options, words, cache)
        groups.append(
            GroupResult(
                stage=stage,
                field=field_name,
                split=split,
                records=len(recs),
                metrics=_group_metrics(scored, options, seed=options.seed + index),
                facts=scored.facts,
                labels=scored.labels,
                judge_agreement=_agreement(scored.records) if judging else None,
            )
        )
        all_details.extend(scored.records)
    return EvaluationResult(
        records=len(records),
        word_level=words,
        signatures=signatures(options, words=words),
        resamples=options.resamples,
        seed=options.seed,
        fact_backend="llm" if options.judge is not None else OFFLINE_BACKEND,
        uncertain_policy=options.uncertain,
        groups=groups,
        details=all_details,
        judge_agreement=_agreement(all_details) if judging else None,
        input=source.path if source is not None else None,
        skipped_lines=source.skipped if source is not None else None,
        ids=ids,
    )


def compare(
    pairs: Sequence[tuple[Prediction, Prediction]],
    *,
    options: EvaluationOptions | None = None,
    names: tuple[str, str] | None = None,
) -> Comparison:
    """Paired approximate randomisation, system A vs B, per group and metric; ``names`` says which files A and B are."""
    options = options or EvaluationOptions()
    words = lexical.segmenter_available() if options.words is None else options.words
    plain = EvaluationOptions(**{**options.__dict__, "judge": None, "compare_judges": False})
    by_group: dict[tuple[str, str, str], list[tuple[Prediction, Prediction]]] = defaultdict(list)
    for a, b in pairs:
        by_group[(a.stage, a.field, a.split)].append((a, b))
    out = []
    cache = _cache_for([r for pair in pairs for r in pair], plain, words)
    order = {key: i for i, key in enumerate(_groups([a for a, _ in pairs]))}
    for index, (key, items) in enumerate(sorted(by_group.items(), key=lambda kv: order[kv[0]])):
        sa = _score_group([a for a, _ in items], plain, words, cache)
        sb = _score_group([b for _, b in items], plain, words, cache)
        tests = {}
        seed = options.seed + index
        for name in sa.per_record:
            tests[name] = paired_randomization(
                sa.per_record[name], sb.per_record[name], trials=options.trials, seed=seed
            )
        for name, metric in (("bleu", lexical.bleu_metric()), ("chrf", lexical.chrf_metric())):
            tests[name] = paired_randomization_corpus(
                sa.corpus_stats[name],
                sb.corpus_stats[name],
                _scorer(metric),
                trials=min(options.trials, 1000),
                seed=seed,
            )
        out.append(GroupComparison(stage=key[0], field=key[1], split=key[2], records=len(items), tests=tests))
    name_a, name_b = names if names is not None else (None, None)
    return Comparison(seed=options.seed, groups=out, a=name_a, b=name_b)


# --------------------------------------------------------------------------- Markdown


def _fmt(metric: dict | None) -> str:
    return "–" if metric is None else f"{metric['value']:.2f}"


def render_markdown(result: EvaluationResult | dict, *, comparison: Comparison | dict | None = None) -> str:
    """The paper's layout (stage × field rows; per split R-1, R-2, R-L, BLEU, Precision, Recall), then the rest.

    Rendered from the ``evaluation.json`` document (a result's, or one read back), so the two always agree; the
    comparison is the result's own unless one is given.
    """
    if isinstance(result, EvaluationResult):
        comparison = result.comparison if comparison is None else comparison
        result = result.as_dict()
    if isinstance(comparison, Comparison):
        comparison = comparison.as_dict()
    groups = result["groups"]
    backend = result["fact_backend"]
    pr = ("judge_precision", "judge_recall") if backend == "llm" else ("fact_precision", "fact_recall")
    columns = [(k, h) for k, h in PAPER_COLUMNS[:4]] + [(pr[0], "Precision"), (pr[1], "Recall")]
    lines = _scores_table(groups, backend, columns)
    lines += _metrics_table(result, [k for k, _ in columns])
    lines += _ascii_table(groups)
    lines += _facts_table(groups)
    lines += _labels_table(groups, result["uncertain_policy"])
    if "judge_agreement" in result:
        lines += _judge_agreement(result["judge_agreement"])
    if comparison:
        lines += _comparison_table(comparison)
    lines += ["", "## Signatures", ""] + [f"- {k}: `{v}`" for k, v in result["signatures"].items()]
    lines.append(f"- uncertain findings count as {result['uncertain_policy']} for the clinical labels")
    return "\n".join(lines) + "\n"


def _scores_table(groups: list[dict], backend: str, columns: list[tuple[str, str]]) -> list[str]:
    """The paper's table: one row per (stage, field), per split the paper's columns."""
    splits = sorted({g["split"] for g in groups}, key=_split_rank)
    rows: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for g in groups:
        rows[(g["stage"], g["field"])][g["split"]] = g
    lines = [f"## Scores ({backend} facts; percentages)", ""]
    header = ["Stage", "Field"] + [f"{s} {h}" for s in splits for _, h in columns]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for (stage, field_name), by_split in rows.items():
        cells = [stage, field_name]
        for split in splits:
            group = by_split.get(split)
            cells += [_fmt(group["metrics"].get(k)) if group else "–" for k, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _metrics_table(result: dict, paper: list[str]) -> list[str]:
    """Every metric of every group with its bootstrap interval: the paper's first, then the others."""
    extra = ["chrf", "fact_precision_pooled", "fact_recall_pooled", "label_micro_f1", "label_macro_f1"]
    if result["fact_backend"] == "llm":
        extra = ["fact_precision", "fact_recall", *extra]
    if result.get("word_level"):
        extra += ["words_rouge1", "words_rouge2", "words_rougeL"]
    lines = ["", "## More metrics and 95% bootstrap intervals", ""]
    lines.append("| Stage | Field | Split | n | Metric | Value | 95% CI |")
    lines.append("|---|---|---|---|---|---|---|")
    for g in result["groups"]:
        for name in paper + extra:
            m = g["metrics"].get(name)
            if m is None:
                continue
            ci = "" if m["ci95"] is None else f"[{m['ci95'][0]:.2f}, {m['ci95'][1]:.2f}]"
            lines.append(
                f"| {g['stage']} | {g['field']} | {g['split']} | {g['records']} | {name} | {m['value']:.2f} | {ci} |"
            )
    return lines


def _ascii_table(groups: list[dict]) -> list[str]:
    """rouge-score's ASCII-tokenizer figures, labelled as compatibility only; nothing when not computed."""
    ascii_groups = [g for g in groups if "ascii_rouge1" in g["metrics"]]
    if not ascii_groups:
        return []
    lines = [
        "",
        "## COMPATIBILITY ONLY: rouge-score default ASCII tokenizer",
        "",
        "Drops every Vietnamese diacritic (`phổi` and `phải` both become `ph i`); for comparison with "
        "papers that used it, not for judging outputs.",
        "",
        "| Stage | Field | Split | R-1 | R-2 | R-L |",
        "|---|---|---|---|---|---|",
    ]
    for g in ascii_groups:
        m = g["metrics"]
        lines.append(
            f"| {g['stage']} | {g['field']} | {g['split']} | {_fmt(m['ascii_rouge1'])} | "
            f"{_fmt(m['ascii_rouge2'])} | {_fmt(m['ascii_rougeL'])} |"
        )
    return lines


def _facts_table(groups: list[dict]) -> list[str]:
    lines = [
        "",
        "## Facts",
        "",
        "| Stage | Field | Split | prediction facts | reference facts | matched | "
        "no prediction facts | no reference facts |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for g in groups:
        f = g["facts"]
        lines.append(
            f"| {g['stage']} | {g['field']} | {g['split']} | {f['prediction_facts']} | {f['reference_facts']} "
            f"| {f['matched']} | {f['records_without_prediction_facts']} | {f['records_without_reference_facts']} |"
        )
    return lines


def _labels_table(groups: list[dict], uncertain_policy: str) -> list[str]:
    """Per clinical label, F1 (support) in each group; a label no group has a case of shows "–"."""
    label_ids = [k for k in (groups[0]["labels"]["per_label"] if groups else {})]
    if not label_ids:
        return []
    names = [f"{g['stage']}/{g['field']}/{g['split']}" for g in groups]
    lines = ["", f"## Clinical labels: F1 (support); uncertain findings count as {uncertain_policy}", ""]
    lines += ["| Label | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label in label_ids:
        cells = []
        for g in groups:
            c = g["labels"]["per_label"][label]
            cells.append(f"{100 * c['f1']:.1f} ({c['support']})" if c["tp"] + c["fp"] + c["fn"] else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    micro = " | ".join(f"{100 * g['labels']['micro_f1']:.1f}" for g in groups)
    macro = " | ".join(f"{100 * g['labels']['macro_f1']:.1f}" for g in groups)
    return [*lines, f"| **micro F1** | {micro} |", f"| **macro F1** | {macro} |"]


def _judge_agreement(a: dict) -> list[str]:
    return [
        "",
        "## Offline vs LLM judge",
        "",
        f"- per-fact agreement: {a['per_fact_agreement']} "
        f"(kappa {a['per_fact_kappa']}) over {a['facts_compared']} facts",
        f"- per-record Pearson r: precision {a['precision_pearson']}, recall {a['recall_pearson']}",
    ]


def _comparison_table(comparison: dict) -> list[str]:
    lines = [
        "",
        "## Paired comparison (A − B, approximate randomisation)",
        "",
        "| Stage | Field | Split | Metric | A | B | A−B | p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for g in comparison["groups"]:
        for name, t in g["tests"].items():
            lines.append(
                f"| {g['stage']} | {g['field']} | {g['split']} | {name} | {t['a']:.2f} | {t['b']:.2f} "
                f"| {t['difference']:+.2f} | {t['p_value']:.4f} |"
            )
    return lines

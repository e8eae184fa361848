"""Evaluation that is right for Vietnamese: lexical scores on real tokens, atomic-fact precision/recall
(offline or with an LLM judge), clinical-label F1, intervals, paired tests and signatures.

Every comparison goes through :func:`normalize` (the one normaliser, re-exported here).
"""

from __future__ import annotations

from ..text import normalize
from .facts import CorpusFactScore, FactScore, corpus_fact_scores, fact_scores, match_facts
from .judge import JudgeConfig, JudgeScore, LLMJudge
from .labels import label_report, label_scores, labels_from_facts
from .lexical import RougeScore, corpus_bleu, corpus_chrf, rouge, tokenize_ascii, tokenize_syllables, tokenize_words
from .predictions import IdCheck, Prediction, PredictionSet, check_ids, pair_with, read_predictions, reference_ids
from .report import EvaluationOptions, compare, evaluate, render_markdown, signatures
from .result import Comparison, EvaluationResult, GroupResult, Metric, RecordDetail
from .stats import bootstrap_ci, paired_randomization

__all__ = [
    "Comparison",
    "CorpusFactScore",
    "EvaluationOptions",
    "EvaluationResult",
    "FactScore",
    "GroupResult",
    "IdCheck",
    "JudgeConfig",
    "JudgeScore",
    "LLMJudge",
    "Metric",
    "Prediction",
    "PredictionSet",
    "RecordDetail",
    "RougeScore",
    "bootstrap_ci",
    "check_ids",
    "compare",
    "corpus_bleu",
    "corpus_chrf",
    "corpus_fact_scores",
    "evaluate",
    "fact_scores",
    "label_report",
    "label_scores",
    "labels_from_facts",
    "match_facts",
    "normalize",
    "pair_with",
    "paired_randomization",
    "read_predictions",
    "reference_ids",
    "render_markdown",
    "rouge",
    "signatures",
    "tokenize_ascii",
    "tokenize_syllables",
    "tokenize_words",
]

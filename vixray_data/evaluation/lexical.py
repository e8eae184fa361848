"""ROUGE, BLEU and chrF on Vietnamese tokens that keep their diacritics.

rouge-score's default tokenizer keeps only ``[a-z0-9]``: ``phổi`` (lung) and ``phải`` (right) both
become ``ph i``, so opposite sentences score 100. Here the default unit is the syllable with its
diacritics, after :func:`vixray_data.text.normalize` (NFC, one tone-mark spelling, lowercase), so
NFC/NFD input and ``hóa``/``hoá`` score identically. ``words`` uses the shared segmenter
(:mod:`vixray_data.segment`, lexicon terms kept whole). ``ascii`` reproduces rouge-score's default
tokenizer exactly (on the text as given, no normalisation): a labelled compatibility mode for
comparing with papers that used it, never the default.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sacrebleu.metrics import BLEU, CHRF

from ..text import normalize

SYLLABLES, WORDS, ASCII = "syllables", "words", "ascii"
TOKENIZATIONS: tuple[str, ...] = (SYLLABLES, WORDS, ASCII)
ROUGE_TYPES: tuple[str, ...] = ("rouge1", "rouge2", "rougeL")

_SYLLABLE = re.compile(r"\w+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_VALID_ASCII = re.compile(r"^[a-z0-9]+$")


def tokenize_syllables(text: str | None) -> list[str]:
    """Normalised, lowercased syllables and numbers; punctuation dropped."""
    return _SYLLABLE.findall(normalize(text, lowercase=True))


def tokenize_ascii(text: str | None) -> list[str]:
    """rouge-score's default tokenizer (no stemming), byte for byte: the compatibility mode."""
    tokens = _NON_ALNUM.sub(" ", (text or "").lower()).split()
    return [t for t in tokens if _VALID_ASCII.match(t)]


def tokenize_words(text: str | None) -> list[str]:
    """Words from the shared segmenter (``xương_sườn``), lowercased, punctuation dropped."""
    from ..segment import is_word, segment

    return [w for w in segment(normalize(text, lowercase=True)) if is_word(w)]


@lru_cache(maxsize=1)
def segmenter_available() -> bool:
    """Whether word-level scores can be computed (the segmenter module and its pyvi backend)."""
    try:
        tokenize_words("phổi")
    except Exception:  # noqa: BLE001 - any failure means: report syllables only
        return False
    return True


TOKENIZERS: dict[str, Callable[[str | None], list[str]]] = {
    SYLLABLES: tokenize_syllables,
    WORDS: tokenize_words,
    ASCII: tokenize_ascii,
}


@dataclass(frozen=True)
class RougeScore:
    """ROUGE-1/2/L F-measures of one prediction, in [0, 1]."""

    rouge1: float
    rouge2: float
    rougeL: float  # noqa: N815 - the metric's established name

    def as_dict(self) -> dict[str, float]:
        return {"rouge1": self.rouge1, "rouge2": self.rouge2, "rougeL": self.rougeL}


def _f(overlap: int, n_pred: int, n_ref: int) -> float:
    if overlap == 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_pred, overlap / n_ref
    return 2 * p * r / (p + r)


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(zip(*(tokens[i:] for i in range(n)), strict=False)) if n > 1 else Counter(tokens)


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    """LCS length, bit-parallel (Allison–Dix / Hyyrö): one big-integer step per token of ``b``."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def rouge_tokens(prediction: Sequence[str], reference: Sequence[str]) -> RougeScore:
    """ROUGE-1/2/L F on token lists (the same definitions as rouge-score: clipped counts, LCS)."""
    scores = []
    for n in (1, 2):
        p, r = _ngrams(prediction, n), _ngrams(reference, n)
        scores.append(_f(sum((p & r).values()), sum(p.values()), sum(r.values())))
    scores.append(_f(_lcs(prediction, reference), len(prediction), len(reference)))
    return RougeScore(*scores)


def rouge(prediction: str | None, reference: str | None, *, tokenization: str = SYLLABLES) -> RougeScore:
    """ROUGE-1/2/L F of one prediction against its reference."""
    tokenize = TOKENIZERS[tokenization]
    return rouge_tokens(tokenize(prediction), tokenize(reference))


def _prepare(texts: Sequence[str | None]) -> list[str]:
    return [normalize(t) for t in texts]  # sacrebleu lowercases, so its signature says case:lc


def bleu_metric() -> BLEU:
    """Corpus BLEU-4 (sacrebleu, 13a tokenisation) on normalised, lowercased text."""
    return BLEU(tokenize="13a", lowercase=True)


def chrf_metric() -> CHRF:
    """Corpus chrF (sacrebleu defaults: character 6-grams, beta 2) on normalised, lowercased text."""
    return CHRF(lowercase=True)


@lru_cache(maxsize=2)
def metric_signature(name: str) -> str:
    """sacrebleu's signature of ``bleu`` or ``chrf`` as configured here (it needs one scored corpus to know nrefs)."""
    metric = bleu_metric() if name == "bleu" else chrf_metric()
    metric.corpus_score(["phổi"], [["phổi"]])
    return metric.get_signature().format()


def corpus_statistics(metric: BLEU | CHRF, predictions: Sequence[str | None], references: Sequence[str | None]):
    """Per-record sufficient statistics: summed over any subset they give that subset's corpus score."""
    stats = metric._extract_corpus_statistics(_prepare(predictions), [_prepare(references)])
    return np.asarray(stats, dtype=np.float64)


def score_from_statistics(metric: BLEU | CHRF, summed: np.ndarray) -> float:
    """The corpus score (0–100) of summed statistics."""
    values = [int(v) for v in summed] if isinstance(metric, BLEU) else list(summed)
    return float(metric._compute_score_from_stats(values).score)


def corpus_bleu(predictions: Sequence[str | None], references: Sequence[str | None]) -> tuple[float, str]:
    """Corpus BLEU-4 (0–100) and sacrebleu's signature."""
    metric = bleu_metric()
    score = metric.corpus_score(_prepare(predictions), [_prepare(references)]).score
    return float(score), metric.get_signature().format()


def corpus_chrf(predictions: Sequence[str | None], references: Sequence[str | None]) -> tuple[float, str]:
    """Corpus chrF (0–100) and sacrebleu's signature."""
    metric = chrf_metric()
    score = metric.corpus_score(_prepare(predictions), [_prepare(references)]).score
    return float(score), metric.get_signature().format()

"""The clinical allow-list: what a recognizer may flag but must never remove.

It is the lexicon (``lexicon.yaml``): every clinical surface form (anatomy, findings, normal states,
severity, laterality, negation, uncertainty), plus its ``deid_safe`` section (eponyms such as
``Kerley B``, ``Bochdalek``, ``Golden S``; abbreviations such as ``COPD``, ``PA``, ``COVID-19``; common
report words; vertebra levels and measurements as patterns). A PHI span lying wholly inside an allowed
span is dropped (``BN Lao phổi cũ`` keeps ``Lao``); one that reaches outside it is kept.
"""

from __future__ import annotations

import functools
import re

from ..lexicon import load_lexicon
from ..text import normalize
from .spans import alternation, any_unaccented, fold_chars, lower_chars


def _alternation(phrases) -> str:
    return alternation({re.sub(r"[\s\-]+", " ", p).strip() for p in phrases}, space=r"[\s\-]*")


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern, re.Pattern]:
    """Phrases with their diacritics (``Lao`` is not ``Lão``, ``Ho`` not ``Hồ``); several-word phrases also without,
    and one-word ones when the word is written without any (``Nu`` is ``Nữ``)."""
    lexicon = load_lexicon()
    safe = lexicon.raw.get("deid_safe") or {}
    phrases: set[str] = set()
    for group in (lexicon.anatomy, lexicon.findings, lexicon.position):
        for concept in group.values():
            phrases.update(concept.variants)
            phrases.add(concept.vi)
    for values in (*lexicon.normal.values(), *lexicon.severity.values(), *lexicon.laterality.values()):
        phrases.update(values)
    phrases.update(lexicon.negation_pre + lexicon.negation_post + lexicon.uncertainty)
    for key in ("eponyms", "abbreviations", "words"):
        phrases.update(str(p) for p in safe.get(key) or ())
    exact = {lower_chars(normalize(str(p))) for p in phrases if str(p).strip()}
    loose = {fold_chars(p) for p in exact if " " in p} | {fold_chars(p) for p in exact if " " not in p and len(p) > 1}
    patterns = "|".join(f"(?i:{p})" for p in safe.get("patterns") or ())
    body = f"(?:{_alternation(exact)})" + (f"|{patterns}" if patterns else "")
    return (
        re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])"),
        re.compile(rf"(?<![^\W_])(?:{_alternation(loose)})(?![^\W_])"),
    )


@functools.lru_cache(maxsize=2)
def clinical_words(safe: bool = False) -> frozenset[str]:
    """Every word of the lexicon's clinical phrases (anatomy, findings, positions, normal states, severity, sides,
    negation, uncertainty), lower case with diacritics: what a Title Case report capitalises; with ``safe``, the
    words of its ``deid_safe`` section too (eponyms, abbreviations, report words)."""
    lexicon = load_lexicon()
    phrases: set[str] = set()
    if safe:
        for key in ("eponyms", "abbreviations", "words"):
            phrases.update(str(p) for p in (lexicon.raw.get("deid_safe") or {}).get(key) or ())
    for group in (lexicon.anatomy, lexicon.findings, lexicon.position):
        for concept in group.values():
            phrases.update(concept.variants)
    for values in (*lexicon.normal.values(), *lexicon.severity.values(), *lexicon.laterality.values()):
        phrases.update(values)
    phrases.update(lexicon.negation_pre + lexicon.negation_post + lexicon.uncertainty)
    return frozenset(w for p in phrases for w in lower_chars(normalize(p)).split() if w.isalpha())


@functools.lru_cache(maxsize=1)
def clinical_words_folded() -> frozenset[str]:
    """:func:`clinical_words` (``safe`` included) without diacritics, for words written without them."""
    return frozenset(fold_chars(w) for w in clinical_words(safe=True))


@functools.lru_cache(maxsize=256)  # the analyzer and the facility recognizer ask for the same text
def allowed_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every allow-listed phrase in ``text``: case-insensitively, and for phrases of
    several words also without diacritics."""
    if not text:
        return ()
    exact, loose = _regexes()
    spans = [m.span() for m in exact.finditer(lower_chars(text))]
    if any_unaccented(text):  # only a sentence written without diacritics has phrases written without them
        spans += [
            m.span()
            for m in loose.finditer(fold_chars(text))
            if " " in m.group(0) or "-" in m.group(0) or text[m.start() : m.end()].isascii()
        ]  # "Nu" is Nữ
    return tuple(spans)

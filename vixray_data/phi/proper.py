"""Capitalised Vietnamese words in the middle of a sentence: a name or a place said alone, with no title, kinship
word or address before it (``đã gặp Thoa hôm trước``, ``ổ dịch Phú Khê``, ``kết quả của Quyên``).

In a sentence written in mixed case, a word capitalised in the middle of the sentence is a proper noun. A run of
such words is returned as a name when it is
* not the first word of a sentence, a heading, a bracket or a quotation (``Kết luận: Tràn dịch``), nor the word
  after the redaction marker (``Mã BN: ___ Phim``: the marker may have taken the full stop);
* made of Vietnamese syllables (``Thoa``, ``Phú Khê``; not ``Kerley``, ``Carestream``, ``Covid``, ``COPD``:
  foreign words, eponyms, brands and acronyms stay);
* not a province, a centrally-run city or a country (``places.yaml``), and not opened by the word of an
  organisation, an office, a holiday, a people or a report heading (``proper_not_names`` in ``words.yaml``);
and the analyzer drops it when it is clinical vocabulary (the allow-list). Sentences in capitals or in Title
Case are skipped: capitals say nothing there.
"""

from __future__ import annotations

import functools
import re

from .places import is_coarse_place
from .spans import NAME, Span, capital_runs, case_uninformative, fold_chars, lower_chars, raw_words

#: A Vietnamese syllable without its diacritics: onset, vowels, final.
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")
_OPENS = re.compile(r"(?:^|[.!?:;\n(\[\"“‘'…•*>_-])\s*$")  # "___ Phim": the marker may have taken a full stop


@functools.lru_cache(maxsize=1)
def _not_names() -> tuple[frozenset[str], int, frozenset[str]]:
    """(the words that open no name, their longest length in words, their first words)."""
    phrases = (
        raw_words()["proper_not_names"]
        | raw_words()["titles"]
        | raw_words()["kin_heads"]
        | raw_words()["case_nouns"]
        | raw_words()["facility_heads"]
        | raw_words()["admin_units"]
    )
    return frozenset(phrases), max(len(p.split()) for p in phrases), frozenset(p.split()[0] for p in phrases)


@functools.lru_cache(maxsize=4096)
def _vietnamese(word: str) -> bool:
    """One Vietnamese syllable, capitalised, not an acronym, not a single letter."""
    if len(word) < 2 or (word.isupper() and len(word) > 1) or not word[1:].islower():
        return False
    return bool(_SYLLABLE.fullmatch(fold_chars(word).lower()))


def find_proper_names(text: str) -> list[Span]:
    """Runs of capitalised Vietnamese words in the middle of a sentence (see the module docstring)."""
    if not text:
        return []
    spans = []
    not_names, longest, firsts = _not_names()
    for start, end in capital_runs(text):
        run = text[start:end]
        words = run.replace("-", " ").split()
        # a title, kinship word or heading opening the run is no part of it: "Ông Sơn" -> "Sơn"
        n = (
            0
            if lower_chars(words[0]) not in firsts
            else next(
                (n for n in range(min(longest, len(words)), 0, -1) if lower_chars(" ".join(words[:n])) in not_names), 0
            )
        )
        opening = bool(_OPENS.search(text[max(0, start - 4) : start]))
        if n:
            if lower_chars(" ".join(words[:n])) in raw_words()["proper_not_names"]:
                continue
            if opening or not all(_vietnamese(w) for w in words[:n]) or n == len(words):
                skip = len(" ".join(run.split()[:n])) if " " in run else len(run)
                start += skip + 1
                words = words[n:]
            # else a capitalised "Bà", "Ba" in the middle of a sentence opens a place: "Bà Rịa", "Ba Đình"
        elif opening:
            continue  # the first word of a sentence, a heading or a bracket
        if not words or not all(_vietnamese(w) for w in words) or is_coarse_place(" ".join(words)):
            continue
        if case_uninformative(text, start):
            continue
        spans.append(Span(start, end, NAME))
    return spans

"""Names written as initials or with abbreviated parts: ``N.H.N.``, ``P.T.Q.``, ``K.L``, ``Tr.V.Lộc``,
``Ng.Đ.Kh``, ``Đ.Th.Q``, ``Ng. Thị Hạnh``, ``Đỗ Th. Xuân``, and, in lower case, ``t.v.q``.

An initial is a capital, or a Vietnamese onset of two or three letters, and a dot (``N.``, ``Th.``, ``Ngh.``). A name is
two or more initials in a row (the last may lack its dot or be a whole word), or one initial of a two-letter onset
(``Ng.``, ``Tr.``, ``Th.`` ...) or followed by a middle name (``Ph. Văn Nghĩa``) among capitalised words; or one
initial alone in the middle of a sentence (``Hôm sau, K. cũng đi khám``), not after an organ or a number
(``phổi P. có``). Dotted
abbreviations of the lexicon (``P.A.`` for PA) are not names. Matched on the text with its diacritics taken off
(case kept), so ``Đ.Th.Q`` is ``D.Th.Q``.
"""

from __future__ import annotations

import functools
import re

from ..lexicon import load_lexicon
from .spans import NAME, Span, base_chars, lower_chars, raw_words, words

_INITIAL = r"(?:Ngh|Ng|Nh|Ph|Th|Tr|Ch|Kh|Gi|Qu|Gh|[A-Z])\."  # a capital, or an onset of two or three letters
#: Two or more initials (a space may stand between them), the last one's dot optional or a whole word after it
#: with no space ("N.H.N", "Tr.V.Lộc"); or one initial with a word run on ("T.Hoa").
_CHAIN = re.compile(rf"(?<![\w.])(?:{_INITIAL}(?:\s?{_INITIAL}){{1,4}}(?:[A-Z][a-z]*)?|{_INITIAL}[A-Z][a-z]*)(?![\w])")
#: One initial alone in the middle of a sentence: "Q. bắt đầu sốt", "Hôm sau, K. cũng đi khám", "và M. đều".
_LONE = re.compile(r"[A-Z]\.(?<![\w.(/-]..)(?=\s*[,;)]|\s+[a-z]|\s*$)")
_PREVIOUS = re.compile(r"([^\W_]+)\s*$")
#: A letter (or two or three) with a dot after it, not inside a word: the only way any initial starts. Written from
#: the dot (a letter before it, not four): ``re`` then skips straight to the dots.
_HINT = re.compile(r"\.(?<=[^\W\d_]\.)(?<![^\W\d_]{4}\.)")
_LOWER = re.compile(r"[a-z]\.(?<![\w.]..)(?:[a-z]\.){1,3}[a-z]\.?(?![\w])")
_ONE = re.compile(rf"(?<![\w.])(?:[A-Z][a-z]+\s)?{_INITIAL}\s?[A-Z][a-z]*(?:\s[A-Z][a-z]*){{0,2}}(?![\w])")
_ONSETS = ("Ng", "Ngh", "Nh", "Ph", "Tr", "Th", "Ch", "Kh", "Gi", "Qu", "Gh")


@functools.lru_cache(maxsize=1)
def _not_names() -> frozenset[str]:
    """Dotted forms that are clinical abbreviations (``P.A.``), and English ones (``e.g.``, ``v.v.`` etc.)."""
    safe = load_lexicon().raw.get("deid_safe") or {}
    return frozenset(
        {str(a).upper() for a in safe.get("abbreviations") or () if str(a).isalpha()} | {"EG", "IE", "VV", "AM", "PM"}
    )


_TITLES = re.compile(r"(?:Bn|Bs|Dr|Ts|Ths|Gs|Pgs|Ks|Cn|Mr|Mrs|Ms|Ktv|Dd)\.\s?", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _organ_words() -> frozenset[str]:
    """Words of the lexicon's organs, findings, positions and sides: after one, "P." and "T." are sides."""
    lexicon = load_lexicon()
    forms = [
        v for group in (lexicon.anatomy, lexicon.findings, lexicon.position) for c in group.values() for v in c.variants
    ] + [p for values in lexicon.laterality.values() for p in values]
    return frozenset(w for form in forms for w in lower_chars(form).split())


def _title_length(chain: str) -> int:
    """Length of a title abbreviation that opens ``chain`` (``Bn. Đ.Th.Q``: ``Bn. ``), else 0."""
    m = _TITLES.match(chain)
    return m.end() if m else 0


def _middle(word: str) -> bool:
    """A middle name, with its diacritics ("Bá" is, "Bà" is not), or without when written without any."""
    return lower_chars(word) in raw_words()["middle"] or (word.isascii() and word.lower() in words()["middle"])


def find_initials(text: str) -> list[Span]:
    """Names written with initials (see the module docstring)."""
    if not text or not _HINT.search(text):
        return []
    based = base_chars(text)
    spans = []
    for m in _CHAIN.finditer(based):
        start = m.start() + _title_length(m.group(0))
        letters = re.sub(r"[^A-Za-z]", "", based[start : m.end()])
        if letters.upper() in _not_names() or not re.search(r"[A-Z].*[.A-Z]", based[start : m.end()]):
            continue
        spans.append(Span(start, m.end(), NAME))
    for m in _LONE.finditer(based):  # not a side after an organ or a number: "phổi P. có", "sườn 5 T."
        prev = _PREVIOUS.search(text[max(0, m.start() - 20) : m.start()])
        if prev is not None and (prev.group(1).isdigit() or lower_chars(prev.group(1)) in _organ_words()):
            continue
        last = not text[m.end() :].strip()  # at the end of the text the dot is also the full stop: leave it
        spans.append(Span(m.start(), m.end() - last, NAME))
    for m in _LOWER.finditer(based):
        if re.sub(r"[^a-z]", "", m.group(0)).upper() not in _not_names():
            spans.append(Span(m.start(), m.end(), NAME))
    for m in _ONE.finditer(based):
        if _title_length(m.group(0)):
            continue
        original = text[m.start() : m.end()]
        parts = original.replace(".", " ").split()
        abbreviated = [p for p in parts if f"{p}." in original and len(p) <= 3]
        if any(base_chars(p) in _ONSETS for p in abbreviated) or any(_middle(p) for p in parts if p not in abbreviated):
            spans.append(Span(m.start(), m.end(), NAME))
    return spans

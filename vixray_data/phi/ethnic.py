"""Names of the highland peoples by their shape: a syllable with an apostrophe (``H'Loan``, ``K'Lang``, ``H'Nga``)
with the capitalised words beside it (``Niê H'Loan``, ``H'Nga Mlô``, ``Điểu K'Lang``), and a given name opened by
the marker ``Y`` or ``A`` (``Y Thuôn Êban``, ``A Blong``) after a title, a kinship word, a colon or a bracket.

Family names of these peoples (``Ksor``, ``Rơ Mah``, ``Sùng``, ``Giàng`` ...) are in ``words.yaml``
(``family_ethnic``) and read by the name recognizer like any other family name.
"""

from __future__ import annotations

import functools
import re

from .spans import NAME, Span, fold_chars, words

#: Capital Latin letters (Vietnamese ones included), for a regex class.
_UPPER = "".join(re.escape(c) for c in map(chr, range(0x41, 0x1F00)) if c.isalpha() and c.isupper())
_CAP = rf"[{_UPPER}][^\W\d_]*(?:['’][^\W\d_]+)?"  # a capitalised word, an apostrophe syllable allowed
_APOSTROPHE = re.compile(r"(?<![^\W_])[^\W\d_]['’][^\W\d_]+")
_MARKED = re.compile(rf"[YA](?<![^\W_].)\s+({_CAP}(?:\s+{_CAP}){{0,3}})")
#: Words after Y that make it the word y ("medicine"): Y tế, Y khoa, Y học, Y sĩ, Y đức, Y lệnh ...
_Y_WORDS = frozenset({"te", "khoa", "hoc", "si", "duc", "lenh", "ta", "vien", "bac", "sinh", "te.", "cu"})


@functools.lru_cache(maxsize=1)
def _anchors() -> frozenset[str]:
    w = words()
    return w["titles"] | w["kin_heads"] | w["kin_links"] | w["case_nouns"]


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def find_ethnic_names(text: str) -> list[Span]:
    """Apostrophe-syllable names and Y/A-marked names (see the module docstring)."""
    if not text:
        return []
    spans: list[Span] = []
    if "'" in text or "’" in text:
        for m in _APOSTROPHE.finditer(text):
            if not _capitalised(m.group(0)):
                continue
            start, end = m.span()
            for _ in range(2):  # capitalised words before it that are not titles: "Niê H'Loan", "Siu H'Nga"
                before = re.search(rf"({_CAP})\s$", text[max(0, start - 20) : start])
                if before is None or fold_chars(before.group(1)).lower() in _anchors():
                    break
                start -= len(before.group(0))
            for _ in range(2):  # ... and after it: "H'Nga Mlô"
                after = re.match(rf"\s({_CAP})", text[end : end + 20])
                if after is None or fold_chars(after.group(1)).lower() in _anchors():
                    break
                end += len(after.group(0))
            spans.append(Span(start, end, NAME))
    for m in _MARKED.finditer(text):
        first = fold_chars(m.group(1).split()[0])
        if m.group(0)[0] == "Y" and first in _Y_WORDS:
            continue
        preceding = text[: m.start()].rstrip()
        prev = re.search(r"([^\W\d_]+)\s*$", preceding)
        opened = (
            not preceding
            or preceding[-1] in ':(,;"“-'
            or (prev is not None and preceding.endswith(prev.group(1)) and fold_chars(prev.group(1)) in _anchors())
        )
        if opened:
            spans.append(Span(m.start(), m.end(1), NAME))
    return spans

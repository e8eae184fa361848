"""Case numbers: the number a report or a bulletin gives a patient, and the numbers listed after it.

``bệnh nhân 416``, ``BN số 34``, ``ca bệnh 1.035``, ``bệnh nhân thứ 2.051``, ``ca mắc COVID-19 số 714``,
``các bệnh nhân 795 và 797-810``. A number with a unit after it is an age, a measurement or a count, not a case
number: ``bệnh nhân 72 tuổi``, ``BN 60 kg``, ``bệnh nhân 2 lần``.
"""

from __future__ import annotations

import functools
import re

from ..text import strip_diacritics
from .spans import RECORD, Span, alternation, fold_chars, lower_chars, words

_NUMBER = r"\d{1,3}(?:[.,]\d{3})+(?![.,]?\d)|\d+"
#: What may follow a number that is not a case number, with diacritics ("74 tuân thủ" is no "tuần").
_UNITS = (r"tuổi|t|y|yo|kg|g|gram|cm|mm|m|ml|l|lít|lần|ngày|tuần|tháng|năm|giờ|h|phút|giây|%|bên|viên|"
          r"mũi|liều|độ|đợt|phim|nhịp|mmhg|bpm|kv|mas|hu")


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    nouns = alternation(words()["case_nouns"], space=r"\s+")
    head = re.compile(rf"(?<![^\W_])(?:{nouns})(?:\s+(?:mac\s+|nhiem\s+)?(?:covid-?19|covid|ncov|sars-cov-2))?"
                      rf"(?:\s+(?:so|thu|ma so))?\s*[:.#]?\s*\"?({_NUMBER})(?![^\W_])\"?")
    more = re.compile(rf"\s*(?:,|va|-|–|den|toi|hoac)\s*\"?({_NUMBER})(?![^\W_])\"?")
    unit = re.compile(rf"\s*(?:{_UNITS})(?![^\W_])")
    return head, more, unit


@functools.lru_cache(maxsize=1)
def _ascii_unit() -> re.Pattern:
    return re.compile(rf"\s*(?:{strip_diacritics(_UNITS)})(?![^\W_])")


def _unit(lower: str, at: int) -> bool:
    """A unit after the number at ``at`` (its diacritics must be right unless the word is written without any)."""
    _, _, unit = _regexes()
    if unit.match(lower, at):
        return True
    word = re.match(r"\s*\S+", lower[at:at + 12])
    return bool(word and word.group(0).isascii() and _ascii_unit().match(lower, at))


def find_case_numbers(text: str) -> list[Span]:
    """Case numbers of ``text`` (see the module docstring), each number its own span."""
    if not text or not any(c.isdigit() for c in text):
        return []
    folded = fold_chars(text)
    lower = lower_chars(text)
    head, more, _ = _regexes()
    spans = []
    for match in head.finditer(folded):
        if _unit(lower, match.end(1)):
            continue  # "bệnh nhân 72 tuổi"
        start = match.start() if re.fullmatch(r"bn\s?", folded[match.start():match.start(1)]) else match.start(1)
        spans.append(Span(start, match.end(1), RECORD))  # "BN 565", "BN565": the code as a whole
        at = match.end()
        while (nxt := more.match(folded, at)) is not None and not _unit(lower, nxt.end(1)):
            spans.append(Span(*nxt.span(1), RECORD))
            at = nxt.end()
    return spans

"""Case numbers: the number a report or a bulletin gives a patient, and the numbers listed after it.

``bệnh nhân 416``, ``BN số 34``, ``ca bệnh 1.035``, ``bệnh nhân thứ 2.051``, ``ca mắc COVID-19 số 714``,
``các bệnh nhân 795 và 797-810``. A number with a unit after it is an age, a measurement or a count, not a case
number: ``bệnh nhân 72 tuổi``, ``BN 60 kg``, ``bệnh nhân 2 lần``.
"""

from __future__ import annotations

import functools
import re

from .spans import RECORD, Span, alternation, fold_chars, words

_NUMBER = r"\d{1,3}(?:[.,]\d{3})+(?![.,]?\d)|\d+"
#: What may follow a number that is not a case number (folded).
_UNITS = (r"tuoi|t|y|yo|kg|g|gram|cm|mm|m|ml|l|lit|lan|ngay|tuan|thang|nam|gio|h|phut|giay|%|ben|nguoi|ca|vien|"
          r"mui|lieu|do|dot|phim|nhip|mmhg|bpm|kv|mas|hu")


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    nouns = alternation(words()["case_nouns"], space=r"\s+")
    head = re.compile(rf"(?<![^\W_])(?:{nouns})(?:\s+(?:mac\s+|nhiem\s+)?(?:covid-?19|covid|ncov|sars-cov-2))?"
                      rf"(?:\s+(?:so|thu|ma so))?\s*[:.#]?\s*\"?({_NUMBER})(?![^\W_])\"?")
    more = re.compile(rf"\s*(?:,|va|-|–|den|toi|hoac)\s*\"?({_NUMBER})(?![^\W_])\"?")
    unit = re.compile(rf"\s*(?:{_UNITS})(?![^\W_])")
    return head, more, unit


def find_case_numbers(text: str) -> list[Span]:
    """Case numbers of ``text`` (see the module docstring), each number its own span."""
    if not text or not any(c.isdigit() for c in text):
        return []
    folded = fold_chars(text)
    head, more, unit = _regexes()
    spans = []
    for match in head.finditer(folded):
        if unit.match(folded, match.end(1)):
            continue  # "bệnh nhân 72 tuổi"
        spans.append(Span(*match.span(1), RECORD))
        at = match.end()
        while (nxt := more.match(folded, at)) is not None and not unit.match(folded, nxt.end(1)):
            spans.append(Span(*nxt.span(1), RECORD))
            at = nxt.end()
    return spans

"""Case numbers: the number a report or a bulletin gives a patient, and the numbers listed after it.

``bệnh nhân 416``, ``BN số 34``, ``ca bệnh 1.035``, ``bệnh nhân thứ 2.051``, ``ca mắc COVID-19 số 714``,
``các bệnh nhân 1.311 và 1.315-1.318``. A number with a unit after it is an age, a measurement or a count, not a case
number: ``bệnh nhân 72 tuổi``, ``BN 60 kg``, ``bệnh nhân 2 lần``.
"""

from __future__ import annotations

import functools
import re

from ..text import strip_diacritics
from .spans import RECORD, Span, alternation, fold_chars, has_digit, lower_chars, sentence_at, words

_NUMBER = r"\d{1,3}(?:[.,]\d{3})+(?![.,]?\d)|\d+"
#: What may follow a number that is not a case number, with diacritics ("74 tuân thủ" is no "tuần").
_UNITS = (
    r"tuổi|t|y|yo|kg|g|gram|cm|mm|m|ml|l|lít|lần|ngày|tuần|tháng|năm|giờ|h|phút|giây|%|bên|viên|"
    r"mũi|liều|độ|đợt|phim|nhịp|mmhg|bpm|kv|mas|hu"
)


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    nouns = alternation(words()["case_nouns"], space=r"\s+")
    virus = r"(?:covid-?19|covid|ncov|sars-cov-2|corona|virus corona|virus)"
    head = re.compile(
        rf"(?<![^\W_])(?:(?:{nouns})(?:\s+(?:mac\s+|nhiem\s+)?{virus})?(?:\s+(?:so|thu|ma so))?"
        rf"|(?:tu|gom|gom cac|cac|ghi nhan|bao gom)\s+so)\s*[:.#]?\s*\"?({_NUMBER})(?![^\W_])\"?"
    )
    more = re.compile(rf"\s*(?:,|va|-|–|den|toi|hoac)\s*(?:so\s+|thu\s+)?\"?({_NUMBER})(?![^\W_])\"?")
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
    word = re.match(r"\s*\S+", lower[at : at + 12])
    return bool(word and word.group(0).isascii() and _ascii_unit().match(lower, at))


_CASE_WORD = re.compile(
    r"(?<![^\W_])(?:benh nhan|bn|ca benh|ca nhiem|ca mac|ca duong tinh|nguoi benh|benh nhi|"
    r"truong hop|ca)(?![^\W_])"
)


def find_case_numbers(text: str) -> list[Span]:
    """Case numbers of ``text`` (see the module docstring), each number its own span."""
    if not text or not has_digit(text):
        return []
    folded = fold_chars(text)
    lower = lower_chars(text)
    head, more, _ = _regexes()
    spans = []
    for match in head.finditer(folded):
        if _unit(lower, match.end(1)):
            continue  # "bệnh nhân 72 tuổi"
        start = match.start() if re.fullmatch(r"bn\s?", folded[match.start() : match.start(1)]) else match.start(1)
        spans.append(Span(start, match.end(1), RECORD))  # "BN 565", "BN565": the code as a whole
        at = match.end()
        while (nxt := more.match(folded, at)) is not None and not _unit(lower, nxt.end(1)):
            spans.append(Span(*nxt.span(1), RECORD))
            at = nxt.end()
    return spans + _listed(text, folded, lower)


_LIST = re.compile(r"(\d(?<![\w.,/-].)\d{1,4})(?:\s*(?:,|va|-|–|den|hoac)\s*\d{2,5}(?![\w.,/]\d|[^\W\d_])){1,}")
_RIBS = re.compile(r"(?:xuong suon|suon|cung|dot song|dot|do|lan|giai doan|type|loai|nhom|lien suon)[\s\w]{0,12}$")


def _listed(text: str, folded: str, lower: str) -> list[Span]:
    """Numbers listed in a sentence about cases (``có hai ca nặng, gồm 416 và 418``; ``(350, 351, 352)``): two or
    more numbers, one of them above 12, none with a unit after it and not after a rib or grade word."""
    spans: list[Span] = []
    if not _CASE_WORD.search(folded):
        return spans
    for m in _LIST.finditer(folded):
        numbers = [(d.start(), d.end()) for d in re.finditer(r"\d+", m.group(0))]
        values = [int(m.group(0)[a:b]) for a, b in numbers]
        start, end = sentence_at(text, m.start())
        if (
            max(values) <= 12
            or not _CASE_WORD.search(folded, start, end)
            or _RIBS.search(folded[max(0, m.start() - 30) : m.start()])
            or any(_unit(lower, m.start() + b) for _, b in numbers)
        ):
            continue
        spans += [Span(m.start() + a, m.start() + b, RECORD) for a, b in numbers]
    return spans

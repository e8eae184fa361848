"""Dates and times (any granularity finer than a year), birth years, and ages over 89.

Matched on folded text, so ``tháng``/``thang``/``THÁNG`` alike. A bare year (``phim cũ năm 2019``) is
not PHI; a birth year is (``Sinh năm 1928``, ``NS: 1950``). Rib lists (``xương sườn 10-11-12``) and
fractions (``1/3 dưới``) are not dates: a run of consecutive numbers, or a day/month pair of single digits
with the first smaller, is left alone.
"""

from __future__ import annotations

import functools
import re

from .spans import AGE, DATE, Span, fold_chars, keyword_regex

_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_Y = r"(?:19|20)\d{2}"
_Y2 = r"\d{2}"
_MONTHS_EN = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
              r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_TIME = (r"(?:[01]?\d|2[0-3])\s?(?:h|g|gio)\s?(?:[0-5]\d(?:\s?(?:p|phut))?)?(?![^\W_])"
         r"|(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?")
_B = r"(?<![\w/.,-])"  # nothing number-like or word-like before
_A = r"(?![\w/]|[.,-]\d)"  # ... or after

#: Patterns that start with a digit (leftmost match wins, so longer forms come first).
_LED_BY_DIGIT = (
    # 2023-03-12, 2023-03-12T08:00, 2023/3/12 08:00:00, 20230312
    rf"{_B}{_Y}[-/.]{_M}[-/.]{_D}(?:[t\s]+(?:{_TIME}))?{_A}",
    rf"{_B}{_Y}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[t\s]?\d{{4,6}})?{_A}",
    # 12/03/2023, 12-3-23, 12.03.2023, with a time after
    rf"{_B}{_D}\s?[-/.]\s?{_M}\s?[-/.]\s?(?:{_Y}|{_Y2}){_A}(?:\s*(?:luc\s*)?(?:{_TIME}))?",
    # 12 tháng 3 (năm 2023)
    rf"(?<![^\W_]){_D}\s*thang\s*{_M}(?![\d])(?:\s*(?:nam|/|-)\s*(?:{_Y}|{_Y2}))?",
    # 03/2023 (month/year)
    rf"{_B}(?:0[1-9]|1[0-2])\s?/\s?{_Y}{_A}",
    # 12 March 2023
    rf"(?<![^\W_]){_D}(?:st|nd|rd|th)?\s+{_MONTHS_EN}\.?(?:,?\s+{_Y})?(?![\w])",
    # times: 08h30, 8h, 14g30, 08:30, 8 giờ 30
    rf"(?<![\w:.,]){_TIME}(?![\d:])",
)
#: Patterns that start with a word: tháng 3/2023, T3/2023, tháng 03 năm 2023, March 12, 2023.
_LED_BY_WORD = (
    rf"(?<![^\W_])(?:thang|t)\s*\.?\s*{_M}\s*(?:nam|/|-|\.)\s*(?:{_Y}|{_Y2}){_A}",
    rf"(?<![^\W_]){_MONTHS_EN}\.?\s+{_D}(?:st|nd|rd|th)?(?:,?\s+{_Y})?(?![\w])",
)


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[tuple[re.Pattern, ...], re.Pattern, re.Pattern, re.Pattern]:
    # leftmost wins, longer forms listed first; a lookahead on the first character skips most positions fast
    dates = (re.compile(rf"(?=\d)(?:{'|'.join(_LED_BY_DIGIT)})"),
             re.compile(rf"(?=[tjfmasond])(?:{'|'.join(_LED_BY_WORD)})"))
    day_month = re.compile(rf"{_B}({_D})\s?[/]\s?({_M}){_A}")
    birth = keyword_regex("birth_keys", rf"\s*[:.]?\s*((?:{_Y})|\d{{1,2}}\s*[/-]\s*\d{{1,2}}\s*[/-]\s*\d{{2,4}})(?!\d)")
    age = re.compile(r"(?<![\w.,/-])(\d{2,3})(\s*(?:tuoi|yo|y/o|years?\s+old|t(?![^\W_]))|(?<=\d)(?:t|y|yo)(?![^\W_]))"
                     r"|(?<![^\W_])(?:tuoi|age)\s*[:]?\s*(\d{2,3})(?![\w.,]\d|\d)")
    return dates, day_month, birth, age


def _consecutive(numbers: list[int]) -> bool:
    return all(b - a == 1 for a, b in zip(numbers, numbers[1:], strict=False))


def find_dates(text: str) -> list[Span]:
    """Date and time spans of ``text``, birth years included."""
    if not text or not any(c.isdigit() for c in text):
        return []
    folded = fold_chars(text)
    dates, day_month, birth, _ = _regexes()
    spans = []
    for match in (m for regex in dates for m in regex.finditer(folded)):
        numbers = [int(n) for n in re.findall(r"\d+", match.group(0))]
        if len(numbers) == 3 and "-" in match.group(0) and _consecutive(numbers) and max(numbers) <= 12:
            continue  # xương sườn 10-11-12
        lead = re.match(r"ngay\s*", match.group(0))  # keep the word "ngày": "ngày ___"
        spans.append(Span(match.start() + (lead.end() if lead else 0), match.end(), DATE))
    for match in day_month.finditer(folded):  # 12/03, 05/3; not 1/3 (a third)
        day, month = match.group(1), match.group(2)
        after_ngay = folded[max(0, match.start() - 5):match.start()].rstrip().endswith("ngay")
        if len(day) == 2 or len(month) == 2 or int(day) > int(month) + 1 or after_ngay:
            spans.append(Span(match.start(), match.end(), DATE))
    spans += [Span(*m.span(1), DATE) for m in birth.finditer(folded)]  # "Sinh năm ___"
    return spans


def find_ages(text: str) -> list[Span]:
    """Ages above 89 written in text (``95 tuổi``, ``97t``, ``Tuổi: 92``): the number is the span."""
    if not text or not any(c.isdigit() for c in text):
        return []
    spans = []
    for match in _regexes()[3].finditer(fold_chars(text)):
        group = 1 if match.group(1) else 3
        if 89 < int(match.group(group)) < 200:
            start, end = match.span(group)
            if match.group(2) and not match.group(2)[:1].isspace():
                end = match.end(2)  # "97t": the token as a whole
            spans.append(Span(start, end, AGE))
    return spans

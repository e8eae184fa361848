"""Dates and ages written in words, Vietnamese and English, and lunar dates.

``mười bốn tháng chín``, ``hai mươi ba tháng Mười năm Bính Thân``, ``mồng sáu tháng tư năm hai nghìn
hai mươi``, ``rằm tháng Giêng``, ``mồng hai Tết``, ``10/1 âm lịch`` (the digits are read by ``dates.py``),
``the 3rd of March``; ages above 89: ``chín mươi tư tuổi``, ``một trăm lẻ một tuổi``, ``ninety-three years old``.
A month in words needs a day before it, a year after it, or is ``Giêng``/``Chạp`` (``sau ba tháng hai bên phổi``
is no date). Matched on folded text.
"""

from __future__ import annotations

import functools
import re

from ..text import strip_diacritics
from .spans import AGE, DATE, Span, fold_chars, lower_chars

#: Number words with their diacritics: folded, "ba" (three) is "bà" and "sau" (after) is "sáu" (six).
_VI_DIGITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
_VI_NUMBER = (
    r"(?:(?:không|một|mốt|hai|ba|bốn|tư|năm|lăm|nhăm|sáu|bảy|bẩy|tám|chín|mười|mươi|linh|lẻ|trăm|nghìn|"
    r"ngàn)(?![^\W_])\s*)+"
)
_EN_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_EN_NUMBER = r"(?:(?:" + "|".join([*_EN_TENS, *_EN_UNITS, "hundred", "and"]) + r")(?![^\W_])[\s-]*)+"
_MONTH_WORDS = r"(?:giêng|chạp|mười một|mười hai|một|hai|ba|tư|bốn|năm|sáu|bảy|bẩy|tám|chín|mười)"
_CAN = r"(?:giáp|ất|bính|đinh|mậu|kỷ|canh|tân|nhâm|quý)"
_CHI = r"(?:tý|tí|sửu|dần|mão|mẹo|thìn|tỵ|tị|ngọ|mùi|thân|dậu|tuất|hợi)"
_MONTHS_EN = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
)


def vietnamese_number(words: str) -> int | None:
    """``chín mươi tư`` -> 94, ``một trăm lẻ một`` -> 101, ``mười bảy`` -> 17; None if not a number."""
    total, current, seen = 0, 0, False
    ascii_words = words.isascii()
    digits = {fold_chars(k): v for k, v in _VI_DIGITS.items()} if ascii_words else _VI_DIGITS
    for word in words.lower().split():
        if word in ("linh", "lẻ", "le"):
            continue
        if word in ("trăm", "tram"):
            total, current = total + max(current, 1) * 100, 0
        elif word in ("nghìn", "ngàn", "nghin", "ngan"):
            total, current = (total + max(current, 1)) * 1000, 0
        elif word == "mươi" or (ascii_words and word == "muoi" and current):
            current = current * 10
        elif word in ("mười", "muoi"):
            current += 10
        elif word in digits:
            current += digits[word]
        else:
            return None
        seen = True
    return total + current if seen else None


def english_number(words: str) -> int | None:
    """``ninety-one`` -> 91, ``one hundred and two`` -> 102; None if not one."""
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", words.lower().strip()):
        if not word or word == "and":
            continue
        if word == "hundred":
            current = max(current, 1) * 100
        elif word in _EN_TENS:
            current += _EN_TENS[word]
        elif word in _EN_UNITS:
            current += _EN_UNITS[word]
        else:
            return None
        seen = True
    return total + current if seen else None


def _patterns() -> dict[str, str]:
    day = rf"(?:(?:ngày|mùng|mồng|hôm)\s+)?(?:rằm|\d{{1,2}}|{_VI_NUMBER})"
    year = rf"(?:\s*năm\s+(?:\d{{2,4}}|{_CAN}\s+{_CHI}|{_VI_NUMBER}))?(?:\s*(?:âm lịch|dương lịch|al))?"
    return {
        # a day, then "tháng" and a month in words or digits: "mười bốn tháng chín", "rằm tháng Giêng"
        "vi": rf"(?<![^\W_]){day}\s*tháng\s+(?:{_MONTH_WORDS}|\d{{1,2}})(?![^\W_]){year}",
        # a month in words with a year or a lunar word after it, or Giêng / Chạp: "tháng Chạp năm Bính Thân"
        "month": rf"(?<![^\W_])tháng\s+(?:giêng|chạp|{_MONTH_WORDS}(?=\s*(?:năm\s+\S|âm lịch|dương lịch)))"
        rf"(?![^\W_]){year}",
        "tet": rf"(?<![^\W_])(?:(?:mùng|mồng)\s+)?(?:\d{{1,2}}|{_VI_NUMBER})\s*tết(?![^\W_])",
        "lunar": r"(?<![\w/.-])\d{1,2}\s?/\s?\d{1,2}\s*(?:âm lịch|al)(?![^\W_])",
        "en": rf"(?<![^\W_])(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)\s+of\s+{_MONTHS_EN}(?:,?\s+\d{{4}})?(?![^\W_])",
        "age_vi": rf"(?<![^\W_])({_VI_NUMBER})\s*tuổi(?![^\W_])",
        "age_en": rf"(?<![^\W_])({_EN_NUMBER})\s*(?:years?[\s-]*old|yo|y/o)(?![^\W_])",
    }


@functools.lru_cache(maxsize=2)
def _regexes(folded: bool) -> dict[str, re.Pattern]:
    """The patterns with their diacritics (run on lower-cased text), or without (on folded text of a text written
    without any)."""
    return {key: re.compile(strip_diacritics(p) if folded else p) for key, p in _patterns().items()}


def _prepared(text: str) -> tuple[str, dict[str, re.Pattern]]:
    folded = text.isascii()
    return (text.lower() if folded else lower_chars(text)), _regexes(folded)


def find_word_dates(text: str) -> list[Span]:
    """Dates in words and lunar dates (see the module docstring)."""
    if not text:
        return []
    key_text, r = _prepared(text)
    probe = fold_chars(text)
    if (
        "thang" not in probe
        and "tet" not in probe
        and " of " not in probe
        and "am lich" not in probe
        and " al" not in probe
    ):
        return []
    spans = []
    for key in ("vi", "month", "tet", "lunar", "en"):
        for m in r[key].finditer(key_text):
            if key == "vi" and _duration(key_text, m):
                continue
            lead = re.match(r"(?:ngày|hôm|ngay|hom)\s+", m.group(0))  # keep the word "ngày"
            spans.append(Span(m.start() + (lead.end() if lead else 0), len(key_text[: m.end()].rstrip()), DATE))
    return spans


_DURATION_BEFORE = re.compile(
    r"(?:sau|trong|khoảng|được|gần|hơn|kéo dài|vòng|mất|đã|suốt|chừng|sau khi|cách đây|"
    r"sau|trong|khoang|duoc|gan|hon|keo dai|vong|mat|da|suot|chung|cach day)\s*$"
)
_DURATION_AFTER = re.compile(r"\s*(?:bên|lần|ngày|tuần|tháng|tuổi|nữa|nay|ben|lan|ngay|tuan|thang|tuoi|nua)(?![^\W_])")


def _duration(text: str, match: re.Match) -> bool:
    """``sau ba tháng hai bên phổi``: a count of months, not the third of February."""
    if match.group(0)[:1].isdigit():
        return False
    return bool(
        _DURATION_BEFORE.search(text[max(0, match.start() - 12) : match.start()])
        or _DURATION_AFTER.match(text, match.end())
    )


def find_word_ages(text: str) -> list[Span]:
    """Ages above 89 written in words: the number words are the span."""
    if not text:
        return []
    probe = fold_chars(text)
    if "tuoi" not in probe and "old" not in probe and "yo" not in probe:
        return []
    key_text, r = _prepared(text)
    spans = []
    for m in r["age_vi"].finditer(key_text):
        value = vietnamese_number(m.group(1))
        if value is not None and 89 < value < 130:
            spans.append(Span(m.start(1), m.start(1) + len(m.group(1).rstrip()), AGE))
    for m in r["age_en"].finditer(key_text):
        value = english_number(m.group(1))
        if value is not None and 89 < value < 130:
            spans.append(Span(m.start(1), m.start(1) + len(m.group(1).rstrip(" -")), AGE))
    return spans

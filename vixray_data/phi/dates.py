"""Dates and times (any granularity finer than a year), birth years, and ages over 89.

Matched on folded text, so ``tháng``/``thang``/``THÁNG`` alike. A bare year (``phim cũ năm 2019``) is
not PHI; a birth year is (``Sinh năm 1928``, ``NS: 1950``); a month is (``tháng 8``, ``tháng 12/2019``).
A day and a month are a date in every separator (``24-7``, ``7/3``, ``3 - 9``, ``16 / 10``; ``14.10`` after a
date word such as ``ngày`` or ``phim``), with the days listed before it (``ngày 9 và 11-5``, ``từ 2 - 6/10``).
Not dates: numbers after a rib, vertebra, grade or count word (``xương sườn 3 - 4``, ``sườn 7-8``, ``độ 1-2``),
a range with its unit (``2-3 mm``, ``5-7 ngày``), a fraction of a lung (``1/3 dưới``, ``3/4 phế trường``), a run
of three consecutive numbers (``4-5-6``), decimals (``0.55``, ``1.7 m2``). A time needs its minutes, a compact
``8h``, or ``lúc`` before it (``2 giờ`` alone is a duration).
"""

from __future__ import annotations

import functools
import re

from .spans import AGE, DATE, Span, fold_chars, has_digit, keyword_regex, lower_chars

_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_Y = r"(?:19|20)\d{2}"
_Y2 = r"\d{2}"
_MONTHS_EN = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_TIME = (
    r"(?:[01]?\d|2[0-3])\s?(?:h|g)\s?(?:[0-5]\d(?:\s?(?:p|phut))?)?(?![^\W_])"
    r"|(?:[01]?\d|2[0-3])\s?gio\s?[0-5]\d(?:\s?phut)?(?![^\W_])"
    r"|(?<=luc )(?:[01]?\d|2[0-3])\s?gio(?![^\W_])"
    r"|(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
)
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
    # 02/14/2024: month first, when the day cannot be a month (an English-style report)
    rf"{_B}{_M}/(?:1[3-9]|2\d|3[01])/{_Y}{_A}",
    # 12 March 2023
    rf"(?<![^\W_]){_D}(?:st|nd|rd|th)?\s+{_MONTHS_EN}\.?(?:,?\s+{_Y})?(?![\w])",
)
#: Times (08h30, 8h, 14g30, 08:30, 8 giờ 30) on their own: a time before a date ("15h 09/05/2024") would
#: otherwise take the date's day and hide the rest of it from the leftmost match.
_TIMES = rf"(?<![\w:.,]){_TIME}(?![\d:])"
#: Where a time can start: every form has its hour's last digit, then perhaps a space, then ``h``, ``g`` (``giờ``)
#: or ``:``. Most texts have none, and the times pattern, which opens with look-arounds, is tried at every position
#: of a text: it is run only from the character before the first such place.
_TIME_AT = re.compile(r"\d\s?[hg:]")
#: Patterns that start with a word: tháng 3/2023, T3/2023, tháng 03 năm 2023, March 12, 2023.
_LED_BY_WORD = (
    rf"(?<![^\W_])(?:thang|t)\s*\.?\s*{_M}\s*(?:nam|/|-|\.)\s*(?:{_Y}|{_Y2}){_A}",
    rf"(?<![^\W_]){_MONTHS_EN}\.?\s+{_D}(?:st|nd|rd|th)?(?:,?\s+{_Y})?(?![\w])",
)


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[tuple[re.Pattern, ...], re.Pattern, re.Pattern, re.Pattern]:
    # leftmost wins, longer forms listed first; a lookahead on the first character skips most positions fast
    dates = (
        re.compile(rf"(?=\d)(?:{'|'.join(_LED_BY_DIGIT)})"),
        re.compile(rf"(?=[tjfmasond])(?:{'|'.join(_LED_BY_WORD)})"),
        re.compile(rf"(?=\d){_TIMES}"),
    )
    # a day and a month; a day range before them is part of it ("12-15/9"), so a dash may stand before the day
    day_month = re.compile(
        rf"(?<![\w/.,])(?:({_D})\s?[-–]\s?)?({_D})\s?([-/.–])\s?({_M})"
        rf"(?![\w/]|[.,]\d|\s?/\s?\d)"
    )
    birth = keyword_regex("birth_keys", rf"\s*[:.]?\s*((?:{_Y})|\d{{1,2}}\s*[/-]\s*\d{{1,2}}\s*[/-]\s*\d{{2,4}})(?!\d)")
    age = re.compile(
        r"(?<![\w.,/-])(\d{2,3})(\s*(?:tuoi|yo|y/o|years?\s+old|t(?![^\W_]))|(?<=\d)(?:t|y|yo)(?![^\W_]))"
        r"|(?<![^\W_])(?:tuoi|age)\s*[:]?\s*(\d{2,3})(?![\w.,]\d|\d)"
    )
    return dates, day_month, birth, age


#: Words after which numbers are ribs, vertebrae, grades, counts or sizes (folded), and units after a range.
_NUMBERING = re.compile(
    r"(?:xuong suon|suon|cung sau|cung truoc|cung ben|cung|dot song|dot|do|lan|giai doan|type|"
    r"loai|nhom|khoang lien suon|lien suon|khe|phan thuy|tang|lop|bac|kich thuoc|"
    r"duong kinh|ty le|ti le|chiem|ratio)\s*(?:\d{1,2}\s*(?:,|va|-|–)\s*)*$"
)
#: ... units after a range, with their diacritics ("ở nhà" is no "ổ"), matched on the lower-cased text.
_UNIT_AFTER = re.compile(
    r"\s?(?:mm|cm|m|ml|l|lít|kg|g|mg|%|lần|ngày|tuần|tháng|năm|giờ|h|phút|giây|tuổi|độ|"
    r"cái|nốt|ổ|viên|gói|mmhg|bpm|kv|mas|ml/phút|l/phút|lít/phút|x)(?![^\W_])"
)
_UNIT_AFTER_ASCII = re.compile(
    r"\s?(?:lit|lan|ngay|tuan|thang|nam|gio|phut|giay|tuoi|do|cai|not|vien|goi)"
    r"(?![^\W_])"
)
_LUNG_PART = re.compile(
    r"\s?(?:tren|giua|duoi|trong|ngoai|phoi|phe truong|truong phoi|the tich|duong kinh|chu vi|"
    r"day|dinh|ngang|sau|truoc|canh|ben|thuy|nhu mo|khoang)(?![^\W_])"
)
_DATE_WORDS = re.compile(
    r"(?:ngay|hom|phim|chup|tu|den|toi|sang|chieu|toi|trua|dem|mung|mong|vao|luc|nay|qua|"
    r"truoc|sau|kham|tai kham|nhap vien|xuat vien|ra vien|vao vien|so voi|so sanh|dot)\s*$"
)


@functools.lru_cache(maxsize=1)
def _month_only() -> re.Pattern:
    """A month without its day: ``tháng 8``, ``giữa tháng 12`` (not a duration: ``3 tháng``)."""
    return re.compile(rf"t(?<![^\W_].)hang\s*({_M})(?![\w/]|[.,:-]\d|\s*(?:tuoi|nam tuoi|\d))")


def _day_month(folded: str, lower: str, match: re.Match) -> bool:
    """Is this day-month pair a date, not a rib pair, a range with its unit, a fraction or a decimal?"""
    lead, day, sep, month = match.group(1), int(match.group(2)), match.group(3), int(match.group(4))
    before = folded[max(0, match.start() - 40) : match.start()]
    after = folded[match.end() : match.end() + 16]
    written = lower[match.end() : match.end() + 16]
    if _NUMBERING.search(before.rstrip()) and not _DATE_WORDS.search(before.rstrip()):
        return False  # xương sườn 3 - 4, độ 1-2
    if _UNIT_AFTER.match(written) or (written.isascii() and _UNIT_AFTER_ASCII.match(written)):
        return False  # 2-3 mm, 5-7 ngày, 1.7 m2
    third = re.match(r"\s?[-–]\s?(\d{1,2})(?!\d)", after)
    run = [int(lead)] if lead else []
    run += [day, month] + ([int(third.group(1))] if third else [])
    if sep in "-–" and len(run) >= 3 and _consecutive(run):
        return False  # 4-5-6: consecutive ribs or levels
    if sep == "/" and day < month <= 4 and (_LUNG_PART.match(after) or before.rstrip().endswith(("khoang", "chiem"))):
        return False  # 1/3 dưới, 3/4 phế trường
    if sep == ".":
        return bool(_DATE_WORDS.search(before.rstrip()))  # ngày 14.10, phim 2.10; not 0.55
    return True


_LISTED_DAY = re.compile(r"(?<![\w.,/])(0?[1-9]|[12]\d|3[01])\s*(?:,|va|-|–|den|toi|hoac)\s*$")


def _listed_days(folded: str, start: int) -> int:
    """Start of the days listed before a date: "ngày 9 và 11-5", "từ 2 - 6/10", "các ngày 4, 6 và 9-11"."""
    while True:
        m = _LISTED_DAY.search(folded[max(0, start - 16) : start])
        if m is None:
            return start
        start = start - (len(folded[max(0, start - 16) : start]) - m.start())


def _consecutive(numbers: list[int]) -> bool:
    return all(b - a == 1 for a, b in zip(numbers, numbers[1:], strict=False))


def find_dates(text: str) -> list[Span]:
    """Date and time spans of ``text``, birth years included."""
    if not text or not has_digit(text):
        return []
    folded = fold_chars(text)
    lower = lower_chars(text)
    dates, day_month, birth, _ = _regexes()
    spans = []
    at = _TIME_AT.search(folded)
    times = dates[2].finditer(folded, max(0, at.start() - 1)) if at else ()
    for match in (*dates[0].finditer(folded), *dates[1].finditer(folded), *times):
        numbers = [int(n) for n in re.findall(r"\d+", match.group(0))]
        if len(numbers) == 3 and "-" in match.group(0) and _consecutive(numbers) and max(numbers) <= 12:
            continue  # xương sườn 10-11-12
        lead = re.match(r"ngay\s*", match.group(0))  # keep the word "ngày": "ngày ___"
        spans.append(Span(match.start() + (lead.end() if lead else 0), match.end(), DATE))
    for match in day_month.finditer(folded):  # 24-7, 7/3, 3 - 9; 14.10 after a date word
        if _day_month(folded, lower, match):
            spans.append(Span(_listed_days(folded, match.start()), match.end(), DATE))
    spans += [
        Span(m.start(), m.end(), DATE)
        for m in _month_only().finditer(folded)
        if not re.search(r"\d\s*$", folded[max(0, m.start() - 4) : m.start()])
    ]  # not "3 tháng 8 ngày"
    spans += [Span(*m.span(1), DATE) for m in birth.finditer(folded)]  # "Sinh năm ___"
    return spans


#: The first form of the age pattern (``_regexes()[3]``), its look-behind after the first digit.
_AGE_FIRST = re.compile(
    r"(\d(?<![\w.,/-]\d)\d{1,2})(\s*(?:tuoi|yo|y/o|years?\s+old|t(?![^\W_]))|(?<=\d)(?:t|y|yo)(?![^\W_]))"
)

#: The upper end of an age range: "độ tuổi từ 8-93", "tuổi từ 15-90 tuổi", "60 - 95 tuổi".
_AGE_RANGE = re.compile(
    r"(?<![^\W_])(?:tuoi|do tuoi)\s*(?:tu)?\s*\d{1,3}\s*[-–]\s*(\d{2,3})(?![\w.,]\d|\d)"
    r"|(?<![\w.,/-])\d{1,3}\s*[-–]\s*(\d{2,3})\s*tuoi(?![^\W_])"
)


def find_ages(text: str) -> list[Span]:
    """Ages above 89 written in text (``95 tuổi``, ``97t``, ``Tuổi: 92``): the number is the span."""
    if not text or not has_digit(text):
        return []
    spans = []
    folded = fold_chars(text)
    # without "tuoi" or "age" only the first form can match: it alone opens with a digit, which ``re`` skips to
    regex = _regexes()[3] if "tuoi" in folded or "age" in folded else _AGE_FIRST
    for match in regex.finditer(folded):
        group = 1 if match.group(1) else 3
        if 89 < int(match.group(group)) < 200:
            start, end = match.span(group)
            if match.group(2) and not match.group(2)[:1].isspace():
                end = match.end(2)  # "97t": the token as a whole
            spans.append(Span(start, end, AGE))
    for match in _AGE_RANGE.finditer(folded) if "tuoi" in folded else ():
        group = 1 if match.group(1) else 2
        if 89 < int(match.group(group)) < 200:
            spans.append(Span(*match.span(group), AGE))
    return spans

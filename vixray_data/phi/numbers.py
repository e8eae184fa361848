"""Numbers that identify: phone/fax, national id (CCCD 12 digits, CMND 9), BHYT codes, record numbers.

Record numbers are found three ways: after a keyword (``Mã BN:``, ``Số phiếu``, ``PID``, ``accession``),
by shape (a code of capitals and 4+ digits: ``BN20240001``, ``XQ-23-00456``, ``HS-2024-0042``; any bare
run of 6+ digits), and by the shapes of the export's own ids (:class:`IdShapes`): ``ACC-0001`` in the
table makes ``ACC-0417`` a record number wherever it appears. Short clinical codes (``T12``, ``COVID-19``,
``L1-L2``) have too few digits to match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from .spans import INSURANCE, NATIONAL_ID, PHONE, RECORD, Span, fold_chars, has_digit, keyword_regex

_SEP = r"[\s.\-]?"


@functools.lru_cache(maxsize=1)
def _regexes() -> dict[str, re.Pattern]:
    # "what may not stand before" is a look-behind after the first character (``\d(?<![\w.].)``), not before it:
    # a pattern that opens with a character (class) lets ``re`` skip to where it occurs (same matches, faster)
    return {
        # 0912 345 678, +84 912.345.678, (028) 3812 3456, 028-3812-3456, 1900 1234 after a keyword
        "phone": re.compile(
            r"(?:\((?<![\w+].)\s*(?:\+?84|0)\d{1,3}\s*\)|\+(?<![\w+].)\s?84|0(?<![\w+].)084|0(?<![\w+].))"
            r"[\s.\-]?\d(?:[\s.\-]?\d){7,9}"
            r"(?![\w]|[.,]\d)"
        ),
        # (+84) 988 111 222, +49 151 2345 6789, 0044 20 7946 0000, +84-24-3826-1111, (0251) 3822 114: a country
        # code or a bracketed prefix, then digit groups joined by single spaces, dots or dashes (digits counted after)
        "phone_intl": re.compile(
            r"(?:\((?<![\w+].)\s*\+?\d{1,4}\s*\)|\+(?<![\w+].)\s?\d{1,3}|0(?<![\w+].)0\d{1,3})"
            r"(?:[\s.\-]?\d{1,5}){2,6}(?![\w]|[.,]\d)"
        ),
        # hotlines: 1800 5588, 1900 9095, 1900 2468 10
        "hotline": re.compile(r"1(?<![\w.,].)[89]00[\s.\-]?\d{3,4}(?:[\s.\-]?\d{2,3})?(?![\w]|[.,]\d)"),
        # an extension after a phone: "ext. 208", "máy lẻ 31", "máy lẻ số 7", "số nhánh 3"
        "extension": re.compile(
            r"(?:e(?<![^\W_].)xt|e(?<![^\W_].)xtension|m(?<![^\W_].)ay le|n(?<![^\W_].)hanh|s(?<![^\W_].)o nhanh"
            r"|n(?<![^\W_].)oi bo)\s*(?:so)?\s*[.:#]?\s*"
            r"(\d{1,6})(?![\w])"
        ),
        "phone_key": keyword_regex("phone_keys", r"\s*[:.]?\s*((?:\+?\d|\(\d)[\d\s.\-()]{5,16}\d)(?![\w]|[.,]\d)"),
        "national_key": keyword_regex(
            "national_id_keys",
            r"\s*(?:so|no\.?)?\s*[:.#]?\s*([a-z]?\d(?:[\s.]?\d){7,11})"
            r"(?![\w]|[.,]\d)",
        ),
        "insurance": re.compile(r"(?<![^\W_])[a-z]{2}\s?\d(?:\s?\d){12}(?![\w])"),
        "insurance_key": keyword_regex(
            "insurance_keys", r"\s*(?:so|ma)?\s*[:.#]?\s*([a-z]{2}[\s.\-]?\d(?:[\s.\-]?\d){12})(?![\w])"
        ),
        "record_key": keyword_regex(
            "record_keys", r"\s*(?:so)?\s*[:.#]?\s*((?=[\w.\-/]*\d)[a-z]{0,5}[\-./]?\d[\w.\-/]{2,})"
        ),
        "digits": re.compile(r"\d(?<![\w.,/-].)\d{5,}(?![\w]|[.,/-]\d)"),
        "uid": re.compile(r"\d(?<![\w.].)\d*(?:\.\d+){4,}(?![\w.])"),
    }


#: A code of capitals and digits: BN20240001, IM0001, XQ-23-00456, HS-2024-0042 (case kept).
#: Codes of several letter groups count too (``CĐ-XQ-99810``, ``BV-HD-2024-008812``).
_CODE = re.compile(
    r"[A-ZĐ](?<![^\W_].)[A-ZĐ]{0,4}(?:[-_/.][A-ZĐ]{1,5})*[-_/.]?\d{2,}(?:[-_/.]\d{2,})*(?![^\W_]|[-/]\d)"
)
#: A document's number: digits, a slash, its office's letters (``125/GCV``, ``312/QĐ-TTPY``; not ``1/3``).
_DOCUMENT = re.compile(r"\d(?<![\w/.-].)\d{0,5}/(?:\d{4}/)?[A-ZĐ]{2,}(?:-[A-ZĐ]{2,})*(?![^\W_])")
#: A phone's extension after a dash (``024 3869 3731 - 2205``).
_EXTENSION_TAIL = re.compile(r"\s?[-–]\s?\d{3,5}(?![\w]|[.,]\d)")
#: A letter O written for a zero inside a digit run (``09O3 12 34 56``).
_O_FOR_ZERO = re.compile(r"(?<=\d)[Oo](?=\d)")


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def find_phones(text: str) -> list[Span]:
    if not text or not has_digit(text):
        return []
    folded = _O_FOR_ZERO.sub("0", fold_chars(text))
    r = _regexes()
    spans = [Span(m.start(), m.end(), PHONE) for m in r["phone"].finditer(folded) if 9 <= _digits(m.group(0)) <= 12]
    spans = [Span(s.start, m.end(), PHONE) if (m := _EXTENSION_TAIL.match(folded, s.end)) else s for s in spans]
    spans += [
        Span(m.start(), m.end(), PHONE) for m in r["phone_intl"].finditer(folded) if 8 <= _digits(m.group(0)) <= 15
    ]
    spans += [Span(m.start(), m.end(), PHONE) for m in r["hotline"].finditer(folded)]
    spans += [Span(*m.span(1), PHONE) for m in r["extension"].finditer(folded)]
    spans += [Span(*m.span(1), PHONE) for m in r["phone_key"].finditer(folded) if 7 <= _digits(m.group(1)) <= 13]
    return spans


def find_national_ids(text: str) -> list[Span]:
    """CCCD (12 digits) and CMND (9 digits) as bare numbers or after a keyword, grouped or not."""
    if not text or not has_digit(text):
        return []
    folded = fold_chars(text)
    r = _regexes()
    spans = [Span(*m.span(1), NATIONAL_ID) for m in r["national_key"].finditer(folded)]
    spans += [
        Span(m.start(), m.end(), NATIONAL_ID)
        for m in r["digits"].finditer(folded)
        if _digits(m.group(0)) in (9, 12) and " " not in m.group(0)
    ]
    return spans


#: Thirteen digits, spaced, dotted or dashed or not: what every BHYT code holds (the quick exit of its recognizer).
_THIRTEEN = re.compile(r"\d(?:[\s.\-]?\d){12}")


def find_insurance(text: str) -> list[Span]:
    """BHYT codes: two letters and 13 digits (``DN4797915123456``, ``dn 4 79 79 15 123 456``), any case."""
    if not text or not _THIRTEEN.search(text):
        return []
    folded = fold_chars(text)
    r = _regexes()
    spans = [Span(m.start(), m.end(), INSURANCE) for m in r["insurance"].finditer(folded)]
    spans += [Span(*m.span(1), INSURANCE) for m in r["insurance_key"].finditer(folded) if _digits(m.group(1)) >= 8]
    return spans


def find_record_numbers(text: str, shapes: IdShapes | None = None) -> list[Span]:
    """Record / accession / patient numbers: after a keyword, by shape, or shaped like the export's ids."""
    if not text or not has_digit(text):
        return []
    folded = fold_chars(text)
    r = _regexes()
    spans = [
        Span(m.start(1), m.start(1) + len(m.group(1).rstrip(".-/")), RECORD)  # not the sentence's full stop
        for m in r["record_key"].finditer(folded)
    ]
    spans += [Span(m.start(), m.end(), RECORD) for m in _CODE.finditer(text) if _digits(m.group(0)) >= 4]
    spans += [Span(m.start(), m.end(), RECORD) for m in _DOCUMENT.finditer(text)]
    spans += [
        Span(m.start(), m.end(), RECORD)
        for m in r["digits"].finditer(folded)
        if _digits(m.group(0)) >= 6 and " " not in m.group(0)
    ]
    spans += [Span(m.start(), m.end(), RECORD) for m in r["uid"].finditer(folded)]
    if shapes is not None:
        spans += shapes.find(text)
    return spans


class IdShapes:
    """The shapes of the export's own identifiers: letters kept, each digit run as "that many digits".

    ``ACC-0001`` gives ``ACC-\\d{4}``; ``24001234`` gives nothing new (bare digit runs are found anyway).
    Only shapes with 3+ digits are kept, so a vertebra or rib label cannot become one.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._shapes: set[str] = set()
        self._regex: re.Pattern | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            value = str(value).strip()
            if (
                not value
                or len(value) > 40
                or " " in value
                or _digits(value) < 3
                or not any(c.isalpha() for c in value)
            ):
                continue
            shape = re.sub(r"\d+", lambda m: rf"\d{{{len(m.group(0))}}}", re.escape(value.upper()))
            self._shapes.add(shape)
        self._regex = None

    def find(self, text: str) -> list[Span]:
        if not self._shapes:
            return []
        if self._regex is None:
            alternation = "|".join(sorted(self._shapes, key=len, reverse=True))
            self._regex = re.compile(rf"(?<![^\W_])(?:{alternation})(?![^\W_])", re.IGNORECASE)
        return [Span(m.start(), m.end(), RECORD) for m in self._regex.finditer(text)]

    def __len__(self) -> int:
        return len(self._shapes)

"""Other identifying numbers: vehicle plates, bank cards and accounts, IMEI, service and licence numbers, and any
run of digit groups joined by dashes, dots or spaces that is not a date, a phone or a measurement.

* a Vietnamese plate by its shape: two digits, one or two capitals (a digit may follow), then 4 or 5 digits
  (``59X2-345.67``, ``30K-111.22``, ``75B 246.80``);
* a card number: four groups of four digits (``4111 2222 3333 4444``);
* after a keyword (``biển số``, ``STK``, ``IMEI``, ``số hiệu quân nhân``, ``GPLX``, ``mã số thuế`` ...): the code
  after it, if it holds 5 digits or more;
* three or more digit groups joined by one dash, dot or space, 7 digits or more in all (``123-456-789``,
  ``0123.456.789``); dates, phones, UIDs and IPs of those shapes are found, and ranked, by their own recognizers.
"""

from __future__ import annotations

import functools
import re

from .spans import OTHER_ID, Span, fold_chars, has_digit, keyword_regex

_PLATE = re.compile(r"\d(?<![\w.-].)\d[A-Z]{1,2}\d?\s?[-.]?\s?\d{3}[.\s]?\d{1,2}(?![\w]|[.,]\d)")
_CARD = re.compile(r"\d(?<![\w.-].)\d{3}([\s-]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?(?![\w]|[.,]\d)")
_GROUPS = re.compile(r"\d(?<![\w.,/:-].)\d{1,5}([\s.\-])\d{2,6}(?:\1\d{1,6}){1,4}(?![\w]|[.,:/-]\d)")
#: Two digit runs joined by a dash, eight digits or more (``175-240099``); not a span of years (``2019-2024``).
_PAIR = re.compile(r"\d(?<![\w.,/:-].)\d{1,5}-\d{4,8}(?![\w]|[.,:/-]\d)")
_YEARS = re.compile(r"(?:19|20)\d\d-(?:19|20)\d\d")


@functools.lru_cache(maxsize=1)
def _keyed() -> re.Pattern:
    return keyword_regex(
        "other_id_keys",
        r"\s*(?:so)?\s*[:.#]?\s*((?=[\w.\-/ ]*\d)[a-z0-9][a-z0-9.\-/]*"
        r"(?:\s[a-z0-9.\-/]*\d[a-z0-9.\-/]*){0,4})",
    )


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def find_other_ids(text: str) -> list[Span]:
    """Plates, cards, keyed codes and long digit-group runs (see the module docstring)."""
    if not text or not has_digit(text):
        return []
    spans = [Span(m.start(), m.end(), OTHER_ID) for m in _PLATE.finditer(text)]
    spans += [Span(m.start(), m.end(), OTHER_ID) for m in _CARD.finditer(text)]
    spans += [
        Span(m.start(1), m.start(1) + len(m.group(1).rstrip(".-/ ")), OTHER_ID)
        for m in _keyed().finditer(fold_chars(text))
        if _digits(m.group(1)) >= 5
    ]
    spans += [Span(m.start(), m.end(), OTHER_ID) for m in _GROUPS.finditer(text) if _digits(m.group(0)) >= 7]
    spans += [
        Span(m.start(), m.end(), OTHER_ID)
        for m in _PAIR.finditer(text)
        if _digits(m.group(0)) >= 8 and not _YEARS.fullmatch(m.group(0))
    ]
    return spans

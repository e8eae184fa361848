"""Run the recognizers, merge their spans, subtract the allow-list; replace what is left.

Detection (:func:`find_phi`, :class:`Analyzer`) and replacement (:func:`redact`) are two steps: the
residual scan after a build uses detection only, so a weakened replacement cannot hide from it.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable

from .allow import allowed_spans, clinical_words, clinical_words_folded
from .cases import find_case_numbers
from .contact import find_addresses, find_contacts
from .dates import find_ages, find_dates
from .datewords import find_word_ages, find_word_dates
from .ethnic import find_ethnic_names
from .facilities import find_facilities
from .ids import find_other_ids
from .initials import find_initials
from .kin import find_kin_names
from .localities import find_localities
from .names import family_kind, find_names
from .numbers import IdShapes, find_insurance, find_national_ids, find_phones, find_record_numbers
from .proper import find_proper_names
from .spans import (
    ADDRESS,
    AGE,
    CATEGORIES,
    DATE,
    EMAIL,
    FACILITY,
    INSURANCE,
    IP,
    NAME,
    NATIONAL_ID,
    OTHER_ID,
    PHONE,
    RECORD,
    URL,
    VALUE,
    Span,
    case_uninformative,
    fold_chars,
    lower_chars,
    words,
)
from .values import ValueIndex

#: What replaces each PHI span in the text (the review page highlights it).
REDACTED = "___"

#: The recognizers, each with the categories it finds. Their order breaks ties when two spans of different
#: categories cover the same text: the more specific first; a listed value (the build's own) comes last.
RECOGNIZERS: tuple[tuple[tuple[str, ...], Callable[[str], list[Span]]], ...] = (
    ((EMAIL, URL, IP), find_contacts),
    ((INSURANCE,), find_insurance),
    ((NATIONAL_ID,), find_national_ids),
    ((PHONE,), find_phones),
    ((DATE,), find_dates),
    ((DATE,), find_word_dates),
    ((AGE,), find_ages),
    ((AGE,), find_word_ages),
    ((RECORD,), find_record_numbers),
    ((RECORD,), find_case_numbers),
    ((OTHER_ID,), find_other_ids),
    ((ADDRESS,), find_addresses),
    ((ADDRESS,), find_localities),
    ((FACILITY,), find_facilities),
    ((NAME,), find_names),
    ((NAME,), find_initials),
    ((NAME,), find_kin_names),
    ((NAME,), find_ethnic_names),
    ((NAME,), find_proper_names),
)
_ORDER = dict.fromkeys([c for found, _ in RECOGNIZERS for c in found] + [VALUE])  # first mention wins
_RANK = {category: i for i, category in enumerate(_ORDER)}
#: Spans of these categories separated only by these characters become one ("123 Lê Lợi, Quận 1").
_JOIN = {"address": " ,-", "date": " ,", "name": " "}
_LONGEST_PHRASE = 80  # characters: no clinical phrase of the lexicon is longer


def _trim(span: Span, text: str, allowed: _Allowed) -> Span:
    """Cut a name or address where an allowed phrase begins inside it and runs on past its end: in
    "Người đọc: Trần Thị Hoa Kết luận: ..." (a line break normalised away) the name stops before "Kết luận"."""
    end = span.end
    for a, b in allowed.starting_within(span.start + 1, span.end):
        if span.start < a < end < b:
            end = a
    end = len(text[:end].rstrip(" \t\r\n,;:"))
    return span if end == span.end else Span(span.start, max(end, span.start), span.category)


def _clinical_first(span: Span, text: str, allowed: _Allowed) -> Span | None:
    """Clinical vocabulary wins over a name or place read into it. A name that starts inside a clinical phrase of
    several words (``TRAN DICH MANG PHOI TRAI``: the family name Trần read into tràn dịch) starts after the phrase,
    and is dropped when less than two words are left; a place or facility whose capitalised words are all clinical
    (``đường Kerley A``) is dropped."""
    if span.category == "name":
        cut = False
        for a, b in allowed.starting_within(span.start - _LONGEST_PHRASE, span.end):
            if a <= span.start < b and len(_WORD.findall(text, a, b)) >= 2:
                rest = text[b : span.end]
                start = b + len(rest) - len(rest.lstrip(" ,.;:-"))
                if len(text[start : span.end].split()) < 2:
                    return None
                span, cut = Span(start, span.end, span.category), True
        if cut and family_kind(text[span.start : span.end].split()[0]) is None:
            return None  # what is left no longer starts with a family name: it was clinical text read as a name
        if (
            case_uninformative(text, span.start)
            and not _titled(text, span.start)
            and _all_clinical(text[span.start : span.end], span.start, allowed)
        ):
            return None  # "KHONG TRAN DICH MANG TIM", "DINH HAI TRUONG PHOI": every word is clinical
        return span
    if span.category in ("address", "facility"):
        capitals = [m for m in _WORD.finditer(text, span.start, span.end) if m.group(0)[:1].isupper()]
        if capitals and all(_inside(allowed, m.start(), m.end()) for m in capitals):
            return None
    return span


def _inside(allowed: _Allowed, start: int, end: int) -> bool:
    return allowed.contains(start, end)


_WORD = re.compile(r"[^\W\d_]+")


_TITLE_BEFORE = re.compile(r"([^\W\d_]+)[\s.:]*$")


def _titled(text: str, start: int) -> bool:
    """Does a title that makes what follows a name stand just before ``start`` (``BS DO HOA``; not ``BN``)?"""
    m = _TITLE_BEFORE.search(text[max(0, start - 12) : start])
    if m is None:
        return False
    word = fold_chars(m.group(1))
    return word in words()["titles"] and word not in words()["titles_weak"]


def _titled_name(span: Span, text: str) -> bool:
    """A capitalised name right after a title in a sentence whose capitals mean something (``BS Nhan doc``): the
    title says it is a name, so a clinical word spelt the same without diacritics does not take it back."""
    return (
        span.category == "name"
        and text[span.start : span.start + 1].isupper()
        and _titled(text, span.start)
        and not case_uninformative(text, span.start)
    )


def _all_clinical(name: str, offset: int, allowed: _Allowed) -> bool:
    """Is every word of ``name`` clinical (inside an allowed phrase, or a word of the lexicon, read without
    diacritics when written without), and is it not shaped like a name (a family name, then Văn or Thị)?"""
    words_ = list(_WORD.finditer(name))
    if len(words_) >= 2 and fold_chars(words_[1].group(0)) in ("van", "thi") and family_kind(words_[0].group(0)):
        return False  # "TRAN VAN KHOANG" is a name even though tràn, vân and khoang are clinical words
    clinical = clinical_words(safe=True)
    folded_clinical = clinical_words_folded()
    for m in words_:
        start, end = offset + m.start(), offset + m.end()
        if allowed.contains(start, end):
            continue
        word = m.group(0)
        if lower_chars(word) in clinical or (word.isascii() and word.lower() in folded_clinical):
            continue
        return False
    return True


class _Allowed(list[tuple[int, int]]):
    """The allowed spans, sorted, with the furthest end reached by any of them up to each one: "is (start, end)
    inside one of them" costs a bisection, not a pass over all of them."""

    def __init__(self, allowed: Iterable[tuple[int, int]]) -> None:
        super().__init__(sorted(allowed))
        self._starts = [a for a, _ in self]
        self._reach: list[int] = []
        furthest = -1
        for _, b in self:
            furthest = max(furthest, b)
            self._reach.append(furthest)

    def starting_within(self, start: int, end: int) -> list[tuple[int, int]]:
        """The allowed spans that start in [start, end), in order."""
        return self[bisect.bisect_left(self._starts, start) : bisect.bisect_left(self._starts, end)]

    def contains(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self._starts, start) - 1
        return k >= 0 and self._reach[k] >= end


def merge(spans: Iterable[Span], text: str, allowed: Iterable[tuple[int, int]] = ()) -> list[Span]:
    """Drop spans wholly inside an allowed span (and cut names and addresses that run into one), let clinical
    vocabulary win over a name or place read into it, then merge overlapping ones (the longer one's category wins;
    ties go to the more specific) and join neighbouring pieces of one address or date."""
    index = allowed if isinstance(allowed, _Allowed) else _Allowed(allowed)
    distinct = set(spans)  # several recognizers often find the same span
    found = [_trim(s, text, index) if s.category in ("name", "address") and index else s for s in distinct]
    if index:
        found = [s for s in (_clinical_first(s, text, index) for s in found) if s is not None]
    kept = [s for s in found if s.end > s.start and (not index.contains(s.start, s.end) or _titled_name(s, text))]
    kept.sort(key=lambda s: (s.start, -(s.end - s.start), _RANK.get(s.category, 99)))
    out: list[Span] = []
    for span in kept:
        if out and span.start < out[-1].end:
            last = out[-1]
            if span.end > last.end:
                category = last.category if last.end - last.start >= span.end - span.start else span.category
                out[-1] = Span(last.start, span.end, category)
            continue
        if (
            out
            and out[-1].category == span.category
            and span.category in _JOIN
            and text[out[-1].end : span.start].strip(_JOIN[span.category]) == ""
        ):
            out[-1] = Span(out[-1].start, span.end, span.category)
            continue
        out.append(span)
    return out


class Analyzer:
    """Every recognizer, plus the build's listed values and id shapes when given."""

    def __init__(self, *, values: ValueIndex | None = None, shapes: IdShapes | None = None) -> None:
        self.values = values
        self.shapes = shapes

    def find(self, text: str) -> list[Span]:
        """Merged PHI spans of ``text``, allow-list subtracted."""
        if not text:
            return []
        spans: list[Span] = []
        for _, recognizer in RECOGNIZERS:
            spans += recognizer(text)
        if self.shapes is not None:
            spans += self.shapes.find(text)
        if self.values is not None:
            spans += self.values.find(text)
        return merge(spans, text, allowed_spans(text)) if spans else []


_DEFAULT = Analyzer()


def find_phi(text: str) -> list[Span]:
    """PHI spans of ``text`` by the category recognizers alone (no listed values)."""
    return _DEFAULT.find(text)


def redact(text: str, spans: Iterable[Span]) -> tuple[str, Counter[str]]:
    """``text`` with each span replaced by ``___``; the count of spans per category."""
    counts: Counter[str] = Counter()
    pieces, last = [], 0
    for span in sorted(spans):
        if span.start < last:
            continue
        pieces += [text[last : span.start], REDACTED]
        last = span.end
        counts[span.category] += 1
    return "".join(pieces) + text[last:], counts


__all__ = ["CATEGORIES", "REDACTED", "Analyzer", "find_phi", "merge", "redact"]

"""Identifying values the source listed (every record's names, ids, dates, phones, file names ...),
found in any record's text in their common spellings.

A value becomes token sequences: words and digit runs, folded (no case, no diacritics), so spacing,
``_``/``-``/``^`` separators, case and diacritics do not matter. A person name also gives its DICOM
orders, its initials forms (``Trần T. Hoa``, ``T.T.Hoa``) and its run-together form (``TranThiHoa``); a
date gives its usual spellings; a phone its bare digits. A single word without digits matches only with
its diacritics (the given name ``Hòa`` must not remove ``hóa`` from ``vôi hóa``), and one- or two-letter
words and the clinical allow-list are never removed on their own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ..values import MIN_LENGTH, as_date, date_spellings, person_name_orders
from .spans import VALUE, Span, fold_chars, lower_chars

_TOKEN = re.compile(r"[^\W_]+")


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text))


def _date_forms(value: str) -> set[str]:
    day = as_date(value)
    return date_spellings(day) if day is not None else set()


def value_forms(value: str) -> set[tuple[str, ...]]:
    """Folded token sequences under which ``value`` is searched (empty when too short to search)."""
    value = unicodedata.normalize("NFC", str(value)).strip()
    if len(value) < MIN_LENGTH:
        return set()
    forms: set[tuple[str, ...]] = set()
    orders = [value] + [" ".join(order) for order in person_name_orders(value) if len(order) >= 2]
    for text in orders:
        words = _tokens(fold_chars(text))
        if not words:
            continue
        forms.add(words)
        if len(words) >= 2 and all(w.isalpha() for w in words):
            forms.add(("".join(words),))  # run together
            forms.add((*[w[0] for w in words[:-1]], words[-1]))  # T. T. Hoa
            forms.add((words[0], *[w[0] for w in words[1:-1]], words[-1]))  # Trần T. Hoa
            forms.add(("".join(w[0] for w in words[:-1]) + words[-1],))  # TTHoa
    for spelling in _date_forms(value):
        forms.add(_tokens(spelling))
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) >= 6 and len(digits) >= len(re.sub(r"[\s().+\-]", "", value)) - 1:
        forms.add((digits,))  # a phone or id written with other grouping
    return {f for f in forms if len("".join(f)) >= MIN_LENGTH}


def _joined(gap: str) -> bool:
    """Whether two tokens are parts of one value: a short separator, not a bracket or a comma."""
    return len(gap) <= 3 and gap.strip(" ._-^/:") == ""


class ValueIndex:
    """All identifying values of a build, searchable in one pass over a text's tokens."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._by_first: dict[str, set[tuple[str, ...]]] = {}
        self._exact_words: set[str] = set()  # one-word values without digits: matched with diacritics
        self._longest = 1
        self.count = 0
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            value = unicodedata.normalize("NFC", str(value)).strip()
            forms = value_forms(value)
            if not forms:
                continue
            self.count += 1
            single = _tokens(value)
            if len(single) == 1 and not any(c.isdigit() for c in value):
                if len(single[0]) >= MIN_LENGTH:
                    self._exact_words.add(lower_chars(single[0]))
                continue
            for form in forms:
                if len(form) == 1 and len(form[0]) < MIN_LENGTH:
                    continue
                self._by_first.setdefault(form[0], set()).add(form)
                self._longest = max(self._longest, len(form))

    def find(self, text: str) -> list[Span]:
        """Spans of ``text`` where a listed value occurs, token-bounded."""
        if not text or not (self._by_first or self._exact_words):
            return []
        folded, lower = fold_chars(text), lower_chars(text)
        toks = [m.span() for m in _TOKEN.finditer(folded)]
        words = [folded[s:e] for s, e in toks]
        spans = []
        for i, word in enumerate(words):
            if lower[slice(*toks[i])] in self._exact_words:
                spans.append(Span(toks[i][0], toks[i][1], VALUE))
            candidates = self._by_first.get(word)
            if not candidates:
                continue
            for n in range(min(self._longest, len(words) - i), 0, -1):
                if tuple(words[i : i + n]) in candidates and all(
                    _joined(folded[toks[k][1] : toks[k + 1][0]]) for k in range(i, i + n - 1)
                ):
                    spans.append(Span(toks[i][0], toks[i + n - 1][1], VALUE))
                    break
        return spans

    def __len__(self) -> int:
        return self.count

"""Identifying values the scrub is designed to keep, set aside before the leak scan searches the output.

The export's identifying columns, and every column that is no schema field, are listed as values to scrub from
the text and to search for in everything written. Some of them the scrub keeps on purpose, and finding them
in the output is no leak:

* a value that is clinical vocabulary: one phrase of the clinical allow-list (the lexicon) holds all of it, as
  the scrub keeps a span inside one allowed phrase; e.g. an extra column ``Chẩn đoán`` holding
  ``Tràn dịch màng phổi``. A name of several allowed words (``Nam Văn An``) is no one phrase: still searched;
* a value that is one everyday word standing alone, e.g. a given-name column holding ``Nam`` (south, and
  the male sex): a word of the allow-list, or one Vietnamese syllable the safe-list detector
  (:mod:`vixray_data.phi.safelist`, when installed) explains as a common word (not an acronym or a foreign word
  it explains, ``NVA``, ``Michael``: initials and names in such a column). A full name (two words or more) is
  always searched for;
* a value that is one of the builder's own words in ``manifest.json`` (a transfer-syntax keyword such as
  ``JPEG2000``, which names one of pydicom's test files): the scan cannot tell the builder's word from the
  value, and such a word identifies no one.

The scrub itself still removes these values wherever they are not clinical or everyday text; only the leak
scan, which cannot tell a word's use from its mention, sets them aside.

The builder's own files (``manifest.json``, the card) hold counts, sizes and version numbers of its own; there a
number of under six digits (``416``, ``1.0``) is not searched for either (:func:`searched_in_builder_files`).
In the shards it is: ``bệnh nhân 416`` in a report is a leak of the patient number 416.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable

from ..phi.allow import allowed_spans
from ..values import MIN_LENGTH

_WORD = re.compile(r"[^\W\d_]+")


def _safelist() -> Callable[[str], list] | None:
    from .residual_scan import SAFELIST, default_detectors

    return default_detectors().get(SAFELIST)


@functools.lru_cache(maxsize=1)
def _builder_words() -> frozenset[str]:
    from ..sources.dicom import syntax_words

    return syntax_words()


def is_kept(value: str, explained: Callable[[str], list] | None = None) -> bool:
    """Whether the scrub is designed to keep ``value`` (see the module docstring), so the leak scan need not
    search for it; ``explained`` is the safe-list detector (none: the allow-list alone)."""
    value = unicodedata.normalize("NFC", str(value)).strip()
    if len(value) < MIN_LENGTH or not any(c.isalpha() for c in value):
        return False
    if value in _builder_words():
        return True
    letters = [i for i, c in enumerate(value) if c.isalnum()]
    if any(a <= letters[0] and letters[-1] < b for a, b in allowed_spans(value)):  # one phrase, as the scrub keeps
        return True
    return explained is not None and _WORD.fullmatch(value) is not None and _everyday(value) and not explained(value)


def _everyday(word: str) -> bool:
    """Can ``word`` be an everyday Vietnamese word at all (one syllable by the spelling rules)? The safe-list detector
    also explains acronyms and foreign words (``NVA``, ``Michael``), which in an identifying column are initials and
    names: those are searched for."""
    try:
        from ..phi.safelist import is_syllable
    except ModuleNotFoundError:  # no safe-list detector: nothing it explains is set aside anyway
        return False
    return is_syllable(word)


def searched(values: Iterable[str]) -> list[str]:
    """The values the leak scan searches for: ``values`` without those :func:`is_kept` sets aside."""
    explained = _safelist()
    return [value for value in values if not is_kept(value, explained)]


_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _builder_number(value: str) -> bool:
    return _NUMBER.fullmatch(value.strip()) is not None and sum(c.isdigit() for c in value) < 6


def searched_in_builder_files(values: Iterable[str]) -> list[str]:
    """:func:`searched`, less the numbers of under six digits: the values searched for in the builder's own files
    (the manifest's version numbers, the card's counts), which carry no text from the data."""
    return [value for value in searched(values) if not _builder_number(value)]


def classifier() -> Callable[[str], int]:
    """What the build's value index records of each value, as it is added (:data:`~vixray_data.phi.values.KEPT`:
    :func:`is_kept`; :data:`~vixray_data.phi.values.BUILDER_NUMBER`: not searched in the builder's own files). The
    safe-list detector loads at the first value that needs it."""
    from ..phi.values import BUILDER_NUMBER, KEPT

    detector: list[Callable[[str], list] | None] = []

    def explained(text: str) -> list:
        if not detector:
            detector.append(_safelist())
        check = detector[0]
        return check(text) if check is not None else [text]

    def classify(value: str) -> int:
        return (KEPT if is_kept(value, explained) else 0) | (BUILDER_NUMBER if _builder_number(value) else 0)

    return classify

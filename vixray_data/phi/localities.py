"""Places below the province named without a unit word or an address key.

* after a word that says where (``ở Hóc Môn``, ``BN từ Yên Thành chuyển lên``, ``quê Can Lộc``, ``nhập viện Phú
  Mỹ``): the capitalised words after it;
* before a province, a centrally-run city or a country (``Thăng Bình, Quảng Nam``; ``Long Biên, Hà Nội``;
  ``TP Tam Kỳ (tỉnh Quảng Nam)``): the capitalised words before it, and the comma-joined ones before those
  (``Ngọc Lâm, Long Biên, Hà Nội``);
* listed with provinces or countries (``Cần Thơ, Sa Đéc và Vĩnh Long``): the other capitalised members.

What is a province, a centrally-run city or a country is ``places.yaml``; those alone are not PHI and are never
returned. Capitals carry the signal, so a sentence written all in capitals or in Title Case (no word in lower
case) is skipped; a capitalised word that is a title, a kinship word or an organisation's head (``Khoa``,
``Bộ``, ``Sở``) starts no place.
"""

from __future__ import annotations

import functools
import re

from .places import is_coarse_place, place_key
from .spans import (
    ADDRESS,
    Span,
    alternation,
    capital_runs,
    case_uninformative,
    fold_chars,
    lower_chars,
    raw_words,
    words,
)

_UPPER = "".join(re.escape(c) for c in map(chr, range(0x41, 0x1F00)) if c.isalpha() and c.isupper())
_CAP = rf"[{_UPPER}][^\W\d_]*(?:['’][^\W\d_]+)?"
_RUN = rf"{_CAP}(?:[ \-]{_CAP}){{0,3}}"
_RUN_AT = re.compile(rf"{_RUN}(?![^\W_])")
#: Capitalised words that open no place: organisations, roles, report headings (with diacritics).
_NOT_PLACES = frozenset(
    {
        "khoa",
        "phòng",
        "bộ",
        "sở",
        "ban",
        "ủy",
        "đội",
        "công",
        "bs",
        "bn",
        "ktv",
        "đd",
        "ts",
        "gs",
        "pgs",
        "ths",
        "dr",
        "bác",
        "bệnh",
        "người",
        "ông",
        "bà",
        "anh",
        "chị",
        "em",
        "cô",
        "chú",
        "tỉnh",
        "thành",
        "ngày",
        "tháng",
        "năm",
        "kết",
        "chẩn",
        "mô",
        "ghi",
        "tiền",
        "lâm",
        "đề",
        "theo",
        "x",
        "xq",
        "ct",
        "mri",
    }
)


@functools.lru_cache(maxsize=1)
def _regexes() -> re.Pattern:
    where = alternation(raw_words()["locatives"], space=r"\s+", not_after=r"[^\W_]")
    return re.compile(rf"(?:{where})\s+(?=[^\W\d_])")


@functools.lru_cache(maxsize=2)
def _anchor_words(folded: bool) -> frozenset[str]:
    w = words() if folded else raw_words()
    extra = {fold_chars(x) for x in _NOT_PLACES} if folded else _NOT_PLACES
    return frozenset(x for x in w["titles"] | w["kin_heads"] | w["case_nouns"] if " " not in x) | extra


def _place(run: str) -> bool:
    """A run of capitalised words that may be a place: not coarse, not opened by an organisation or a title."""
    first = run.split()[0]
    if lower_chars(first) in _anchor_words(False) or (first.isascii() and first.lower() in _anchor_words(True)):
        return False
    return not is_coarse_place(run)


def find_localities(text: str) -> list[Span]:
    """Places below the province without a unit word (see the module docstring)."""
    if not text:
        return []
    after = _regexes()
    lower = lower_chars(text)
    spans = []
    for m in after.finditer(lower):
        run = _RUN_AT.match(text, m.end())
        if run and _place(run.group(0)) and not case_uninformative(text, m.end()):
            spans.append(Span(run.start(), run.end(), ADDRESS))
    runs = capital_runs(text)
    for i in range(len(runs) - 1):  # a run of capitals just before a province: "Thăng Bình, Quảng Nam"
        (start, end), (nxt_start, nxt_end) = runs[i], runs[i + 1]
        gap = _GAP.fullmatch(text, end, nxt_start)
        if (
            gap is None
            or not _coarse_prefix(text[nxt_start:nxt_end], gap.group(1))
            or not _place(text[start:end])
            or case_uninformative(text, start)
        ):
            continue
        k = i
        while k > 0 and text[runs[k - 1][1] : runs[k][0]].strip() == "," and _place(text[slice(*runs[k - 1])]):
            k -= 1  # "Ngọc Lâm, Long Biên, Hà Nội": the comma-joined places before it too
        spans.append(Span(runs[k][0], end, ADDRESS))
    spans += _listed(text, runs)
    return spans


_GAP = re.compile(r"\s*[,(\-]\s*((?:tỉnh|thành phố|tp\.?)\s+)?")
_LIST_GAP = re.compile(r"\s*(?:,|,?\s*và|,?\s*hoặc)\s*")


def _listed(text: str, runs: tuple[tuple[int, int], ...]) -> list[Span]:
    """Members of a list of places that holds a province or a country (``Cần Thơ, Sa Đéc và Vĩnh Long``)."""
    spans, group = [], []
    for k, run in enumerate(runs):
        group.append(run)
        joined = k + 1 < len(runs) and _LIST_GAP.fullmatch(text, run[1], runs[k + 1][0])
        if joined:
            continue
        members = [text[a:b] for a, b in group]
        if len(group) >= 3 and any(is_coarse_place(m) for m in members) and not case_uninformative(text, group[0][0]):
            spans += [
                Span(a, b, ADDRESS)
                for (a, b), m in zip(group, members, strict=True)
                if not is_coarse_place(m) and _place(m)
            ]
        group = []
    return spans


def _coarse_prefix(run: str, prefix: str | None = None) -> bool:
    """Does ``run`` start with a province, a centrally-run city or a country (``Quảng Nam``, ``tỉnh Quảng Trị``,
    ``TP Tam Kỳ``: a city's name after ``TP`` ends the address before it)?"""
    words_ = run.split()
    return (
        bool(prefix)
        or any(is_coarse_place(" ".join(words_[:n])) for n in range(len(words_), 0, -1))
        or place_key(run).startswith(("tinh ", "tp "))
    )

"""Places below the province named without a unit word or an address key.

* after a word that says where (``ở Hóc Môn``, ``BN từ Yên Thành chuyển lên``, ``quê Can Lộc``, ``nhập viện Phú
  Mỹ``): the capitalised words after it;
* before a province, a centrally-run city or a country (``Thăng Bình, Quảng Nam``; ``Long Biên, Hà Nội``;
  ``TP Tam Kỳ (tỉnh Quảng Nam)``): the capitalised words before it, and the comma-joined ones before those
  (``Ngọc Lâm, Long Biên, Hà Nội``);
* listed with provinces or countries (``Cần Thơ, Sa Đéc và Vĩnh Long``): the other capitalised members;
* the parts of a building or a lot that a unit word does not mark (:func:`find_premises`): a building's code
  (``nhà C5``, ``tòa CT2``, ``khu 2A``, ``block B``), a floor or room joined to a building or a department
  (``phòng 1204, tòa ...``, ``tầng 3 khu nhà ...``), a house number before an alley or a hamlet (``số 3, ngõ 8``),
  a numbered street (``hẻm 12 đường số 7``), a Đà Nẵng lane code (``K42 ...``), a highway (``quốc lộ 1A``).

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
    return spans + find_premises(text)


_NUM = r"\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)*"
_CODE = r"[A-Z]{1,3}\d{0,3}[A-Z]?(?:[-.]?\d{1,3})?"  # "C5", "CT2", "G", "B-22"
_BUILDING = r"(?i:tòa nhà|toà nhà|tòa|toà|block|dãy nhà|dãy|lô|khu nhà|khu|nhà|biệt thự|căn hộ|căn)"
_NEXT_PART = (
    r"(?i:ngõ|ngách|hẻm|kiệt|đường|phố|tổ|thôn|xóm|ấp|khu|tòa|toà|lô|khối|dãy|block|nhà|chung cư|khách sạn|kđt"
    r"|ký túc xá|ktx|khoa|quốc lộ|tỉnh lộ)(?![^\W_])"
)
#: Parts of a premises (see the module docstring); each alternative is one shape.
_PREMISES = re.compile(
    rf"(?<![^\W_])(?=[\dbBcCdDđĐhHkKlLnNpPqQsStT])(?:"
    rf"{_BUILDING}\s+(?:số\s+)?{_CODE}(?![^\W_])"  # nhà C5, tòa CT2, khu C, block B
    rf"|(?i:khu|lô|dãy|block|tòa|toà|tòa nhà|toà nhà|nhà số|căn hộ|căn hộ số|biệt thự số)\s+{_NUM}(?![^\W_])"
    rf"|(?i:tầng|phòng)\s+(?:(?i:số)\s+)?{_NUM}(?=\s*[,\-–]?\s*(?:{_NEXT_PART}|[{_UPPER}]))"  # phòng 1204, tòa ...
    rf"|(?i:số)\s+{_NUM}(?=\s*,\s*{_NEXT_PART})"  # số 3, ngõ 8
    rf"|(?:(?i:số|hẻm|ngõ|ngách|kiệt)\s+{_NUM}\s*,?\s+)*(?i:đường)\s+(?i:số)\s+\d{{1,3}}(?![^\W_])"  # hẻm 12 đường số 7
    rf"|K\d{{1,4}}(?:/\d{{1,4}})*(?=\s+(?:đường\s+)?[{_UPPER}])"  # K42 Hoàng Diệu
    rf"|(?:{_NUM}\s+)?(?i:quốc lộ|tỉnh lộ)\s+\d{{1,3}}[A-Z]?(?![^\W_])"  # 25 quốc lộ 1A
    rf")"
)


def find_premises(text: str) -> list[Span]:
    """Parts of a building or a lot below the street (see the module docstring): shapes a clinical text does not
    take (``khoang liên sườn 5``, ``phân thùy 6``, ``tầng trên`` have none of these words before a number)."""
    if not text:
        return []
    return [Span(m.start(), m.end(), ADDRESS) for m in _PREMISES.finditer(text)]


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

"""Places below the province named without a unit word or an address key.

* after a word that says where (``ở Củ Chi``, ``BN từ Thủ Đức chuyển lên``, ``quê Hải Hậu``, ``nhập viện Chợ
  Rẫy``): the capitalised words after it;
* before a province, a centrally-run city or a country (``Duy Xuyên, Quảng Nam``; ``Tây Hồ, Hà Nội``;
  ``TP Đông Hà (tỉnh Quảng Trị)``): the capitalised words before it, and the comma-joined ones before those
  (``Hoàng Hoa Thám, Tây Hồ, Hà Nội``);
* listed with provinces or countries (``TP HCM, Cần Thơ, Hội An và Huế``): the other capitalised members.

What is a province, a centrally-run city or a country is ``places.yaml``; those alone are not PHI and are never
returned. Capitals carry the signal, so a sentence written all in capitals or in Title Case (no word in lower
case) is skipped; a capitalised word that is a title, a kinship word or an organisation's head (``Khoa``,
``Bộ``, ``Sở``) starts no place.
"""

from __future__ import annotations

import functools
import re

from .places import is_coarse_place, place_key
from .spans import ADDRESS, Span, alternation, case_uninformative, fold_chars, lower_chars, raw_words, words

_UPPER = "".join(re.escape(c) for c in map(chr, range(0x41, 0x1F00)) if c.isalpha() and c.isupper())
_CAP = rf"[{_UPPER}][^\W\d_]*(?:['’][^\W\d_]+)?"
_RUN = rf"{_CAP}(?:[ \-]{_CAP}){{0,3}}"
_RUN_AT = re.compile(rf"{_RUN}(?![^\W_])")
#: Capitalised words that open no place: organisations, roles, report headings (with diacritics).
_NOT_PLACES = frozenset({"khoa", "phòng", "bộ", "sở", "ban", "ủy", "đội", "công", "bs", "bn", "ktv", "đd", "ts",
                         "gs", "pgs", "ths", "dr", "bác", "bệnh", "người", "ông", "bà", "anh", "chị", "em", "cô",
                         "chú", "tỉnh", "thành", "ngày", "tháng", "năm", "kết", "chẩn", "mô", "ghi", "tiền", "lâm",
                         "đề", "theo", "x", "xq", "ct", "mri"})


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern, re.Pattern]:
    where = alternation(raw_words()["locatives"], space=r"\s+")
    after = re.compile(rf"(?<![^\W_])(?:{where})\s+(?=[^\W\d_])")
    before = re.compile(rf"({_RUN})(?=\s*(?:,\s*|\(\s*|-\s*)((?:tỉnh|thành phố|tp\.?)?\s*{_RUN}))")
    return after, before


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
    after, before = _regexes()
    lower = lower_chars(text)
    spans = []
    for m in after.finditer(lower):
        run = _RUN_AT.match(text, m.end())
        if run and _place(run.group(0)) and not case_uninformative(text, m.end()):
            spans.append(Span(run.start(), run.end(), ADDRESS))
    for m in before.finditer(text):
        nxt = _coarse_prefix(m.group(2))
        if not nxt or case_uninformative(text, m.start()):
            continue
        start = m.start(1)
        run = text[start:m.end(1)]
        if not _place(run):
            continue
        while True:  # "Hoàng Hoa Thám, Tây Hồ, Hà Nội": the comma-joined places before it too
            prev = re.search(rf"({_RUN})\s*,\s*$", text[max(0, start - 40):start])
            if prev is None or not _place(prev.group(1)):
                break
            start -= len(text[max(0, start - 40):start]) - prev.start(1)
        spans.append(Span(start, m.end(1), ADDRESS))
    spans += _listed(text)
    return spans


_MEMBER = re.compile(rf"({_RUN})(?=\s*(?:,|và|hoặc|\.|;|\)|$))")


def _listed(text: str) -> list[Span]:
    """Members of a list of places that holds a province or a country (``Cần Thơ, Hội An và Huế``)."""
    spans = []
    for m in re.finditer(rf"{_RUN}(?:\s*(?:,|và|hoặc)\s*{_RUN}){{2,}}", text):
        members = [x for x in _MEMBER.finditer(text, m.start(), m.end())]
        if len(members) < 3 or not any(is_coarse_place(x.group(1)) for x in members) or \
                case_uninformative(text, m.start()):
            continue
        spans += [Span(*x.span(1), ADDRESS) for x in members if not is_coarse_place(x.group(1)) and _place(x.group(1))]
    return spans


def _coarse_prefix(run: str) -> bool:
    """Does ``run`` start with a province, a centrally-run city or a country (``Quảng Nam``, ``tỉnh Quảng Trị``)?"""
    words_ = run.split()
    return any(is_coarse_place(" ".join(words_[:n])) for n in range(len(words_), 0, -1)) or \
        place_key(run).startswith(("tinh ", "tp "))

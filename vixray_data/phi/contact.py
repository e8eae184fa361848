"""E-mail addresses, URLs, IP addresses and street addresses / administrative units below the province.

An address is found as a house number with a street (``123 Lê Lợi``, ``số 45/2 đường Trần Hưng Đạo``),
an administrative unit with its name or number (``Quận 1``, ``P.12``, ``Phường Bến Nghé``, ``xã Tân Phú``,
``ấp 3``), or the clause after ``Địa chỉ:`` / ``trú tại``. Neighbouring pieces joined by commas are
merged into one span by the analyzer. Province-level names (``TP.HCM``, ``Hà Nội``) alone are not PHI.
"""

from __future__ import annotations

import functools
import re

from .places import is_coarse_place
from .spans import (
    ADDRESS,
    EMAIL,
    IP,
    URL,
    Span,
    alternation,
    case_uninformative,
    fold_chars,
    has_digit,
    keyword_regex,
    lower_chars,
    raw_words,
    words,
)

_UPPER = "".join(re.escape(c) for c in map(chr, range(0x41, 0x1F00)) if c.isalpha() and c.isupper())
_NHA = r"[Nn](?:hà|HÀ|ha|HA)"  # "nhà" of "số nhà", any case, diacritics or none
_AT = r"\s*(?:@|\(\s*at\s*\)|\[\s*at\s*\]|\{\s*at\s*\}|\(\s*a\s*\)|\s+at\s+)\s*"
_DOT = r"\s*(?:\.|\(\s*dot\s*\)|\[\s*dot\s*\]|\{\s*dot\s*\}|\s+dot\s+|\s+chấm\s+)\s*"
#: Endings that make a bare ``name.ending`` a web address (the URL pattern and its quick exit share them).
_WEB_TLD = r"(?:vn|com|org|net|edu|gov|info|io|me)"
_TLD = r"(?:com|vn|net|org|edu|gov|info|io|co|me|biz|us|uk|jp|kr|cn|au|fr|de|sg|asia)"
_CAP = rf"[{_UPPER}][^\W\d_]*(?:['’][^\W\d_]+)?"  # a capitalised word (original case), "M'gar" included
_NAMEWORDS = rf"{_CAP}(?:\s+{_CAP}){{0,3}}(?:\s\d{{1,3}}(?![\w/])(?!\s*[^\W\d_]))?"  # "Phú Nhi 2", not "... 15 năm"


@functools.lru_cache(maxsize=1)
def _regexes() -> dict[str, re.Pattern]:
    units = alternation(words()["admin_units"], not_after=r"[^\W_]")
    return {
        "email": re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
        # written around a filter: "an [at] gmail [dot] com", "an (at) bv (dot) vn", "an(a)yahoo.com", "an @ x . vn"
        "email_disguised": re.compile(
            rf"(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}(?![\w])", re.IGNORECASE
        ),
        # IPv6: groups of hex digits joined by colons, "::" for a run of zeros (checked in find_contacts)
        "ipv6": re.compile(r"(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])", re.IGNORECASE),
        "url": re.compile(
            r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"']*[^\s<>\"'.,;:)]|\b[\w-]+(?:\.[\w-]+)*\."
            rf"{_WEB_TLD}(?:\.vn)?(?:/[^\s<>\"']*)?(?![\w])"
        ),
        "ip": re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w]|\.\d)"),
        # house number + street (original case: the street is capitalised)
        # "số 3 ngách 7 ngõ 41 phố Vọng": numbered lanes before the house number and street
        "street": re.compile(
            rf"(?<![\w/.,-])(?:(?i:số|so|ngõ|ngo|hẻm|hem|kiệt|kiet|ngách|ngach)\s+(?:{_NHA}\s+)?"
            rf"(?:\d{{1,4}}[A-Za-z]?(?:/\d{{1,4}})*\s+(?i:ngõ|ngo|hẻm|hem|kiệt|kiet|ngách|ngach)\s+)*)?"
            rf"\d{{1,4}}[A-Za-z]?(?:/\d{{1,4}}[A-Za-z]?)*\s*,?\s+"
            rf"(?:(?:[Đđ]ường|[Pp]hố|[Nn]gõ|[Hh]ẻm|[Kk]iệt|[Dd]uong|[Pp]ho)\s+)?{_NAMEWORDS}"
        ),
        # unit keyword (folded) + number or capitalised name (checked in the original)
        "unit": re.compile(rf"(?:{units})(?![^\W\d_])\s*\.?\s*(?=[\w])"),
        "key": keyword_regex("address_keys", r"\s*:?\s*([^\n.;]{3,120})"),
    }


_DOMAIN = re.compile(rf"(?i)\.{_WEB_TLD}\b")
_VERSION = re.compile(r"(?i)(?:phiên bản|phien ban|version|ver\.?|v\.?|firmware|bản)\s*$")
_DOTTED = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")  # what every IPv4 address holds (a quick exit)
_DISGUISED = re.compile(r"(?i)\[\s*at\s*\]|\(\s*at\s*\)|\(a\)|\{\s*at\s*\}")  # each opens with a bracket: fast
_SPACED_AT = re.compile(r"(?i)\s(?:at|@)\s")


def find_contacts(text: str) -> list[Span]:
    """E-mail, URL and IP spans."""
    if not text:
        return []
    r = _regexes()
    spans = []
    if "@" in text:
        spans += [Span(m.start(), m.end(), EMAIL) for m in r["email"].finditer(text)]
    if "@" in text or _DISGUISED.search(text) or _SPACED_AT.search(text):
        spans += [Span(m.start(), m.end(), EMAIL) for m in r["email_disguised"].finditer(text)]
    if text.count(":") >= 2:
        for m in r["ipv6"].finditer(text):
            groups = m.group(0).split(":")
            if ("::" in m.group(0) and len([g for g in groups if g]) >= 2) or (
                len(groups) >= 6 and all(groups) and any(len(g) >= 3 or not g.isdigit() for g in groups)
            ):
                spans.append(Span(m.start(), m.end(), IP))
    if "://" in text or "www." in text.lower() or _DOMAIN.search(text):
        spans += [Span(m.start(), m.end(), URL) for m in r["url"].finditer(text)]
    if "." in text and _DOTTED.search(text):
        spans += [
            Span(m.start(), m.end(), IP)
            for m in r["ip"].finditer(text)
            if not _VERSION.search(text[max(0, m.start() - 14) : m.start()])
        ]
    return spans


_UNIT_NAME = re.compile(rf"\d{{1,3}}[A-Za-z]?(?:/\d{{1,3}})*(?![\w])|{_NAMEWORDS}")
#: Abbreviated units: one or two letters, a name or a number after them ("P. Tân Mai", "Q.1", "H. Quảng Điền").
_SHORT = ("q", "p", "tt", "tx", "kp", "tp", "kv", "h", "x")
_CHAIN_AFTER = re.compile(rf"\s*[,(]\s*({_NAMEWORDS})(?![^\W_])")  # ", Hai Bà Trưng", " (Sóc Sơn)"
_CHAIN_BEFORE = re.compile(rf"({_NAMEWORDS})\s*,\s*$")


#: Words after a number that make it a count or a measure, never a house number (folded).
_NOT_STREETS = frozenset(
    {
        "tuoi",
        "thang",
        "nam",
        "ngay",
        "tuan",
        "lan",
        "gio",
        "phut",
        "giay",
        "mm",
        "cm",
        "kg",
        "ml",
        "lit",
        "vien",
        "goi",
        "nguoi",
        "ca",
        "benh",
        "do",
        "not",
        "o",
        "cai",
        "dot",
        "xuong",
        "suon",
        "khoi",
        "nhip",
        "kv",
        "mas",
    }
)


def _unaccented(text: str, at: int) -> bool:
    """Is the sentence around ``at`` written without diacritics?"""
    start = max(text.rfind(".", 0, at - 1), text.rfind("\n", 0, at)) + 1
    ends = [i for i in (text.find(". ", at), text.find("\n", at)) if i >= 0]
    return text[start : min(ends, default=len(text))].isascii()


def _chain_word_ok(run: str) -> bool:
    """A capitalised run joined to an address by a comma is part of it unless it is a province or a heading."""
    return not is_coarse_place(run) and fold_chars(run.split()[0]) not in ("benh", "bn", "bs", "sdt", "dt", "lien")


def find_addresses(text: str) -> list[Span]:
    """Street addresses and administrative units below the province."""
    if not text:
        return []
    folded = fold_chars(text)
    lower = lower_chars(text)
    spans = _streets(text, folded) if has_digit(text) else []
    units, pending = _units(text, folded, lower)
    spans += units
    # Unaccented or in capitals ("QUAN DAY PHE QUAN", "TO TRAI", "ĐƯỜNG KÍNH") a unit with a name needs company:
    # another piece of address joined to it by a comma, or a province after it ("xa Phu Hoa Dong, huyen Cu Chi").
    joined = True
    while joined and pending:
        joined = False
        for span in list(pending):
            if any(_adjacent(text, span, other) for other in spans):
                spans.append(span)
                pending.remove(span)
                joined = True
    spans += _keyed(text, folded, lower)
    return [_chained(text, span) for span in spans]


#: What every street match holds: the house number's last digit (a letter may follow), a space (a comma), perhaps
#: the street word, then a capital. It opens with a digit, so ``re`` skips to the digits: the quick exit of
#: :func:`_streets`, whose pattern opens with a look-behind and is entered at every position.
_STREET_HINT = re.compile(
    rf"\d[A-Za-z]?\s*,?\s+(?:(?:[Đđ]ường|[Pp]hố|[Nn]gõ|[Hh]ẻm|[Kk]iệt|[Dd]uong|[Pp]ho)\s+)?[{_UPPER}]"
)


def _streets(text: str, folded: str) -> list[Span]:
    """A house number with a street: "123 Lê Lợi", "số 45/2 đường Trần Hưng Đạo", "ngõ 41 phố Vọng"."""
    if not _STREET_HINT.search(text):
        return []
    r = _regexes()
    spans = []
    for m in r["street"].finditer(text):
        words_ = m.group(0).split()
        after_number = words_[next(i for i, w in enumerate(words_) if w[:1].isdigit()) + 1 :]
        if len(after_number) == 1 and after_number[0].isascii() and len(after_number[0]) <= 3:
            continue  # "số 28 Fr": a size, not a street
        if after_number and fold_chars(after_number[0].strip(",")) in _NOT_STREETS:
            continue  # "48 Tuổi", "3 Tháng": a count, not a street
        unit_after = r["unit"].match(folded, m.end() + len(text[m.end() :]) - len(text[m.end() :].lstrip(" ,")))
        before = folded[max(0, m.start() - 8) : m.start()]
        keyed = re.search(r"\b(?:duong|pho|ngo|hem|kiet|so|ngach)\b", fold_chars(m.group(0)) + " " + before)
        if (case_uninformative(text, m.start()) or m.group(0).split()[-1].isupper()) and not (keyed or unit_after):
            continue  # "48 Tuổi, Gãy Xương Đòn", "SƯỜN 5 TRÁI": in capitals a street needs its keyword or a unit
        if m.group(0).isascii() and not unit_after and not re.search(r"(?i)\b(?:duong|pho|so)\b", m.group(0)):
            continue  # "2000 Image Compression": a Vietnamese street has diacritics, a keyword or a unit after
        spans.append(Span(m.start(), m.end(), ADDRESS))
    return spans


def _units(text: str, folded: str, lower: str) -> tuple[list[Span], list[Span]]:
    """Administrative units with their name or number ("Quận 1", "P.12", "xã Tân Phú"): those that stand alone,
    and the weak ones that count only beside another piece of address."""
    spans: list[Span] = []
    pending: list[Span] = []
    for match in _regexes()["unit"].finditer(folded):
        name = _UNIT_NAME.match(text, match.end())
        if name is None:
            continue
        word = _UnitWord(folded[match.start() : match.end()], lower[match.start() : match.end()])
        if not _unit_named(text, match.start(), word, name.group(0)):
            continue
        weak = (
            (word.written.isascii() and not word.short or case_uninformative(text, match.start()))
            and not name.group(0)[:1].isdigit()
            and not _another_unit(text, folded, name.end())
        )
        (pending if weak else spans).append(Span(match.start(), name.end(), ADDRESS))
    return spans, pending


class _UnitWord:
    """A unit word as matched: folded (``unit``), as written in lower case, with a dot, one of the abbreviations."""

    def __init__(self, folded: str, lower: str) -> None:
        self.unit = folded.strip(" .")
        self.written = lower.strip(" .")
        self.dotted = "." in folded
        self.short = self.unit in _SHORT


def _unit_named(text: str, at: int, word: _UnitWord, name: str) -> bool:
    """Is the unit word at ``at`` a unit, and ``name`` after it its name or number?"""
    unit, written, dotted, short = word.unit, word.written, word.dotted, word.short
    if written not in raw_words()["admin_units"] and not written.isascii():
        return False  # with diacritics they must be right: "Quân" is a name, not "quận"; "ấp" is not "áp"
    if written.isascii() and len(unit) <= 3 and not short and not _unaccented(text, at):
        return False  # "xa"/"ap"/"ban" without diacritics are ordinary words (AP is a view) in accented text
    if not short and dotted:
        return False  # "Thanh Quan. Rốn phổi": a sentence ends after a name, no unit
    named = (dotted or unit == "tp") and len(name.split()[0]) > 1
    if short and not (text[at].isupper() and (name[:1].isdigit() or named)):
        return False  # "q"/"p"/"tt": only "Q.1", "P12", "TT 3", "P. Tân Mai", "H. Quảng Điền"; not "P.A." (a view)
    if len(unit) == 1 and unit in ("h", "x") and not (dotted and not name[:1].isdigit()):
        return False  # "H." / "X." only before a name
    if unit in ("ban", "lang", "buon", "soc") and name[:1].isdigit():
        return False  # "phiên bản 3": a village is named, not numbered
    if (
        unit.startswith(("duong", "pho", "ngo", "hem", "kiet"))
        and name[:1].isdigit()
        and not re.match(r"\d+[/A-Za-z]", name)
    ):
        return False  # "đường 2" is too weak alone; a street with a house number is found above
    # "TP.HCM", "thành phố Đà Nẵng": a centrally-run city is not below the province
    return not (unit in ("tp", "thanh pho") and is_coarse_place("tp " + name))


def _keyed(text: str, folded: str, lower: str) -> list[Span]:
    """The address after "Địa chỉ:", "trú tại", "quê" ..."""
    spans = []
    for m in _regexes()["key"].finditer(folded):
        key = lower[m.start() : m.start(1)].strip(" :.")
        if key not in raw_words()["address_keys"] and not key.isascii():
            continue  # with diacritics they must be right: "loại trừ" is not "trú"
        if key.isascii() and key in ("tru", "que") and ":" not in text[m.start() : m.start(1)]:
            continue  # without diacritics "tru"/"que" are also "trừ", "quế": only as a heading, "Tru:"
        span = _keyed_clause(text, folded, *m.span(1))
        if span is not None:
            spans.append(span)
    return spans


_HOUSE = re.compile(r"(?:so|nha|can ho|lo|km)\s*\d")  # "số 9 hẻm ...", "căn hộ 12", "lô 3", "km 7"


def _keyed_clause(text: str, folded: str, start: int, end: int) -> Span | None:
    """The address after a key: its comma-joined pieces while each opens with a number, a capital or a unit word,
    up to a province (not included) or a piece of the sentence going on ("quê Quảng Nam, có bệnh nền ..."). The
    redaction marker is never an address and never makes one: "Địa chỉ: ___, Hà Nội" has none."""
    first: int | None = None
    last = start
    at = start
    for piece in re.finditer(r"[^,]+", text[start:end]):
        a, b = start + piece.start(), start + piece.end()
        content = text[a:b].strip()
        if not content:
            continue
        if not re.sub(r"_{3,}", "", content).strip(" ;:-()"):
            at = b
            continue  # the marker alone: a replaced piece
        lead = a + len(text[a:b]) - len(text[a:b].lstrip(" _:;-("))
        opens = text[lead : lead + 1]
        if is_coarse_place(content.strip(" ;:-()")) or not (
            opens.isdigit() or opens.isupper() or _regexes()["unit"].match(folded, lead) or _HOUSE.match(folded, lead)
        ):
            break
        first = lead if first is None else first
        last = a + len(text[a:b].rstrip())
        at = b
    del at
    return Span(first, last, ADDRESS) if first is not None else None


def _adjacent(text: str, a: Span, b: Span) -> bool:
    """Are two address pieces joined by a comma (or overlapping)?"""
    first, second = (a, b) if a.start <= b.start else (b, a)
    return second.start <= first.end or text[first.end : second.start].strip() in (",", ";", "-")


def _another_unit(text: str, folded: str, at: int) -> bool:
    """Does another administrative unit, or a province, follow ``at`` after a comma?"""
    m = re.match(r"\s*[,;-]\s*", text[at : at + 4])
    if m is None:
        return False
    rest = at + m.end()
    return bool(_regexes()["unit"].match(folded, rest)) or is_coarse_place(_up_to_comma(text, rest))


def _up_to_comma(text: str, start: int) -> str:
    """The piece of an address list that starts at ``start``: up to the next comma, semicolon or sentence end."""
    end = re.search(r",|;|\.\s|\.$|$", text[start:])
    return text[start : start + end.start()] if end is not None else text[start:]  # "$" always matches


def _chained(text: str, span: Span) -> Span:
    """An address with the comma-joined places around it that are not provinces: "Sóc Sơn, huyện Sóc Sơn",
    "ngõ 41 phố Vọng, Hai Bà Trưng" (not in a sentence in capitals or Title Case, where every word is capitalised)."""
    start, end = span.start, span.end
    if case_uninformative(text, start):
        return span
    while (m := _CHAIN_AFTER.match(text, end)) and _chain_word_ok(_up_to_comma(text, m.start(1))):
        end = m.end(1)
    while (m := _CHAIN_BEFORE.search(text[max(0, start - 40) : start])) and _chain_word_ok(m.group(1)):
        start -= len(text[max(0, start - 40) : start]) - m.start(1)
    return span if (start, end) == (span.start, span.end) else Span(start, end, ADDRESS)

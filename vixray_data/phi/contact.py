"""E-mail addresses, URLs, IP addresses and street addresses / administrative units below the province.

An address is found as a house number with a street (``123 Lê Lợi``, ``số 45/2 đường Trần Hưng Đạo``),
an administrative unit with its name or number (``Quận 1``, ``P.12``, ``Phường Bến Nghé``, ``xã Tân Phú``,
``ấp 3``), or the clause after ``Địa chỉ:`` / ``trú tại``. Neighbouring pieces joined by commas are
merged into one span by the analyzer. Province-level names (``TP.HCM``, ``Hà Nội``) alone are not PHI.
"""

from __future__ import annotations

import functools
import re

from .spans import ADDRESS, EMAIL, IP, URL, Span, alternation, fold_chars, keyword_regex, lower_chars, raw_words, words

_CAP = r"[A-ZĐÀ-Ỹ][^\W\d_]*"  # a capitalised word (original case)
_NAMEWORDS = rf"{_CAP}(?:\s+{_CAP}){{0,3}}"


@functools.lru_cache(maxsize=1)
def _regexes() -> dict[str, re.Pattern]:
    units = alternation(words()["admin_units"])
    return {
        "email": re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
        "url": re.compile(r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"']*[^\s<>\"'.,;:)]|\b[\w-]+(?:\.[\w-]+)*\.(?:vn|com|org|net|edu|gov|"
                          r"info|io)(?:\.vn)?(?:/[^\s<>\"']*)?(?![\w])"),
        "ip": re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w]|\.\d)"),
        # house number + street (original case: the street is capitalised)
        "street": re.compile(rf"(?<![\w/.,-])(?:[Ss]ố\s+(?:nhà\s+)?)?\d{{1,4}}[A-Za-z]?(?:/\d{{1,4}}[A-Za-z]?)*\s*,?\s+"
                             rf"(?:(?:[Đđ]ường|[Pp]hố|[Nn]gõ|[Hh]ẻm|[Kk]iệt|[Dd]uong|[Pp]ho)\s+)?{_NAMEWORDS}"),
        # unit keyword (folded) + number or capitalised name (checked in the original)
        "unit": re.compile(rf"(?<![^\W_])(?:{units})(?![^\W\d_])\s*\.?\s*(?=[\w])"),
        "key": keyword_regex("address_keys", r"\s*:?\s*([^\n.;]{3,120})"),
    }


_DOMAIN = re.compile(r"(?i)\.(?:vn|com|org|net|edu|gov|info|io)\b")


def find_contacts(text: str) -> list[Span]:
    """E-mail, URL and IP spans."""
    if not text:
        return []
    r = _regexes()
    spans = []
    if "@" in text:
        spans += [Span(m.start(), m.end(), EMAIL) for m in r["email"].finditer(text)]
    if "://" in text or "www." in text.lower() or _DOMAIN.search(text):
        spans += [Span(m.start(), m.end(), URL) for m in r["url"].finditer(text)]
    if "." in text:
        spans += [Span(m.start(), m.end(), IP) for m in r["ip"].finditer(text)]
    return spans


_UNIT_NAME = re.compile(rf"\d{{1,3}}(?![\w])|{_NAMEWORDS}")


def find_addresses(text: str) -> list[Span]:
    """Street addresses and administrative units below the province."""
    if not text:
        return []
    r = _regexes()
    folded = fold_chars(text)
    lower = lower_chars(text)
    spans = []
    for m in r["street"].finditer(text):
        if m.group(0).split()[-1].isupper():
            continue  # "SƯỜN 5 TRÁI" in an all-caps report is not a street
        words_ = m.group(0).split()
        after_number = words_[next(i for i, w in enumerate(words_) if w[:1].isdigit()) + 1:]
        if len(after_number) == 1 and after_number[0].isascii() and len(after_number[0]) <= 3:
            continue  # "số 28 Fr": a size, not a street
        unit_after = r["unit"].match(folded, m.end() + len(text[m.end():]) - len(text[m.end():].lstrip(" ,")))
        if m.group(0).isascii() and not unit_after and not re.search(r"(?i)\b(?:duong|pho|so)\b", m.group(0)):
            continue  # "2000 Image Compression": a Vietnamese street has diacritics, a keyword or a unit after
        spans.append(Span(m.start(), m.end(), ADDRESS))
    for match in r["unit"].finditer(folded):
        name = _UNIT_NAME.match(text, match.end())
        if name is None:
            continue
        unit = folded[match.start():match.end()].strip(" .")
        written = lower[match.start():match.end()].strip(" .")
        if written not in raw_words()["admin_units"] and not written.isascii():
            continue  # with diacritics they must be right: "Quân" is a name, not "quận"; "ấp" is not "áp"
        if len(unit) <= 3 and written.isascii() and unit not in ("q", "p", "tt", "tx", "kp", "tp", "kv"):
            continue  # "xa"/"ap"/"ban" without diacritics are ordinary words (AP is a view)
        short = unit in ("q", "p", "tt", "tx", "kp", "tp")
        if not short and "." in folded[match.start():match.end()]:
            continue  # "Thanh Quan. Rốn phổi": a sentence ends after a name, no unit
        if short and not (text[match.start()].isupper() and name.group(0)[:1].isdigit()):
            continue  # "q"/"p"/"tt": only "Q.1", "P12", "TT 3"
        if unit.startswith(("duong", "pho", "ngo", "hem", "kiet")) and name.group(0)[:1].isdigit():
            continue  # "đường 2" is too weak alone; a street with a house number is found above
        spans.append(Span(match.start(), name.end(), ADDRESS))
    spans += [Span(*m.span(1), ADDRESS) for m in r["key"].finditer(folded) if m.group(1).strip()]
    return spans

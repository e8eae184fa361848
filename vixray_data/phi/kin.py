"""A given name said alone after a kinship or role word: ``chị dâu Thoa``, ``dì là Lụa``, ``con trai tên là Quyết``,
``em gái BN (Nga)``, ``BS nội trú Lâm Thị Ngát``, ``me bn ten la thoa``.

The kinship word is an open class (``kin_heads`` then any ``kin_modifiers`` in ``words.yaml``: ``con gái``,
``em trai út``, ``bố chồng``), then any of the ``kin_links`` (``là``, ``tên là``, ``của BN``). The name is the
capitalised words after them; after ``tên`` (``tên là``, ``tên gọi là``), or after ``là`` in a sentence written
without capitals, one lower-case word is a name too. Words match with their diacritics, or without when written
without any (``chong`` is ``chồng``).
"""

from __future__ import annotations

import functools
import re

from .spans import (
    NAME,
    Span,
    alternation,
    any_unaccented,
    case_uninformative,
    fold_chars,
    lower_chars,
    raw_words,
    words,
)

_ASCII_MARK = "\x00"  # appended to the links of a kinship word written without diacritics
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_MAX_WORDS = 4


@functools.lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern, re.Pattern]:
    """(with diacritics, on lower-cased text; without, on folded text)."""

    def build(key_words) -> re.Pattern:
        heads = alternation(key_words["kin_heads"], space=r"\s+", not_after=r"[^\W_]")
        mods, links = (alternation(key_words[k], space=r"\s+") for k in ("kin_modifiers", "kin_links"))
        return re.compile(
            rf"(?:{heads})(?![^\W_])(?:\s+(?:{mods})(?![^\W_])){{0,2}}"
            rf"((?:\s*[,:]?\s*(?:{links})(?![^\W_])){{0,3}})\s*[:(\"“]?\s*(?=[^\W\d_])"
        )

    return build(raw_words()), build(words())


def find_kin_names(text: str) -> list[Span]:
    """Given names after kinship and role words (see the module docstring)."""
    if not text:
        return []
    exact, loose = _regexes()
    lower, folded = lower_chars(text), fold_chars(text)
    starts: dict[int, str] = {}
    for m in exact.finditer(lower):
        starts.setdefault(m.end(), m.group(1))
    for m in loose.finditer(folded) if any_unaccented(text) else ():
        if text[m.start() : m.end()].isascii():  # written without diacritics: "chong ten hung"
            starts.setdefault(m.end(), m.group(1) + _ASCII_MARK)
    spans = []
    for at, links in sorted(starts.items()):
        first = _WORD.match(text, at)
        if first is None:
            continue
        ascii_head = links.endswith(_ASCII_MARK)
        links = links.removesuffix(_ASCII_MARK)
        named = "ten" in fold_chars(links).split()
        if ascii_head and not named and first.group(0).isupper() and len(first.group(0)) <= 4:
            continue  # "Tien su DTD": without diacritics "su" is also "sử", and an acronym is no given name
        if not named and case_uninformative(text, at):
            continue  # "CHI SO TIM NGUC": in capitals or Title Case a kinship word alone anchors nothing
        if first.group(0)[:1].isupper():
            end, count, word = first.end(), 1, first
            while count < _MAX_WORDS:
                nxt = _WORD.match(text, word.end() + 1)
                if nxt is None or text[word.end()] != " " or not nxt.group(0)[:1].isupper():
                    break
                end, count, word = nxt.end(), count + 1, nxt
            spans.append(Span(at, end, NAME))
        elif named or (fold_chars(links).split()[-1:] == ["la"] and not _has_capitals(text, at)):
            spans.append(Span(at, first.end(), NAME))
    return spans


def _has_capitals(text: str, at: int) -> bool:
    """Does the sentence around ``at`` use capitals (then a lower-case word is not a name)?"""
    start = max(text.rfind(".", 0, at), text.rfind("\n", 0, at)) + 1
    end = min((i for i in (text.find(".", at), text.find("\n", at)) if i >= 0), default=len(text))
    return any(c.isupper() for c in text[start:end])

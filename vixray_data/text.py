"""Vietnamese text normalisation: the one function every module uses before comparing text.

Invisible format characters out, NFKC, look-alike letters folded, then one tone-mark placement, then
whitespace. Invisible characters (Unicode category Cf: zero-width space and joiners, soft hyphen, word joiner,
byte-order mark, bidirectional marks) are removed, so ``Nguy\u200bễn`` is ``Nguyễn`` and no written text
carries one. NFKC composes letters and folds compatibility forms (fullwidth ``１２`` is ``12``, a no-break
space is a space). A Cyrillic or Greek letter that looks like a Latin one, inside a word that has Latin letters
(``Тrần`` with a Cyrillic Т), becomes the Latin letter. Vietnamese has two spellings for the
open syllables ending in ``oa``/``oe``/``uy``: old style puts the tone on the last vowel
(``hoá``, ``thuỷ``), new style on the first (``hóa``, ``thủy``). The hospital's reports and the
lexicon use new style, so old style is rewritten; closed syllables (``hoàng``, ``khuyến``) and
``qu`` + ``y`` (``quý``) are spelled one way only and are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONES = frozenset("\u0301\u0300\u0309\u0303\u0323")  # sắc, huyền, hỏi, ngã, nặng
_OPEN_PAIR = re.compile(r"([bcdđghklmnpqrstvx]*)(oa|oe|uy)", re.IGNORECASE)
_WORD = re.compile(r"\w+")
# Only a word ending in oa/oe/uy with the tone on the second vowel can be old style; others skip _retone (speed).
_OLD_STYLE_PAIR = re.compile(r"(?:[oO][áàảãạéèẻẽẹÁÀẢÃẠÉÈẺẼẸ]|[uU][ýỳỷỹỵÝỲỶỸỴ])\b")
_OLD_STYLE_WORD = re.compile(rf"\b[bcdđghklmnpqrstvx]*{_OLD_STYLE_PAIR.pattern}", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


#: The planes that hold format characters: the multilingual and supplementary ones (0-3) and the tags (14). The
#: others are unassigned or private use; scanning only these takes a fifth of the time of every code point, paid at
#: every import (a test checks against the full scan).
_FORMAT_PLANES = (range(0x40000), range(0xE0000, 0xF0000))


def _format_characters() -> re.Pattern:
    """Every format character (category Cf: zero-width space/joiners, soft hyphen, word joiner, BOM, bidi marks ...)
    as a class of ranges (a class of single characters is ten times slower to search)."""
    codes = [c for plane in _FORMAT_PLANES for c in plane if unicodedata.category(chr(c)) == "Cf"]
    ranges, start = [], codes[0]
    for prev, code in zip(codes, [*codes[1:], -1], strict=True):  # -1: no code follows the last, its range ends
        if code != prev + 1:
            ranges.append(re.escape(chr(start)) + ("" if start == prev else "-" + re.escape(chr(prev))))
            start = code
    return re.compile("[" + "".join(ranges) + "]")


_INVISIBLE = _format_characters()
#: Cyrillic and Greek letters drawn like Latin ones (NFKC leaves them alone).
_LOOK_ALIKES = str.maketrans(
    "АВЕКМНОРСТУХЅІЈԁһаеорсухѕіјԛԝѵӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαιϳνκρτυχ", "ABEKMHOPCTYXSIJdhaeopcyxsijqwvlABEZHIKMNOPTYXoaijvkptux"
)
_MIXED_WORD = re.compile(r"[^\W\d_]+")
_GREEK_CYRILLIC = re.compile("[\u0370-\u04ff\u0500-\u052f]")


@lru_cache(maxsize=65536)  # a report vocabulary is small; normalise is on every hot path
def _retone(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return syllable
    bare = unicodedata.normalize("NFC", decomposed.replace(tones[0], ""))
    match = _OPEN_PAIR.fullmatch(bare)
    if match is None or match.group(1).lower().endswith("q"):
        return syllable
    at = len(match.group(1)) + 1  # just after the first vowel of the pair
    return unicodedata.normalize("NFC", bare[:at] + tones[0] + bare[at:])


def _fold_look_alikes(text: str) -> str:
    """Cyrillic/Greek look-alikes to Latin in words that also hold a Latin letter (``Тrần``); a Greek or Cyrillic
    word of its own (``α1-antitrypsin``) stays."""
    if not _GREEK_CYRILLIC.search(text):
        return text
    return _MIXED_WORD.sub(
        lambda m: (
            m.group(0).translate(_LOOK_ALIKES)
            if any(
                "a" <= c.lower() <= "z" or "\u00c0" <= c <= "\u024f" or "\u1e00" <= c <= "\u1eff" for c in m.group(0)
            )
            else m.group(0)
        ),
        text,
    )


def normalize(text: str | None, *, lowercase: bool = False) -> str:
    """Invisible characters out, NFKC, look-alike letters folded, new-style tone marks, collapsed whitespace;
    ``None`` becomes ``""``."""
    if not text:
        return ""
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
        text = unicodedata.normalize("NFKC", text)
        text = _fold_look_alikes(text)
    if _OLD_STYLE_PAIR.search(text):
        text = _OLD_STYLE_WORD.sub(lambda m: _retone(m.group(0)), text)
    text = _SPACE.sub(" ", text).strip()
    return text.lower() if lowercase else text


def strip_diacritics(text: str) -> str:
    """``"Nguyễn Văn Đức"`` -> ``"Nguyen Van Duc"``: for matching that must ignore tone and vowel marks."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: ``"Nguyễn  Văn Ấn"`` -> ``"nguyen van an"``."""
    return _SPACE.sub(" ", strip_diacritics(text).casefold())


def header_key(text: str) -> str:
    """``"Giới tính"`` -> ``"gioitinh"``: how table and dataset headers are compared."""
    return re.sub(r"[^a-z0-9]", "", strip_diacritics(str(text)).lower())


def bytes_text(data: bytes) -> str:
    """UTF-8 when the bytes are UTF-8, else Latin-1 (every byte is a character: nothing is lost)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")

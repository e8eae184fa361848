"""Vietnamese text normalisation: the one function every module uses before comparing text.

NFC first, then one tone-mark placement, then whitespace. Vietnamese has two spellings for the
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


def normalize(text: str | None, *, lowercase: bool = False) -> str:
    """NFC, new-style tone marks, collapsed whitespace; ``None`` becomes ``""``."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
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

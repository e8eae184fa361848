"""Decoders for the two legacy Vietnamese encodings Python has no codec for: TCVN3 and VNI-Windows.

Old hospital systems and their fonts wrote names this way; a DICOM value in either reads as mojibake under
any codec (``NguyÔn``, ``Nguyeãn``), so its echo in the report would not be found. Both tables below are
written from published code charts, each cross-checked against at least two of them:

* TCVN 5712:1993 (VSCII, "ABC", ``.VnTime`` fonts): the standard's VN1 chart as glibc's ``TCVN5712-1``
  charmap and GNU libiconv's ``TCVN`` converter give it, agreeing with Wikipedia's "VSCII" article, which
  says TCVN3 (VN3) is its subset without the C0 and 0x80-0x9F capitals. TCVN3 writes a capital with a tone
  mark by switching to an all-capitals font (``.VnTimeH``) over the *lowercase* code, so a caps name comes
  back with lowercase toned vowels (``NGUYễN``); :func:`decodings` also gives it fully upper-cased.
* VNI-Windows (VNI fonts, a cp1252 layout): a base letter followed by one mark byte; i-, y-dot, ơ, ư and đ
  are single bytes. From Wikipedia's "VNI" encoding table (after vietunicode.sourceforge.net) and the
  xvnkb keyboard's VNI table; a capital's bytes are the lowercase ones minus 0x20 (cp1252's letter block).
"""

from __future__ import annotations

import unicodedata

# --------------------------------------------------------------------------- TCVN 5712 (VN1 ⊃ VN3)

#: C0 positions VN1 gives to capitals (VN3 leaves them control codes, so they never occur there).
_TCVN_C0 = {
    0x01: "Ú",
    0x02: "Ụ",
    0x04: "Ừ",
    0x05: "Ử",
    0x06: "Ữ",
    0x11: "Ứ",
    0x12: "Ự",
    0x13: "Ỳ",
    0x14: "Ỷ",
    0x15: "Ỹ",
    0x16: "Ý",
    0x17: "Ỵ",
}
#: 0x80-0xFF, sixteen codes a row. Rows 0x80/0x90 and the scattered capitals are VN1 only; 0xB0-0xB4 are
#: combining tone marks (grave, hook, tilde, acute, dot below).
_TCVN_HIGH = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨ"  # 0x80
    "ÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"  # 0x90
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"  # 0xA0
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # 0xB0
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"  # 0xC0
    "éẹềểễếệìỉỄẾỒĩíịò"  # 0xD0
    "Ổỏõóọồổỗốộờởỡớợù"  # 0xE0
    "ỖủũúụừửữứựỳỷỹýỵỐ"  # 0xF0
)
_TCVN = {**{b: chr(b) for b in range(0x80)}, **_TCVN_C0, **{0x80 + i: c for i, c in enumerate(_TCVN_HIGH)}}
_TCVN_TABLE = str.maketrans({chr(b): c for b, c in _TCVN.items() if chr(b) != c})
#: Control bytes that are letters in TCVN: a value holding one is worth decoding even when it is ASCII.
TCVN_CONTROL_LETTERS = bytes(sorted(_TCVN_C0))


def decode_tcvn3(raw: bytes) -> str:
    """``raw`` read as TCVN 5712 (VN3, or VN1 with its capitals), NFC."""
    return unicodedata.normalize("NFC", raw.decode("latin-1").translate(_TCVN_TABLE))


# --------------------------------------------------------------------------- VNI-Windows

_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"
#: Mark bytes (lowercase forms) -> the combining marks they add, and the base letters they follow.
_VNI_TONES = {0xF9: _ACUTE, 0xF8: _GRAVE, 0xFB: _HOOK, 0xF5: _TILDE, 0xEF: _DOT}
_VNI_MARKS = {
    **{b: (m, "aeouyơư") for b, m in _VNI_TONES.items()},
    0xE2: (_CIRCUMFLEX, "aeo"),
    0xE1: (_CIRCUMFLEX + _ACUTE, "aeo"),
    0xE0: (_CIRCUMFLEX + _GRAVE, "aeo"),
    0xE5: (_CIRCUMFLEX + _HOOK, "aeo"),
    0xE3: (_CIRCUMFLEX + _TILDE, "aeo"),
    0xE4: (_CIRCUMFLEX + _DOT, "aeo"),
    0xEA: (_BREVE, "a"),
    0xE9: (_BREVE + _ACUTE, "a"),
    0xE8: (_BREVE + _GRAVE, "a"),
    0xFA: (_BREVE + _HOOK, "a"),
    0xFC: (_BREVE + _TILDE, "a"),
    0xEB: (_BREVE + _DOT, "a"),
}
#: Whole letters in one byte (lowercase forms).
_VNI_LETTERS = {0xF4: "ơ", 0xF6: "ư", 0xF1: "đ", 0xED: "í", 0xEC: "ì", 0xE6: "ỉ", 0xF3: "ĩ", 0xF2: "ị", 0xEE: "ỵ"}
_VNI_SINGLE = {**_VNI_LETTERS, **{b - 0x20: c.upper() for b, c in _VNI_LETTERS.items()}}


#: A capital's mark byte is the lowercase one minus 0x20; either case is accepted after either base.
_VNI_MARK = {**_VNI_MARKS, **{b - 0x20: v for b, v in _VNI_MARKS.items()}}


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five codes cp1252 leaves undefined
        return chr(byte)


#: Every byte read alone: a VNI single-byte letter, else the cp1252 character its font draws.
_VNI_BYTE = [_VNI_SINGLE.get(b) or _cp1252(b) for b in range(256)]


def decode_vni(raw: bytes) -> str:
    """``raw`` read as VNI-Windows, NFC: a base letter plus its mark byte become one letter."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        letter = _VNI_BYTE[raw[i]]
        if i + 1 < len(raw):
            marks, bases = _VNI_MARK.get(raw[i + 1], ("", ""))
            if marks and letter.lower() in bases:
                out.append(letter + marks)
                i += 2
                continue
        out.append(letter)
        i += 1
    return unicodedata.normalize("NFC", "".join(out))


# --------------------------------------------------------------------------- both

#: Name -> decoder, in the order :func:`decodings` tries them.
DECODERS = {"tcvn3": decode_tcvn3, "vni-windows": decode_vni}


def _caps_font(text: str) -> bool:
    """TCVN3 typed in an all-capitals font: capital ASCII letters, lowercase toned vowels."""
    ascii_letters = [c for c in text if c.isascii() and c.isalpha()]
    return (
        bool(ascii_letters)
        and all(c.isupper() for c in ascii_letters)
        and any(c.islower() for c in text if not c.isascii())
    )


def decodings(raw: bytes) -> set[str]:
    """Every reading of ``raw`` under the legacy encodings (TCVN3 also upper-cased when set in a caps font)."""
    out = {decoder(raw) for decoder in DECODERS.values()}
    tcvn = decode_tcvn3(raw)
    if _caps_font(tcvn):
        out.add(tcvn.upper())
    return out

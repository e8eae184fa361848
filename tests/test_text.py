"""The one normaliser: NFC, one tone-mark spelling, whitespace."""

import unicodedata

import pytest

from vixray_data.text import normalize


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [("vôi hoá", "vôi hóa"), ("thuỷ trên", "thủy trên"), ("khoẻ", "khỏe"), ("HOÁ", "HÓA"), ("hoà", "hòa")],
)
def test_old_style_tone_marks_become_new_style(old_style, new_style):
    assert normalize(old_style) == new_style


@pytest.mark.parametrize("word", ["hoàng", "khuyến", "quý", "hoán", "thuyết", "phổi", "phải"])
def test_syllables_with_one_spelling_are_left_alone(word):
    assert normalize(word) == word


def test_nfd_input_gives_the_same_text_as_nfc():
    text = "Vôi hóa thành quai động mạch chủ. Bóng tim không to."
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(text) == text


def test_whitespace_is_collapsed_and_none_is_empty():
    assert normalize("  Phổi \n hai  bên\tsáng đều ") == "Phổi hai bên sáng đều"
    assert normalize(None) == ""


def test_lowercase_is_optional():
    assert normalize("Bóng Tim", lowercase=True) == "bóng tim"


def test_every_format_character_of_this_python_is_invisible_to_the_normaliser():
    """The class of format characters is built from the planes that hold them: it must match every code point."""
    from vixray_data.text import _INVISIBLE

    format_characters = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert format_characters and all(_INVISIBLE.fullmatch(c) for c in format_characters)
    # a no-break space, a variation selector, a private-use character: none of them a format character
    assert not _INVISIBLE.search("Phổi\u00a0hai bên \U000e0100 \U000f0000")

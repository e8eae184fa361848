"""Legacy Vietnamese encodings (TCVN3, VNI-Windows): names decode back exactly, and a DICOM name stored in
either, with no SpecificCharacterSet, is scrubbed from the report that repeats it in Unicode."""

from __future__ import annotations

import unicodedata

import pydicom
import pytest
from pydicom.dataelem import DataElement
from test_dicom import pixels, write_dicom
from test_export import config, row, rows_of, write_csv

from vixray_data.build import build
from vixray_data.sources import dicom as dcm
from vixray_data.sources import legacy_vi

NAMES = ["Nguyễn Văn Đức", "Trần Thị Hoa", "Phạm Hùng"]
NAMES_AND_CAPS = NAMES + [name.upper() for name in NAMES]


def tcvn3(text: str, *, caps_font: bool = False) -> bytes:
    """TCVN bytes from the module's table (VN1 capitals), or as a ``.VnTimeH`` caps font stores them:
    a toned capital written with its lowercase code."""
    code = {char: byte for byte, char in legacy_vi._TCVN.items()}
    out = bytearray()
    for char in text:
        if (
            caps_font
            and char.upper() == char
            and char.lower() != char
            and char.lower() in code
            and not char.isascii()
            and char not in "ĂÂÊÔƠƯĐ"
        ):
            char = char.lower()
        out.append(code[char])
    return bytes(out)


#: VNI mark bytes as the published table lists them (lowercase; a capital's is 0x20 lower).
VNI_TONE = {"\u0301": 0xF9, "\u0300": 0xF8, "\u0309": 0xFB, "\u0303": 0xF5, "\u0323": 0xEF}
VNI_CIRCUMFLEX = {"": 0xE2, "\u0301": 0xE1, "\u0300": 0xE0, "\u0309": 0xE5, "\u0303": 0xE3, "\u0323": 0xE4}
VNI_BREVE = {"": 0xEA, "\u0301": 0xE9, "\u0300": 0xE8, "\u0309": 0xFA, "\u0303": 0xFC, "\u0323": 0xEB}
VNI_LETTER = {"ơ": 0xF4, "ư": 0xF6, "đ": 0xF1, "í": 0xED, "ì": 0xEC, "ỉ": 0xE6, "ĩ": 0xF3, "ị": 0xF2, "ỵ": 0xEE}


def vni(text: str) -> bytes:
    """VNI-Windows bytes of ``text``, written independently of the decoder from the published table."""
    out = bytearray()
    for char in text:
        shift = 0x20 if char.isupper() else 0
        low = char.lower()
        if low in VNI_LETTER:
            out.append(VNI_LETTER[low] - shift)
            continue
        base, *marks = unicodedata.normalize("NFD", low)
        modifier = next((m for m in marks if m in "\u0302\u0306\u031b"), "")
        tone = next((m for m in marks if m in VNI_TONE), "")
        if modifier == "\u031b":  # horn: ơ/ư are single bytes, the tone follows
            out.append(VNI_LETTER[unicodedata.normalize("NFC", base + modifier)] - shift)
        else:
            out += char.encode("ascii") if not marks else base.upper().encode() if shift else base.encode()
        if modifier == "\u0302":
            out.append(VNI_CIRCUMFLEX[tone] - shift)
        elif modifier == "\u0306":
            out.append(VNI_BREVE[tone] - shift)
        elif tone:
            out.append(VNI_TONE[tone] - shift)
    return bytes(out)


@pytest.mark.parametrize("name", NAMES_AND_CAPS)
def test_tcvn3_names_decode_back_exactly(name):
    assert legacy_vi.decode_tcvn3(tcvn3(name)) == name


@pytest.mark.parametrize("name", NAMES_AND_CAPS)
def test_vni_names_decode_back_exactly(name):
    assert legacy_vi.decode_vni(vni(name)) == name


def test_published_legacy_spellings_decode():
    # The mojibake every Vietnamese user knows, read through cp1252: TCVN3 "NguyÔn V¨n §øc", VNI "Nguyeãn".
    assert legacy_vi.decode_tcvn3("NguyÔn V¨n §øc".encode("cp1252")) == "Nguyễn Văn Đức"
    assert legacy_vi.decode_vni("Nguyeãn Vaên Ñöùc".encode("cp1252")) == "Nguyễn Văn Đức"
    assert legacy_vi.decode_vni("tröôøng Thò Tónh".encode("cp1252")) == "trường Thị Tĩnh"
    assert legacy_vi.decode_vni("NGUYEÃN THÒ HOA".encode("cp1252")) == "NGUYỄN THỊ HOA"


@pytest.mark.parametrize("name", [name.upper() for name in NAMES])
def test_tcvn3_name_typed_in_a_caps_font_is_also_read_in_capitals(name):
    raw = tcvn3(name, caps_font=True)
    assert legacy_vi.decode_tcvn3(raw) != name  # the font, not the bytes, made the capitals
    assert name in legacy_vi.decodings(raw)


def test_a_tcvn_capital_in_a_control_position_is_decoded_even_in_an_ascii_value():
    raw = tcvn3("LÝ ÚT")  # VN1 puts Ý and Ú at 0x16 and 0x01: every byte is ASCII
    assert raw.isascii() and dcm.needs_decodings(raw)
    assert "LÝ ÚT" in dcm.decodings(raw)
    assert not dcm.needs_decodings(b"NGUYEN^VAN^A")


@pytest.mark.filterwarnings("ignore:Failed to encode value")  # pydicom, writing the fixture's raw bytes
@pytest.mark.parametrize("encode", [tcvn3, vni], ids=["tcvn3", "vni"])
@pytest.mark.parametrize("name", ["Nguyễn Văn Đức", "TRẦN THỊ HOA"])
def test_legacy_encoded_patient_name_without_a_character_set_is_scrubbed_from_the_report(tmp_path, encode, name):
    path = write_dicom(
        tmp_path / "export" / "images" / "a.dcm", arr=pixels(5), tags={"AccessionNumber": "ACC-1", "PatientID": "BN1"}
    )
    ds = pydicom.dcmread(path)
    del ds.SpecificCharacterSet
    ds["PatientName"] = DataElement(0x00100010, "PN", encode(name))
    ds.save_as(path)
    assert name in dcm.read_info(path, relpath="x").phi.values()
    write_csv(
        tmp_path / "export" / "bao_cao.csv",
        [
            row(
                "ACC-1",
                pid="BN1",
                name="",
                findings=f"Bệnh nhân {name}, bóng tim không to.",
                impressions=f"{name.title()}: phổi sáng đều hai bên.",
            )
        ],
    )
    result = build(config(tmp_path / "export", tmp_path / "out"))
    (record,) = rows_of(result.out)
    assert record["findings"].startswith("Bệnh nhân ___")
    for word in name.split():
        if len(word) > 2:
            assert word.lower() not in (record["findings"] + " " + record["impressions"]).lower()


@pytest.mark.parametrize("encode", [tcvn3, vni], ids=["tcvn3", "vni"])
def test_private_tag_bytes_in_a_legacy_encoding_are_decoded_too(tmp_path, encode):
    path = write_dicom(tmp_path / "a.dcm", arr=pixels(6), private=None)
    ds = pydicom.dcmread(path)
    ds.private_block(0x0011, "HIS LEGACY", create=True).add_new(0x01, "UN", encode("Phạm Hùng"))
    ds.save_as(path)
    assert "Phạm Hùng" in dcm.read_info(path, relpath="x").phi.values()

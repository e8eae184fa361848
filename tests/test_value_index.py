"""The build's one index of identifying values: what the scrub and the leak scan find with it, what it stores."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vixray_data.build import kept_values
from vixray_data.build.leak_scan import spellings, value_hash
from vixray_data.phi.values import ValueIndex

NAME = "Nguyễn Văn An"


def scrubbed(index: ValueIndex, text: str) -> list[str]:
    return [text[s.start : s.end] for s in index.find(text)]


def leaked(index: ValueIndex, text: str, **kwargs) -> set[str]:
    return {index.sha256(vid) for vid in index.leaks(text, **kwargs)}


def test_a_name_is_found_in_any_case_without_diacritics_and_with_any_short_separator():
    index = ValueIndex([NAME])
    for text in ("BN NGUYEN VAN AN.", "bn nguyễn văn an", "file Nguyen_Van_An.png", "NGUYEN-VAN-AN", "Nguyễn  Văn An"):
        assert leaked(index, text) == {value_hash(NAME)}, text
        assert len(scrubbed(index, text)) == 1, text


def test_a_name_is_not_found_inside_a_longer_word_or_across_a_comma_or_bracket():
    index = ValueIndex([NAME])
    for text in ("Nguyễn Văn Anh", "XNguyễn Văn An", "Nguyễn Văn, An", "Nguyễn (Văn An)"):
        assert not leaked(index, text), text
        assert scrubbed(index, text) == [], text


def test_a_value_with_a_comma_is_found_with_its_comma():
    index = ValueIndex(["12 Lê Lợi, Quận 1"])
    assert leaked(index, "Địa chỉ: 12 LE LOI, QUAN 1.") == {value_hash("12 Lê Lợi, Quận 1")}
    assert scrubbed(index, "ở 12 Lê Lợi, Quận 1 ạ") == ["12 Lê Lợi, Quận 1"]
    assert scrubbed(index, "ở 12 Lê Lợi Quận 1 ạ") == ["12 Lê Lợi Quận 1"]  # the scrub: its words alone too


def test_a_one_word_value_keeps_its_diacritics_and_the_leak_scan_its_case():
    index = ValueIndex(["Hòa"])
    assert scrubbed(index, "Bà HÒA. Vôi hóa.") == ["HÒA"]
    assert leaked(index, "Bà Hòa.") == {value_hash("Hòa")} and not leaked(index, "HÒA, hòa, hóa")


def test_an_id_is_found_only_as_a_whole_token():
    index = ValueIndex(["BN12345", "1234"])
    assert leaked(index, "ref a91234bc, BN123456, XBN12345") == set()
    assert leaked(index, "bn12345 (1234)") == {value_hash("BN12345"), value_hash("1234")}


def test_dates_and_dicom_names_in_their_spellings():
    index = ValueIndex(["19520314", "TRAN^THI^BICH"])
    for text in ("sinh 14/03/1952", "1952-03-14", "14.3.1952", "TRAN THI BICH", "Trần Thị Bích", "THI BICH TRAN"):
        assert leaked(index, text), text
    assert scrubbed(index, "T.T.Bich, TranThiBich") == ["T.T.Bich", "TranThiBich"]  # the scrub's spellings only
    assert not leaked(index, "T.T.Bich, TranThiBich")


def test_the_leak_scan_finds_every_spelling_it_searched_before():
    values = [NAME, "NGUYEN^AN^VAN", "14/03/1952", "BN-2024/001", "0912 345 678", "Hòa", "12 Lê Lợi, Quận 1"]
    index = ValueIndex(values)
    for value in values:
        exact, folded = spellings(value)
        for spelling in exact | folded:
            assert value_hash(value) in leaked(index, f"x {spelling} y"), spelling


def test_values_the_scrub_keeps_by_design_are_scrubbed_but_not_leak_searched():
    index = ValueIndex(["Tràn dịch màng phổi", "416", "Trần Văn Bình"], classify=kept_values.classifier())
    text = "Tràn dịch màng phổi. Phòng 416. Trần Văn Bình."
    assert leaked(index, text) == {value_hash("416"), value_hash("Trần Văn Bình")}
    assert leaked(index, text, builder=True) == {value_hash("Trần Văn Bình")}  # the builder's own numbers
    assert index.searched() == 2 and index.searched(builder=True) == 1
    assert "Tràn dịch màng phổi" in scrubbed(index, text)


def test_each_value_and_form_is_stored_once_and_searching_stores_nothing():
    index = ValueIndex([NAME, "BN20240001"])
    forms, count = index.forms, index.count
    index.add([NAME, " Nguyễn Văn An ", "BN20240001"])
    assert (index.forms, index.count) == (forms, count) and count == 2
    long_text = f"Bệnh nhân {NAME}, mã BN20240001. " * 5000
    assert len(index.leaks(long_text)) == 2 and len(index.find(long_text)) == 10000
    assert (index.forms, index.count) == (forms, count)


def test_values_added_after_a_search_are_found():
    index = ValueIndex(["BN20240001"])
    assert not index.leaks("Trần Thị Bích")
    index.add(["Trần Thị Bích"])
    assert leaked(index, "Trần Thị Bích") == {value_hash("Trần Thị Bích")} and index.count == 2


def test_the_index_is_the_same_in_every_process_whatever_the_hash_seed():
    script = (
        "import hashlib; from vixray_data.phi.values import ValueIndex;"
        "i = ValueIndex(['Nguyễn Văn An', 'BN20240001', '14/03/1952', 'Hòa']); i.find('');"
        "print(hashlib.sha256(i._keys.tobytes() + i._firsts.tobytes()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


SPILL_VALUES = [NAME, "NGUYEN^AN^VAN", "14/03/1952", "BN-2024/001", "0912 345 678", "Hòa", "12 Lê Lợi, Quận 1", "416"]
SPILL_TEXTS = [
    "Bệnh nhân NGUYEN VAN AN, sinh 1952-03-14, mã bn-2024-001, ĐT 0912.345.678.",
    "Bà HÒA ở 12 LE LOI, QUAN 1; phòng 416. Vôi hóa. T.V.An, NguyenVanAn.",
    "Không có tên nào ở đây: tràn dịch màng phổi phải lượng ít.",
]


def test_an_index_spilled_to_a_file_finds_what_it_found_in_memory(tmp_path):
    kept = ValueIndex(SPILL_VALUES, classify=kept_values.classifier())
    spilled = ValueIndex(SPILL_VALUES, classify=kept_values.classifier())
    spilled.spill(tmp_path)
    assert (spilled.count, spilled.forms, spilled.searched()) == (kept.count, kept.forms, kept.searched())
    assert spilled.nbytes < kept.nbytes
    for text in SPILL_TEXTS:
        assert scrubbed(spilled, text) == scrubbed(kept, text), text
        assert leaked(spilled, text) == leaked(kept, text), text
        assert leaked(spilled, text, builder=True) == leaked(kept, text, builder=True), text
    assert leaked(spilled, SPILL_TEXTS[0]) >= {value_hash(NAME), value_hash("14/03/1952"), value_hash("0912 345 678")}


def test_the_spilled_file_is_unlinked_at_once_and_holds_no_hash_of_a_value(tmp_path):
    index = ValueIndex(SPILL_VALUES)
    keys, prefixes = index._keys.copy(), [index.sha256(vid) for vid in range(index.count)]
    index.spill(tmp_path)
    assert list(tmp_path.iterdir()) == []  # unlinked: gone with the index, whatever ends the process
    with open(f"/proc/self/fd/{index._spilled._file.fileno()}", "rb") as handle:
        data = handle.read()
    assert len(data) >= index.forms * 13
    for key in keys.tolist():  # the forms' hashes, and the values' SHA-256 prefixes, do not appear as such
        assert key.to_bytes(8, "little") not in data and key.to_bytes(8, "big") not in data
    for prefix in prefixes:
        assert bytes.fromhex(prefix) not in data and bytes.fromhex(prefix)[::-1] not in data


def test_no_value_can_be_added_to_a_spilled_index(tmp_path):
    index = ValueIndex([NAME])
    index.spill(tmp_path)
    with pytest.raises(ValueError, match="spilled"):
        index.add(["BN20240001"])

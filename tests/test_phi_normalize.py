"""Text is normalised before detection, and what is written carries no invisible character."""

from __future__ import annotations

import unicodedata

import pytest
from phi_helpers import scrubbed

from vixray_data import schema
from vixray_data.deid import DEMO_KEY, Deidentifier
from vixray_data.records import EncodedImage, RawRecord
from vixray_data.text import normalize


@pytest.mark.parametrize(
    "hidden",
    [
        "BS đọc phim: Phạm\u200b Quốc Khánh.",  # zero-width space inside a word
        "BS đọc phim: Ph\u00adạm Quốc Khánh.",  # soft hyphen
        "BS đọc phim: Phạm\u2060Quốc\u2060Khánh.",  # word joiners between the words
        "BS đọc phim: Phạm Quốc Kh\u200dánh.",  # zero-width joiner
        "BS đọc phim: \ufeffPhạm Quốc Khánh\u200e.",  # byte-order mark, left-to-right mark
        "BS đọc phim: Рhạm Quốc Khánh.",  # a Cyrillic Р
        "BS đọc phim: Phạm Quốc Κhánh.",  # a Greek Κ
    ],
)
def test_a_name_with_invisible_or_look_alike_letters_inside_is_found(hidden):
    text = normalize(hidden)
    assert "Kh" not in scrubbed(text) and "Ph" not in scrubbed(text).replace("BS đọc phim", "")


def test_fullwidth_digits_are_ordinary_digits():
    assert normalize("ĐT người nhà: ０９８８ ７７６ ５５４") == "ĐT người nhà: 0988 776 554"
    assert scrubbed(normalize("ĐT người nhà: ０９８８ ７７６ ５５４")) == "ĐT người nhà: ___"


def test_greek_letters_of_a_greek_word_stay():
    assert normalize("thiếu hụt α1-antitrypsin") == "thiếu hụt α1-antitrypsin"


def test_the_written_text_carries_no_format_character():
    report = "Tràn dịch màng phổi trái lượng ít.\u200b Người nhà: chị Ng\u00adọc\u200c Hân, SĐT 0912\u2060345\u2060678."
    record = Deidentifier(DEMO_KEY).process(
        RawRecord(
            ref="row 1",
            study_key="S9",
            patient_key="P9",
            image=lambda: EncodedImage(b"", "png"),
            fields={schema.FINDINGS: report, schema.IMPRESSIONS: "Tràn dịch màng phổi trái."},
        )
    )
    written = record.fields[schema.FINDINGS]
    assert not any(unicodedata.category(c) == "Cf" for c in written)
    assert "Hân" not in written and "678" not in written
    assert written.startswith("Tràn dịch màng phổi trái lượng ít.")

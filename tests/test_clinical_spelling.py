"""How reports typed fast are read: abbreviations, no diacritics, side letters, one-character typos (issue 19).

Each sentence is written for this test; the expectation is what a radiologist reads in it.
"""

import pytest

from vixray_data.clinical import NEGATED, NORMAL, PRESENT, extract_facts
from vixray_data.clinical.spelling import one_edit, respell
from vixray_data.evaluation.labels import label_report
from vixray_data.lexicon import term_index


def words(text):
    import re

    written = [(m.group(0).lower(), m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]
    return [t.text for t in respell(term_index(), written)]


def keys(text):
    return [(f.subject, f.finding, f.polarity, f.laterality) for f in extract_facts(text)]


@pytest.mark.parametrize(
    "text", ["Bóng tim khong to.", "Bong tim ko to.", "Tim k to.", "Tim kh to", "BÓNG TIM KHÔNG TO"]
)
def test_not_without_diacritics_or_abbreviated_still_negates(text):
    assert keys(text) == [("heart", "cardiomegaly", NEGATED, None)]
    assert label_report(text) == {"no_finding"}


def test_a_whole_report_without_diacritics_reads_as_with_them():
    plain = "Hai phoi sang deu. Bong tim khong to. Tran dich mang phoi trai luong it."
    accented = "Hai phổi sáng đều. Bóng tim không to. Tràn dịch màng phổi trái lượng ít."
    assert keys(plain) == keys(accented)
    assert label_report(plain) == {"pleural_effusion"}


@pytest.mark.parametrize(
    "text,finding",
    [
        ("TDMP phải lượng vừa", "pleural_effusion"),
        ("TKMP phải", "pneumothorax"),
        ("VP thùy dưới phải", "pneumonia"),
        ("Dày dính MP phải", "pleural_thickening"),
    ],
)
def test_abbreviations_stand_for_their_words(text, finding):
    assert keys(text) == [(term_index().lexicon.findings[finding].anatomy, finding, PRESENT, "right")]


def test_k_before_the_lung_is_a_cancer_and_elsewhere_a_negation():
    assert [f.finding for f in extract_facts("Nghi K phổi trái.")] == ["nodule"]
    assert keys("Tim k to") == [("heart", "cardiomegaly", NEGATED, None)]


def test_devices_are_read_through_their_abbreviations():
    assert [f.finding for f in extract_facts("NKQ cách carina 3 cm. CVC dưới đòn trái.")] == ["support_device"] * 2
    assert label_report("NKQ cách carina 3 cm.") == set()  # a device: abnormal, no chest label


@pytest.mark.parametrize(
    "text,side",
    [
        ("TDMP P", "right"),
        ("Tràn khí màng phổi T", "left"),
        ("Gãy xương sườn 7 P", "right"),
        ("Xẹp thùy dưới (T)", "left"),
    ],
)
def test_a_side_letter_after_what_it_is_the_side_of_is_a_side(text, side):
    (fact,) = extract_facts(text)
    assert fact.laterality == side


def test_a_side_letter_anywhere_else_is_no_side():
    assert words("Chỉ số T/N bình thường")[:4] == ["chỉ", "số", "tim", "ngực"]  # T/N: heart over chest
    assert [f.laterality for f in extract_facts("Bóng tim to, chỉ số T/N 0,6.")] == [None, None]
    # a letter after no organ is no side: here an unread word, and the heart after it keeps no side
    assert [f.laterality for f in extract_facts("Phim chụp tư thế P. Tim không to.")] == [None, None]


def test_ambiguous_unaccented_words_are_read_only_in_a_longer_form_or_their_context():
    assert words("phoi hai ben sang deu")[-2:] == ["sáng", "đều"]  # the form decides
    assert words("phoi hai ben sang")[-1] == "sáng"  # after a side: bright
    assert words("day trung that sang phai")[3] == "sang"  # before a side: "to the", left as written
    assert words("so voi phim cu")[1] == "voi"  # "với", not calcification
    assert words("mo kinh")[0] == "mờ" and words("mo")[0] == "mo"  # "mo" alone may be mờ, mô or mổ


def test_a_word_written_with_diacritics_is_never_respelled_into_another():
    assert words("đám mờ")[1] == "mờ"
    assert words("mô mềm")[0] == "mô"


@pytest.mark.parametrize(
    "typo,fixed",
    [
        ("tràn dịch màg phổi", "tràn dịch màng phổi"),
        ("tràn dcih màng phổi", "tràn dịch màng phổi"),
        ("khí phế thủng", "khí phế thũng"),
        ("xơ hóa kẻ", "xơ hóa kẽ"),
    ],
)
def test_one_character_slip_is_forgiven_inside_a_long_form(typo, fixed):
    assert " ".join(words(typo)) == fixed


def test_a_slip_that_would_make_a_short_or_an_ambiguous_form_is_left_alone():
    assert words("bóng tim đo được")[2] == "đo"  # "đo" is not "to": only a tone mark is forgiven in a short word
    assert words("trung thấy trên")[:2] == ["trung", "thấy"]  # two real words: nothing to correct


def test_one_edit_counts_replacements_insertions_deletions_and_swaps():
    assert one_edit("phổi", "phổj") and one_edit("phổi", "phổii") and one_edit("phổi", "phổ")
    assert one_edit("dịch", "dcịh")
    assert not one_edit("phổi", "phổi") and not one_edit("phổi", "pổj")


def test_no_change_and_insignificant_are_not_negations():
    assert keys("Tràn dịch màng phổi phải không thay đổi so với phim cũ.") == [
        ("pleura", "pleural_effusion", PRESENT, "right")
    ]
    assert keys("Tran dich mang phoi phai ko thay doi.") == [("pleura", "pleural_effusion", PRESENT, "right")]
    assert keys("Dải xơ nhỏ đỉnh phổi phải, không có ý nghĩa bệnh lý.") == [("lung_apex", "fibrosis", PRESENT, "right")]


def test_normal_states_read_without_diacritics():
    assert keys("Goc suon hoanh hai ben nhon.") == [("costophrenic_angle", None, NORMAL, "bilateral")]

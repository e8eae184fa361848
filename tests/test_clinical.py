"""The fact extractor: statements split where a new subject or finding begins, one canonical form per meaning."""

import unicodedata

import pytest

from vixray_data.clinical import CERTAIN, NEGATED, NORMAL, PRESENT, UNCERTAIN, extract_facts, match_key

# Real report sentences from the paper (Table 7 and Table 10 ground truths).
PAPER_FINDINGS_A1 = (
    "Phổi hai bên kém sáng, mờ kính rải rác, rốn phổi tăng đậm nhẹ. Bờ vòm hoành hai bên đều, "
    "hai góc sườn hoành nhọn. Bóng mờ tim không to. Vôi hóa thành quai động mạch chủ."
)
PAPER_FINDINGS_A3 = (
    "Lồng ngực cân đối, không thấy bất thường xương. Phổi hai bên sáng đều. Rốn phổi hai bên không thấy "
    "bất thường. Bờ vòm hoành hai bên đều. Góc sườn hoành hai bên nhọn. Bóng tim không to. Quai động mạch chủ vồng."
)


def keys(text):
    return [(f.subject, f.finding, f.polarity, f.laterality) for f in extract_facts(text)]


def test_finding_then_its_subject_makes_two_facts_across_a_comma():
    assert keys("Thâm nhiễm nhu mô phổi hai bên, đám mờ đông đặc nhu mô phổi phải") == [
        ("lung_parenchyma", "infiltrate", PRESENT, "bilateral"),
        ("lung_parenchyma", "consolidation", PRESENT, "right"),
    ]


def test_normal_state_and_negated_bone_abnormality_are_two_facts():
    assert keys("Lồng ngực cân đối, không thấy bất thường xương") == [
        ("thoracic_cage", None, NORMAL, None),
        ("bone", "bone_abnormality", NEGATED, None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Phổi hai bên kém sáng, mờ kính rải rác, rốn phổi tăng đậm nhẹ",
        "Phổi hai bên kém sáng mờ kính rải rác rốn phổi tăng đậm nhẹ",
    ],
)
def test_chained_statements_split_with_or_without_commas(text):
    facts = extract_facts(text)
    assert [(f.subject, f.finding, f.laterality) for f in facts] == [
        ("lung", "decreased_translucency", "bilateral"),
        ("lung", "ground_glass", "bilateral"),
        ("hilum", "hilar_enlargement", None),
    ]
    assert facts[1].position == ("scattered",)
    assert facts[2].severity == "mild"
    assert [f.text for f in facts] == ["Phổi hai bên kém sáng", "mờ kính rải rác", "rốn phổi tăng đậm nhẹ"]


def test_heart_not_enlarged_is_negated_cardiomegaly_in_both_spellings():
    plain, opacity = extract_facts("Bóng tim không to"), extract_facts("Bóng mờ tim không to")
    assert keys("Bóng tim không to") == [("heart", "cardiomegaly", NEGATED, None)]
    assert [match_key(f) for f in plain] == [match_key(f) for f in opacity]
    assert [match_key(f) for f in plain] != [match_key(f) for f in extract_facts("Bóng tim to")]
    assert keys("Bóng tim to") == keys("bóng mờ tim to") == [("heart", "cardiomegaly", PRESENT, None)]


def test_severity_after_the_head_is_kept():
    (fact,) = extract_facts("Bóng mờ tim to nhẹ")
    assert (fact.finding, fact.polarity, fact.severity) == ("cardiomegaly", PRESENT, "mild")


def test_shared_negation_head_negates_every_listed_finding():
    assert keys("Không thấy tràn dịch, tràn khí màng phổi") == [
        ("pleura", "pleural_effusion", NEGATED, None),
        ("pleura", "pneumothorax", NEGATED, None),
    ]


def test_shared_negation_stops_at_a_new_subject():
    assert keys("Không thấy tràn dịch màng phổi, bóng tim to") == [
        ("pleura", "pleural_effusion", NEGATED, None),
        ("heart", "cardiomegaly", PRESENT, None),
    ]
    assert keys("Không thấy tràn dịch màng phổi, phổi hai bên sáng đều") == [
        ("pleura", "pleural_effusion", NEGATED, None),
        ("lung", None, NORMAL, "bilateral"),
    ]


@pytest.mark.parametrize(
    "text", ["Hình ảnh nghĩ nhiều đến tổn thương phổi kẽ", "Nghĩ đến tổn thương phổi kẽ", "Theo dõi viêm phổi kẽ"]
)
def test_uncertainty_cues_mark_the_fact_uncertain(text):
    (fact,) = extract_facts(text)
    assert (fact.finding, fact.polarity, fact.certainty) == ("interstitial_lung_disease", PRESENT, UNCERTAIN)


def test_cannot_exclude_is_uncertain_not_negated():
    (fact,) = extract_facts("Không loại trừ tràn dịch màng phổi phải")
    assert (fact.finding, fact.polarity, fact.certainty, fact.laterality) == (
        "pleural_effusion",
        PRESENT,
        UNCERTAIN,
        "right",
    )


def test_uncertainty_ends_with_its_sentence():
    facts = extract_facts("Hình ảnh nghĩ nhiều đến tổn thương phổi kẽ. Vôi hóa thùy trên phổi trái")
    assert [f.certainty for f in facts] == [UNCERTAIN, CERTAIN]
    assert (facts[1].subject, facts[1].finding, facts[1].laterality, facts[1].position) == (
        "lung",
        "calcification",
        "left",
        ("upper_lobe",),
    )


def test_paper_findings_example_has_seven_facts():
    assert keys(PAPER_FINDINGS_A1) == [
        ("lung", "decreased_translucency", PRESENT, "bilateral"),
        ("lung", "ground_glass", PRESENT, "bilateral"),
        ("hilum", "hilar_enlargement", PRESENT, None),
        ("diaphragm", None, NORMAL, "bilateral"),
        ("costophrenic_angle", None, NORMAL, "bilateral"),
        ("heart", "cardiomegaly", NEGATED, None),
        ("aortic_arch", "aortic_calcification", PRESENT, None),
    ]


def test_paper_multi_turn_findings_example_has_eight_facts():
    assert keys(PAPER_FINDINGS_A3) == [
        ("thoracic_cage", None, NORMAL, None),
        ("bone", "bone_abnormality", NEGATED, None),
        ("lung", None, NORMAL, "bilateral"),
        ("hilum", None, NORMAL, "bilateral"),
        ("diaphragm", None, NORMAL, "bilateral"),
        ("costophrenic_angle", None, NORMAL, "bilateral"),
        ("heart", "cardiomegaly", NEGATED, None),
        ("aortic_arch", "aortic_prominence", PRESENT, None),
    ]


def test_aortic_calcification_and_prominence_are_different_findings():
    assert keys("Vôi hóa thành quai động mạch chủ") == [("aortic_arch", "aortic_calcification", PRESENT, None)]
    assert keys("Quai động mạch chủ vồng") == [("aortic_arch", "aortic_prominence", PRESENT, None)]


def test_rib_fracture_keeps_arc_and_roman_rib_number():
    (fact,) = extract_facts("Gãy cung sau xương sườn III bên trái")
    assert (fact.subject, fact.finding, fact.laterality) == ("rib", "rib_fracture", "left")
    assert fact.position == ("posterior_arc", "rib:3")


def test_nfd_old_style_and_case_give_the_same_facts():
    text = "Vôi hoá thành quai động mạch chủ. Bóng tim không to."
    new_style = "Vôi hóa thành quai động mạch chủ. Bóng tim không to."
    assert keys(unicodedata.normalize("NFD", text.upper())) == keys(text) == keys(new_style)


def test_text_without_clinical_terms_gives_no_facts():
    assert extract_facts("") == []
    assert extract_facts(None) == []
    assert extract_facts("So với phim cũ. Đề nghị chụp CT ngực kiểm tra.") == []  # common words and advice only


def test_one_predicate_shared_by_two_subjects_gives_two_facts():
    assert keys("Tim, phổi bình thường.") == [("heart", "cardiomegaly", NEGATED, None), ("lung", None, NORMAL, None)]
    assert keys("Bóng tim, trung thất không to") == [
        ("heart", "cardiomegaly", NEGATED, None),
        ("mediastinum", None, NORMAL, None),
    ]


def test_an_organ_after_a_finding_that_names_its_own_organ_only_says_where():
    (fact,) = extract_facts("Dày dính màng phổi đáy phổi phải")
    assert (fact.subject, fact.finding, fact.laterality, fact.position) == (
        "pleura",
        "pleural_thickening",
        "right",
        ("base",),
    )


def test_rib_numbers_after_the_rib_are_positions_not_sides():
    (fact,) = extract_facts("Xương sườn 2 bên trái gãy")
    assert (fact.finding, fact.laterality, fact.position) == ("rib_fracture", "left", ("rib:2",))
    (fact,) = extract_facts("Gãy cung sau xương sườn 4,5,6 bên phải")
    assert fact.position == ("posterior_arc", "rib:4", "rib:5", "rib:6")


def test_a_line_break_ends_a_sentence_and_its_negation():
    assert keys("Không thấy tràn dịch màng phổi\nTràn khí màng phổi phải") == [
        ("pleura", "pleural_effusion", NEGATED, None),
        ("pleura", "pneumothorax", PRESENT, "right"),
    ]

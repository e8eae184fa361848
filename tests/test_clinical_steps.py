"""Each step of the fact extractor on its own: statements, mentions, drafts, organ binding, canonical facts."""

import pytest

from vixray_data.clinical import NEGATED, NORMAL, PRESENT, Fact, extract_facts, match_key
from vixray_data.clinical.binding import OTHER, bind_bare, bind_finding
from vixray_data.clinical.drafts import Reader, heading_context
from vixray_data.clinical.facts import merge_sides
from vixray_data.clinical.mentions import find_mentions
from vixray_data.clinical.statements import split_statements
from vixray_data.lexicon import term_index

INDEX = term_index()


def texts(text):
    return [
        (text[s.start : s.end].strip(), text[s.heading[0] : s.heading[1]].strip() if s.heading else None)
        for s in split_statements(text)
    ]


def mentions(text):
    return [(m.kind, m.value) for m in find_mentions(text.lower(), 0, len(text), INDEX)]


# --------------------------------------------------------------------------- statements


def test_a_heading_governs_the_statements_after_it_until_the_next_heading():
    assert texts("Phổi trái: nốt mờ. Đám mờ đáy. Tim: to.") == [
        ("nốt mờ", "Phổi trái"),
        ("Đám mờ đáy", "Phổi trái"),
        ("to", "Tim"),
    ]


def test_a_decimal_point_does_not_end_a_statement():
    assert texts("Nốt mờ 1.5 cm phổi trái. Tim to") == [("Nốt mờ 1.5 cm phổi trái", None), ("Tim to", None)]


def test_the_clause_before_a_comma_and_a_heading_stands_alone():
    assert texts("Bóng tim to, phổi phải: đám mờ") == [("Bóng tim to", None), ("đám mờ", "phổi phải")]


def test_line_breaks_and_semicolons_end_statements_and_empty_ones_are_dropped():
    assert [t for t, _ in texts("Tim to;\n\n- Phổi sáng.  .")] == ["Tim to", "- Phổi sáng"]


# --------------------------------------------------------------------------- mentions


def test_the_longest_form_wins_and_bare_forms_are_their_own_kind():
    assert mentions("tràn dịch màng tim") == [("finding", "pericardial_effusion")]
    organ, fracture = find_mentions("xương đòn gãy", 0, 13, INDEX)
    assert (organ.kind, organ.value, fracture.kind) == ("anatomy", "clavicle", "bare")
    assert {"rib_fracture", "clavicle_fracture", "vertebral_fracture"} <= set(fracture.term.candidates)


def test_a_negation_cue_is_cut_before_the_finding_it_negates():
    assert mentions("bóng tim không to") == [("anatomy", "heart"), ("neg", "không"), ("bare", "cardiomegaly")]
    assert mentions("không thấy bất thường xương") == [("neg", "không thấy"), ("finding", "bone_abnormality")]


def test_a_count_word_before_an_organ_makes_it_bilateral():
    (mention,) = find_mentions("hai góc sườn hoành", 0, 18, INDEX)
    assert (mention.kind, mention.value, mention.term.lateral) == ("anatomy", "costophrenic_angle", "bilateral")


def test_a_decimal_size_is_one_token_not_a_comma():
    assert mentions("nốt mờ 1,5 cm") == [("finding", "nodule"), ("number", "1,5"), ("word", "cm")]


# --------------------------------------------------------------------------- drafts


def read(text, heading=None):
    ctx = heading_context(find_mentions(heading.lower(), 0, len(heading), INDEX)) if heading else None
    return Reader(INDEX, ctx).read(find_mentions(text.lower(), 0, len(text), INDEX))


def test_a_side_written_on_the_organ_carries_to_the_next_finding():
    first, second = read("phổi hai bên kém sáng, mờ kính rải rác")
    assert (first.laterality, second.laterality) == ("bilateral", "bilateral")


def test_a_side_written_after_its_finding_ends_with_it():
    first, second = read("tràn khí màng phổi phải, không thấy tràn dịch")
    assert (first.laterality, second.laterality, second.negated) == ("right", None, True)


def test_a_heading_gives_organ_and_side_to_its_statements():
    (draft,) = read("nốt mờ thùy trên", heading="Phổi trái")
    assert (draft.subject, draft.laterality, draft.position) == ("lung", "left", ["upper_lobe"])


def test_a_size_word_after_a_finding_is_no_new_statement():
    (draft,) = read("nốt mờ to 2 cm")
    assert draft.finding.value == "nodule"


# --------------------------------------------------------------------------- binding


def bare(form):
    (mention,) = find_mentions(form, 0, len(form), INDEX)
    return mention


@pytest.mark.parametrize(
    ("organ", "form", "finding"),
    [
        ("heart", "to", "cardiomegaly"),
        ("hilum", "to", "hilar_enlargement"),
        ("aortic_arch", "to", "aortic_prominence"),
        ("rib", "gãy", "rib_fracture"),
        ("clavicle", "gãy", "clavicle_fracture"),
        ("spine", "xẹp", "vertebral_compression"),
        ("lobe", "xẹp", "atelectasis"),
        ("costophrenic_angle", "tù", "pleural_effusion"),
        ("mediastinum", "to", None),
        (None, "gãy", None),
    ],
)
def test_a_bare_form_means_the_finding_of_the_organ_it_is_said_of(organ, form, finding):
    assert bind_bare(INDEX, organ, bare(form)) == finding


def test_a_finding_said_of_another_organ_is_that_organs_finding_or_other():
    effusion = find_mentions("tràn dịch", 0, 9, INDEX)[0]
    assert bind_finding(INDEX, "pericardium", effusion) == ("pericardial_effusion", True)
    assert bind_finding(INDEX, "costophrenic_angle", effusion) == ("pleural_effusion", True)
    assert bind_finding(INDEX, "humerus", effusion) == (OTHER, False)


# --------------------------------------------------------------------------- canonical facts


@pytest.mark.parametrize("text", ["Bóng tim không to", "Bóng tim bình thường", "Tim không lớn", "Tim: bình thường"])
def test_every_normal_heart_phrase_is_one_fact(text):
    assert [(f.subject, f.finding, f.polarity) for f in extract_facts(text)] == [("heart", "cardiomegaly", NEGATED)]


@pytest.mark.parametrize("text", ["Không thấy hình ảnh bất thường tim phổi", "Chưa thấy bất thường tim, phổi"])
def test_a_normal_phrase_before_several_organs_is_the_normal_state_of_each(text):
    assert [(f.subject, f.finding, f.polarity) for f in extract_facts(text)] == [
        ("heart", "cardiomegaly", NEGATED),
        ("lung", None, NORMAL),
    ]


def test_increased_lung_markings_are_a_lung_finding_whichever_the_word_order():
    for text in (
        "Tăng đậm vân phổi hai bên",
        "Vân phổi hai bên tăng đậm",
        "Phổi hai bên tăng đậm vân",
        "Vân phổi hai bên tăng",
    ):  # the markings are a place in the lung: they match as the lung
        keys = [match_key(f) for f in extract_facts(text)]
        assert keys == [("lung", "increased_markings", PRESENT, "bilateral")], text
    assert [f.finding for f in extract_facts("Rốn phổi hai bên tăng đậm")] == ["hilar_enlargement"]


def test_a_finding_on_each_side_is_one_bilateral_fact():
    right = Fact("pleura", "pleural_effusion", PRESENT, laterality="right", text="a")
    left = Fact("costophrenic_angle", "pleural_effusion", PRESENT, laterality="left", text="b")
    other = Fact("lung", None, NORMAL, laterality="left")
    (merged, kept) = merge_sides([right, other, left], INDEX)
    assert (merged.laterality, merged.text, kept) == ("bilateral", "a; b", other)
    assert len(merge_sides([right, replace_polarity(left)], INDEX)) == 2


def replace_polarity(fact):
    return Fact(fact.subject, fact.finding, NEGATED, laterality=fact.laterality)


@pytest.mark.parametrize(
    "text", ["Trung thất không rộng", "Trung thất không to", "Trung thất bình thường", "Trung thất không bị đẩy lệch"]
)
def test_every_normal_mediastinum_phrase_is_one_normal_fact(text):
    assert [(f.subject, f.finding, f.polarity) for f in extract_facts(text)] == [("mediastinum", None, NORMAL)]


def test_a_description_with_a_cue_word_negates_nothing():
    (fact,) = extract_facts("Đám mờ không đều thùy trên phổi phải")
    assert (fact.finding, fact.polarity, fact.laterality) == ("opacity", PRESENT, "right")


def test_a_lung_finding_said_of_the_hilum_is_a_perihilar_lung_finding():
    (fact,) = extract_facts("Khối mờ lớn rốn phổi phải")
    assert (fact.subject, fact.finding, fact.laterality, fact.position) == ("lung", "nodule", "right", ("perihilar",))


def test_a_bare_word_said_again_or_of_an_organ_ahead_is_one_statement_each():
    assert [f.finding for f in extract_facts("Rốn phổi trái to và đậm")] == ["hilar_enlargement"]
    facts = extract_facts("Tràn dịch màng phổi trái đẩy lệch trung thất sang phải")
    assert [(f.finding, f.laterality) for f in facts] == [("pleural_effusion", "left"), ("mediastinal_shift", None)]
    assert "toward:right" in facts[1].position  # where the shift goes is kept, as a place, not as a side


def test_a_title_with_nothing_under_it_is_the_section_of_the_headings_after_it():
    text = "Phổi:\n+ Phải: nốt mờ thùy trên.\n+ Trái: bình thường.\nTim: to."
    assert [(f.subject, f.finding, f.polarity, f.laterality) for f in extract_facts(text)] == [
        ("lung", "nodule", PRESENT, "right"),
        ("lung", None, NORMAL, "left"),
        ("heart", "cardiomegaly", PRESENT, None),
    ]


@pytest.mark.parametrize(
    "text",
    ["Tràn dịch màng phổi phải và trái", "Tràn dịch màng phổi bên phải và bên trái", "Tràn dịch màng phổi hai bên"],
)
def test_right_and_left_of_one_finding_is_bilateral(text):
    assert [(f.finding, f.laterality) for f in extract_facts(text)] == [("pleural_effusion", "bilateral")]


def test_one_finding_stated_once_per_side_is_two_facts_that_merge_only_for_matching():
    facts = extract_facts("Tràn dịch màng phổi phải. Tràn dịch màng phổi trái")
    assert [(f.finding, f.laterality) for f in facts] == [("pleural_effusion", "right"), ("pleural_effusion", "left")]
    assert [f.laterality for f in merge_sides(facts, INDEX)] == ["bilateral"]


# --------------------------------------------------------------------------- side scope (issue 19)


def sides(text):
    return [(f.finding, f.laterality) for f in extract_facts(text) if f.finding]


def test_a_shift_direction_is_not_the_side_of_the_finding_that_shifts_or_of_its_cause():
    assert sides("Tràn khí màng phổi trái lượng nhiều, đẩy trung thất sang phải.") == [
        ("pneumothorax", "left"),
        ("mediastinal_shift", None),
    ]
    assert sides("Xẹp thùy trên phổi phải, khí quản lệch phải.") == [
        ("atelectasis", "right"),
        ("tracheal_deviation", None),
    ]


def test_both_sides_with_one_worse_is_bilateral():
    assert sides("Tràn dịch màng phổi hai bên, bên trái nhiều hơn.") == [("pleural_effusion", "bilateral")]
    assert sides("Thâm nhiễm hai phổi, ưu thế bên phải.") == [("infiltrate", "bilateral")]


def test_a_comparison_with_the_other_side_gives_no_side():
    assert sides("Rốn phổi trái đậm hơn bên phải.") == [("hilar_enlargement", "left")]


def test_a_side_belongs_to_the_finding_it_follows():
    assert sides("Tràn khí màng phổi phải, không thấy tràn dịch.") == [
        ("pneumothorax", "right"),
        ("pleural_effusion", None),
    ]


def test_a_place_said_once_after_a_list_is_the_place_of_the_list():
    assert sides("Dải xơ và nốt vôi đỉnh phổi trái.") == [("fibrosis", "left"), ("calcification", "left")]
    assert sides("Xơ hóa phổi, nốt vôi đỉnh phổi trái.")[0] == ("fibrosis", None)  # an organ of its own, no side


def test_a_diagnosis_that_interprets_a_finding_is_at_its_side():
    assert sides("Đám mờ đáy phổi trái, nghĩ đến viêm phổi.") == [("opacity", "left"), ("pneumonia", "left")]
    assert sides("Đám mờ đáy phổi trái. Theo dõi viêm phổi.")[1] == ("pneumonia", None)  # another sentence


def test_the_side_of_an_unread_phrase_attaches_to_nothing():
    facts = extract_facts("Bóng tim không to, phổi phải có vùng giảm tưới máu.")
    assert [(f.subject, f.polarity, f.laterality) for f in facts] == [
        ("heart", NEGATED, None),
        ("lung", "unrecognised", None),
    ]


def test_a_side_heading_gives_its_side_and_a_lung_heading_its_side_to_the_pleura():
    assert sides("Bên trái: tràn dịch màng phổi lượng ít.") == [("pleural_effusion", "left")]
    assert sides("Phổi phải: đám mờ thùy giữa, tù góc sườn hoành.") == [
        ("opacity", "right"),
        ("pleural_effusion", "right"),
    ]

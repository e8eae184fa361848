"""The Vietnamese clinical labeler: negation (before and after the head), uncertainty policy, shared heads."""

import pytest

from vixray_data.clinical import extract_facts
from vixray_data.errors import EvaluationError
from vixray_data.evaluation import label_report, label_scores
from vixray_data.evaluation.labels import label_names, labels_from_facts, report_state


def test_positive_findings_give_their_labels():
    text = "Bóng mờ tim to nhẹ. Tràn dịch màng phổi phải. Gãy cung sau xương sườn III bên trái."
    assert label_report(text) == {"cardiomegaly", "pleural_effusion", "rib_fracture"}


def test_negation_after_the_head_removes_the_label():
    assert label_report("Bóng tim không to.") == {"no_finding"}
    assert label_report("Bóng tim to.") == {"cardiomegaly"}


def test_negation_before_the_finding_removes_the_label():
    assert label_report("Không thấy tràn khí màng phổi. Quai động mạch chủ vồng.") == {"aortic_prominence"}


def test_shared_negation_head_negates_both_findings():
    assert label_report("Không thấy tràn dịch, tràn khí màng phổi.") == {"no_finding"}


def test_shared_negation_does_not_reach_a_new_subject():
    assert label_report("Không thấy tràn dịch màng phổi, bóng tim to.") == {"cardiomegaly"}


@pytest.mark.parametrize(
    "text",
    [
        "Hình ảnh nghĩ nhiều đến tổn thương phổi kẽ.",
        "Theo dõi tổn thương phổi kẽ.",
        "Không loại trừ tổn thương phổi kẽ.",
    ],
)
def test_uncertain_findings_follow_the_stated_policy(text):
    assert label_report(text) == {"interstitial_lung_disease"}
    # dropped under the negative policy, but that states nothing normal either: no "no_finding"
    assert label_report(text, uncertain="negative") == set()


def test_unknown_policy_is_an_error():
    with pytest.raises(EvaluationError, match="uncertainty policy"):
        label_report("Bóng tim to.", uncertain="maybe")


def test_paper_findings_examples_are_labelled():
    a1 = (
        "Phổi hai bên kém sáng, mờ kính rải rác, rốn phổi tăng đậm nhẹ. Bờ vòm hoành hai bên đều, "
        "hai góc sườn hoành nhọn. Bóng mờ tim không to. Vôi hóa thành quai động mạch chủ."
    )
    # "Phổi hai bên kém sáng" is a diffuse opacity (lung_opacity), not an infiltrate
    assert label_report(a1) == {"lung_opacity", "ground_glass_opacity", "hilar_enlargement", "aortic_calcification"}
    assert label_report("Hình ảnh Quai động mạch chủ vồng.") == {"aortic_prominence"}


def test_label_set_covers_the_chest_conditions_of_the_issue():
    wanted = {
        "cardiomegaly",
        "interstitial_lung_disease",
        "infiltrate",
        "consolidation",
        "ground_glass_opacity",
        "pleural_effusion",
        "pneumothorax",
        "atelectasis",
        "nodule_mass",
        "rib_fracture",
        "aortic_calcification",
        "aortic_prominence",
        "hilar_enlargement",
        "no_finding",
    }
    assert wanted <= set(label_names())


def test_micro_and_macro_f1_with_support_are_hand_counted():
    predicted = [{"cardiomegaly"}, {"cardiomegaly", "pleural_effusion"}, {"no_finding"}]
    reference = [{"cardiomegaly"}, {"cardiomegaly"}, {"pleural_effusion"}]
    scores = label_scores(predicted, reference)
    cardio, effusion, normal = (scores.per_label[k] for k in ("cardiomegaly", "pleural_effusion", "no_finding"))
    assert (cardio.tp, cardio.fp, cardio.fn, cardio.support, cardio.f1) == (2, 0, 0, 2, 1.0)
    assert (effusion.tp, effusion.fp, effusion.fn, effusion.support, effusion.f1) == (0, 1, 1, 1, 0.0)
    assert (normal.tp, normal.fp, normal.fn, normal.support) == (0, 1, 0, 0)
    # micro: tp 2, fp 2, fn 1 -> p 1/2, r 2/3 -> f1 4/7; macro over the 3 labels that occur: (1 + 0 + 0) / 3
    assert scores.micro_f1 == pytest.approx(4 / 7)
    assert scores.macro_f1 == pytest.approx(1 / 3)
    assert scores.as_dict()["uncertain_policy"] == "positive"


def test_a_finding_without_its_own_label_still_rules_out_no_finding():
    assert label_report("Giãn phế quản thùy dưới phổi trái.") == set()
    assert label_report("Theo dõi giãn phế quản. Tim không to.", uncertain="negative") == {"no_finding"}


# --------------------------------------------------------------------------- no silent normal (issue 19)


@pytest.mark.parametrize(
    "text",
    [
        "Phổi hai bên sáng. Bóng tim không to. Hình ảnh dạng kén thùy dưới phổi phải.",  # a word the lexicon lacks
        "Tim không to. Khí quản bị chèn ép.",
        "Góc sườn hoành nhọn, có hơi trong thành ruột.",
    ],
)
def test_a_report_with_an_unread_clause_is_unrecognised_never_normal(text):
    facts = extract_facts(text)
    assert report_state(facts) == "unrecognised"
    assert "no_finding" not in labels_from_facts(facts)
    assert any(f.polarity == "unrecognised" for f in facts)


def test_normality_must_be_stated_for_no_finding():
    assert report_state(extract_facts("Tim không to, hai phổi sáng.")) == "normal"
    assert label_report("Không thấy tràn dịch màng phổi.") == {"no_finding"}  # a finding ruled out states it too
    for silent in ("", "Chụp phim ngực thẳng.", "So với phim cũ."):  # nothing stated: nothing to trust
        assert report_state(extract_facts(silent)) == "unrecognised"
        assert label_report(silent) == set()


def test_an_abnormal_finding_decides_the_state_whatever_else_is_unread():
    facts = extract_facts("Bóng tim to. Hình ảnh dạng kén thùy dưới phổi phải.")
    assert report_state(facts) == "abnormal"
    assert labels_from_facts(facts) == {"cardiomegaly"}


def test_unread_content_under_a_negation_or_after_advice_is_no_reason_for_doubt():
    assert label_report("Không thấy hình ảnh dạng kén, tim không to.") == {"no_finding"}
    assert label_report("Tim phổi bình thường. Đề nghị chụp CT có tiêm thuốc cản quang.") == {"no_finding"}


def test_the_report_state_follows_the_uncertainty_policy():
    facts = extract_facts("Theo dõi tràn dịch màng phổi phải. Tim không to.")
    assert report_state(facts) == "abnormal"
    assert report_state(facts, uncertain="negative") == "normal"

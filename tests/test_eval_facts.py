"""Offline atomic-fact precision/recall, hand-counted on report pairs written for these tests."""

import pytest

from vixray_data.evaluation import corpus_fact_scores, fact_scores

# The paper's Table 7 ground truth: 7 facts (lung translucency, ground glass, hila, diaphragm,
# costophrenic angles, heart not enlarged, aortic arch calcification).
REFERENCE = (
    "Phổi hai bên kém sáng, mờ kính rải rác, rốn phổi tăng đậm nhẹ. Bờ vòm hoành hai bên đều, "
    "hai góc sườn hoành nhọn. Bóng mờ tim không to. Vôi hóa thành quai động mạch chủ."
)


def pr(prediction, reference=REFERENCE):
    score = fact_scores(prediction, reference)
    return score.precision, score.recall


def test_identical_reports_score_one_and_one():
    score = fact_scores(REFERENCE, REFERENCE)
    assert (score.precision, score.recall) == (1.0, 1.0)
    assert (score.n_prediction, score.n_reference, len(score.matched)) == (7, 7, 7)


def test_a_dropped_statement_lowers_recall_only():
    prediction = REFERENCE.replace(" Vôi hóa thành quai động mạch chủ.", "")
    assert pr(prediction) == (1.0, pytest.approx(6 / 7))
    (missed,) = fact_scores(prediction, REFERENCE).unmatched_reference
    assert missed.finding == "aortic_calcification"


def test_a_hallucinated_statement_lowers_precision_only():
    score = fact_scores(REFERENCE + " Tràn dịch màng phổi phải.", REFERENCE)
    assert (score.precision, score.recall) == (pytest.approx(7 / 8), 1.0)
    assert [f.finding for f in score.unmatched_prediction] == ["pleural_effusion"]


def test_a_flipped_negation_is_a_miss_on_both_sides():
    prediction = REFERENCE.replace("Bóng mờ tim không to", "Bóng mờ tim to")
    assert pr(prediction) == (pytest.approx(6 / 7), pytest.approx(6 / 7))


def test_a_flipped_laterality_is_a_miss_on_both_sides():
    reference = "Tràn dịch màng phổi phải. Bóng tim không to. Gãy cung sau xương sườn III bên trái."
    prediction = "Tràn dịch màng phổi trái. Bóng tim không to. Gãy cung sau xương sườn III bên trái."
    assert pr(prediction, reference) == (pytest.approx(2 / 3), pytest.approx(2 / 3))


def test_chained_statements_without_commas_match_the_punctuated_reference():
    prediction = "Phổi hai bên kém sáng mờ kính rải rác rốn phổi tăng đậm nhẹ"
    reference = "Phổi hai bên kém sáng, mờ kính rải rác, rốn phổi tăng đậm nhẹ."
    score = fact_scores(prediction, reference)
    assert (score.n_prediction, score.n_reference, score.precision, score.recall) == (3, 3, 1.0, 1.0)


def test_spelling_variants_of_one_finding_match():
    assert pr("Bóng tim to.", "Bóng mờ tim to.") == (1.0, 1.0)
    assert pr("Vôi hoá thành quai động mạch chủ.", "Vôi hóa thành quai động mạch chủ.") == (1.0, 1.0)
    assert pr("Nốt mờ phổi phải.", "Nốt mờ nhu mô phổi phải.") == (1.0, 1.0)


def test_different_findings_on_one_subject_do_not_match():
    assert pr("Vôi hóa thành quai động mạch chủ.", "Quai động mạch chủ vồng.") == (0.0, 0.0)
    assert pr("Bóng tim không to.", "Bóng tim to.") == (0.0, 0.0)


def test_two_statements_of_one_fact_are_two_facts_each_supported():
    # the paper counts stated atomic facts; an equivalence decides support, never the count (issue 19)
    score = fact_scores("Bóng tim to. Bóng mờ tim to.", "Bóng tim to.")
    assert (score.n_prediction, score.n_reference, score.precision, score.recall) == (2, 1, 1.0, 1.0)


def test_two_heart_statements_of_a_generated_report_both_count_and_both_are_supported():
    # the shape of the paper's Appendix D multi-turn example (Table 15): "Bóng mờ tim không to" and "các cung
    # tim trong giới hạn sinh lý" are two atomic facts, each supported by the reference's heart statement
    prediction = "Bóng mờ tim không to, các cung tim trong giới hạn sinh lý. Tràn dịch màng phổi phải."
    score = fact_scores(prediction, "Bóng tim không to. Phổi hai bên sáng.")
    assert (score.n_prediction, len(score.matched), score.n_reference, len(score.covered_reference)) == (3, 2, 2, 1)
    assert (score.precision, score.recall) == (pytest.approx(2 / 3), 0.5)


def test_one_side_is_supported_by_both_sides_but_does_not_cover_them():
    score = fact_scores("Tràn dịch màng phổi phải.", "Tràn dịch màng phổi hai bên.")
    assert (score.precision, score.recall) == (1.0, 0.0)
    score = fact_scores("Tràn dịch màng phổi phải. Tràn dịch màng phổi trái.", "Tràn dịch màng phổi hai bên.")
    assert (score.n_prediction, score.precision, score.recall) == (2, 1.0, 1.0)


def test_an_unread_statement_matches_only_the_same_words():
    score = fact_scores("Hình ảnh lạ dạng vệt ở thùy trên phổi phải.", "Hình ảnh lạ dạng vệt ở thùy trên phổi phải.")
    assert (score.n_prediction, score.precision, score.recall) == (1, 1.0, 1.0)
    assert fact_scores("Hình ảnh lạ dạng vệt ở thùy trên phổi phải.", "Hình ảnh lạ dạng nốt.").precision == 0.0


def test_severity_and_certainty_do_not_block_a_match():
    assert pr("Bóng mờ tim to nhẹ.", "Bóng tim to.") == (1.0, 1.0)
    assert pr("Nghĩ đến tổn thương phổi kẽ.", "Tổn thương phổi kẽ.") == (1.0, 1.0)


def test_an_empty_prediction_scores_zero_and_zero():
    score = fact_scores("", REFERENCE)
    assert (score.precision, score.recall, score.n_prediction, score.n_reference) == (0.0, 0.0, 0, 7)
    assert not score.prediction_has_facts


def test_texts_without_facts_are_reported_not_crashed_on():
    score = fact_scores("Không đọc được phim.", "So với phim cũ, đề nghị chụp lại.")
    assert (score.precision, score.recall) == (0.0, 0.0)
    assert not score.prediction_has_facts and not score.reference_has_facts
    corpus = corpus_fact_scores([score])
    assert (corpus.records_without_prediction_facts, corpus.records_without_reference_facts) == (1, 1)


def test_corpus_scores_are_both_mean_over_records_and_pooled_over_facts():
    one = fact_scores(REFERENCE, REFERENCE)  # 7/7 matched
    two = fact_scores("Bóng tim to.", "Bóng tim không to.")  # 0/1 matched
    corpus = corpus_fact_scores([one, two])
    assert corpus.precision_mean == pytest.approx((1.0 + 0.0) / 2)
    assert corpus.precision_pooled == pytest.approx(7 / 8)
    assert corpus.recall_pooled == pytest.approx(7 / 8)
    assert (corpus.prediction_facts, corpus.reference_facts, corpus.matched) == (8, 8, 7)

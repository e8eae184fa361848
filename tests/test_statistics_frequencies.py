"""Figure 2 counts: body parts in findings and diagnoses in impressions, by concept, polarity and severity."""

from collections import Counter

import pytest

from vixray_data import schema
from vixray_data.sources.demo import DemoSource
from vixray_data.statistics.corpus import Corpus
from vixray_data.statistics.frequencies import body_parts, diagnoses
from vixray_data.statistics.nounphrase import offline_extractor

# The radiologists' sentences quoted in the paper (Table 2 and Appendix A).
TABLE2_FINDINGS = (
    "Hình ảnh gãy cung xương sườn 2 bên trái. Phổi hai bên kém sáng đều. Thâm nhiễm nhu mô phổi hai bên, "
    "đám mờ đông đặc nhu mô phổi phải. Bờ vòm hoành hai bên đều. Góc sườn hoành hai bên nhọn. Bóng tim không to. "
    "Các bờ trung thất trong giới hạn bình thường."
)
TABLE2_IMPRESSIONS = (
    "Thâm nhiễm nhu mô phổi hai bên. Đám mờ đông đặc nhu mô phổi phải nghĩ đến đụng dập nhu mô phổi. "
    "Gãy cung xương sườn 2 bên trái."
)
A1_FINDINGS = (
    "Phổi hai bên kém sáng, mờ kính rải rác, rốn phổi tăng đậm nhẹ. Bờ vòm hoành hai bên đều, hai góc sườn hoành "
    "nhọn. Bóng mờ tim không to. Vôi hóa thành quai động mạch chủ."
)
A2_IMPRESSIONS = "Hình ảnh nghĩ nhiều đến tổn thương phổi kẽ. Vôi hóa thùy trên phổi trái"
A3_FINDINGS = (
    "Lồng ngực cân đối, không thấy bất thường xương. Phổi hai bên sáng đều. Rốn phổi hai bên không thấy bất "
    "thường. Bờ vòm hoành hai bên đều. Góc sườn hoành hai bên nhọn. Bóng tim không to. Quai động mạch chủ vồng."
)
A3_IMPRESSIONS = "Hình ảnh Quai động mạch chủ vồng."


def corpus_of(findings=(), impressions=()) -> Corpus:
    n = max(len(findings), len(impressions))
    findings = list(findings) + [""] * (n - len(findings))
    impressions = list(impressions) + [""] * (n - len(impressions))
    columns = {
        schema.AGE: [70] * n,
        schema.SEX: [schema.MALE] * n,
        schema.VIEW: ["PA"] * n,
        schema.FINDINGS: findings,
        schema.IMPRESSIONS: impressions,
    }
    return Corpus(splits={schema.TRAIN: columns}, origin="test")


@pytest.fixture(scope="module")
def paper_parts():
    return body_parts(corpus_of([TABLE2_FINDINGS, A1_FINDINGS, A3_FINDINGS]), noun_phrases=offline_extractor())


def test_the_paper_findings_name_the_expected_body_parts(paper_parts):
    expected = {
        "rib",
        "lung",
        "lung_parenchyma",
        "diaphragm",
        "costophrenic_angle",
        "heart",
        "mediastinum",
        "aortic_arch",
        "hilum",
        "thoracic_cage",
    }
    assert expected <= set(paper_parts.rows)
    assert paper_parts.rows["heart"].reports == 3  # "Bóng tim", "Bóng mờ tim", "Bóng tim"
    assert paper_parts.rows["aortic_arch"].reports == 2


def test_the_rib_is_counted_with_its_side_and_number(paper_parts):
    rib = paper_parts.rows["rib"]
    assert rib.present == 1 and rib.noun_phrases == 1
    assert {"left", "rib:2"} <= set(rib.qualifiers)
    assert "cung xương sườn" in rib.variants


def test_normal_statements_are_not_positive_mentions(paper_parts):
    diaphragm, angle = paper_parts.rows["diaphragm"], paper_parts.rows["costophrenic_angle"]
    assert (diaphragm.normal, diaphragm.present) == (3, 0)
    assert (angle.normal, angle.present) == (3, 0)


def test_the_paper_impressions_give_the_expected_diagnoses():
    freq = diagnoses(corpus_of(impressions=[TABLE2_IMPRESSIONS, A2_IMPRESSIONS, A3_IMPRESSIONS]))
    present = {key for key, row in freq.rows.items() if row.present}
    assert {"infiltrate", "consolidation", "rib_fracture", "calcification", "aortic_prominence"} <= present
    assert freq.rows["contusion"].uncertain == 1  # "nghĩ đến đụng dập nhu mô phổi"
    assert freq.rows["interstitial_lung_disease"].uncertain == 1  # "nghĩ nhiều đến tổn thương phổi kẽ"
    assert all(row.negated == 0 for row in freq.rows.values())


def test_aortic_arch_calcification_in_the_findings_is_found():
    freq = diagnoses(corpus_of(impressions=[A1_FINDINGS]))
    assert freq.rows["aortic_calcification"].present == 1
    assert "vôi hóa thành quai động mạch chủ" in freq.rows["aortic_calcification"].variants


def test_a_normal_heart_is_a_negated_heart_size_statement_never_cardiomegaly():
    parts = body_parts(corpus_of(["Bóng tim không to."]))
    assert (parts.rows["heart"].negated, parts.rows["heart"].present) == (1, 0)
    freq = diagnoses(corpus_of(impressions=["Bóng tim không to."]))
    assert freq.rows["cardiomegaly"].negated == 1
    assert freq.rows["cardiomegaly"].present == freq.rows["cardiomegaly"].uncertain == 0


def test_severity_variants_are_separate_rows_of_one_concept_with_their_surface_forms():
    freq = diagnoses(corpus_of(impressions=["Bóng tim to.", "Bóng mờ tim to nhẹ.", "Bóng tim to."]))
    plain, mild = freq.rows["cardiomegaly"], freq.rows["cardiomegaly:mild"]
    assert (plain.present, mild.present) == (2, 1)
    assert plain.concept == mild.concept == "cardiomegaly" and mild.severity == "mild"
    assert set(plain.variants) == {"bóng tim to"} and set(mild.variants) == {"bóng mờ tim to"}
    markdown = freq.to_markdown()
    assert "bóng tim to (nhẹ) — cardiomegaly, mild" in markdown and "bóng tim to — cardiomegaly |" in markdown


def test_a_report_stating_a_concept_twice_counts_once_and_empty_texts_are_reported():
    freq = diagnoses(corpus_of(impressions=["Thâm nhiễm phổi phải. Thâm nhiễm phổi trái.", "", "   ",
                                            "Chưa thấy bất thường trên phim X quang ngực."]))  # fmt: skip
    assert freq.rows["infiltrate"].present == 1
    assert (freq.texts, freq.empty, freq.without_positive) == (4, 2, 1)
    assert "2 empty, 1 stating nothing as present" in freq.to_markdown()


def test_the_output_states_the_method():
    parts = body_parts(corpus_of([A3_FINDINGS]), noun_phrases=offline_extractor())
    assert "extract_facts" in parts.method and "pos+lexicon" in parts.method
    assert parts.to_json()["method"] == parts.method
    assert parts.method in parts.to_markdown()


def test_counts_on_the_demo_corpus_match_the_generators_ground_truth():
    source = DemoSource(size=400, seed=11)
    truths = [source.ground_truth(i) for i in range(len(source))]
    columns = {c: [] for c in (schema.AGE, schema.SEX, schema.VIEW, schema.FINDINGS, schema.IMPRESSIONS)}
    for i in range(len(source)):
        fields = source.record(i).fields  # text only: the image callable is never called
        for c in columns:
            columns[c].append(fields[c])
    corpus = Corpus(splits={schema.TRAIN: columns}, origin="demo")

    def category(fact):
        return "uncertain" if fact.polarity == "present" and fact.certainty == "uncertain" else fact.polarity

    parts = body_parts(corpus, noun_phrases=offline_extractor())
    assert {k: r.reports for k, r in parts.rows.items()} == Counter(a for t in truths for a in t.anatomy)
    expected = Counter(
        pair for t in truths for pair in {(f.subject, category(f)) for f in t.facts if f.section == "findings"}
    )
    got = Counter({(k, c): getattr(r, c) for k, r in parts.rows.items() for c in ("present", "negated", "normal")})
    assert +got == expected

    freq = diagnoses(corpus)
    expected = Counter(
        pair for t in truths
        for pair in {(f.finding if f.severity is None else f"{f.finding}:{f.severity}", category(f))
                     for f in t.facts if f.section == "impressions" and f.finding}
    )  # fmt: skip
    got = Counter({(k, c): getattr(r, c) for k, r in freq.rows.items() for c in ("present", "uncertain", "negated")})
    assert +got == expected
    assert sum(expected.values()) > 300  # the sample really exercises the generator
    assert freq.without_positive == sum(t.normal for t in truths)  # normal studies get a normal impression


def test_a_pericardial_effusion_is_its_own_diagnosis_never_a_pleural_one():
    freq = diagnoses(corpus_of(impressions=["Bóng tim to, tràn dịch khoang màng tim.", "Tràn dịch màng phổi phải."]))
    assert freq.rows["pericardial_effusion"].present == 1
    assert freq.rows["pleural_effusion"].present == 1
    assert freq.rows["cardiomegaly"].present == 1


def test_heading_style_and_inline_reports_count_the_same_body_parts():
    headed = body_parts(corpus_of(["Phổi trái: nốt mờ thùy trên. Màng phổi phải: dày dính."]))
    inline = body_parts(corpus_of(["Nốt mờ thùy trên phổi trái. Dày dính màng phổi phải."]))
    assert {k: r.present for k, r in headed.rows.items()} == {k: r.present for k, r in inline.rows.items()}
    assert {"left", "upper_lobe"} <= set(headed.rows["lung"].qualifiers)


def test_equivalent_normal_heart_phrases_count_as_one_negated_cardiomegaly():
    freq = diagnoses(corpus_of(impressions=["Bóng tim không to.", "Bóng tim bình thường.", "Tim không lớn."]))
    assert (freq.rows["cardiomegaly"].negated, freq.rows["cardiomegaly"].present) == (3, 0)


def test_a_text_with_a_statement_the_lexicon_cannot_read_is_counted_apart_never_as_normal():
    parts = body_parts(corpus_of(["Bóng tim không to. Hình ảnh dạng kén thùy dưới phổi phải.",
                                  "Bóng tim không to. Hai phổi sáng."]))  # fmt: skip
    assert (parts.unrecognised, parts.without_positive) == (1, 1)
    lobe = parts.rows["lobe"]  # the unread statement names the lower lobe: it is counted there, as unread
    assert (lobe.unrecognised, lobe.present, lobe.normal) == (1, 0, 0)
    assert parts.to_json()["unrecognised"] == 1 and "1 stating nothing present but" in parts.to_markdown()

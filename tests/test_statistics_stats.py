"""Table 3, the corpus reader and the whole statistics run (tables, figures, report.md, CLI)."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import Dataset, DatasetDict

from analysis.__main__ import main as analysis_main
from vixray_data import schema
from vixray_data.cli import main as vixray_main
from vixray_data.errors import SchemaError
from vixray_data.statistics import StatsConfig, load_corpus, run_statistics
from vixray_data.statistics.figures import CAPTIONS
from vixray_data.statistics.table3 import OVERALL, PAPER_TABLE3, table3

JUNK_IMAGE = {"bytes": b"not an image at all", "path": "x.png"}  # decoding it would raise


def text_columns(findings, impressions, ages):
    n = len(findings)
    return {schema.AGE: ages, schema.SEX: [schema.MALE, schema.FEMALE] * (n // 2) + [schema.MALE] * (n % 2),
            schema.VIEW: ["PA"] * n, schema.FINDINGS: findings, schema.IMPRESSIONS: impressions}  # fmt: skip


@pytest.fixture
def small_dict():
    train = text_columns(
        ["Bóng tim không to.", "Phổi hai bên sáng đều. Bóng tim to.", "   "],
        ["Hình ảnh Quai động mạch chủ vồng.", "Bóng tim to.", "Thâm nhiễm nhu mô phổi hai bên."],
        [60, 80, None],
    )
    test = text_columns(["Thâm nhiễm nhu mô phổi hai bên."], [""], [71])
    return DatasetDict({schema.TRAIN: Dataset.from_dict(train), schema.TEST: Dataset.from_dict(test)})


def test_table3_counts_words_per_split_and_overall_and_reports_empty_texts(small_dict):
    t3 = table3(load_corpus(small_dict))
    train, test, overall = t3.rows[schema.TRAIN], t3.rows[schema.TEST], t3.rows[OVERALL]
    # "Bóng_tim không to" = 3 words; "Phổi hai bên sáng đều Bóng_tim to" = 7; punctuation not counted
    assert (train.samples, train.age_avg) == (3, 70.0)
    assert (train.findings_min, train.findings_avg, train.findings_max, train.findings_empty) == (3, 5.0, 7, 1)
    assert (train.impressions_min, train.impressions_max, train.impressions_empty) == (2, 5, 0)  # "Bóng_tim to"
    assert (test.findings_min, test.impressions_min, test.impressions_empty) == (5, None, 1)
    assert (overall.samples, overall.findings_empty, overall.impressions_empty) == (4, 1, 1)
    assert overall.age_avg == pytest.approx((60 + 80 + 71) / 3, abs=0.01)
    assert t3.lengths[schema.TRAIN][schema.FINDINGS] == [3, 7]


def test_punctuation_marks_count_as_tokens_only_when_asked(small_dict):
    corpus = load_corpus(small_dict)
    assert table3(corpus).rows[schema.TRAIN].findings_max == 7
    counted = table3(corpus, punctuation=True)
    assert counted.rows[schema.TRAIN].findings_max == 9  # "... đều . Bóng_tim to ."
    assert "punctuation marks counted" in counted.method


def test_table3_is_written_as_markdown_csv_and_json(small_dict, tmp_path):
    t3 = table3(load_corpus(small_dict))
    t3.write(tmp_path)
    md = (tmp_path / "table3.md").read_text(encoding="utf-8")
    assert md.splitlines()[0] == "| | train | test | overall |"
    assert "| Findings empty | 1 | 0 | 1 |" in md
    csv_lines = (tmp_path / "table3.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[0] == "metric,train,test,overall" and "findings_max,7,5,7" in csv_lines
    data = json.loads((tmp_path / "table3.json").read_text(encoding="utf-8"))
    assert data["splits"]["train"]["findings_max"] == 7 and "paper" not in data
    assert "pyvi" in data["method"]


def test_the_papers_values_stand_beside_ours_for_the_published_release(small_dict):
    t3 = table3(load_corpus(small_dict), compare_paper=True)
    md = t3.to_markdown()
    assert md.splitlines()[0] == "| | train | train (paper) | test | test (paper) | overall |"
    assert "| Num. samples | 3 | 4320 | 1 | 520 | 4 |" in md
    assert "| Findings length max | 7 | 104 | 5 | 85 | 7 |" in md
    assert t3.to_json()["paper"] == PAPER_TABLE3


def test_a_release_layout_dataset_is_normalised_by_the_loader_and_marked_published():
    n = 2
    release = {"image": [JUNK_IMAGE] * n, "findings": ["Bóng tim to.", "Phổi sáng."], "impressions": ["Tim to.", ""],
               "Ages": [70, 68], "sex": ["Nam", "Nữ"], "view": ["PA", "PA"], "Ghi chú": ["", ""],
               "Kỹ thuật": ["", ""]}  # fmt: skip
    corpus = load_corpus(DatasetDict({"train": Dataset.from_dict(release), "val": Dataset.from_dict(release)}))
    assert corpus.published
    assert list(corpus.splits) == [schema.TRAIN, schema.VALIDATION]
    assert corpus.column(schema.AGE, schema.VALIDATION) == [70, 68]
    assert table3(corpus).compare_paper


def test_a_dataset_without_the_report_columns_gets_the_loaders_schema_error():
    with pytest.raises(SchemaError):
        load_corpus(DatasetDict({"train": Dataset.from_dict({"text": ["a"], "label": [1]})}))


def test_a_built_folder_is_read_without_touching_the_images(tmp_path):
    rows = {field: [] for field in schema.FIELDS}
    for i, text in enumerate(["Bóng tim to.", "Phổi hai bên sáng đều."]):
        values = {schema.ID: f"r{i}", schema.IMAGE: JUNK_IMAGE, schema.AGE: 70 + i, schema.SEX: schema.MALE,
                  schema.VIEW: "PA", schema.NOTE: "", schema.TECHNIQUE: "", schema.FINDINGS: text,
                  schema.IMPRESSIONS: text}  # fmt: skip
        for field, value in values.items():
            rows[field].append(value)
    (tmp_path / "data").mkdir()
    pq.write_table(pa.table(rows), tmp_path / "data" / "test-00000-of-00001.parquet")
    (tmp_path / "README.md").write_text(f"Mirror of {schema.HUB_ID}", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert list(corpus.splits) == [schema.TEST] and corpus.size() == 2
    assert corpus.column(schema.AGE) == [70, 71]
    assert corpus.published  # the folder says it is the release


def test_the_demo_build_is_read_split_by_split_as_its_manifest_says(demo_dir):
    manifest = json.loads((demo_dir / schema.MANIFEST).read_text(encoding="utf-8"))
    corpus = load_corpus(demo_dir)
    assert {s: corpus.size(s) for s in corpus.splits} == {
        s: info["num_examples"] for s, info in manifest["splits"].items()
    }
    assert not corpus.published


def test_the_whole_run_writes_tables_figures_and_a_report(demo_dir, tmp_path):
    result = run_statistics(demo_dir, StatsConfig(out=tmp_path, noun_phrases="pos+lexicon", top=8))
    names = {p.name for p in result.files}
    for stem in ("figure2a_body_parts", "figure2b_diagnoses", "lengths", "age_by_sex", "views"):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
        assert (tmp_path / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "figure2a_body_parts.svg").read_text(encoding="utf-8")
    assert "góc sườn hoành — costophrenic angle" in svg  # Vietnamese label with its English gloss, as text
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    for needle in (f"![{CAPTIONS['figure2a_body_parts']}](figure2a_body_parts.png)",
                   f"![{CAPTIONS['figure2b_diagnoses']}](figure2b_diagnoses.png)",
                   "| Num. samples |", "pos+lexicon", "extract_facts"):  # fmt: skip
        assert needle in report
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert sum(stats["splits"].values()) == result.table3.rows[OVERALL].samples
    assert stats["noun_phrases"] == "pos+lexicon" and stats["segmenter"] == "pyvi"


def test_vixray_stats_and_python_m_analysis_run_the_same_command(demo_dir, tmp_path, capsys):
    assert vixray_main(["stats", str(demo_dir), "--out", str(tmp_path / "a"), "--no-figures",
                        "--noun-phrases", "none"]) == 0  # fmt: skip
    assert "reports from" in capsys.readouterr().out
    options = ["--no-figures", "--compare-paper", "--segmenter", "lexicon", "--noun-phrases", "none", "--num-proc", "1"]
    assert analysis_main([str(demo_dir), "--out", str(tmp_path / "b"), *options, "--count-punctuation"]) == 0
    assert not (tmp_path / "a" / "figure2a_body_parts.png").exists()
    assert "(paper)" in (tmp_path / "b" / "table3.md").read_text(encoding="utf-8")
    method = json.loads((tmp_path / "b" / "table3.json").read_text(encoding="utf-8"))["method"]
    assert "backend=lexicon" in method and "punctuation marks counted" in method
    assert vixray_main(["stats", str(tmp_path / "missing"), "--out", str(tmp_path / "c")]) != 0


def test_a_hub_id_is_streamed_through_the_loader_without_decoding_images(monkeypatch):
    from datasets import Features, Image, IterableDataset, IterableDatasetDict, Value

    features = Features({"image": Image(), "findings": Value("string"), "impressions": Value("string"),
                         "Ages": Value("int32"), "sex": Value("string"), "view": Value("string")})  # fmt: skip

    def rows():
        for i in range(3):
            yield {"image": JUNK_IMAGE, "findings": "Bóng tim to.", "impressions": "Bóng tim to.", "Ages": 60 + i,
                   "sex": "Nam", "view": "PA"}  # fmt: skip

    calls = []

    def fake_load_dataset(source, streaming=False, **kwargs):  # what the hub would stream: the release's layout
        calls.append((source, streaming))
        stream = IterableDataset.from_generator(rows, features=features)
        return IterableDatasetDict({"train": stream, "val": stream})

    monkeypatch.setattr("vixray_data.load.load_hub_dataset", fake_load_dataset)  # the real hub path: test_hub.py
    corpus = load_corpus(schema.HUB_ID)
    assert calls == [(schema.HUB_ID, True)]
    assert corpus.published and corpus.column(schema.AGE, schema.VALIDATION) == [60, 61, 62]
    assert table3(corpus).rows[OVERALL].findings_max == 2  # "Bóng_tim to"


def test_a_corpus_of_empty_reports_is_counted_and_reported_not_crashed_on(tmp_path):
    columns = text_columns(["", "  \n"], [None, " "], [None, None])
    result = run_statistics(DatasetDict({schema.TRAIN: Dataset.from_dict(columns)}), StatsConfig(out=tmp_path))
    overall = result.table3.rows[OVERALL]
    assert (overall.samples, overall.findings_empty, overall.impressions_empty) == (2, 2, 2)
    assert overall.findings_avg is None and overall.age_avg is None
    assert (result.body_parts.empty, result.diagnoses.empty) == (2, 2)
    assert "| Findings length avg | – | – |" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "figure2b_diagnoses.png").stat().st_size > 0

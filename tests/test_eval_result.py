"""The evaluation result is a typed value; written out, it is the evaluation.json / records.jsonl layout users read."""

import json

import pytest

from vixray_data.evaluation import (
    Comparison,
    EvaluationOptions,
    EvaluationResult,
    Prediction,
    PredictionSet,
    check_ids,
    compare,
    evaluate,
    render_markdown,
)

REPORT = "Bóng tim không to. Phổi hai bên sáng đều."
OPTIONS = EvaluationOptions(resamples=20, words=False, workers=1)


def _predictions() -> PredictionSet:
    """Two test findings: one word for word, one empty."""
    records = [
        Prediction(id="a", stage="1", field="findings", prediction=REPORT, reference=REPORT, split="test"),
        Prediction(id="b", stage="1", field="findings", prediction="", reference=REPORT, split="test"),
    ]
    return PredictionSet(path="p.jsonl", records=records, skipped=[])


def test_evaluate_returns_typed_groups_metrics_and_per_record_details():
    result = evaluate(_predictions().records, options=OPTIONS)
    assert isinstance(result, EvaluationResult)
    (group,) = result.groups
    assert (group.stage, group.field, group.split, group.records) == ("1", "findings", "test", 2)
    assert group.metrics["rouge1"].value == pytest.approx(50.0)  # one perfect, one empty prediction
    assert group.metrics["fact_precision"].value == pytest.approx(50.0)
    assert group.metrics["fact_precision_pooled"].ci95 is None  # pooled figures have no interval
    assert [(d.id, d.facts.precision) for d in result.details] == [("a", 1.0), ("b", 0.0)]
    assert result.input is None and result.ids is None  # a list of records: no file to name


def test_the_written_files_are_todays_evaluation_json_and_records_jsonl(tmp_path):
    predictions = _predictions()
    result = evaluate(predictions, options=OPTIONS, ids=check_ids(predictions))
    written = result.write(tmp_path / "out")
    assert [p.name for p in written] == ["evaluation.json", "evaluation.md", "records.jsonl"]
    document = json.loads((tmp_path / "out" / "evaluation.json").read_text(encoding="utf-8"))
    assert list(document) == [
        "tool",
        "scale",
        "records",
        "word_level",
        "signatures",
        "bootstrap",
        "fact_backend",
        "uncertain_policy",
        "groups",
        "input",
        "skipped_lines",
        "ids",
    ]
    assert document["input"] == "p.jsonl" and document["skipped_lines"] == [] and document["ids"]["missing"] == 0
    assert document["bootstrap"] == {"resamples": 20, "seed": 0, "confidence": 0.95}
    (group,) = document["groups"]
    assert list(group) == ["stage", "field", "split", "records", "metrics", "facts", "labels"]
    assert list(group["metrics"]["rouge1"]) == ["value", "ci95"] and len(group["metrics"]["rouge1"]["ci95"]) == 2
    assert group["metrics"]["label_micro_f1"]["ci95"] is None
    assert document == json.loads(json.dumps(result.as_dict()))  # what was written is the value's document
    lines = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [list(line) for line in lines] == [["id", "stage", "field", "split", "rouge", "facts", "labels"]] * 2
    assert lines[0]["rouge"] == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert lines[1]["facts"]["precision"] == 0.0 and lines[1]["facts"]["unmatched_prediction"] == []
    # the Markdown renders the same from the value and from the document read back
    markdown = (tmp_path / "out" / "evaluation.md").read_text(encoding="utf-8")
    assert markdown == result.markdown() == render_markdown(document)


def test_a_comparison_is_written_under_the_result_with_the_two_files_named():
    predictions = _predictions()
    result = evaluate(predictions, options=OPTIONS)
    result.comparison = compare([(r, r) for r in predictions.records], options=OPTIONS, names=("a.jsonl", "b.jsonl"))
    assert isinstance(result.comparison, Comparison)
    document = result.as_dict()["comparison"]
    assert list(document) == ["method", "seed", "groups", "a", "b"]
    assert (document["a"], document["b"]) == ("a.jsonl", "b.jsonl")
    test = document["groups"][0]["tests"]["rouge1"]
    assert test["difference"] == 0.0 and test["p_value"] == 1.0  # a system against itself
    assert "## Paired comparison" in result.markdown()


def _document(*, backend: str = "offline", ascii_scores: bool = False, judged: bool = False) -> dict:
    """A hand-written evaluation.json document: one group, test findings."""
    metrics = {
        name: {"value": value, "ci95": [value - 1, value + 1]}
        for name, value in (
            ("rouge1", 50.0),
            ("rouge2", 40.0),
            ("rougeL", 45.0),
            ("bleu", 30.0),
            ("chrf", 55.0),
            ("fact_precision", 60.0),
            ("fact_recall", 70.0),
        )
    }
    if backend == "llm":
        metrics |= {"judge_precision": {"value": 80.0, "ci95": None}, "judge_recall": {"value": 90.0, "ci95": None}}
    if ascii_scores:
        metrics |= {f"ascii_{n}": {"value": 10.0, "ci95": None} for n in ("rouge1", "rouge2", "rougeL")}
    document = {
        "fact_backend": backend,
        "uncertain_policy": "positive",
        "word_level": False,
        "signatures": {"rouge": "r|x"},
        "groups": [
            {
                "stage": "1",
                "field": "findings",
                "split": "test",
                "records": 2,
                "metrics": metrics,
                "facts": {
                    "prediction_facts": 3,
                    "reference_facts": 4,
                    "matched": 2,
                    "records_without_prediction_facts": 1,
                    "records_without_reference_facts": 0,
                },
                "labels": {
                    "per_label": {
                        "cardiomegaly": {"f1": 0.5, "support": 2, "tp": 1, "fp": 1, "fn": 1},
                        "edema": {"f1": 0.0, "support": 0, "tp": 0, "fp": 0, "fn": 0},
                    },
                    "micro_f1": 0.5,
                    "macro_f1": 0.25,
                },
            }
        ],
    }
    if judged:
        document["judge_agreement"] = {
            "per_fact_agreement": 0.9,
            "per_fact_kappa": 0.8,
            "facts_compared": 10,
            "precision_pearson": 0.7,
            "recall_pearson": 0.6,
        }
    return document


def test_the_markdown_shows_each_section_in_order_and_leaves_out_those_with_nothing_to_show():
    full = render_markdown(
        _document(backend="llm", ascii_scores=True, judged=True),
        comparison={
            "groups": [
                {
                    "stage": "1",
                    "field": "findings",
                    "split": "test",
                    "tests": {"rouge1": {"a": 50.0, "b": 40.0, "difference": 10.0, "p_value": 0.03}},
                }
            ]
        },
    )
    headings = [line for line in full.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Scores (llm facts; percentages)",
        "## More metrics and 95% bootstrap intervals",
        "## COMPATIBILITY ONLY: rouge-score default ASCII tokenizer",
        "## Facts",
        "## Clinical labels: F1 (support); uncertain findings count as positive",
        "## Offline vs LLM judge",
        "## Paired comparison (A − B, approximate randomisation)",
        "## Signatures",
    ]
    # with the LLM backend the paper's Precision and Recall are the judge's; the offline ones are listed below
    assert "| 1 | findings | 50.00 | 40.00 | 45.00 | 30.00 | 80.00 | 90.00 |" in full
    assert "| 1 | findings | test | 2 | fact_precision | 60.00 | [59.00, 61.00] |" in full
    assert "| cardiomegaly | 50.0 (2) |" in full and "| edema | – |" in full  # no case of edema: no F1
    assert "| 1 | findings | test | rouge1 | 50.00 | 40.00 | +10.00 | 0.0300 |" in full
    plain = render_markdown(_document())
    assert [line for line in plain.splitlines() if line.startswith("## ")] == [
        "## Scores (offline facts; percentages)",
        "## More metrics and 95% bootstrap intervals",
        "## Facts",
        "## Clinical labels: F1 (support); uncertain findings count as positive",
        "## Signatures",
    ]
    assert "| 1 | findings | 50.00 | 40.00 | 45.00 | 30.00 | 60.00 | 70.00 |" in plain

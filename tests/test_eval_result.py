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
    records = [Prediction(id="a", stage="1", field="findings", prediction=REPORT, reference=REPORT, split="test"),
               Prediction(id="b", stage="1", field="findings", prediction="", reference=REPORT, split="test")]
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
    assert list(document) == ["tool", "scale", "records", "word_level", "signatures", "bootstrap", "fact_backend",
                              "uncertain_policy", "groups", "input", "skipped_lines", "ids"]
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

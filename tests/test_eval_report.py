"""`vixray evaluate`: the JSON report, the paper's Markdown table, intervals, paired comparison, bad input."""

import json

import pytest

from vixray_data.cli import main
from vixray_data.evaluation import EvaluationOptions, evaluate, read_predictions, render_markdown

FINDINGS = (
    "Lồng ngực cân đối, không thấy bất thường xương. Phổi hai bên sáng đều. Bóng tim không to. Quai động mạch chủ vồng."
)
IMPRESSION = "Hình ảnh Quai động mạch chủ vồng."


def rows(*, wrong_every=3):
    out = []
    for split in ("validation", "test"):
        for i in range(12):
            wrong = i % wrong_every == 0
            out.append(
                {
                    "id": f"{split}-{i}",
                    "stage": "1",
                    "field": "findings",
                    "split": split,
                    "reference": FINDINGS,
                    "prediction": FINDINGS.replace("không to", "to") if wrong else FINDINGS,
                }
            )
            out.append(
                {
                    "id": f"{split}-{i}",
                    "stage": "2",
                    "field": "impressions",
                    "split": split,
                    "reference": IMPRESSION,
                    "prediction": "" if wrong else IMPRESSION,
                }
            )
    return out


def write(path, records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def test_cli_writes_json_markdown_and_records(tmp_path, capsys):
    path = write(tmp_path / "p.jsonl", rows())
    out = tmp_path / "out"
    assert main(["evaluate", str(path), "--out", str(out), "--bootstrap", "100", "--compat-ascii", "--no-words"]) == 0
    result = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert result["records"] == 48
    assert [(g["stage"], g["field"], g["split"]) for g in result["groups"]] == [
        ("1", "findings", "validation"),
        ("1", "findings", "test"),
        ("2", "impressions", "validation"),
        ("2", "impressions", "test"),
    ]
    findings = result["groups"][1]["metrics"]
    # 4 of 12 predictions say "Bóng tim to" for "Bóng tim không to": 4 of 5 facts right in those
    assert findings["fact_precision"]["value"] == pytest.approx(100 * (8 + 4 * 0.8) / 12)
    assert findings["fact_recall"]["value"] == pytest.approx(100 * (8 + 4 * 0.8) / 12)
    low, high = findings["fact_precision"]["ci95"]
    assert low <= findings["fact_precision"]["value"] <= high
    impressions = result["groups"][3]["metrics"]
    assert impressions["fact_precision"]["value"] == pytest.approx(100 * 8 / 12)  # empty predictions score 0
    assert result["groups"][3]["facts"]["records_without_prediction_facts"] == 4
    for family in ("rouge", "bleu", "chrf", "facts", "labels", "rouge_ascii"):
        assert "vixray:" in result["signatures"][family]
    assert "lexicon:" in result["signatures"]["facts"] and "tok:13a" in result["signatures"]["bleu"]
    markdown = (out / "evaluation.md").read_text(encoding="utf-8")
    assert "| Stage | Field | validation R-1 | validation R-2 | validation R-L | validation BLEU |" in markdown
    assert "COMPATIBILITY ONLY" in markdown
    assert len((out / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 48
    assert "## Signatures" in capsys.readouterr().out


def test_reports_are_reproducible_with_a_seed(tmp_path):
    records = read_predictions(write(tmp_path / "p.jsonl", rows())).records
    options = EvaluationOptions(resamples=200, seed=5, words=False)
    first, second = evaluate(records, options=options), evaluate(records, options=options)
    assert render_markdown(first) == render_markdown(second)


def test_against_runs_a_paired_test_per_group_and_metric(tmp_path):
    a = write(tmp_path / "a.jsonl", rows(wrong_every=2))
    b = write(tmp_path / "b.jsonl", rows(wrong_every=1000))
    out = tmp_path / "out"
    argv = [
        "evaluate",
        str(a),
        "--against",
        str(b),
        "--out",
        str(out),
        "--bootstrap",
        "50",
        "--trials",
        "500",
        "--no-words",
    ]
    assert main(argv) == 0
    comparison = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["comparison"]
    test = comparison["groups"][0]["tests"]["fact_precision"]
    assert test["difference"] < 0 and 0 < test["p_value"] <= 1
    assert set(comparison["groups"][0]["tests"]) >= {"rouge1", "rouge2", "rougeL", "bleu", "chrf", "fact_recall"}
    assert "Paired comparison" in (out / "evaluation.md").read_text(encoding="utf-8")


def test_bad_lines_fail_with_line_numbers_unless_skipped(tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(rows()[0], ensure_ascii=False) + "\n{oops\n", encoding="utf-8")
    assert main(["evaluate", str(path), "--no-words"]) == 6
    assert "line 2: not valid JSON" in capsys.readouterr().err
    assert main(["evaluate", str(path), "--skip-invalid", "--no-words", "--bootstrap", "20"]) == 0


def test_against_with_unknown_ids_fails_clearly(tmp_path, capsys):
    a = write(tmp_path / "a.jsonl", rows()[:2])
    b = write(tmp_path / "b.jsonl", rows()[2:4])
    assert main(["evaluate", str(a), "--against", str(b), "--no-words", "--bootstrap", "10"]) == 6
    assert "only in" in capsys.readouterr().err


def test_worker_processes_give_the_same_report_as_one_process(tmp_path, monkeypatch):
    from vixray_data.evaluation import report

    monkeypatch.setattr(report, "_PARALLEL_MIN_TEXTS", 2)  # use the pool even for this small file
    records = read_predictions(write(tmp_path / "p.jsonl", rows())).records
    one = evaluate(records, options=EvaluationOptions(resamples=50, words=False, workers=1))
    two = evaluate(records, options=EvaluationOptions(resamples=50, words=False, workers=2))
    assert render_markdown(one) == render_markdown(two)
    assert one.details == two.details

"""Reading predictions JSONL: bad lines named by number, skipped only on request; duplicates refused."""

import json

import pytest

from vixray_data.errors import EvaluationError
from vixray_data.evaluation import pair_with, read_predictions


def row(i, **over):
    base = {"id": f"r{i}", "stage": "1", "field": "findings", "prediction": "Bóng tim to.", "reference": "Bóng tim to."}
    return json.dumps({**base, **over}, ensure_ascii=False)


def write(tmp_path, lines, name="p.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_is_read_with_optional_split_and_null_prediction(tmp_path):
    path = write(tmp_path, [row(1, split="test"), row(2, prediction=None), ""])
    records = read_predictions(path).records
    assert [(r.id, r.split, r.prediction, r.line) for r in records] == [
        ("r1", "test", "Bóng tim to.", 1),
        ("r2", "all", "", 2),
    ]


def test_malformed_lines_are_listed_with_their_numbers(tmp_path):
    path = write(tmp_path, [row(1), "{not json", row(3, field="note"), json.dumps({"id": "x"})])
    with pytest.raises(EvaluationError) as err:
        read_predictions(path)
    message = str(err.value)
    assert "3 invalid line(s)" in message and str(path) in message
    assert "line 2: not valid JSON" in message
    assert "line 3: field 'note'" in message
    assert "line 4: missing field(s) stage, field, prediction, reference" in message


def test_skip_invalid_keeps_the_good_lines_and_records_what_was_skipped(tmp_path):
    path = write(tmp_path, [row(1), "{not json", row(3)])
    result = read_predictions(path, skip_invalid=True)
    assert [r.id for r in result.records] == ["r1", "r3"]
    assert result.skipped == ["line 2: not valid JSON (Expecting property name enclosed in double quotes)"]


def test_duplicate_keys_are_an_error_even_with_skip_invalid(tmp_path):
    path = write(tmp_path, [row(1), row(2), row(1, prediction="khác")])
    with pytest.raises(EvaluationError, match=r"line 3: duplicate .*'r1', '1', 'findings'.* first seen on line 1"):
        read_predictions(path, skip_invalid=True)


def test_same_id_in_two_fields_or_stages_is_not_a_duplicate(tmp_path):
    path = write(tmp_path, [row(1), row(1, field="impressions"), row(1, stage="3")])
    assert len(read_predictions(path).records) == 3


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(EvaluationError, match="no such predictions file"):
        read_predictions(tmp_path / "absent.jsonl")


def test_pairing_two_systems_reports_ids_missing_on_either_side(tmp_path):
    a = read_predictions(write(tmp_path, [row(1), row(2)], "a.jsonl"))
    b = read_predictions(write(tmp_path, [row(1), row(3)], "b.jsonl"))
    with pytest.raises(EvaluationError) as err:
        pair_with(a, b)
    assert "('r2', '1', 'findings')" in str(err.value) and "('r3', '1', 'findings')" in str(err.value)


def test_pairing_refuses_different_references_for_one_record(tmp_path):
    a = read_predictions(write(tmp_path, [row(1)], "a.jsonl"))
    b = read_predictions(write(tmp_path, [row(1, reference="Bóng tim không to.")], "b.jsonl"))
    with pytest.raises(EvaluationError, match="different references"):
        pair_with(a, b)

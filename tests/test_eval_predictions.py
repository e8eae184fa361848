"""Reading predictions JSONL: bad lines named by number, skipped only on request; duplicates refused."""

import json

import pytest

from vixray_data.errors import EvaluationError
from vixray_data.evaluation import check_ids, pair_with, read_predictions


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


def test_every_problem_of_a_bad_line_is_listed_not_only_the_first(tmp_path):
    bad = json.dumps({"id": "", "stage": True, "field": "note", "prediction": 3, "reference": None, "split": 1})
    with pytest.raises(EvaluationError) as err:
        read_predictions(write(tmp_path, [row(1), bad]))
    message = str(err.value)
    for problem in (
        "id must be a non-empty string",
        "stage must be a string or an integer",
        "field 'note'",
        "prediction must be a string or null",
        "reference must be a string",
        "split must be a string",
    ):
        assert problem in message, problem
    assert message.count("line 2:") == 1  # one entry per line, all its problems in it


def test_ids_are_checked_against_the_files_own_ids_on_every_run(tmp_path):
    lines = [row(1), row(2), row(3), row(1, field="impressions"), row(3, field="impressions")]
    check = check_ids(read_predictions(write(tmp_path, lines)))
    assert check.references == 3 and check.reference == "every id in the file"
    assert check.groups == {
        "1/findings": {"missing": [], "extra": []},
        "1/impressions": {"missing": ["r2"], "extra": []},
    }
    assert (check.count("missing"), check.count("extra"), check.ok) == (1, 0, False)
    assert check.summary().startswith(
        "ids: 3 reference id(s) (every id in the file), 2 stage/field group(s); missing 1, extra 0, duplicate 0"
    )


def test_ids_are_checked_against_a_reference_split(tmp_path):
    lines = [row(1, split="test"), row(2, split="test"), row(9, split="test"), row(5, split="validation")]
    check = check_ids(
        read_predictions(write(tmp_path, lines)), {"test": {"r1", "r2", "r3"}, "validation": {"r5"}}, reference="vixray"
    )
    assert check.groups == {"1/findings": {"missing": ["r3"], "extra": ["r9"]}}
    assert check.as_dict()["missing"] == 1 and check.as_dict()["extra"] == 1


def test_the_cli_prints_id_counts_on_every_run_and_checks_a_built_split(tmp_path, demo_dir, capsys):
    import pyarrow.parquet as pq

    from vixray_data.cli import main

    test_ids = [
        r["id"]
        for p in sorted((demo_dir / "data").glob("test-*.parquet"))
        for r in pq.read_table(p, columns=["id"]).to_pylist()
    ]
    path = write(
        tmp_path,
        [
            json.dumps(
                {
                    "id": i,
                    "stage": "1",
                    "field": "findings",
                    "prediction": "Bóng tim to.",
                    "reference": "Bóng tim to.",
                    "split": "test",
                }
            )
            for i in test_ids[1:]
        ],
    )
    assert main(["evaluate", str(path), "--no-words", "--bootstrap", "10"]) == 0
    assert f"ids: {len(test_ids) - 1} reference id(s)" in capsys.readouterr().err
    out = tmp_path / "out"
    assert (
        main(
            ["evaluate", str(path), "--no-words", "--bootstrap", "10", "--references", str(demo_dir), "--out", str(out)]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert f"ids: {len(test_ids)} reference id(s) ({demo_dir})" in err  # the test split's, not the whole build's
    assert "missing 1, extra 0" in err and f"1/findings: 1 missing, e.g. {test_ids[0]}" in err
    assert json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["ids"]["missing"] == 1


def test_every_invalid_line_and_every_duplicate_is_listed_in_one_error(tmp_path):
    path = write(tmp_path, [row(1), "{not json", row(1, prediction="khác"), row(4, field="note"), row(5), row(5)])
    with pytest.raises(EvaluationError) as err:
        read_predictions(path)
    message = str(err.value)
    assert "2 invalid line(s)" in message and "2 duplicate record(s)" in message
    for number in (2, 3, 4, 6):
        assert f"line {number}:" in message
    assert "line 1:" not in message and "line 5:" not in message


def test_skip_invalid_still_lists_the_duplicates_with_the_invalid_lines(tmp_path):
    path = write(tmp_path, [row(1), "{not json", row(1)])
    with pytest.raises(EvaluationError) as err:
        read_predictions(path, skip_invalid=True)
    assert "line 2: not valid JSON" in str(err.value) and "line 3: duplicate" in str(err.value)


def test_a_long_list_is_cut_after_ten_and_says_how_many_more(tmp_path):
    path = write(tmp_path, [row(1)] + ["{not json"] * 13)
    with pytest.raises(EvaluationError) as err:
        read_predictions(path)
    message = str(err.value)
    assert "13 invalid line(s)" in message and "line 11:" in message and "line 12:" not in message
    assert "... and 3 more" in message

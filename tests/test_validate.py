"""`vixray validate`: a clean build passes; each kind of damage fails with a message naming file and row."""

from __future__ import annotations

import json
import shutil

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from vixray_data import card, cli, schema
from vixray_data.errors import ValidationError
from vixray_data.validate import check, validate

TRAIN_SHARD = "data/train-00000-of-00001.parquet"
TEST_SHARD = "data/test-00000-of-00001.parquet"


@pytest.fixture
def build_copy(demo_dir, tmp_path):
    """A private copy of the session demo build, free to damage."""
    return shutil.copytree(demo_dir, tmp_path / "vixray")


def _problems(folder, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate(folder, **kwargs)
    return caught.value.problems


def _rewrite_shard(folder, rel, change) -> None:
    """Rewrite one shard with ``change(columns: dict[str, list]) -> None`` applied, same schema."""
    path = folder / rel
    table = pq.read_table(path)
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    change(columns)
    pq.write_table(pa.table(columns, schema=schema.FEATURES.arrow_schema), path)


def _edit_json(path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def test_the_demo_build_validates_with_every_image_decoded(demo_dir):
    report = validate(demo_dir)
    assert report.ok
    assert report.rows == {schema.TRAIN: 48, schema.VALIDATION: 6, schema.TEST: 6}
    assert report.images_checked == 60
    assert report.shards == 3


def test_sample_decodes_only_that_many_images(demo_dir):
    assert validate(demo_dir, sample=7, seed=3).images_checked == 7


def test_wrong_num_examples_in_the_card_is_caught_before_datasets_fails(build_copy, tmp_path):
    readme = build_copy / schema.CARD
    header, body = card.split_card(readme.read_text(encoding="utf-8"))
    header["dataset_info"]["splits"][0]["num_examples"] = 47
    readme.write_text(
        "---\n" + yaml.safe_dump(header, allow_unicode=True, sort_keys=False) + "---\n" + body, encoding="utf-8"
    )
    problems = _problems(build_copy)
    assert problems == [
        f"{schema.CARD}: num_examples of train is 47, its shards hold 48 rows (datasets.load_dataset would fail)"
    ]
    with pytest.raises(Exception, match="(?i)split|expected|size"):  # what a user would meet without validate
        datasets.load_dataset(str(build_copy), cache_dir=str(tmp_path / "cache"))


def test_a_corrupted_shard_fails_its_sha256_and_is_named(build_copy):
    path = build_copy / TRAIN_SHARD
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    problems = _problems(build_copy)
    assert any(p.startswith(f"{TRAIN_SHARD}: sha256 ") and "does not match the manifest" in p for p in problems)


def test_a_changed_count_in_the_manifest_fails(build_copy):
    _edit_json(build_copy / schema.MANIFEST, lambda m: m["splits"][schema.TEST].update(num_examples=7))
    problems = _problems(build_copy)
    assert f"{schema.MANIFEST}: split test says num_examples 7, its shards hold 6 rows" in problems
    assert any(p.startswith(f"{schema.CARD}: does not show the manifest hash") for p in problems)


def test_a_shard_with_a_dropped_row_fails_the_row_count(build_copy):
    def drop_last(columns):
        for values in columns.values():
            values.pop()

    _rewrite_shard(build_copy, TEST_SHARD, drop_last)
    problems = _problems(build_copy)
    assert f"{TEST_SHARD}: 5 rows, the manifest says 6" in problems
    assert f"{schema.MANIFEST}: split test says num_examples 6, its shards hold 5 rows" in problems
    assert (
        f"{schema.CARD}: num_examples of test is 6, its shards hold 5 rows (datasets.load_dataset would fail)"
        in problems
    )


def test_a_planted_duplicate_id_is_named_with_both_places(build_copy):
    train_ids = pq.read_table(build_copy / TRAIN_SHARD, columns=[schema.ID]).column(schema.ID).to_pylist()
    _rewrite_shard(build_copy, TEST_SHARD, lambda c: c[schema.ID].__setitem__(2, train_ids[5]))
    problems = _problems(build_copy)
    assert f"{TEST_SHARD} row 2 (id {train_ids[5]}): duplicate id, also in {TRAIN_SHARD} row 5" in problems


def test_a_planted_phone_number_in_findings_fails_the_phi_check(build_copy):
    def plant(columns):
        columns[schema.FINDINGS][3] += " Liên hệ 0903 123 456."

    _rewrite_shard(build_copy, TEST_SHARD, plant)
    test_id = pq.read_table(build_copy / TEST_SHARD, columns=[schema.ID]).column(schema.ID)[3].as_py()
    problems = _problems(build_copy)
    assert f"residual PHI: {TEST_SHARD}, split test, id {test_id}, column findings: phone" in problems
    assert not any("0903" in p for p in problems)


def test_a_planted_identifying_value_is_found_by_the_leak_scan_given_the_values(build_copy):
    _rewrite_shard(build_copy, TEST_SHARD, lambda c: c[schema.NOTE].__setitem__(1, "người nhà Trần Thị Bích"))
    problems = _problems(build_copy, phi_values=["TRAN^THI^BICH", "0123456789"])
    assert any(p.startswith(f"{TEST_SHARD}: leak scan hit in column note") for p in problems)
    assert not any("0123456789" in p or "BICH" in p for p in problems)  # a hit names the hash, never the value


def test_a_recorded_leak_scan_with_hits_fails(build_copy):
    def dirty(manifest):
        hit = {"file": TRAIN_SHARD, "where": "column note", "value_sha256": "0" * 64}
        manifest["leak_scan"].update(clean=False, hits=1, hit_details=[hit])

    _edit_json(build_copy / schema.MANIFEST, dirty)
    expected = f"{schema.MANIFEST}: the recorded leak scan is not clean (1 hit(s) in {TRAIN_SHARD})"
    assert expected in _problems(build_copy)


def test_a_missing_leak_scan_result_fails(build_copy):
    _edit_json(build_copy / schema.MANIFEST, lambda m: m.pop("leak_scan"))
    assert f"{schema.MANIFEST}: no leak-scan result recorded" in _problems(build_copy)


def test_a_patient_in_two_splits_fails(build_copy):
    patient = json.loads((build_copy / schema.MANIFEST).read_text())["patients"][schema.TRAIN][0]
    _edit_json(build_copy / schema.MANIFEST, lambda m: m["patients"][schema.TEST].append(patient))
    assert f"{schema.MANIFEST}: patient {patient} is in both train and test" in _problems(build_copy)


def test_an_undecodable_image_is_named_by_row_and_id(build_copy):
    def break_image(columns):
        columns[schema.IMAGE][4] = {"bytes": b"\x89PNG\r\n\x1a\n truncated", "path": columns[schema.IMAGE][4]["path"]}

    _rewrite_shard(build_copy, TRAIN_SHARD, break_image)
    record_id = pq.read_table(build_copy / TRAIN_SHARD, columns=[schema.ID]).column(schema.ID)[4].as_py()
    problems = _problems(build_copy)
    assert any(p.startswith(f"{TRAIN_SHARD} row 4 (id {record_id}): image does not decode") for p in problems)


def test_empty_findings_or_impressions_fail(build_copy):
    def blank(columns):
        columns[schema.FINDINGS][0] = "  "
        columns[schema.IMPRESSIONS][1] = None

    _rewrite_shard(build_copy, TEST_SHARD, blank)
    problems = _problems(build_copy)
    assert any(p.startswith(f"{TEST_SHARD} row 0 ") and p.endswith("empty findings") for p in problems)
    assert any(p.startswith(f"{TEST_SHARD} row 1 ") and p.endswith("empty impressions") for p in problems)


def test_columns_out_of_schema_order_fail(build_copy):
    path = build_copy / TEST_SHARD
    table = pq.read_table(path)
    pq.write_table(table.select([schema.FINDINGS, *[n for n in schema.FIELDS if n != schema.FINDINGS]]), path)
    assert any(p.startswith(f"{TEST_SHARD}: columns ") and "names and order" in p for p in _problems(build_copy))


def test_row_groups_over_the_limit_fail(build_copy):
    _edit_json(build_copy / schema.MANIFEST, lambda m: m["limits"].update(row_group_bytes=10_000))
    problems = _problems(build_copy)
    assert any(p.startswith(f"{TRAIN_SHARD}: row group 0 is ") and "over the limit of 10000" in p for p in problems)


def test_an_unlisted_parquet_file_fails(build_copy):
    shutil.copy(build_copy / TEST_SHARD, build_copy / "data" / "test-extra.parquet")
    assert "data/test-extra.parquet: parquet file not listed in manifest.json (would be loaded as data)" in _problems(
        build_copy
    )


def test_cli_prints_every_problem_and_exits_non_zero(build_copy, capsys):
    _edit_json(build_copy / schema.MANIFEST, lambda m: m.pop("leak_scan"))
    (build_copy / schema.CARD).unlink()
    assert cli.main(["validate", str(build_copy)]) == ValidationError.exit_code
    err = capsys.readouterr().err
    assert f"FAIL {schema.MANIFEST}: no leak-scan result recorded" in err
    assert f"FAIL {schema.CARD}: missing (the dataset card)" in err
    assert "2 problem(s); not publishable" in err


def test_cli_prints_an_ok_summary_on_success(demo_dir, capsys):
    assert cli.main(["validate", str(demo_dir), "--sample", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK {demo_dir}: 60 rows (train 48, validation 6, test 6) in 3 shard(s), 5 image(s)")


def test_check_reports_a_folder_without_a_manifest(tmp_path):
    report = check(tmp_path)
    assert report.problems == [f"{tmp_path / schema.MANIFEST}: missing (not a ViX-Ray build)"]


def test_sample_zero_skips_image_decoding_but_runs_every_other_check(build_copy):
    _edit_json(build_copy / schema.MANIFEST, lambda m: m.pop("leak_scan"))
    problems = _problems(build_copy, sample=0)
    assert problems[-1] == f"{schema.MANIFEST}: no leak-scan result recorded"
    assert problems[0].startswith(f"{schema.CARD}: does not show the manifest hash")  # the manifest changed
    assert len(problems) == 2


def test_images_decoded_in_worker_processes_give_the_problems_of_one_process_in_the_same_order(build_copy):
    def break_images(columns):
        for row in (2, 4, 40):
            path = columns[schema.IMAGE][row]["path"]
            columns[schema.IMAGE][row] = {"bytes": b"\x89PNG\r\n\x1a\n truncated", "path": path}

    _rewrite_shard(build_copy, TRAIN_SHARD, break_images)
    serial = check(build_copy, num_proc=1)
    parallel = check(build_copy, num_proc=2)
    assert parallel.problems == serial.problems and parallel.images_checked == serial.images_checked == 60
    undecodable = [p for p in parallel.problems if "image does not decode" in p]
    assert [p.split(" (id")[0] for p in undecodable] == [f"{TRAIN_SHARD} row {row}" for row in (2, 4, 40)]

"""manifest.json has one writer and one reader: a build's manifest reads back to its exact bytes, and every reader
of a built folder meets a missing, unreadable or invalid manifest as the same ManifestError naming file and key."""

from __future__ import annotations

import json
import shutil

import pytest

from vixray_data import card, cli, schema
from vixray_data.errors import ManifestError, SourceError
from vixray_data.manifest import Manifest
from vixray_data.review import collect
from vixray_data.shards import read_columns
from vixray_data.validate import check


@pytest.fixture
def build_copy(demo_dir, tmp_path):
    return shutil.copytree(demo_dir, tmp_path / "vixray")


def _edit(folder, change) -> None:
    path = folder / schema.MANIFEST
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def test_a_builds_manifest_reads_back_to_its_exact_bytes(demo_dir, demo_build):
    manifest = Manifest.read(demo_dir)
    assert manifest == demo_build.manifest
    assert manifest.text() == (demo_dir / schema.MANIFEST).read_text(encoding="utf-8")


def test_the_manifest_is_read_by_attributes(demo_dir):
    manifest = Manifest.read(demo_dir)
    assert list(manifest.splits) == list(schema.SPLITS)
    assert manifest.num_examples == 60 == manifest.counts.written
    assert manifest.splits[schema.TRAIN].shards[0].path == "data/train-00000-of-00001.parquet"
    assert manifest.counts.per_split[schema.TEST].written == manifest.splits[schema.TEST].num_examples
    assert manifest.leak_scan.clean and manifest.residual_scan.hits == 0 and manifest.synthetic
    assert manifest.pixel_screening.ocr is False


def test_a_missing_manifest_is_one_error_naming_the_file(tmp_path):
    with pytest.raises(ManifestError, match="manifest.json: missing") as caught:
        Manifest.read(tmp_path)
    assert str(tmp_path) in str(caught.value)
    assert isinstance(caught.value, SourceError)  # the CLI exits 2 as for any unreadable input


def test_a_manifest_that_is_not_json_is_unreadable(build_copy):
    (build_copy / schema.MANIFEST).write_text('{"splits": ', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"manifest.json: unreadable \(JSONDecodeError"):
        Manifest.read(build_copy)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: m.pop("splits"), "no splits"),
        (lambda m: m["splits"]["train"]["shards"][0].pop("sha256"), "no splits.train.shards[0].sha256"),
        (lambda m: m["counts"].update(read="60"), "counts.read is not a whole number"),
        (lambda m: m.update(synthetic="yes"), "synthetic is not true or false"),
        (lambda m: m["patients"]["test"].insert(0, 7), "patients.test[0] is not a string"),
    ],
)
def test_an_invalid_manifest_names_the_key_and_never_a_value(build_copy, change, problem):
    _edit(build_copy, change)
    with pytest.raises(ManifestError) as caught:
        Manifest.read(build_copy)
    assert str(caught.value) == f"{build_copy / schema.MANIFEST}: not a build's manifest ({problem})"


def test_sections_an_older_build_lacks_read_as_none_and_are_not_written_back(build_copy):
    _edit(build_copy, lambda m: [m.pop(key) for key in ("pixel_screening", "residual_scan")])
    manifest = Manifest.read(build_copy)
    assert manifest.pixel_screening is None and manifest.residual_scan is None
    assert manifest.text() == (build_copy / schema.MANIFEST).read_text(encoding="utf-8")


def test_every_reader_of_a_folder_meets_the_same_error(build_copy, tmp_path, capsys):
    _edit(build_copy, lambda m: m.pop("splits"))
    expected = f"{build_copy / schema.MANIFEST}: not a build's manifest (no splits)"
    for read in (
        lambda: read_columns(build_copy, [schema.ID]),
        lambda: collect(build_copy),
        lambda: card.refresh_card(build_copy),
    ):
        with pytest.raises(ManifestError) as caught:
            read()
        assert str(caught.value) == expected
    assert check(build_copy).problems == [expected]  # validate lists it instead of raising
    assert cli.main(["review", str(build_copy), "--out", str(tmp_path / "review.html")]) == 2
    assert capsys.readouterr().err == f"vixray review: error: {expected}\n"

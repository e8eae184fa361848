"""The dataset card: rendered from the template and the build's figures, never typed by hand."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml

from vixray_data import card, croissant, schema
from vixray_data.manifest import Manifest


def _readme(folder):
    return card.split_card((folder / schema.CARD).read_text(encoding="utf-8"))


def _manifest(folder):
    return json.loads((folder / schema.MANIFEST).read_text(encoding="utf-8"))


def test_card_yaml_parses_and_its_split_sizes_equal_the_manifest(demo_dir):
    header, _ = _readme(demo_dir)
    manifest = _manifest(demo_dir)
    yaml_splits = {s["name"]: s for s in header["dataset_info"]["splits"]}
    assert list(yaml_splits) == list(manifest["splits"]) == list(schema.SPLITS)
    for split, info in manifest["splits"].items():
        assert yaml_splits[split]["num_examples"] == info["num_examples"]
        assert yaml_splits[split]["num_bytes"] == sum(s["bytes"] for s in info["shards"])
    assert header["dataset_info"]["features"] == card.features_yaml()
    assert [f["name"] for f in header["dataset_info"]["features"]] == list(schema.FIELDS)
    assert [d["split"] for d in header["configs"][0]["data_files"]] == list(schema.SPLITS)
    assert header["size_categories"] == ["n<1K"]


def test_card_header_carries_licence_tags_task_and_a_real_builds_gating_fields(demo_dir):
    real = {**_manifest(demo_dir), "synthetic": False}  # the same build, as a hospital export would describe it
    header, body = card.split_card(card.render_card(Manifest.from_json(real), folder=demo_dir))
    assert header["language"] == ["vi"]
    assert header["task_categories"] == ["image-to-text"]
    assert set(header["tags"]) == {"medical", "chest-x-ray", "radiology-report-generation", "vietnamese"}
    assert "real patients" in header["extra_gated_prompt"]
    assert any("re-identify" in name for name in header["extra_gated_fields"])
    assert set(header["extra_gated_fields"].values()) <= {"text", "checkbox", "country", "date_picker"}
    assert "The dataset is gated" in body


def test_the_synthetic_demo_card_is_not_gated_and_never_speaks_of_real_patients(demo_dir):
    header, body = _readme(demo_dir)
    assert not [key for key in header if key.startswith("extra_gated")]
    assert "real patient" not in (demo_dir / schema.CARD).read_text(encoding="utf-8")
    blocks = card.blocks_of(body)
    assert blocks["access"].startswith("This synthetic build holds no patient data and is not gated.")
    assert blocks["privacy"].startswith("This synthetic build describes no person")


def test_card_states_one_licence_in_yaml_and_text(demo_dir):
    header, body = _readme(demo_dir)
    assert header["license"] == "cc-by-nc-sa-4.0"
    licence_section = body.split("## Licence", 1)[1].split("\n## ", 1)[0]
    assert "**CC BY-NC-SA 4.0**" in licence_section
    assert "cc-by-nc-sa-4.0" in licence_section


def test_card_shows_the_sha256_of_the_manifest_json_bytes(demo_dir):
    digest = hashlib.sha256((demo_dir / schema.MANIFEST).read_bytes()).hexdigest()
    _, body = _readme(demo_dir)
    assert f"`{digest}`" in card.blocks_of(body)["build"]


def test_card_split_table_and_audit_come_from_the_manifest(demo_dir):
    manifest = _manifest(demo_dir)
    blocks = card.blocks_of(_readme(demo_dir)[1])
    for split, info in manifest["splits"].items():
        patients = len(manifest["patients"][split])
        assert f"| `{split}` | {info['num_examples']} | " in blocks["splits"]
        assert f"| {patients} | {len(info['shards'])} |" in blocks["splits"]
    assert f"| ages capped | {manifest['deid']['ages_capped']} |" in blocks["deid"]
    assert "Leak scan: **clean**" in blocks["deid"]
    assert f"{manifest['leak_scan']['files_scanned']} file(s)" in blocks["deid"]
    assert "Residual-PHI scan: **0 hit(s)** for name, " in blocks["deid"]
    assert all(category in blocks["deid"] for category in manifest["residual_scan"]["categories"])


def test_card_field_statistics_equal_counts_computed_from_the_shards(demo_dir):
    manifest = _manifest(demo_dir)
    stats_block = card.blocks_of(_readme(demo_dir)[1])["stats"]
    sex = Counter()
    findings_words = []
    for split in schema.SPLITS:
        for shard in manifest["splits"][split]["shards"]:
            table = pq.read_table(demo_dir / shard["path"], columns=[schema.SEX, schema.FINDINGS])
            for s in table.column(schema.SEX).to_pylist():
                sex[(split, s)] += 1
            if split == schema.TRAIN:
                findings_words += [len(t.split()) for t in table.column(schema.FINDINGS).to_pylist()]
    male_row = f"| sex = {schema.MALE} | " + " | ".join(str(sex[(s, schema.MALE)]) for s in schema.SPLITS) + " |"
    assert male_row in stats_block
    train = card.field_stats(demo_dir)[schema.TRAIN]
    assert train[schema.FINDINGS]["words"]["max"] == max(findings_words)
    assert train[schema.FINDINGS]["words"]["min"] == min(findings_words)
    assert train["rows"] == manifest["splits"][schema.TRAIN]["num_examples"]


def test_synthetic_warning_shows_only_for_a_synthetic_build(demo_dir):
    manifest = _manifest(demo_dir)
    assert "synthetic demo corpus, not patient data" in card.blocks_of(_readme(demo_dir)[1])["synthetic"]
    real = copy.deepcopy(manifest)
    real["synthetic"] = False
    assert card.blocks_of(card.split_card(card.render_card(Manifest.from_json(real)))[1])["synthetic"] == ""


def test_card_without_shards_says_statistics_were_not_computed(demo_dir):
    rendered = card.render_card(Manifest.read(demo_dir))
    assert card.blocks_of(rendered)["stats"].startswith("Not computed")
    assert yaml.safe_load(rendered.split("---\n")[1])["dataset_info"]["splits"][0]["num_examples"] == 48


def test_template_field_table_and_features_are_the_schemas():
    """DATASET_CARD.md's generated parts match the schema (refresh with card.fill(..., fields_block()))."""
    header, body = card.split_card(card.CARD_TEMPLATE.read_text(encoding="utf-8"))
    assert card.blocks_of(body)["fields"] == card.fields_block()
    assert header["dataset_info"]["features"] == card.features_yaml()
    assert header["license"] == "cc-by-nc-sa-4.0"
    assert set(card.FIELD_MEANINGS) == set(schema.FIELDS)


def test_the_packaged_template_is_the_repositorys_dataset_card_byte_for_byte():
    """The wheel renders cards from vixray_data/templates/dataset_card.md; DATASET_CARD.md at the top of the
    repository is the same file (after editing one: cp vixray_data/templates/dataset_card.md DATASET_CARD.md)."""
    top_level = Path(__file__).resolve().parent.parent / "DATASET_CARD.md"
    assert card.CARD_TEMPLATE.read_bytes() == top_level.read_bytes()


def test_statistics_gathered_while_writing_equal_those_read_from_the_shards(demo_dir):
    """The builder feeds the card's statistics row by row; rendering the same manifest from the shards gives the
    same card, byte for byte."""
    assert card.render_card(Manifest.read(demo_dir), folder=demo_dir) == (demo_dir / schema.CARD).read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(("n", "label"), [(60, "n<1K"), (999, "n<1K"), (5400, "1K<n<10K"), (10_000, "10K<n<100K")])
def test_size_category_follows_the_hub_buckets(n, label):
    assert card.size_category(n) == label


def test_datasets_loads_the_rendered_build_with_the_card_sizes(demo_dir, tmp_path):
    loaded = datasets.load_dataset(str(demo_dir), cache_dir=str(tmp_path / "cache"))
    header, _ = _readme(demo_dir)
    assert {s["name"]: s["num_examples"] for s in header["dataset_info"]["splits"]} == {
        split: loaded[split].num_rows for split in loaded
    }


def test_croissant_json_lists_every_shard_with_its_sha256_and_the_rai_fields(demo_dir):
    document = json.loads((demo_dir / croissant.CROISSANT).read_text(encoding="utf-8"))
    manifest = _manifest(demo_dir)
    shards = {s["path"]: s["sha256"] for info in manifest["splits"].values() for s in info["shards"]}
    files = {d["contentUrl"]: d["sha256"] for d in document["distribution"] if d["@type"] == "cr:FileObject"}
    assert files == shards
    assert [f["name"] for f in document["recordSet"][0]["field"]] == list(schema.FIELDS)
    for key in ("rai:dataCollection", "rai:dataBiases", "rai:dataLimitations", "rai:personalSensitiveInformation"):
        assert document[key].strip()
    assert document["description"].startswith("SYNTHETIC")


def test_croissant_json_passes_mlcroissant_validation(demo_dir):
    mlc = pytest.importorskip("mlcroissant")
    dataset = mlc.Dataset(jsonld=str(demo_dir / croissant.CROISSANT))
    assert dataset.metadata.name == "ViX-Ray"
    assert len(dataset.metadata.record_sets[0].fields) == len(schema.FIELDS)


def test_croissant_context_is_mlcroissants_own():
    pytest.importorskip("mlcroissant")
    from mlcroissant._src.core.rdf import make_context

    assert make_context() == croissant.CONTEXT


def test_refresh_card_adds_table3_and_keeps_the_build_valid(demo_dir, tmp_path):
    pytest.importorskip("vixray_data.statistics.table3")
    from vixray_data.validate import validate

    folder = shutil.copytree(demo_dir, tmp_path / "vixray")
    before = card.blocks_of((folder / schema.CARD).read_text(encoding="utf-8"))["analysis"]
    assert before.startswith("Not included")
    text = card.refresh_card(folder, analysis=True)
    table = card.blocks_of(text)["analysis"]
    assert "| Num. samples | 48 | 6 | 6 | 60 |" in table
    assert "Lengths: words after vixray_data.segment" in table
    assert card.blocks_of(text)["build"] == card.blocks_of((demo_dir / schema.CARD).read_text())["build"]
    assert validate(folder, sample=0).ok

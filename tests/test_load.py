"""Loading: built folders, the published release's schema and other variants, all onto one schema."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
from hubfake import png, release_folder

from vixray_data import schema
from vixray_data.errors import SchemaError, SourceError
from vixray_data.load import load_vixray, map_columns, normalize_dataset


def _png(value: int) -> bytes:
    return png(value)


def _published_folder(root: Path, **kwargs) -> Path:
    return release_folder(root, **kwargs)


def test_a_folder_in_the_published_schema_loads_onto_the_canonical_one(tmp_path):
    ds = load_vixray(str(_published_folder(tmp_path / "published")))
    assert list(ds) == list(schema.SPLITS)  # val -> validation
    assert {name: part.num_rows for name, part in ds.items()} == {"train": 4, "validation": 2, "test": 2}
    for part in ds.values():
        assert part.features == schema.FEATURES and part.column_names == list(schema.FIELDS)
    row = ds["train"][1]
    assert (row["age"], row["sex"], row["view"]) == (61, "Nữ", "PA")
    assert row["note"] == "Chụp Xquang ngực thẳng" and row["technique"] == "Chụp Xquang tim phổi thẳng"
    assert row["findings"] == "Bóng tim to train 1." and row["image"].size == (8, 8)
    assert len(set(ds["train"]["id"])) == 4


def test_one_split_by_its_alias_and_streaming(tmp_path):
    folder = _published_folder(tmp_path / "published")
    assert load_vixray(str(folder), split="val").num_rows == 2
    streamed = load_vixray(str(folder), split="validation", streaming=True)
    first = next(iter(streamed))
    assert list(first) == list(schema.FIELDS) and first["sex"] == "Nam" and first["age"] == 60


def test_a_built_folder_loads_unchanged(demo_dir):
    ds = load_vixray(str(demo_dir))
    direct = datasets.load_dataset(str(demo_dir))
    for split in schema.SPLITS:
        assert ds[split].features == schema.FEATURES
        assert ds[split]["findings"] == direct[split]["findings"]
    assert load_vixray(demo_dir, split=schema.TEST).num_rows == direct[schema.TEST].num_rows


def test_header_variants_in_either_language_and_case_are_recognised():
    ds = datasets.Dataset.from_dict(
        {
            "IMAGE": [{"bytes": _png(1), "path": None}],
            "Mô tả": ["Phổi hai bên sáng đều."],
            "Kết Luận": ["Chưa thấy bất thường."],
            "Tuổi": [45],
            "Giới tính": ["nữ"],
            "View Position": ["pa"],
            "Technique": ["Chụp Xquang tim phổi thẳng"],
            "Unrelated": ["dropped"],
        },
        features=datasets.Features(
            {
                "IMAGE": datasets.Image(),
                "Mô tả": datasets.Value("string"),
                "Kết Luận": datasets.Value("string"),
                "Tuổi": datasets.Value("int64"),
                "Giới tính": datasets.Value("string"),
                "View Position": datasets.Value("string"),
                "Technique": datasets.Value("string"),
                "Unrelated": datasets.Value("string"),
            }
        ),
    )
    row = normalize_dataset(ds)[0]
    assert (row["age"], row["sex"], row["view"], row["note"]) == (45, "Nữ", "PA", None)
    assert row["findings"] == "Phổi hai bên sáng đều." and row["impressions"] == "Chưa thấy bất thường."
    assert normalize_dataset(ds).column_names == list(schema.FIELDS)


def test_unmappable_columns_raise_naming_the_missing_and_the_found():
    with pytest.raises(SchemaError) as caught:
        map_columns(["picture", "Mô tả", "Ages"])
    message = str(caught.value)
    assert "missing image, impressions" in message and "'picture'" in message and "'Ages'" in message


def test_ages_follow_the_build_rules_months_and_over_89_capped(tmp_path):
    folder = _published_folder(tmp_path / "release-ages-capped", ages={"val": ["030M", "95"]})  # own cache key
    rows = load_vixray(str(folder), split="val")
    assert rows["age"] == [2, 90]


@pytest.mark.parametrize("streaming", [False, True])
def test_an_impossible_age_is_an_error_naming_the_split_and_row_not_the_value(tmp_path, streaming):
    folder = _published_folder(tmp_path / f"release-age-150-{streaming}", ages={"test": ["70", "150"]})
    with pytest.raises(SchemaError, match=r"split test row 1: age: impossible age") as caught:
        list(load_vixray(str(folder), split="test", streaming=streaming))
    assert "150" not in str(caught.value)


def test_an_unknown_sex_is_an_error_naming_the_row():
    ds = datasets.Dataset.from_dict(
        {
            "image": [{"bytes": _png(1), "path": None}] * 2,
            "findings": ["a", "b"],
            "impressions": ["c", "d"],
            "sex": ["Nam", "Khác"],
        },
        features=datasets.Features(
            {"image": datasets.Image(), **{c: datasets.Value("string") for c in ("findings", "impressions", "sex")}}
        ),
    )
    with pytest.raises(SchemaError, match=r"split train row 1: sex: unknown sex"):
        normalize_dataset(ds)


def test_a_name_that_is_neither_a_folder_nor_a_hub_id_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="vixray build"):
        load_vixray(str(tmp_path / "nothing-here"))


def test_an_unknown_split_is_an_error_listing_the_splits(demo_dir):
    with pytest.raises(SchemaError, match="train, validation, test"):
        load_vixray(str(demo_dir), split="holdout")

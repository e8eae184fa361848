"""Loading: built folders, the published release's schema and other variants, all onto one schema."""

from __future__ import annotations

import io
import json
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from vixray_data import load as load_module
from vixray_data import schema
from vixray_data.errors import SchemaError, SourceError
from vixray_data.load import load_vixray, map_columns, normalize_dataset


def _png(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _published_folder(root: Path) -> Path:
    """A local folder in the published release's schema: its columns, its split names, its README header."""
    (root / "data").mkdir(parents=True)
    for split, n in (("train", 4), ("val", 2), ("test", 2)):
        table = pa.table({
            "image": [{"bytes": _png(i), "path": f"{split}{i}.png"} for i in range(n)],
            "findings": [f"Bóng tim to {split} {i}." for i in range(n)],
            "impressions": ["Bóng tim to."] * n,
            "Ages": [str(60 + i) for i in range(n)],
            "sex": ["Male", "Female"] * (n // 2),
            "view": ["PA"] * n,
            "Ghi chú": ["Chụp Xquang ngực thẳng"] * n,
            "Kỹ thuật": ["Chụp Xquang tim phổi thẳng"] * n,
        }).replace_schema_metadata({"huggingface": json.dumps({"info": {"features": {"image": {"_type": "Image"}}}})})
        pq.write_table(table, root / "data" / f"{split}-00000-of-00001.parquet")
    header = "".join(f"  - split: {s}\n    path: data/{s}-*\n" for s in ("train", "val", "test"))
    (root / "README.md").write_text(f"---\nconfigs:\n- config_name: default\n  data_files:\n{header}---\n# ViX-Ray\n")
    return root


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
        {"IMAGE": [{"bytes": _png(1), "path": None}], "Mô tả": ["Phổi hai bên sáng đều."],
         "Kết Luận": ["Chưa thấy bất thường."], "Tuổi": [45], "Giới tính": ["nữ"], "View Position": ["pa"],
         "Technique": ["Chụp Xquang tim phổi thẳng"], "Unrelated": ["dropped"]},
        features=datasets.Features({"IMAGE": datasets.Image(), "Mô tả": datasets.Value("string"),
                                    "Kết Luận": datasets.Value("string"), "Tuổi": datasets.Value("int64"),
                                    "Giới tính": datasets.Value("string"), "View Position": datasets.Value("string"),
                                    "Technique": datasets.Value("string"), "Unrelated": datasets.Value("string")}))
    row = normalize_dataset(ds)[0]
    assert (row["age"], row["sex"], row["view"], row["note"]) == (45, "Nữ", "PA", None)
    assert row["findings"] == "Phổi hai bên sáng đều." and row["impressions"] == "Chưa thấy bất thường."
    assert normalize_dataset(ds).column_names == list(schema.FIELDS)


def test_unmappable_columns_raise_naming_the_missing_and_the_found():
    with pytest.raises(SchemaError) as caught:
        map_columns(["picture", "Mô tả", "Ages"])
    message = str(caught.value)
    assert "missing image, impressions" in message and "'picture'" in message and "'Ages'" in message


def test_a_hub_id_goes_through_datasets_load_dataset(monkeypatch, demo_dir):
    calls, real = [], datasets.load_dataset(str(demo_dir))

    def fake_load_dataset(path, **kwargs):
        calls.append((path, kwargs))
        return real

    monkeypatch.setattr(load_module.datasets, "load_dataset", fake_load_dataset)
    ds = load_vixray(schema.HUB_ID, split="dev", revision="main")
    assert calls == [(schema.HUB_ID, {"streaming": False, "revision": "main"})]
    assert ds.features == schema.FEATURES


def test_a_name_that_is_neither_a_folder_nor_a_hub_id_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="vixray build"):
        load_vixray(str(tmp_path / "nothing-here"))


def test_an_unknown_split_is_an_error_listing_the_splits(demo_dir):
    with pytest.raises(SchemaError, match="train, validation, test"):
        load_vixray(str(demo_dir), split="holdout")

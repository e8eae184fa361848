"""The schema: one declaration, two forms (pyarrow for the builder, ``datasets`` for the loader) that agree."""

from __future__ import annotations

import subprocess
import sys

from vixray_data import schema


def test_the_arrow_schema_is_the_one_datasets_writes_for_the_features_metadata_included():
    assert schema.ARROW_SCHEMA.equals(schema.FEATURES.arrow_schema, check_metadata=True)
    assert list(schema.DTYPES) == list(schema.FIELDS) == list(schema.FEATURES)


def test_building_and_the_cli_do_not_import_datasets():
    code = (
        "import sys, vixray_data, vixray_data.build, vixray_data.cli; vixray_data.cli._parser(); "
        "from vixray_data import schema; schema.ARROW_SCHEMA; print('datasets' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_features_stay_importable_from_the_package_and_the_schema_module():
    import vixray_data
    from vixray_data.schema import FEATURES

    assert vixray_data.FEATURES is FEATURES is schema.FEATURES


def test_splits_are_listed_train_validation_test_then_any_others_by_name():
    assert schema.split_order(["zeta", "test", "alpha", "train"]) == ["train", "test", "alpha", "zeta"]
    assert schema.split_order({"validation": 1, "test": 2}) == ["validation", "test"]

"""Hostile file systems and small exports: links out of the export, --out on a mount point, file modes,
splits that patients cannot fill, and exceptions nobody foresaw (one line naming the record in flight)."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import stat
from pathlib import Path

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import demo_config
from PIL import Image
from test_export import config
from test_hostile_tables import IMAGE_HEADERS, image_export, image_rows, run_build

from vixray_data import deid
from vixray_data.build import build, output
from vixray_data.cli import main
from vixray_data.errors import OutputError
from vixray_data.validate import validate


def write_table(root: Path, rows: list[list[str]]) -> None:
    with (root / "report.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([IMAGE_HEADERS, *rows])


def reasons_of(out: Path) -> list[str]:
    return sorted(json.loads(line)["reason"] for line in (out / "rejects.jsonl").open(encoding="utf-8"))


def test_a_symlink_leaving_the_export_is_rejected_and_never_read(tmp_path):
    root = image_export(tmp_path / "export", n=2)
    secret = tmp_path / "elsewhere" / "private.png"
    secret.parent.mkdir()
    Image.fromarray(np.full((16, 16), 201, np.uint8)).save(secret)
    (root / "images" / "img1.png").unlink()
    (root / "images" / "img1.png").symlink_to(secret)
    (root / "images" / "more").symlink_to(secret.parent, target_is_directory=True)
    write_table(root, image_rows(2))
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written == 1
    assert reasons_of(result.out) == ["no_image", "outside_export", "outside_export"]  # the row, the file, the folder
    pixels = [
        np.asarray(Image.open(io.BytesIO(r["image"]["bytes"])))
        for r in pq.read_table(next((result.out / "data").glob("*.parquet"))).to_pylist()
    ]
    assert all(int(p.max()) != 201 for p in pixels)


def test_out_that_cannot_be_renamed_gets_its_contents_swapped(tmp_path, monkeypatch):
    out = tmp_path / "volume"
    build(demo_config(out, demo_size=12))
    inode = out.stat().st_ino
    real_replace = os.replace

    def busy(src, dst):  # what rename(2) says for a mount point
        if Path(src) == out or Path(dst) == out:
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", busy)
    result = build(demo_config(out, demo_size=20, seed=9))
    assert out.stat().st_ino == inode  # the same folder, new contents
    assert result.counts.read == 20
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["read"] == 20
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["README.md", "croissant.json", "data", "manifest.json", "rejects.jsonl"]
    )
    assert [p for p in tmp_path.iterdir() if p.name != "volume"] == []
    validate(out)


def test_out_on_a_mount_point_builds_inside_it(tmp_path, monkeypatch):
    out = tmp_path / "volume"
    out.mkdir()
    monkeypatch.setattr(output.os.path, "ismount", lambda path: Path(path) == out)
    seen = []
    real = output.swap_in
    monkeypatch.setattr(output, "swap_in", lambda tmp, dst: (seen.append(tmp.parent), real(tmp, dst)))
    build(demo_config(out, demo_size=12))
    assert seen == [out]
    assert (out / "manifest.json").is_file() and not any(p.name.startswith("volume.") for p in out.iterdir())
    validate(out)


@pytest.mark.parametrize("umask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o002, 0o664, 0o775)])
def test_output_follows_the_umask(tmp_path, umask, file_mode, dir_mode):
    previous = os.umask(umask)
    try:
        out = build(demo_config(tmp_path / "vixray", demo_size=12)).out
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == dir_mode
    for path in out.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (dir_mode if path.is_dir() else file_mode), path


def two_patient_export(root: Path) -> Path:
    """Nine studies of two patients (three and six): patient-level 8:1:1 cannot fill three splits."""
    image_export(root, n=9)
    rows = image_rows(9)
    for i, values in enumerate(rows):
        values[1] = "BN-A" if i < 3 else "BN-B"
    write_table(root, rows)
    return root


def test_a_split_no_patient_is_left_for_is_left_out_and_the_rest_loads(tmp_path, capsys):
    root = two_patient_export(tmp_path / "export")
    code, out, err = run_build(tmp_path, root, capsys)
    assert code == 0, err
    built = tmp_path / "out"
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    empty = [s for s, v in manifest["counts"]["per_split"].items() if not v["written"]]
    assert len(empty) == 1
    assert f"{empty[0]}: 0 records — only 2 patients" in out
    assert not list((built / "data").glob(f"{empty[0]}-*"))
    card = (built / "README.md").read_text(encoding="utf-8")
    header = card.split("---\n")[1]
    assert f"split: {empty[0]}" not in header and f"name: {empty[0]}" not in header
    loaded = datasets.load_dataset(str(built))
    assert sorted(loaded) == sorted(manifest["splits"]) and sum(len(v) for v in loaded.values()) == 9
    validate(built)


def test_split_sizes_patients_cannot_meet_are_refused_before_anything_is_written(tmp_path, capsys):
    root = two_patient_export(tmp_path / "export")
    code, _, err = run_build(tmp_path, root, capsys, "--split-sizes", "4,3,2")
    assert code == 2
    assert "cannot be met at patient level" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_without_ocr_the_card_and_manifest_say_pixels_were_not_screened(demo_dir):
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pixel_screening"]["ocr"] is False
    assert "not screened" in manifest["pixel_screening"]["statement"]
    assert "pixels of this build were not screened for burned-in text" in (demo_dir / "README.md").read_text(
        encoding="utf-8"
    )


def test_an_unexpected_exception_is_one_line_naming_the_record_in_flight(tmp_path, capsys, monkeypatch):
    real = deid.Deidentifier.process

    def explode(self, raw, **kwargs):
        if raw.ref == "demo:4":
            raise TypeError("'NoneType' object is not subscriptable: Nguyễn Văn An")
        return real(self, raw, **kwargs)

    monkeypatch.setattr(deid.Deidentifier, "process", explode)
    code = main(["build", "--out", str(tmp_path / "out"), "--demo-size", "8", "--image-size", "32", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 70
    assert err.count("\n") == 1 and "Traceback" not in err and "Nguyễn" not in err
    assert "unexpected TypeError while de-identifying demo:4" in err and "-v" in err
    assert not (tmp_path / "out").exists()

    code = main(
        ["-v", "build", "--out", str(tmp_path / "out"), "--demo-size", "8", "--image-size", "32", "--no-progress"]
    )
    assert code == 70 and "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("module", "name", "stage"),
    [
        ("residual_scan", "residual_scan", "scanning the output for residual PHI"),
        ("leak_scan", "scan_folder", "scanning the output for identifying values"),
        ("card", "render_card", "writing manifest.json, README.md and croissant.json"),
        ("output", "swap_in", "moving the build into place at {out}"),
    ],
)
def test_an_unexpected_exception_after_the_shards_names_the_stage_it_happened_in(
    tmp_path, capsys, monkeypatch, module, name, stage
):
    """Each stage names itself on entry: a failure in the card or the final swap is not put on rejects.jsonl."""
    import importlib

    def explode(*args, **kwargs):
        raise TypeError("a bug")

    target = importlib.import_module(f"vixray_data.{module}" if module == "card" else f"vixray_data.build.{module}")
    monkeypatch.setattr(target, name, explode)
    code = main(["build", "--out", str(tmp_path / "out"), "--demo-size", "8", "--image-size", "32", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 70
    assert f"unexpected TypeError while {stage.format(out=tmp_path / 'out')} (a bug" in err
    assert not (tmp_path / "out").exists() and [p.name for p in tmp_path.iterdir()] == []


def test_ocr_and_max_pixels_options_reach_the_build_config():
    import argparse

    from vixray_data.commands import build as command
    from vixray_data.config import DEFAULT_MAX_PIXELS
    from vixray_data.ocr import DEFAULT_MARKERS

    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    plain = command.config_from_args(parser.parse_args([]))
    assert (plain.ocr, plain.ocr_allow, plain.max_pixels) == (False, DEFAULT_MARKERS, DEFAULT_MAX_PIXELS)
    chosen = command.config_from_args(parser.parse_args(["--ocr", "--ocr-allow", "L, R,ĐỨNG", "--max-pixels", "4000"]))
    assert (chosen.ocr, chosen.ocr_allow, chosen.max_pixels) == (True, ("L", "R", "ĐỨNG"), 4000)


def test_an_export_where_every_record_is_rejected_fails_with_the_reasons(tmp_path, capsys):
    root = image_export(tmp_path / "export", n=2)
    rows = image_rows(2)
    for i, values in enumerate(rows):
        values[-1] = f"missing{i}.png"  # no row names an existing file
    write_table(root, rows)
    code, _, err = run_build(tmp_path, root, capsys)
    assert code == 2 and "Traceback" not in err
    assert "no record could be written" in err and "(no_image 2, no_report 2)" in err
    assert not (tmp_path / "out").exists()


class _FileSystem:
    """What ``os.statvfs`` says of a file system: its flags and its free blocks."""

    def __init__(self, *, read_only: bool = False, free: int = 2**40):
        self.f_flag = os.ST_RDONLY if read_only else 0
        self.f_frsize, self.f_bavail = 4096, free // 4096


def _never_read(monkeypatch):
    from vixray_data import sources

    def refuse(config):
        raise AssertionError("the export was opened before the output location was checked")

    monkeypatch.setattr(sources, "open_source", refuse)


def test_a_read_only_output_fails_in_one_line_before_the_export_is_read(tmp_path, capsys, monkeypatch):
    from vixray_data.build import output

    _never_read(monkeypatch)
    monkeypatch.setattr(output.os, "statvfs", lambda path: _FileSystem(read_only=True))
    code = main(["build", "--out", str(tmp_path / "out"), "--demo-size", "8", "--image-size", "32", "--no-progress"])
    err = capsys.readouterr().err
    assert code == OutputError.exit_code and err.count("\n") == 1
    assert f"cannot write the output {tmp_path / 'out'}: {tmp_path} is on a read-only file system" in err
    assert list(tmp_path.iterdir()) == []


def test_an_output_without_room_for_the_estimate_fails_before_the_export_is_read(tmp_path, capsys, monkeypatch):
    from vixray_data.build import output

    _never_read(monkeypatch)
    monkeypatch.setattr(output.os, "statvfs", lambda path: _FileSystem(free=10 * 2**20))
    # 5,400 images of 1024 x 1024 px: about a gigabyte, estimated from the demo's size
    code = main(["build", "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == OutputError.exit_code and err.count("\n") == 1
    assert "not enough room for the output" in err and "10 MiB free" in err and "an estimate" in err


def test_an_exports_estimate_is_the_size_of_its_files(tmp_path):
    from vixray_data.build.output import estimate_size
    from vixray_data.config import BuildConfig

    export = tmp_path / "export"
    (export / "img").mkdir(parents=True)
    (export / "img" / "a.png").write_bytes(b"x" * 3000)
    (export / "table.csv").write_bytes(b"y" * 500)
    assert estimate_size(BuildConfig(source=export, out=tmp_path / "o")) == 3500
    assert estimate_size(BuildConfig(out=tmp_path / "o", demo_size=10, demo_image_size=100)) == 10 * 100 * 100 // 5


def test_a_writable_volume_under_a_read_only_parent_passes_the_check(tmp_path, monkeypatch):
    from vixray_data.build import output

    volume = tmp_path / "volume"
    volume.mkdir()
    monkeypatch.setattr(output.os, "statvfs", lambda path: _FileSystem(read_only=Path(path) != volume))
    output.check_location(volume, 1000)  # the build goes inside it
    with pytest.raises(OutputError, match="read-only"):
        output.check_location(tmp_path / "elsewhere", 1000)

"""The two-pass build writes what the one-pass build wrote: the same bytes for the same input and seed.

The expected digests below were recorded from the one-pass build (every record held until all identifying values
were known), before the builder streamed its source twice; ``manifest.json`` and ``README.md`` were re-recorded once
since, when the manifest gained ``image_checks`` and the card its line (the shards and rejects.jsonl are as recorded).
Three inputs, each written by code: the demo, an
image-folder export (PNG files + a CSV with identifying columns, and bad rows: a repeated study, a missing and an
undecodable image, a bad age, an empty report, a byte-identical image in one split), and a source listing the same
study twice (``duplicate_id``, decided by the first occurrence) with split sizes that leave records over.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import demo_config
from PIL import Image

from vixray_data import schema, sources
from vixray_data.build import build
from vixray_data.build.images import WINDOW
from vixray_data.config import BuildConfig
from vixray_data.deid import DEMO_KEY, pseudonym
from vixray_data.records import CleanRecord, EncodedImage, RawRecord, Reject
from vixray_data.split import plan_splits

KEY = b"two-pass-test-key-0123456789abcdef"
GOOD = {
    schema.AGE: 70,
    schema.SEX: "Nam",
    schema.VIEW: "PA",
    schema.FINDINGS: "Bóng tim to.",
    schema.IMPRESSIONS: "Bóng tim to.",
}


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a built folder, by path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the inputs ------------------------------------------------------------------------------------------
def _png(path: Path, value: int, size: int = 16) -> None:
    """A small grey PNG whose pixels depend on ``value`` (two values, two different images)."""
    arr = (np.arange(size * size, dtype=np.uint32).reshape(size, size) * (value + 1) % 251).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


EXPORT_HEADERS = ["Số phiếu", "Mã BN", "Họ tên", "Tuổi", "Giới tính", "Tư thế", "Mô tả", "Kết luận", "File name"]


def make_export(root: Path) -> Path:
    """24 rows of 16 patients (some with two studies), PHI in the identifying columns and in the report text,
    and one row of each kind of bad input."""
    rows = []
    for n in range(24):
        patient = n if n < 16 else n - 16  # patients 0-7 have two studies
        name = f"Nguyễn Văn {chr(ord('A') + patient)}"
        rows.append(
            {
                "Số phiếu": f"XQ{2400 + n}",
                "Mã BN": f"BN{77000 + patient}",
                "Họ tên": name,
                "Tuổi": str(30 + n),
                "Giới tính": "Nam" if n % 2 else "Nữ",
                "Tư thế": "PA" if n % 3 else "AP",
                "Mô tả": f"Bóng tim không to. Phổi sáng đều {n}. BS. Trần Văn Bình đọc phim, gọi 0912 345 678.",
                "Kết luận": f"Không thấy tổn thương. Bệnh nhân {name}.",
                "File name": f"img/study_{n:02d}.png",
            }
        )
        _png(root / rows[-1]["File name"], n)
    rows.append(dict(rows[3], **{"Mã BN": "BN77099"}))  # the study of row 4 again: duplicate_study
    rows.append(dict(rows[5], **{"Số phiếu": "XQ2900", "File name": "img/missing.png"}))  # no_image
    rows.append(dict(rows[6], **{"Số phiếu": "XQ2901", "File name": "img/broken.png"}))  # undecodable_image
    (root / "img" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    rows.append(dict(rows[7], **{"Số phiếu": "XQ2902", "Tuổi": "không rõ", "File name": "img/x_age.png"}))  # bad_age
    _png(root / "img" / "x_age.png", 90)
    rows.append(dict(rows[8], **{"Số phiếu": "XQ2903", "Mô tả": "", "File name": "img/x_empty.png"}))  # empty_findings
    _png(root / "img" / "x_empty.png", 91)
    # row 1's image again, in another file, for the same patient (so the same split): duplicate_file
    rows.append(dict(rows[0], **{"Số phiếu": "XQ2904", "File name": "img/copy_of_00.png"}))
    _png(root / "img" / "copy_of_00.png", 0)
    with (root / "metadata.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    (root.parent / "deid.key").write_bytes(KEY)
    return root


def export_config(root: Path, out: Path, **overrides) -> BuildConfig:
    settings = {
        "source": root,
        "out": out,
        "deid_key_file": root.parent / "deid.key",
        "num_proc": 1,
        "progress": False,
        "seed": 11,
    }
    settings.update(overrides)
    return BuildConfig(**settings)


def _image(value: int) -> EncodedImage:
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(buffer, format="PNG")
    return EncodedImage(buffer.getvalue(), "png")


class RepeatedStudySource:
    """Twelve studies, two of them listed twice (the second listing differs), and a record the source could not
    read; iterable any number of times."""

    is_demo = True

    def __init__(self, config=None):
        self.items: list[RawRecord | Reject] = []
        for n in range(12):
            study = f"s{n}"
            self.items.append(RawRecord(f"row:{n}", study, f"p{n // 2}", dict(GOOD), lambda n=n: _image(n)))
            if n in (3, 8):
                again = {**GOOD, schema.FINDINGS: "Phổi sáng."}
                self.items.append(RawRecord(f"row:{n}b", study, f"p{n}", again, lambda n=n: _image(100 + n)))
        self.items.append(Reject("row:99", "unreadable_row", "the source could not parse this row"))

    def __iter__(self):
        return iter(self.items)

    def summary(self):
        return {"kind": "test"}


# -- what the one-pass build wrote -------------------------------------------------------------------------
DEMO_DIGESTS = {
    "README.md": "8481fc9dcfc82cae44bcd15db3fd69723d7c5c6ebcfbde2ef6add49a736fbf98",
    "croissant.json": "1118cfa638da5aa314aac47a0555fbcab7340bbef9dfa4cb052fd116b3d363fc",
    "data/test-00000-of-00001.parquet": "8f0da86ced3c4fb6bcc2f00325badffa99f15b283b7a0a35d6775ded0456218a",
    "data/train-00000-of-00001.parquet": "959be29d14839c17c510c9e2e87f718b273eab7ecd19a82e1fa1dbf62eb28833",
    "data/validation-00000-of-00001.parquet": "f37bf7e1f4b8d7ab6667fec2c95251fc3f3773c672a1bafc024c2cee20c98c08",
    "manifest.json": "7d93f2d0f0b38fb26956c9b3f711da60ebfec90720ce5ab65672d9c17e7795ba",
    "rejects.jsonl": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
}
EXPORT_DIGESTS = {
    "README.md": "4910e1adde3ae662da7ad7b7f0751620d15a2a8ffe4d18ab18c8cdfff2860504",
    "croissant.json": "4851b49c79465e83ffbbd5fefc5acd63eeada7b6011858b9e598f7e242693cb5",
    "data/test-00000-of-00001.parquet": "ef5a05d731348c0480d00bfe29794ed985b013e13bcb3119be9d3d26402e37f4",
    "data/train-00000-of-00001.parquet": "3cb771d888ed162910eb519d715409e56cb962c1a9336e853ba1b75810d3f785",
    "data/validation-00000-of-00001.parquet": "23d18b26d0e38ceeef2fb667f2655875bd17b2d6f000236959c2e13e3e1b779b",
    "manifest.json": "b0a6bbc4d3bce0ba4a75e52429739623abba9681ce533559969c182cdfa5ef62",
    "rejects.jsonl": "05346465508adff04811da21b7a3f2445032063a4cd7e9eae723f4af746f705f",
}
REPEATED_DIGESTS = {
    "README.md": "53f0f9bebb05c36b13e7e9d364020b51f3f04d5bb8c99cb12b3082021409d91c",
    "croissant.json": "ba9b0767400528c2e14ccc5f120ac8fc77f019cf2e50f5fe7cb9f36d3d8c46f9",
    "data/test-00000-of-00001.parquet": "b4c95112605740827bc6230f85d265d63fade41e8a2536f70c977e1964724bad",
    "data/train-00000-of-00001.parquet": "0d16fed629518d9241f28c644d9c084c33f1472943319dd1c742aa5d02628169",
    "data/validation-00000-of-00001.parquet": "eceb079297ea5b6848212a3e8d15ef34d6a86b44768352d0f9801ba1a602a638",
    "manifest.json": "ad1222c97cec1cede3254ddd12eda820f1499bee2b7f9a536b86d24e0b2147bb",
    "rejects.jsonl": "712d4ae77efb9a4412a0ca9c9370b17f3f2d0731be4fdaa6627a92d7a1a41461",
}


def build_demo(out: Path, **overrides):
    return build(demo_config(out, demo_size=60, demo_image_size=32, **overrides))


def build_export(tmp_path: Path, out: Path, **overrides):
    root = tmp_path / "export"
    if not root.exists():
        make_export(root)
    return build(export_config(root, out, **overrides))


def build_repeated(out: Path, monkeypatch, **overrides):
    monkeypatch.setattr(sources, "open_source", RepeatedStudySource)
    return build(demo_config(out, split_sizes=(6, 2, 2), **overrides))


def test_the_demo_build_writes_the_bytes_the_one_pass_build_wrote(tmp_path):
    assert digests(build_demo(tmp_path / "vixray").out) == DEMO_DIGESTS


def test_the_export_build_writes_the_bytes_the_one_pass_build_wrote(tmp_path):
    result = build_export(tmp_path, tmp_path / "vixray")
    assert result.counts.rejected_by_reason == {
        "bad_age": 1,
        "duplicate_file": 1,
        "duplicate_study": 1,
        "empty_findings": 1,
        "no_image": 1,
        "undecodable_image": 1,
    }
    assert digests(result.out) == EXPORT_DIGESTS


def test_a_study_listed_twice_is_written_once_and_the_bytes_are_the_one_pass_builds(tmp_path, monkeypatch):
    result = build_repeated(tmp_path / "vixray", monkeypatch)
    rejects = (result.out / schema.REJECTS).read_text()
    assert '{"detail": "same study id as row:3", "reason": "duplicate_id", "ref": "row:3b"}' in rejects
    assert '{"detail": "same study id as row:8", "reason": "duplicate_id", "ref": "row:8b"}' in rejects
    assert result.counts.rejected_by_reason == {"duplicate_id": 2, "not_in_split_sizes": 2, "unreadable_row": 1}
    assert digests(result.out) == REPEATED_DIGESTS


@pytest.mark.parametrize("which", ["demo", "export"])
def test_one_worker_or_two_write_the_same_bytes(tmp_path, which):
    if which == "demo":
        one, two = build_demo(tmp_path / "1" / "vixray"), build_demo(tmp_path / "2" / "vixray", num_proc=2)
    else:
        one = build_export(tmp_path, tmp_path / "1" / "vixray")
        two = build_export(tmp_path, tmp_path / "2" / "vixray", num_proc=2)
    assert files(one.out) == files(two.out)


class CopiedImageSource(RepeatedStudySource):
    """Twelve studies of twelve patients; the last one's image file is byte for byte the first one's."""

    def __init__(self, config=None):
        def image(value: int) -> EncodedImage:
            data = _image(value).data
            return EncodedImage(data, "png", file_sha256=hashlib.sha256(data).hexdigest())

        self.items = [
            RawRecord(f"row:{n}", f"s{n}", f"p{n}", dict(GOOD), lambda n=n: image(0 if n == 11 else n))
            for n in range(12)
        ]


def test_of_two_identical_images_the_first_in_source_order_is_written_whatever_its_split(tmp_path, monkeypatch):
    """The duplicate check runs as the source is read again: the first listing wins, even when its split (test) is
    written after the copy's (train). The one-pass build wrote split by split and kept the train copy."""
    patients = [pseudonym(DEMO_KEY, "patient", f"p{n}") for n in range(12)]
    ids = [pseudonym(DEMO_KEY, "study", f"s{n}") for n in range(12)]
    where = {i: s for s, v in plan_splits(patients, ids=ids, seed=1, sizes=(8, 2, 2)).indices.items() for i in v}
    assert (where[0], where[11]) == (schema.TEST, schema.TRAIN)  # the case this test is about
    monkeypatch.setattr(sources, "open_source", CopiedImageSource)
    result = build(demo_config(tmp_path / "vixray", seed=1, split_sizes=(8, 2, 2)))
    assert [(r.ref, r.reason) for r in result.rejects] == [("row:11", "duplicate_file")]
    test_ids = pq.read_table(result.out / "data" / "test-00000-of-00001.parquet", columns=[schema.ID])
    assert ids[0] in test_ids.column(schema.ID).to_pylist()


class CountingSource(RepeatedStudySource):
    """1,500 studies whose image producers count, every 100th time, the records alive in the builder."""

    def __init__(self, config=None):
        self.alive: list[int] = []

        def image(n: int) -> EncodedImage:
            if n % 100 == 0:
                self.alive.append(sum(type(o) is CleanRecord for o in gc.get_objects()))
            return _image(n % 250)

        self.items = [RawRecord(f"row:{n}", f"s{n}", f"p{n}", dict(GOOD), lambda n=n: image(n)) for n in range(1500)]


def test_the_builder_holds_the_records_in_flight_not_the_corpus(tmp_path, monkeypatch):
    opened: list[CountingSource] = []
    monkeypatch.setattr(sources, "open_source", lambda config: opened.append(CountingSource()) or opened[-1])
    result = build(demo_config(tmp_path / "vixray", split_sizes=(1500, 0, 0)))
    assert result.counts.written == 1500
    assert len(opened[0].alive) == 15 and max(opened[0].alive) <= WINDOW  # a window of the stream, at most

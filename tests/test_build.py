"""The builder: round trip, determinism, atomicity, size bounds, rejects and the CLI."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from pathlib import Path

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import DEMO_SEED, demo_config
from PIL import Image

from vixray_data import cli, schema, sources
from vixray_data.build import build
from vixray_data.commands.build import config_from_args
from vixray_data.deid import DEMO_KEY
from vixray_data.errors import SourceError, StrictModeError, VixrayError
from vixray_data.records import EncodedImage, RawRecord, Reject
from vixray_data.sources.demo import DemoSource
from vixray_data.writer import SplitWriter


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(out: Path) -> list[str]:
    return sorted(
        p.name
        for p in out.parent.iterdir()
        if p.name != out.name and p.name.startswith((f"{out.name}.tmp-", f"{out.name}.old-", ".meta-"))
    )


def _demo_study_id(study_key: str) -> str:
    """The id the builder must write for a demo study: HMAC-SHA256 of ("study", key) under the public demo key."""
    return hmac.new(DEMO_KEY, f"study\x1f{study_key}".encode(), hashlib.sha256).hexdigest()[:16]


def test_every_field_of_every_split_equals_its_source_record(demo_dir):
    # The known de-identification outcome of a demo record, written out here rather than computed by the
    # de-identifier under test: the demo text holds no identifying value, so every text field is written as
    # generated; ages above 89 become 90; sex and view are already canonical; the id is the study key's HMAC.
    source = DemoSource(size=60, seed=DEMO_SEED, image_size=64)
    expected = {}
    for i in range(len(source)):
        raw = source.record(i)
        fields = dict(raw.fields)
        fields[schema.AGE] = min(fields[schema.AGE], 90)
        expected[_demo_study_id(raw.study_key)] = (fields, raw.image().data)
    assert any(f[schema.NOTE] for f, _ in expected.values()) and len(expected) == 60
    loaded = datasets.load_dataset(str(demo_dir))
    assert list(loaded) == list(schema.SPLITS)
    seen = set()
    for split in schema.SPLITS:
        part = loaded[split].cast_column(schema.IMAGE, datasets.Image(decode=False))
        assert part.features[schema.IMAGE] == datasets.Image(decode=False)
        assert list(part.column_names) == list(schema.FIELDS)
        for row in part:
            fields, image_bytes = expected[row[schema.ID]]
            for name in schema.FIELDS:
                if name == schema.IMAGE:
                    assert row[name]["bytes"] == image_bytes  # written as produced: no re-encode
                    assert row[name]["path"] == f"{row[schema.ID]}.png"
                elif name != schema.ID:
                    assert row[name] == fields[name], (row[schema.ID], name)
            seen.add(row[schema.ID])
    assert seen == set(expected)  # nothing lost, nothing invented


def test_loaded_images_decode_at_the_configured_size(demo_dir):
    first = datasets.load_dataset(str(demo_dir), split=schema.TEST)[0]
    assert first[schema.IMAGE].size == (64, 64)
    assert first[schema.IMAGE].mode == "L"


def test_manifest_describes_every_shard_and_counts_add_up(demo_dir, demo_build):
    manifest = json.loads((demo_dir / schema.MANIFEST).read_text(encoding="utf-8"))
    assert manifest == demo_build.manifest.to_json()
    assert manifest["builder"]["name"] == "vixray-data" and manifest["seed"] == DEMO_SEED
    assert manifest["synthetic"] is True and manifest["source"]["synthetic"] is True
    assert manifest["leak_scan"]["clean"] is True
    counts = manifest["counts"]
    assert counts["read"] == 60 == counts["written"] + counts["rejected"]
    for split, info in manifest["splits"].items():
        assert counts["per_split"][split]["written"] == info["num_examples"]
        assert sum(s["num_rows"] for s in info["shards"]) == info["num_examples"]
        for shard in info["shards"]:
            data = (demo_dir / shard["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == shard["sha256"] and len(data) == shard["bytes"]
    assert sorted(p.relative_to(demo_dir).as_posix() for p in demo_dir.rglob("*.parquet")) == sorted(
        s["path"] for info in manifest["splits"].values() for s in info["shards"]
    )
    assert (demo_dir / schema.REJECTS).read_text() == ""
    assert (demo_dir / schema.CARD).read_text(encoding="utf-8").startswith("---\n")


def test_no_patient_is_in_two_splits_and_some_patients_have_two_studies(demo_dir):
    patients = json.loads((demo_dir / schema.MANIFEST).read_text())["patients"]
    sets = [set(patients[s]) for s in schema.SPLITS]
    assert all(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1 :])
    assert sum(len(s) for s in sets) < 60  # fewer patients than studies: repeat studies were kept together


def test_demo_records_say_they_are_synthetic(demo_dir):
    notes = datasets.load_dataset(str(demo_dir), split=schema.TRAIN)[schema.NOTE]
    assert all("synthetic" in note for note in notes)


def test_two_builds_of_the_same_input_and_seed_are_byte_identical(tmp_path):
    first = build(demo_config(tmp_path / "a" / "vixray", demo_size=30, num_proc=1))
    second = build(demo_config(tmp_path / "b" / "vixray", demo_size=30, num_proc=2))  # worker processes change nothing
    assert _files(first.out) == _files(second.out)
    other_seed = build(demo_config(tmp_path / "c" / "vixray", demo_size=30, seed=DEMO_SEED + 1))
    assert _files(other_seed.out) != _files(first.out)


def test_a_build_failing_after_its_first_shard_leaves_the_previous_folder_untouched(tmp_path, monkeypatch):
    out = tmp_path / "vixray"
    build(demo_config(out, demo_size=30))
    before = _files(out)
    original = SplitWriter._close_shard
    closed = []

    def close_then_fail(self):
        original(self)
        closed.append(self.split)
        raise RuntimeError("injected failure after the first shard")

    monkeypatch.setattr(SplitWriter, "_close_shard", close_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        build(demo_config(out, demo_size=30, seed=DEMO_SEED + 1, row_group_bytes=8_000, shard_bytes=20_000))
    assert closed  # the failure really came after a shard was written
    assert _files(out) == before
    assert _leftovers(out) == []


def test_a_failing_first_build_leaves_no_folder_behind(tmp_path, monkeypatch):
    out = tmp_path / "vixray"
    monkeypatch.setattr(SplitWriter, "close", lambda self: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        build(demo_config(out, demo_size=10))
    assert not out.exists() and _leftovers(out) == []


def test_row_groups_and_shards_stay_under_their_byte_limits(tmp_path):
    row_group_bytes, shard_bytes = 12_000, 40_000
    result = build(demo_config(tmp_path / "vixray", row_group_bytes=row_group_bytes, shard_bytes=shard_bytes))
    train = result.manifest.splits[schema.TRAIN].shards
    assert len(train) > 1
    assert [Path(s.path).name for s in train] == [
        f"train-{i:05d}-of-{len(train):05d}.parquet" for i in range(len(train))
    ]
    for info in result.manifest.splits.values():
        for shard in info.shards:
            path = result.out / shard.path
            meta = pq.ParquetFile(path).metadata
            assert path.stat().st_size <= shard_bytes
            assert meta.num_row_groups > 1 or meta.num_rows < 4
            for g in range(meta.num_row_groups):
                assert meta.row_group(g).total_byte_size <= row_group_bytes
            assert shard.max_row_group_bytes <= row_group_bytes
    assert result.manifest.limits.to_json() == {"row_group_bytes": row_group_bytes, "shard_bytes": shard_bytes}
    assert sum(datasets.load_dataset(str(result.out)).num_rows.values()) == 60


def test_explicit_split_sizes_are_honoured_and_the_rest_is_listed_as_rejected(tmp_path):
    result = build(demo_config(tmp_path / "vixray", split_sizes=(40, 8, 8)))
    per_split = {s: v.written for s, v in result.counts.per_split.items()}
    assert sum(per_split.values()) <= 56 and abs(per_split[schema.TRAIN] - 40) <= 1
    assert result.counts.read == result.counts.written + result.counts.rejected == 60
    assert set(result.counts.rejected_by_reason) == {"not_in_split_sizes"}


# -- bad input ---------------------------------------------------------------------------------------
def _png(value: int) -> EncodedImage:
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(buffer, format="PNG")
    return EncodedImage(buffer.getvalue(), "png")


class _BadInputSource:
    """A source with one good record and one of each kind of bad input."""

    is_demo = True

    def __init__(self, config=None):
        good = {
            schema.AGE: 70,
            schema.SEX: "Nam",
            schema.VIEW: "PA",
            schema.FINDINGS: "Bóng tim to.",
            schema.IMPRESSIONS: "Bóng tim to.",
        }
        self.items = [
            RawRecord("row:1", "s1", "p1", dict(good), lambda: _png(10)),
            RawRecord("row:2", "s2", "p2", dict(good), lambda: EncodedImage(b"\x89PNG\r\n\x1a\nnot really", "png")),
            RawRecord("row:3", "s3", "p3", {**good, schema.FINDINGS: "  "}, lambda: _png(30)),
            RawRecord("row:4", "s1", "p1", dict(good), lambda: _png(40)),  # same study again
            RawRecord("row:5", "s5", "p5", {**good, schema.AGE: 130}, lambda: _png(50)),
            RawRecord("row:6", "s6", "p6", dict(good), lambda: EncodedImage(_png(60).data, "jpg")),
            Reject("row:7", "unreadable_row", "the source could not parse this row"),
        ]

    def __iter__(self):
        return iter(self.items)

    def summary(self):
        return {"kind": "test"}


def test_bad_records_are_listed_in_rejects_with_their_reason_and_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "open_source", _BadInputSource)
    result = build(demo_config(tmp_path / "vixray"))
    lines = [json.loads(line) for line in (result.out / schema.REJECTS).read_text().splitlines()]
    reasons = {line["ref"]: line["reason"] for line in lines}
    assert reasons == {
        "row:2": "undecodable_image",
        "row:3": "empty_findings",
        "row:4": "duplicate_id",
        "row:5": "bad_age",
        "row:6": "bad_image_format",
        "row:7": "unreadable_row",
    }
    assert all(line["detail"] for line in lines)
    counts = result.counts
    assert (counts.read, counts.written, counts.rejected) == (7, 1, 6)
    assert counts.rejected_by_reason["bad_age"] == 1
    assert "rejected 6" in result.summary_line()


def test_strict_mode_fails_on_a_reject_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "open_source", _BadInputSource)
    out = tmp_path / "vixray"
    with pytest.raises(StrictModeError, match="row:"):
        build(demo_config(out, strict=True))
    assert not out.exists() and _leftovers(out) == []


def test_unknown_source_path_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "no-such-export"
    with pytest.raises(SourceError, match="no-such-export"):
        build(demo_config(tmp_path / "vixray", source=missing))


def test_unwritable_output_is_an_error_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(VixrayError, match="a-file"):
        build(demo_config(blocker / "vixray", demo_size=3))


def test_a_folder_that_is_not_a_build_is_never_replaced(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    with pytest.raises(VixrayError, match="precious"):
        build(demo_config(out, demo_size=3))
    assert (out / "thesis.tex").read_text() == "keep me" and _leftovers(out) == []


# -- command line ------------------------------------------------------------------------------------
def test_cli_build_writes_the_folder_and_prints_a_one_line_summary(tmp_path, capsys):
    out = tmp_path / "vixray"
    code = cli.main(
        [
            "build",
            "--out",
            str(out),
            "--demo-size",
            "12",
            "--image-size",
            "32",
            "--num-proc",
            "1",
            "--no-progress",
            "--split-sizes",
            "8,2,2",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith("read 12 · written")
    assert (out / schema.MANIFEST).exists()


def test_cli_reports_an_unknown_source_as_one_line_and_exit_code_2(tmp_path, capsys):
    code = cli.main(["build", str(tmp_path / "missing-export"), "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    assert "missing-export" in capsys.readouterr().err


def test_cli_export_flags_fill_the_build_config(tmp_path):
    from vixray_data.cli import _parser

    args = _parser().parse_args(
        [
            "build",
            "exports",
            "--out",
            "o",
            "--table",
            "t.xlsx",
            "--key",
            "Mã",
            "--columns",
            'findings="Mô tả",impressions=Kết luận',
            "--bit-depth",
            "16",
            "--allow-burned-in",
            "--row-group-mb",
            "1",
            "--shard-mb",
            "2",
            "--seed",
            "7",
        ]
    )
    config = config_from_args(args)
    assert config.source == Path("exports") and config.table == Path("t.xlsx") and config.key_column == "Mã"
    assert config.columns == {"findings": "Mô tả", "impressions": "Kết luận"}
    assert (config.bit_depth, config.allow_burned_in, config.seed) == (16, True, 7)
    assert (config.row_group_bytes, config.shard_bytes) == (2**20, 2 * 2**20)


def test_a_terminated_build_removes_its_temp_folder_and_keeps_the_previous_build(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "vixray"
    build(demo_config(out, demo_size=10))
    before = _files(out)
    script = (
        "import sys; from vixray_data.cli import main; "
        f"sys.exit(main(['build', '--out', {str(out)!r}, '--demo-size', '3000', '--image-size', '256', "
        "'--num-proc', '1', '--no-progress', '--seed', '9']))"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("vixray.tmp-*/data")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # into the image stage
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 130 and "interrupted" in child.stderr.read()
    assert _files(out) == before and _leftovers(out) == []


def test_temp_folders_of_killed_builds_are_removed_by_the_next_build(tmp_path):
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"vixray.tmp-{gone.stdout.strip()}-abc123"
    (stale / "data").mkdir(parents=True)
    unrelated = tmp_path / "vixray.tmp-by-hand"  # not named by a builder: left alone
    unrelated.mkdir()
    build(demo_config(tmp_path / "vixray", demo_size=5))
    assert not stale.exists() and unrelated.exists()


# -- worker processes --------------------------------------------------------------------------------
class _KillerSource(_BadInputSource):
    """Twelve good records; the image of ``row:9`` kills the worker process producing it (as the OOM killer
    would), but renders normally in the builder's own process (which must never produce it)."""

    def __init__(self, config=None):
        import os
        import signal

        main = os.getpid()

        def killer():
            if os.getpid() != main:
                os.kill(os.getpid(), signal.SIGKILL)
            return _png(90)

        good = {
            schema.AGE: 70,
            schema.SEX: "Nam",
            schema.VIEW: "PA",
            schema.FINDINGS: "Bóng tim to.",
            schema.IMPRESSIONS: "Bóng tim to.",
        }
        self.items = [
            RawRecord(f"row:{n}", f"s{n}", f"p{n}", dict(good), killer if n == 9 else (lambda n=n: _png(n)))
            for n in range(1, 13)
        ]


class _WatchedSource(_BadInputSource):
    """Twelve good records whose images note each time one is produced in the builder's own process."""

    def __init__(self, config=None):
        import os

        main = os.getpid()
        self.in_main: list[str] = []

        def image(n):
            if os.getpid() == main:
                self.in_main.append(f"row:{n}")
            return _png(n)

        good = {
            schema.AGE: 70,
            schema.SEX: "Nam",
            schema.VIEW: "PA",
            schema.FINDINGS: "Bóng tim to.",
            schema.IMPRESSIONS: "Bóng tim to.",
        }
        self.items = [RawRecord(f"row:{n}", f"s{n}", f"p{n}", dict(good), lambda n=n: image(n)) for n in range(1, 13)]


def test_with_worker_processes_no_image_is_produced_in_the_main_process(tmp_path, monkeypatch):
    opened: list[_WatchedSource] = []
    monkeypatch.setattr(sources, "open_source", lambda config: opened.append(_WatchedSource()) or opened[-1])
    result = build(demo_config(tmp_path / "vixray", num_proc=2, split_sizes=(12, 0, 0)))
    assert result.counts.written == 12 and opened[0].in_main == []


def test_file_copies_are_produced_in_threads_and_everything_else_in_worker_processes(tmp_path):
    from vixray_data.build.images import use_workers
    from vixray_data.ocr import TextScreen
    from vixray_data.records import CleanRecord
    from vixray_data.sources.imagefile import ImageFile

    copies = [
        CleanRecord(f"id{n}", None, {}, ImageFile(f"/x/{n}.png", f"row:{n}", "png"), f"row:{n}") for n in range(4)
    ]
    drawn = [*copies[:3], CleanRecord("id9", None, {}, lambda: _png(9), "row:9")]
    assert use_workers(copies, 4, None) == 1  # threads
    assert use_workers(drawn, 4, None) == 4
    assert use_workers(copies, 4, TextScreen()) == 4  # OCR is real work
    assert use_workers(drawn, 1, None) == 1


def test_a_worker_killed_mid_build_fails_it_at_once_naming_the_record_and_keeps_the_previous_build(
    tmp_path, monkeypatch
):
    import signal

    from vixray_data.errors import WorkerError

    out = tmp_path / "vixray"
    build(demo_config(out, demo_size=10))
    before = _files(out)
    monkeypatch.setattr(sources, "open_source", _KillerSource)  # plain callables: worker processes

    def hung(signum, frame):
        raise TimeoutError("the build hung after its worker died")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)  # a guard against the old hang, not a speed assertion
    try:
        with pytest.raises(WorkerError, match=r"killed by SIGKILL while producing row:9\b"):
            build(demo_config(out, num_proc=2, split_sizes=(12, 0, 0)))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert _files(out) == before and _leftovers(out) == []


class _TaggedImageSource(_BadInputSource):
    """One record whose image bytes carry the patient's name in a PNG text chunk (a source that failed to strip)."""

    is_demo = False

    def __init__(self, config=None):
        from PIL import PngImagePlugin

        def tagged():
            info = PngImagePlugin.PngInfo()
            info.add_text("Patient", "Nguyễn Văn An", zip=True)
            buffer = io.BytesIO()
            Image.fromarray(np.full((8, 8), 7, np.uint8)).save(buffer, format="PNG", pnginfo=info)
            return EncodedImage(buffer.getvalue(), "png")

        good = {
            schema.AGE: 70,
            schema.SEX: "Nam",
            schema.VIEW: "PA",
            schema.FINDINGS: "Bóng tim to.",
            schema.IMPRESSIONS: "Bóng tim to.",
        }
        self.items = [RawRecord("row:1", "s1", "p1", dict(good), tagged, phi={"table.patient_name": "Nguyễn Văn An"})]


def test_an_identifying_value_inside_written_image_bytes_fails_the_leak_scan(tmp_path, monkeypatch):
    from vixray_data.errors import DeidError

    monkeypatch.setattr(sources, "open_source", _TaggedImageSource)
    monkeypatch.setenv("VIXRAY_DEID_KEY", "k" * 32)
    out = tmp_path / "vixray"
    with pytest.raises(DeidError, match="data/train"):
        build(demo_config(out, split_sizes=(1, 0, 0)))
    assert not out.exists() and _leftovers(out) == []


class _DigitPseudonymSource(_BadInputSource):
    """A demo record whose patient pseudonym (HMAC hex under the demo key) happens to be all digits."""

    def __init__(self, config=None):
        good = {
            schema.AGE: 70,
            schema.SEX: "Nam",
            schema.VIEW: "PA",
            schema.FINDINGS: "Bóng tim to.",
            schema.IMPRESSIONS: "Bóng tim to.",
        }
        self.items = [RawRecord("row:1", "s1", "demo-patient-175-000846", dict(good), lambda: _png(1))]


def test_a_patient_pseudonym_that_is_all_digits_is_not_taken_for_a_record_number(tmp_path, monkeypatch):
    from vixray_data.deid import pseudonym

    assert pseudonym(DEMO_KEY, "patient", "demo-patient-175-000846").isdigit()
    monkeypatch.setattr(sources, "open_source", _DigitPseudonymSource)
    result = build(demo_config(tmp_path / "vixray", split_sizes=(1, 0, 0)))
    assert result.manifest.patients[schema.TRAIN] == (pseudonym(DEMO_KEY, "patient", "demo-patient-175-000846"),)


def test_each_shards_sha256_and_size_are_those_of_the_file_written(tmp_path):
    writer = SplitWriter(tmp_path, schema.TRAIN, row_group_bytes=2**16, shard_bytes=3 * 2**16)
    for n in range(12):
        row = {name: None for name in schema.FIELDS}
        row.update({schema.ID: f"id{n:02d}", schema.FINDINGS: "Bóng tim không to.", schema.IMPRESSIONS: "Bình thường."})
        row[schema.IMAGE] = {"bytes": np.random.default_rng(n).bytes(40_000), "path": f"id{n:02d}.png"}
        writer.write(row)
    shards = writer.close()
    assert len(shards) > 1  # several shards, each hashed as it was written
    for shard in shards:
        data = (tmp_path / shard.path).read_bytes()
        assert (shard.sha256, shard.bytes) == (hashlib.sha256(data).hexdigest(), len(data))
        assert pq.ParquetFile(tmp_path / shard.path).metadata.num_rows == shard.num_rows


def test_the_image_bytes_read_back_are_the_bytes_written_whatever_their_lengths(tmp_path):
    """The image column is built from one joined buffer and its offsets: every row must get its own bytes back."""
    images = [b"", b"\x89PNG one", bytes(range(256)) * 300, b"\0", np.random.default_rng(3).bytes(70_001)]
    writer = SplitWriter(tmp_path, schema.TRAIN, row_group_rows=3)  # row groups of 3, 2: offsets restart per group
    for n, data in enumerate(images):
        row = {name: None for name in schema.FIELDS}
        row.update({schema.ID: f"id{n}", schema.FINDINGS: "Bóng tim không to.", schema.IMPRESSIONS: "Bình thường."})
        row[schema.IMAGE] = {"bytes": data, "path": f"id{n}.png"}
        writer.write(row)
    (shard,) = writer.close()
    table = pq.read_table(tmp_path / shard.path)
    assert [image["bytes"] for image in table.column(schema.IMAGE).to_pylist()] == images
    assert table.column(schema.ID).to_pylist() == [f"id{n}" for n in range(5)]

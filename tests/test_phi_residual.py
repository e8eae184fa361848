"""The residual-PHI scan: detection only, over what a build wrote from data, naming places never values."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from vixray_data import deid, phi, schema
from vixray_data.build.residual_scan import describe_residual, residual_scan
from vixray_data.records import EncodedImage, RawRecord

REPORT = "Bóng tim không to. Người đọc: Trần Thị Hoa. Liên hệ 0912 345 678."


def _shard(folder, texts: dict[str, str]) -> None:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    columns = {schema.ID: list(texts), **{name: [None] * len(texts) for name in schema.TEXT_FIELDS}}
    columns[schema.FINDINGS] = list(texts.values())
    pq.write_table(pa.table(columns), folder / "data" / "train-00000-of-00001.parquet")


def test_a_weakened_replacement_step_is_caught_by_the_residual_scan(tmp_path, monkeypatch):
    redact = phi.redact

    def weak_redact(text, spans):  # "forgets" names
        return redact(text, [s for s in spans if s.category != "name"])

    monkeypatch.setattr(deid.phi, "redact", weak_redact, raising=True)
    record = deid.Deidentifier(deid.DEMO_KEY).process(RawRecord(
        ref="row 1", study_key="S1", patient_key="P1", image=lambda: EncodedImage(b"", "png"),
        fields={schema.FINDINGS: REPORT, schema.IMPRESSIONS: "Bình thường."}))
    monkeypatch.undo()
    assert "Trần Thị Hoa" in record.fields[schema.FINDINGS] and "0912" not in record.fields[schema.FINDINGS]
    _shard(tmp_path, {record.id: record.fields[schema.FINDINGS]})
    hits = residual_scan(tmp_path)
    assert hits == [{"file": "data/train-00000-of-00001.parquet", "split": "train", "id": record.id,
                     "column": schema.FINDINGS, "category": "name"}]


def test_rejects_and_manifest_are_scanned_and_the_card_is_not(tmp_path):
    _shard(tmp_path, {"a1": "Bóng tim không to."})
    (tmp_path / schema.REJECTS).write_text(json.dumps({"ref": "row 3", "reason": "bad_age",
                                                       "detail": "gọi 0912 345 678"}) + "\n", encoding="utf-8")
    (tmp_path / schema.MANIFEST).write_text(json.dumps({"source": {"note": "BS. Lê Văn Tám"}, "seed": 175}),
                                            encoding="utf-8")
    (tmp_path / schema.CARD).write_text("Military Hospital 175, 2026, BS. Nguyễn Văn An", encoding="utf-8")
    lines = sorted(describe_residual(hit) for hit in residual_scan(tmp_path))
    assert lines == ["manifest.json, column source.note: name", "rejects.jsonl, id line 1, column detail: phone"]


def test_a_clean_folder_has_no_residual_hits(tmp_path):
    _shard(tmp_path, {"a1": "BS. ___ đọc phim. Bệnh nhân COPD, BN Lao phổi cũ, Kerley B, T12, 12 mm, năm 2019."})
    assert residual_scan(tmp_path) == []


def test_report_residual_option_reaches_the_build_config(tmp_path):
    import argparse

    from vixray_data.commands.build import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--report-residual", str(tmp_path / "r.jsonl")]))
    assert config.report_residual == tmp_path / "r.jsonl"


def test_the_builders_own_pseudonyms_are_not_record_numbers_but_anything_else_in_their_place_is(tmp_path):
    _shard(tmp_path, {"a1": "Bóng tim không to."})
    (tmp_path / schema.REJECTS).write_text(
        json.dumps({"ref": "row 2 / file 123456789012", "reason": "no_report", "detail": ""}) + "\n"
        + json.dumps({"ref": "file 0912345678", "reason": "no_report", "detail": ""}) + "\n", encoding="utf-8")
    (tmp_path / schema.MANIFEST).write_text(json.dumps({
        "patients": {"train": ["1234567890123456", "079201001234"]},
        "source": {"lexicon_version": "2026.12.1", "note": "2026.12.1"}}), encoding="utf-8")
    lines = sorted(describe_residual(hit) for hit in residual_scan(tmp_path))
    assert lines == ["manifest.json, column patients.train[1]: national_id", "manifest.json, column source.note: date",
                     "rejects.jsonl, id line 2, column ref: phone"]

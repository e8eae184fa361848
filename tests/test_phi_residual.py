"""The residual-PHI screen and scan: detection only, over what a build writes from data, naming places never values;
the redaction marker is neither PHI nor context for PHI; a second detector, independent of the recognizers."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vixray_data import deid, phi, schema
from vixray_data.build import residual_scan as rs
from vixray_data.build.residual_scan import describe_residual, find_residual, residual_scan
from vixray_data.phi import Span
from vixray_data.records import CleanRecord, EncodedImage, RawRecord

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
    record = deid.Deidentifier(deid.DEMO_KEY).process(
        RawRecord(
            ref="row 1",
            study_key="S1",
            patient_key="P1",
            image=lambda: EncodedImage(b"", "png"),
            fields={schema.FINDINGS: REPORT, schema.IMPRESSIONS: "Bình thường."},
        )
    )
    monkeypatch.undo()
    assert "Trần Thị Hoa" in record.fields[schema.FINDINGS] and "0912" not in record.fields[schema.FINDINGS]
    _shard(tmp_path, {record.id: record.fields[schema.FINDINGS]})
    hits = residual_scan(tmp_path)
    where = {"file": "data/train-00000-of-00001.parquet", "split": "train", "id": record.id, "column": schema.FINDINGS}
    assert hits == [
        {**where, "category": "name", "detector": "recognizers"},  # both detectors see the name left
        {**where, "category": "unexplained_word", "detector": "safelist"},
    ]


def test_rejects_and_manifest_are_scanned_and_the_card_is_not(tmp_path):
    _shard(tmp_path, {"a1": "Bóng tim không to."})
    (tmp_path / schema.REJECTS).write_text(
        json.dumps({"ref": "row 3", "reason": "bad_age", "detail": "gọi 0912 345 678"}) + "\n", encoding="utf-8"
    )
    (tmp_path / schema.MANIFEST).write_text(
        json.dumps({"source": {"note": "BS. Lê Văn Tám"}, "seed": 175}), encoding="utf-8"
    )
    (tmp_path / schema.CARD).write_text("Military Hospital 175, 2026, BS. Nguyễn Văn An", encoding="utf-8")
    lines = sorted(describe_residual(hit) for hit in residual_scan(tmp_path))
    assert lines == ["manifest.json, column source.note: name", "rejects.jsonl, id line 1, column detail: phone"]


def test_a_clean_folder_has_no_residual_hits(tmp_path):
    _shard(tmp_path, {"a1": "BS. ___ đọc phim. Bệnh nhân COPD, BN Lao phổi cũ, Kerley B, T12, 12 mm, năm 2019."})
    assert residual_scan(tmp_path) == []


def test_a_file_that_is_no_shard_is_passed_over_but_a_detectors_own_error_is_not(tmp_path, caplog):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train-00000-of-00001.parquet").write_bytes(b"not parquet")
    assert residual_scan(tmp_path, {"quiet": lambda text: []}) == []
    assert "is not a readable shard" in caplog.text
    _shard(tmp_path, {"a1": "Bóng tim không to."})

    def broken(text):
        raise KeyError("a bug in a detector")

    with pytest.raises(KeyError):  # a scan that silently skipped the shard would pass a folder it never read
        residual_scan(tmp_path, {"broken": broken})


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
        json.dumps({"ref": "row 2 / file 123456789012", "reason": "no_report", "detail": ""})
        + "\n"
        + json.dumps({"ref": "file 0912345678", "reason": "no_report", "detail": ""})
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / schema.MANIFEST).write_text(
        json.dumps(
            {
                "patients": {"train": ["1234567890123456", "079201001234"]},
                "source": {"lexicon_version": "2026.12.1", "note": "2026.12.1"},
            }
        ),
        encoding="utf-8",
    )
    lines = sorted(describe_residual(hit) for hit in residual_scan(tmp_path))
    assert lines == [
        "manifest.json, column patients.train[1]: national_id",
        "manifest.json, column source.note: date",
        "rejects.jsonl, id line 2, column ref: phone",
    ]


RECOGNIZERS_ONLY = {"recognizers": phi.find_phi}


@pytest.mark.parametrize(
    "text",
    [
        "Địa chỉ: ___.",
        "Quê quán: ___. Ho khan 3 ngày.",
        "Thường trú ___",
        "Ngụ tại ___; sốt 3 ngày.",
        "Bệnh nhân ___, ___ tuổi.",
        "Liên hệ ___ (con gái).",
    ],
)
def test_the_redaction_marker_is_never_phi(text):
    assert find_residual(text, RECOGNIZERS_ONLY) == []


def test_the_redaction_marker_is_no_context_for_phi_and_hides_none():
    assert find_residual("Ông Đoàn ___ đến khám.", RECOGNIZERS_ONLY) == [("recognizers", "name")]  # "Ông" anchors
    assert find_residual("BS. ___ Hoàng đọc phim.", RECOGNIZERS_ONLY) == [("recognizers", "name")]  # a name part left
    assert find_residual("Địa chỉ: ___, Quận 1.", RECOGNIZERS_ONLY) == [("recognizers", "address")]


def unexplained_words(vocabulary: set[str]):
    """A stand-in for the safe-list detector (phi.safelist): every word outside ``vocabulary`` is flagged."""
    import re

    def find(text: str) -> list[Span]:
        return [
            Span(m.start(), m.end(), "unexplained")
            for m in re.finditer(r"[^\W\d_]+", text)
            if m.group().lower() not in vocabulary
        ]

    return find


def _record(findings: str) -> CleanRecord:
    return CleanRecord(
        id="0f3a9c1234abcd00",
        patient=None,
        ref="row 7 / file 0123456789ab",
        fields={schema.FINDINGS: findings, schema.IMPRESSIONS: "Bình thường."},
        image=lambda: EncodedImage(b"", "png"),
    )


def test_a_record_with_residual_phi_is_quarantined_naming_split_column_category_and_detector(tmp_path):
    report = tmp_path / "residual.jsonl"
    screen = rs.ResidualScreen(RECOGNIZERS_ONLY, report=report)
    assert screen.check(_record("Bóng tim không to. ___ đọc phim."), "train") is None
    reject = screen.check(_record("Bóng tim không to. Người đọc: Trần Thị Hoa, gọi 0912 345 678."), "test")
    assert (reject.ref, reject.reason) == ("row 7 / file 0123456789ab", "residual_phi")
    assert reject.detail == "split test; findings: name (recognizers); findings: phone (recognizers)"
    assert (screen.quarantined, dict(screen.by_detector)) == (1, {"recognizers": 1})
    hits = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert hits == [
        {
            "file": None,
            "split": "test",
            "id": "0f3a9c1234abcd00",
            "ref": "row 7 / file 0123456789ab",
            "column": "findings",
            "category": category,
            "detector": "recognizers",
        }
        for category in ("name", "phone")
    ]
    assert "Trần" not in report.read_text(encoding="utf-8") and "0912" not in reject.detail


def test_the_second_detector_catches_what_a_switched_off_recognizer_left(monkeypatch):
    from vixray_data.phi import analyzer
    from vixray_data.phi.spans import NAME

    text = "Phổi hai bên sáng. Người đọc: Trần Thị Hoa."
    monkeypatch.setattr(analyzer, "RECOGNIZERS", tuple(r for r in analyzer.RECOGNIZERS if NAME not in r[0]))
    assert phi.find_phi(text) == []  # the name recognizers are off: the scrub and the recognizers miss it twice
    stand_in = unexplained_words({"phổi", "hai", "bên", "sáng", "người", "đọc", "bình", "thường"})
    screen = rs.ResidualScreen({"recognizers": phi.find_phi, "safelist": stand_in})
    reject = screen.check(_record(text), "validation")
    assert reject is not None and reject.detail == "split validation; findings: unexplained (safelist)"
    assert dict(screen.by_detector) == {"recognizers": 0, "safelist": 1}
    assert find_residual("Phổi hai bên sáng. Người đọc: ___.", {"safelist": stand_in}) == []  # the marker: explained


def test_the_default_detectors_are_the_recognizers_and_the_safelist_when_installed():
    import importlib.util

    detectors = rs.default_detectors()
    assert detectors["recognizers"] is phi.find_phi
    assert ("safelist" in detectors) == (importlib.util.find_spec("vixray_data.phi.safelist") is not None)


def test_the_post_write_scan_reads_rejects_and_manifest_with_the_recognizers_only(tmp_path):
    _shard(tmp_path, {"a1": "Bóng tim không to."})
    (tmp_path / schema.REJECTS).write_text(
        json.dumps({"ref": "row 3", "reason": "residual_phi", "detail": "split train; findings: name (recognizers)"})
        + "\n",
        encoding="utf-8",
    )
    flag_all = unexplained_words(set())
    hits = residual_scan(tmp_path, {"recognizers": phi.find_phi, "safelist": flag_all})
    assert [(h["file"], h["detector"]) for h in hits] == [("data/train-00000-of-00001.parquet", "safelist")]


def test_the_span_memo_answers_as_its_detector_once_per_distinct_text_within_its_budget():
    calls: list[str] = []

    def detect(text: str) -> list[Span]:
        calls.append(text)
        return [Span(0, 3, "name")] if text.startswith("Hoa") else []

    memo = rs.SpanMemo(detect, chars=160)  # 160 characters of texts kept; a text over 10 characters never is
    texts = ["Hoa đọc.", "Phổi sáng.", "Hoa đọc.", "Phổi sáng.", "Hoa đọc."]
    assert [memo(text) for text in texts] == [[Span(0, 3, "name")], [], [Span(0, 3, "name")], [], [Span(0, 3, "name")]]
    assert calls == ["Hoa đọc.", "Phổi sáng."]  # each distinct text analysed once
    for n in range(19):  # 19 texts of 8 characters: the least recently used ("Phổi sáng.") goes first
        memo(f"Tim {n:03d}.")
    calls.clear()
    memo("Hoa đọc."), memo("Phổi sáng.")
    assert calls == ["Phổi sáng."]
    memo(long := "Rốn phổi không đậm."), memo(long)
    assert calls.count(long) == 2
    memo("Hoa đọc.")[0:0] = [Span(5, 6, "x")]  # the caller's list is its own: the memo keeps its answer
    assert memo("Hoa đọc.") == [Span(0, 3, "name")]

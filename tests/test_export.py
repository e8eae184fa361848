"""Hospital exports in, de-identified dataset out: PHI planted everywhere, none of it in the output.

Each export is written by code: DICOM files (several transfer syntaxes, MONOCHROME1/2, 8/16-bit) with
PHI in standard tags, private tags and file names, or PNG/JPEG files with PHI in text chunks, EXIF and
comments; a report table (CSV with BOM, XLSX, JSONL) with PHI in identifying columns and in the report
text. The build goes through ``vixray_data.build.build``.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pydicom
import pytest
from PIL import Image, PngImagePlugin
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, JPEGBaseline8Bit, RLELossless
from test_dicom import PLANTED, PRIVATE_VALUE, pixels, write_dicom

from vixray_data import schema
from vixray_data.build import build
from vixray_data.config import BuildConfig
from vixray_data.deid import pseudonym
from vixray_data.errors import DeidError, SchemaError, SourceError
from vixray_data.sources import table as tbl
from vixray_data.sources.export import ExportSource, strip_jpeg_metadata

KEY = b"test-secret-key-0123456789abcdef"
HEADERS = [
    "Số phiếu",
    "Mã BN",
    "Họ tên",
    "Ngày sinh",
    "Tuổi",
    "Giới tính",
    "Tư thế",
    "Ghi chú",
    "Kỹ thuật",
    "Mô tả",
    "Kết luận",
    "Số điện thoại",
]
DOCTOR = "Trần Văn Bình"
PHONE = "0912 345 678"
FINDINGS = "Bóng tim không to. Gãy cung bên xương sườn 2 bên phải, độ III."
IMPRESSIONS = "Theo dõi gãy xương sườn 2 phải."


def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "deid.key"
    path.write_bytes(KEY)
    return path


def config(source: Path, out: Path, **overrides) -> BuildConfig:
    settings = {
        "source": source,
        "out": out,
        "deid_key_file": key_file(out.parent),
        "num_proc": 1,
        "progress": False,
        "seed": 3,
    }
    settings.update(overrides)
    return BuildConfig(**settings)


def row(
    acc: str,
    *,
    pid: str,
    name: str,
    birth: str = "14/03/1952",
    age: str = "72",
    sex: str = "Nam",
    view: str = "PA",
    findings: str | None = None,
    impressions: str | None = None,
) -> dict:
    """A table row whose report text carries PHI (the doctor, a phone, the patient's own name)."""
    return {
        "Số phiếu": acc,
        "Mã BN": pid,
        "Họ tên": name,
        "Ngày sinh": birth,
        "Tuổi": age,
        "Giới tính": sex,
        "Tư thế": view,
        "Ghi chú": f"Liên hệ {PHONE}",
        "Kỹ thuật": "Chụp thẳng sau trước, 110 kV",
        "Mô tả": FINDINGS + f" BS. {DOCTOR} đọc phim." if findings is None else findings,
        "Kết luận": IMPRESSIONS + f" Bệnh nhân {name}." if impressions is None else impressions,
        "Số điện thoại": PHONE,
    }


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS)
        writer.writeheader()
        writer.writerows(rows)


def dicom_tags(acc: str, pid: str, name: str) -> dict:
    return {"AccessionNumber": acc, "PatientID": pid, "PatientName": name}


# --------------------------------------------------------------------------- the main DICOM export

GOOD = {  # accession -> (folder/file, DICOM options, table overrides, expected age, sex, view)
    "ACC-0001": ("NGUYEN_VAN_AN/IM_ACC-0001.dcm", {"arr": pixels(11)}, {}, 72, "Nam", "PA"),
    "ACC-0002": (
        "LE_THI_HOA/IM_ACC-0002.dcm",
        {
            "arr": pixels(12),
            "syntax": RLELossless,
            "photometric": "MONOCHROME1",
            "window": (2048, 4096),
            "age": "045Y",
            "sex": "F",
        },
        {"age": "", "sex": ""},
        45,
        "Nữ",
        "PA",
    ),
    "ACC-0003": (
        "PHAM_VAN_DUC/IM_ACC-0003.dcm",
        {"arr": pixels(13), "syntax": JPEG2000Lossless, "age": None},
        {"age": ""},
        71,
        "Nam",
        "PA",
    ),
    "ACC-0004": (
        "HO_THI_MAI/IM_ACC-0004.dcm",
        {"arr": pixels(14, bits=8), "syntax": JPEGBaseline8Bit, "view": "AP"},
        {"view": ""},
        72,
        "Nam",
        "AP",
    ),
    "ACC-0005": ("DANG_VAN_LONG/IM_ACC-0005.dcm", {"arr": pixels(15), "age": "093Y"}, {"age": ""}, 90, "Nam", "PA"),
}
NAMES = {
    "ACC-0001": ("NGUYEN^VAN^AN", "Nguyễn Văn An"),
    "ACC-0002": ("LE^THI^HOA", "Lê Thị Hoa"),
    "ACC-0003": ("PHAM^VAN^DUC", "Phạm Văn Đức"),
    "ACC-0004": ("HO^THI^MAI", "Hồ Thị Mai"),
    "ACC-0005": ("DANG^VAN^LONG", "Đặng Văn Long"),
}
#: reason -> how many rejects of it the main export holds
BAD = {
    "no_image": 1,
    "no_report": 1,
    "corrupt_dicom": 1,
    "truncated_dicom": 1,
    "duplicate_study": 1,
    "duplicate_file": 1,
    "duplicate_pixels": 1,
    "undecodable_image": 1,
    "empty_findings": 1,
    "empty_impressions": 1,
    "bad_age": 1,
    "bad_sex": 1,
    "bad_view": 1,
    "burned_in_annotation": 1,
}


def make_dicom_export(root: Path) -> Path:
    """Five good studies in five transfer-syntax/photometric variants plus one of every bad-input class."""
    rows = []
    for n, (acc, (rel, options, overrides, *_)) in enumerate(GOOD.items()):
        pn, name = NAMES[acc]
        tags = dicom_tags(acc, f"BN{900 + n}", pn)
        write_dicom(root / rel, tags={**tags, "StudyDate": "20240105"}, **options)
        table = row(acc, pid=f"BN{900 + n}", name=name)
        table.update({{"age": "Tuổi", "sex": "Giới tính", "view": "Tư thế"}[k]: v for k, v in overrides.items()})
        rows.append(table)

    def bad(acc: str, *, file: bool = True, tags: dict | None = None, **options) -> None:
        pid = f"BN{acc[-3:]}"
        if file:
            opts = {"arr": pixels(int(acc[-3:]))} | options
            write_dicom(root / "BAD" / f"{acc}.dcm", tags=dicom_tags(acc, pid, "VO^VAN^BAO") | (tags or {}), **opts)
        rows.append(row(acc, pid=pid, name="Võ Văn Bảo"))

    bad("ACC-0100", file=False)  # no_image
    write_dicom(root / "BAD" / "orphan.dcm", arr=pixels(101), tags=dicom_tags("ACC-0101", "BN101", "VO^VAN^BAO"))
    (root / "BAD" / "broken.dcm").write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00garbage" * 10)  # corrupt
    bad("ACC-0103")
    truncated = root / "BAD" / "ACC-0103.dcm"
    truncated.write_bytes(truncated.read_bytes()[:-900])
    rows.append(dict(rows[0]))  # duplicate_study: the same accession twice in the table
    shutil.copy(root / GOOD["ACC-0001"][0], root / "BAD" / "copy_of_0001.dcm")  # duplicate_file
    bad("ACC-0106", arr=pixels(11))  # duplicate_pixels: ACC-0001's pixels under another header
    bad("ACC-0107", syntax=JPEG2000Lossless)  # undecodable: valid header, garbage codestream
    broken = pydicom.dcmread(root / "BAD" / "ACC-0107.dcm")
    broken.PixelData = encapsulate([b"\xff\x4f\xff\x51" + b"\x13" * 200])
    broken.save_as(root / "BAD" / "ACC-0107.dcm")
    bad("ACC-0108")
    rows[-1]["Mô tả"] = "  "  # empty_findings
    bad("ACC-0109")
    rows[-1]["Kết luận"] = ""  # empty_impressions
    bad("ACC-0110", tags={"PatientBirthDate": ""}, age=None)
    rows[-1]["Tuổi"], rows[-1]["Ngày sinh"] = "abc", ""  # bad_age: unparseable, no dates to repair it
    bad("ACC-0111")
    rows[-1]["Giới tính"] = "X"  # bad_sex
    bad("ACC-0112")
    rows[-1]["Tư thế"] = "OBLIQUE"  # bad_view
    bad("ACC-0113", burned_in="YES")  # burned_in_annotation
    write_csv(root / "bao_cao.csv", rows)
    return root


@pytest.fixture(scope="module")
def dicom_build(tmp_path_factory):
    root = make_dicom_export(tmp_path_factory.mktemp("export") / "BV_export")
    out = tmp_path_factory.mktemp("built") / "vixray"
    return root, build(config(root, out, num_proc=2))


def rows_of(out: Path) -> list[dict]:
    rows = []
    for path in sorted((out / "data").glob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return rows


def planted_values(root: Path) -> set[str]:
    """Every identifying value put into the export, as its author would list them."""
    values = set(PLANTED.values()) - {PLANTED["PatientName"], PLANTED["PatientID"], PLANTED["AccessionNumber"]}
    values |= {PRIVATE_VALUE, DOCTOR, PHONE, "14/03/1952", "20240105"}
    for acc, (pn, name) in NAMES.items():
        values |= {acc, pn, name}
    for path in root.rglob("*"):
        if path != root:
            values |= {path.name, path.stem} if path.is_file() else {path.name}
    return {v for v in values if len(v) >= 4}


def spellings_of(value: str) -> set[str]:
    """An independent list of spellings: PN with spaces, case, no diacritics, NFD."""
    forms = {value, value.replace("^", " ")}
    bare = "".join(
        c
        for c in unicodedata.normalize("NFD", value.replace("Đ", "D").replace("đ", "d"))
        if not unicodedata.combining(c)
    )
    forms |= {bare, bare.replace("^", " ")}
    forms |= {f.upper() for f in forms} | {f.lower() for f in forms} | {unicodedata.normalize("NFD", value)}
    if value == "14/03/1952":
        forms |= {"19520314", "1952-03-14"}
    if value == "20240105":
        forms |= {"05/01/2024", "2024-01-05"}
    return forms


def output_texts(out: Path) -> list[tuple[str, bytes]]:
    """Raw bytes of every output file plus every decoded parquet string and image byte string."""
    texts = [(p.name, p.read_bytes()) for p in out.rglob("*") if p.is_file()]
    for path in (out / "data").glob("*.parquet"):
        for record in pq.read_table(path).to_pylist():
            for name, value in record.items():
                if isinstance(value, str):
                    texts.append((f"{path.name}:{name}", value.encode()))
                elif isinstance(value, dict):
                    texts.append((f"{path.name}:image.path", value["path"].encode()))
                    texts.append((f"{path.name}:image.bytes", value["bytes"]))
    return texts


def test_dicom_export_output_contains_no_planted_identifier(dicom_build):
    root, result = dicom_build
    texts = output_texts(result.out)
    leaks = [
        (where, value)
        for value in planted_values(root)
        for form in spellings_of(value)
        for where, blob in texts
        if form.encode() in blob
    ]
    assert not leaks
    assert result.manifest.leak_scan.clean and result.manifest.leak_scan.values_checked > 40


def test_dicom_export_keeps_age_sex_view_and_clinical_text(dicom_build):
    _, result = dicom_build
    got = {r[schema.ID]: r for r in rows_of(result.out)}
    assert len(got) == len(GOOD)
    for acc, (*_, age, sex, view) in GOOD.items():
        record = got[pseudonym(KEY, "study", acc)]
        assert (record[schema.AGE], record[schema.SEX], record[schema.VIEW]) == (age, sex, view)
        assert record[schema.FINDINGS] == FINDINGS + " BS. ___ đọc phim."
        assert record[schema.IMPRESSIONS] == IMPRESSIONS + " Bệnh nhân ___."
        assert record[schema.NOTE] == "Liên hệ ___"
        assert record[schema.TECHNIQUE] == "Chụp thẳng sau trước, 110 kV"
        assert record[schema.IMAGE]["path"] == f"{record[schema.ID]}.png"
        assert Image.open(io.BytesIO(record[schema.IMAGE]["bytes"])).size == (32, 32)


def test_dicom_export_audit_counts_dropped_tags_and_replaced_spans(dicom_build):
    _, result = dicom_build
    audit = result.manifest.deid
    assert audit["tags_dropped"] > 20 * len(GOOD)
    assert audit["spans_replaced"][schema.FINDINGS] >= len(GOOD)  # the doctor
    assert audit["spans_replaced"][schema.IMPRESSIONS] >= len(GOOD)  # the patient's own name
    assert audit["spans_replaced"][schema.NOTE] >= len(GOOD)  # the phone
    assert audit["ages_capped"] == 1 and audit["ages_from_dates"] >= 1
    assert "secret key" in audit["pseudonyms"]
    summary = json.dumps(result.manifest.source)
    assert "bao_cao" not in summary and "NGUYEN" not in summary
    assert set(result.manifest.source["transfer_syntaxes"]) >= {
        ExplicitVRLittleEndian.keyword,
        RLELossless.keyword,
        JPEG2000Lossless.keyword,
        JPEGBaseline8Bit.keyword,
    }


@pytest.mark.parametrize("reason", sorted(BAD))
def test_bad_input_is_listed_in_rejects_with_its_reason(dicom_build, reason):
    _, result = dicom_build
    lines = [json.loads(line) for line in (result.out / schema.REJECTS).read_text(encoding="utf-8").splitlines()]
    mine = [line for line in lines if line["reason"] == reason]
    assert len(mine) == BAD[reason]
    assert all(line["ref"].startswith(("row ", "file ")) for line in mine)


def test_every_input_is_accounted_for(dicom_build):
    root, result = dicom_build
    counts = result.manifest.counts
    assert counts.read == counts.written + counts.rejected
    assert counts.written == len(GOOD) and counts.rejected == sum(BAD.values())
    assert counts.rejected_by_reason == BAD


def test_burned_in_images_are_written_when_reviewed(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1), burned_in="YES", tags=dicom_tags("ACC-1", "BN1", "A^B^C"))
    write_csv(root / "t.csv", [row("ACC-1", pid="BN1", name="A B C")])
    result = build(config(root, tmp_path / "out", allow_burned_in=True))
    assert result.manifest.counts.written == 1 and result.manifest.deid["burned_in_reviewed"] == 1


def test_sixteen_bit_build_writes_16_bit_pngs(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1), tags=dicom_tags("ACC-1", "BN1", "A^B^C"))
    write_csv(root / "t.csv", [row("ACC-1", pid="BN1", name="A B C")])
    result = build(config(root, tmp_path / "out", bit_depth=16))
    image = Image.open(io.BytesIO(rows_of(result.out)[0][schema.IMAGE]["bytes"]))
    assert image.mode.startswith("I;16") or image.mode == "I"


def test_two_studies_of_one_patient_land_in_the_same_split(tmp_path):
    root = tmp_path / "export"
    rows = []
    for p in range(12):
        for s in range(2):
            acc = f"ACC-{p:02d}-{s}"
            write_dicom(
                root / f"{acc}.dcm",
                arr=pixels(100 + 2 * p + s, size=16),
                tags=dicom_tags(acc, f"BN-{p:03d}", f"PATIENT^{p:02d}^X"),
            )
            rows.append(row(acc, pid=f"BN-{p:03d}", name=f"Patient {p:02d} X"))
    write_csv(root / "t.csv", rows)
    result = build(config(root, tmp_path / "out", seed=5))
    split_of = {}
    for path in (result.out / "data").glob("*.parquet"):
        for record_id in pq.read_table(path, columns=[schema.ID]).column(schema.ID).to_pylist():
            split_of[record_id] = path.name.split("-")[0]
    assert len(split_of) == 24
    for p in range(12):
        studies = {split_of[pseudonym(KEY, "study", f"ACC-{p:02d}-{s}")] for s in range(2)}
        assert len(studies) == 1
    assert len(set(split_of.values())) >= 2
    patients = result.manifest.patients
    assert sum(len(v) for v in patients.values()) == 12 == len(set().union(*patients.values()))


def test_another_patients_name_in_a_report_is_scrubbed(tmp_path):
    root = tmp_path / "export"
    rows = []
    for n, name in enumerate(["ALPHA^ONE^Z", "BETA^TWO^Z"]):
        acc = f"ACC-{n}"
        write_dicom(root / f"{acc}.dcm", arr=pixels(n), tags=dicom_tags(acc, f"BN-{n}", name))
        rows.append(row(acc, pid=f"BN-{n}", name=name.replace("^", " ").title()))
    rows[0]["Mô tả"] = FINDINGS + " So sánh với phim của Beta Two Z."  # another patient's name, untitled
    write_csv(root / "t.csv", rows)
    result = build(config(root, tmp_path / "out"))
    findings = {r[schema.FINDINGS] for r in rows_of(result.out)}
    assert FINDINGS + " So sánh với phim của ___." in findings


# --------------------------------------------------------------------------- residual PHI: the record, not the build

MISSED = FINDINGS + " Người đọc: Trần Thị Hoa, 0912 345 678."  # what a weakened scrub leaves in row 1


def residual_export(root: Path) -> Path:
    """Two studies; row 1's findings name the reader and her phone (a scrub that skips row 1 leaves them)."""
    write_dicom(root / "a.dcm", arr=pixels(1), tags=dicom_tags("ACC-1", "BN-1", "A^B^C"))
    write_dicom(root / "b.dcm", arr=pixels(2), tags=dicom_tags("ACC-2", "BN-2", "D^E^F"))
    write_csv(
        root / "t.csv",
        [
            row("ACC-1", pid="BN-1", name="A B C", findings=MISSED),
            row("ACC-2", pid="BN-2", name="D E F", findings=FINDINGS, impressions=IMPRESSIONS),
        ],
    )
    return root


def skip_scrub_of_row_1(monkeypatch) -> None:
    from vixray_data import deid

    scrub = deid.Deidentifier.scrub_record
    monkeypatch.setattr(
        deid.Deidentifier,
        "scrub_record",
        lambda self, record: None if record.ref.startswith("row 1 ") else scrub(self, record),
    )


def test_a_record_with_residual_phi_is_quarantined_and_the_rest_is_written(tmp_path, monkeypatch):
    root = residual_export(tmp_path / "export")
    skip_scrub_of_row_1(monkeypatch)
    report = tmp_path / "residual.jsonl"
    result = build(config(root, tmp_path / "out", report_residual=report))
    assert result.counts.written == 1 and result.counts.rejected_by_reason == {"residual_phi": 1}
    assert "rejected 1 (residual_phi 1)" in result.summary_line()
    rejects = [json.loads(line) for line in (result.out / schema.REJECTS).read_text(encoding="utf-8").splitlines()]
    assert [r["reason"] for r in rejects] == ["residual_phi"] and rejects[0]["ref"].startswith("row 1 / file ")
    split = rejects[0]["detail"].split(";")[0].removeprefix("split ")
    assert split in schema.SPLITS
    assert {"findings: name (recognizers)", "findings: phone (recognizers)", "note: phone (recognizers)"} <= {
        part.strip() for part in rejects[0]["detail"].split(";")[1:]
    }
    hits = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert {(h["column"], h["category"]) for h in hits} >= {(schema.FINDINGS, "name"), (schema.FINDINGS, "phone")}
    assert all(h["id"] == pseudonym(KEY, "study", "ACC-1") and h["split"] == split and h["file"] is None for h in hits)
    residual = result.manifest.residual_scan
    assert (residual.hits, residual.quarantined, residual.quarantined_by_detector["recognizers"]) == (0, 1, 1)
    assert [r[schema.ID] for r in rows_of(result.out)] == [pseudonym(KEY, "study", "ACC-2")]
    for name, data in [("report", report.read_bytes()), *output_texts(result.out)]:
        assert b"Tr\xe1\xba\xa7n" not in data and b"0912" not in data, name  # "Trần", the phone: nowhere


def test_the_review_page_lists_the_quarantined_records_without_their_text(tmp_path, monkeypatch):
    from vixray_data import review

    root = residual_export(tmp_path / "export")
    skip_scrub_of_row_1(monkeypatch)
    result = build(config(root, tmp_path / "out"))
    page = review.collect(result.out, sample=1)
    assert [q["ref"][:6] for q in page.quarantined] == ["row 1 "]
    html = review.render(page)
    assert "Quarantined records (1)" in html and "findings: name (recognizers)" in html
    assert "Trần" not in html and "0912" not in html


def test_a_reject_detail_carries_no_number_read_from_the_data():
    from vixray_data.deid import Deidentifier
    from vixray_data.records import RawRecord

    reject = Deidentifier(KEY).process(
        RawRecord(
            ref="row 1",
            study_key="S1",
            patient_key="P1",
            image=lambda: None,
            fields={schema.AGE: "416", schema.FINDINGS: FINDINGS, schema.IMPRESSIONS: IMPRESSIONS},
        )
    )
    assert (reject.reason, reject.detail) == ("bad_age", "impossible age in the age column")


def test_strict_makes_a_quarantined_record_fatal(tmp_path, monkeypatch):
    from vixray_data.errors import StrictModeError

    root = residual_export(tmp_path / "export")
    skip_scrub_of_row_1(monkeypatch)
    with pytest.raises(StrictModeError, match="residual_phi") as caught:
        build(config(root, tmp_path / "out", strict=True))
    assert "Trần" not in str(caught.value) and "0912" not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_residual_phi_past_the_screen_still_fails_the_build_and_writes_nothing(tmp_path, monkeypatch):
    from vixray_data.build import residual_scan

    root = residual_export(tmp_path / "export")
    skip_scrub_of_row_1(monkeypatch)
    monkeypatch.setattr(residual_scan.ResidualScreen, "check", lambda self, record, split: None)  # a screen bug
    report = tmp_path / "residual.jsonl"
    with pytest.raises(DeidError, match="residual PHI scan") as caught:
        build(config(root, tmp_path / "out", report_residual=report))
    assert "Trần" not in str(caught.value) and "0912" not in str(caught.value)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("out.")]
    hits = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert {(h["column"], h["category"]) for h in hits} >= {(schema.FINDINGS, "name"), (schema.FINDINGS, "phone")}
    assert all(
        h["split"] in schema.SPLITS and h["id"] == pseudonym(KEY, "study", "ACC-1")
        for h in hits
        if h["column"] == schema.FINDINGS
    )
    assert "Trần" not in report.read_text(encoding="utf-8")


def test_the_second_detector_quarantines_what_a_switched_off_recognizer_let_through(tmp_path, monkeypatch):
    import re

    from vixray_data.build import residual_scan
    from vixray_data.phi import Span, analyzer, find_phi
    from vixray_data.phi.spans import NAME

    root = residual_export(tmp_path / "export")
    monkeypatch.setattr(analyzer, "RECOGNIZERS", tuple(r for r in analyzer.RECOGNIZERS if NAME not in r[0]))
    # every name recognizer off: names neither scrubbed nor found
    words = " ".join([FINDINGS, IMPRESSIONS, "Liên hệ Chụp thẳng sau trước kV Bệnh nhân Người đọc"]).lower()
    vocabulary = set(re.findall(r"[^\W\d_]+", words))

    def stand_in_safelist(text: str) -> list[Span]:  # every word the export's clinical text does not use
        return [
            Span(m.start(), m.end(), "unexplained")
            for m in re.finditer(r"[^\W\d_]+", text)
            if m.group().lower() not in vocabulary
        ]

    monkeypatch.setattr(
        residual_scan, "default_detectors", lambda: {"recognizers": find_phi, "safelist": stand_in_safelist}
    )
    result = build(config(root, tmp_path / "out"))
    rejects = [json.loads(line) for line in (result.out / schema.REJECTS).read_text(encoding="utf-8").splitlines()]
    assert [(r["reason"], r["ref"][:6]) for r in rejects] == [("residual_phi", "row 1 ")]
    assert "findings: unexplained (safelist)" in rejects[0]["detail"]
    assert "findings: name" not in rejects[0]["detail"]  # the recognizers, names off, saw nothing
    residual = result.manifest.residual_scan
    assert residual.detectors == ("recognizers", "safelist")
    assert (residual.quarantined, residual.quarantined_by_detector) == (1, {"recognizers": 0, "safelist": 1})


def test_extra_columns_are_identifying_whatever_their_length(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1), tags=dicom_tags("ACC-1", "BN-1", "A^B^C"))
    table = row("ACC-1", pid="BN-1", name="A B C", findings=FINDINGS + " Người nhà Tuyết gọi.")
    table["Người liên hệ"] = "Tuyết"  # not a schema field, five letters, no digit
    with (root / "t.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*HEADERS, "Người liên hệ"])
        writer.writeheader()
        writer.writerow(table)
    result = build(config(root, tmp_path / "out"))
    assert rows_of(result.out)[0][schema.FINDINGS] == FINDINGS + " Người nhà ___ gọi."


def test_duplicate_headers_are_refused_naming_them(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1), tags=dicom_tags("ACC-1", "BN-1", "A^B^C"))
    (root / "t.csv").write_text("Số phiếu,Mô tả,Kết luận,Kết luận\nACC-1,Bình thường.,A,B\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"duplicate column header\(s\) \['Kết luận'\]"):
        build(config(root, tmp_path / "out"))


def test_a_report_field_that_is_a_list_is_rejected_not_written_as_a_repr(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1), tags=dicom_tags("ACC-1", "BN-1", "A^B^C"))
    write_dicom(root / "b.dcm", arr=pixels(2), tags=dicom_tags("ACC-2", "BN-2", "D^E^F"))
    lines = [
        {"Số phiếu": "ACC-1", "Mô tả": ["Bóng tim to.", "BS. Lê Văn Tám"], "Kết luận": "Tim to."},
        {"Số phiếu": "ACC-2", "Mô tả": "Bóng tim không to.", "Kết luận": "Bình thường."},
    ]
    (root / "t.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    result = build(config(root, tmp_path / "out"))
    rejects = (result.out / schema.REJECTS).read_text(encoding="utf-8")
    assert result.counts.written == 1 and '"reason": "not_text"' in rejects
    assert "Tám" not in rejects and "[" not in json.loads(rejects.splitlines()[0])["detail"]


def test_real_source_without_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("VIXRAY_DEID_KEY", raising=False)
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1))
    write_csv(root / "t.csv", [row("ACC7781234", pid="BN1", name="A B C")])
    with pytest.raises(DeidError, match="VIXRAY_DEID_KEY"):
        build(BuildConfig(source=root, out=tmp_path / "out", progress=False))
    monkeypatch.setenv("VIXRAY_DEID_KEY", KEY.decode())
    assert build(BuildConfig(source=root, out=tmp_path / "out", progress=False, num_proc=1)).counts.written == 1


# --------------------------------------------------------------------------- image folder + XLSX / JSONL


def png_with_text(path: Path, arr: np.ndarray, texts: dict[str, str]) -> None:
    info = PngImagePlugin.PngInfo()
    for i, (key, value) in enumerate(texts.items()):
        if i % 3 == 0:
            info.add_text(key, value)
        elif i % 3 == 1:
            info.add_text(key, value, zip=True)
        else:
            info.add_itxt(key, value, zip=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, pnginfo=info)


def jpeg_with_exif(path: Path, arr: np.ndarray, artist: str, comment: str) -> None:
    exif = Image.Exif()
    exif[0x013B] = artist  # Artist
    exif[0x010E] = comment  # ImageDescription
    Image.fromarray(arr).save(path, format="JPEG", exif=exif, comment=comment.encode(), quality=95)


IMAGE_PHI = {"Patient": "Trương Thị Lan", "PatientID": "BN55501234", "Birth": "1948-07-21"}


@pytest.fixture(scope="module")
def image_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("images") / "export"
    rows = []
    for n in range(4):
        name = f"TRUONG_THI_LAN_{n}.png"
        png_with_text(root / "img" / name, pixels(40 + n, bits=8), {**IMAGE_PHI, "Comment": f"BN {n}"})
        rows.append(
            {
                "File name": f"img/{name}",
                "Patient ID": f"BN5550{n}",
                "Patient name": "Trương Thị Lan",
                "Age": "88",
                "Sex": "F",
                "View": "PA",
                "Findings": FINDINGS,
                "Impressions": IMPRESSIONS,
            }
        )
    jpeg_with_exif(root / "img" / "LAN_jpeg.jpg", pixels(50, bits=8), "Trương Thị Lan", "BN55501234")
    rows.append(
        {
            "File name": "img/LAN_jpeg.jpg",
            "Patient ID": "BN55509",
            "Patient name": "Trương Thị Lan",
            "Age": "40",
            "Sex": "M",
            "View": "AP",
            "Findings": FINDINGS,
            "Impressions": IMPRESSIONS,
        }
    )
    (root / "img" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")  # undecodable
    rows.append(dict(rows[0], **{"File name": "img/broken.png", "Patient ID": "BN55508"}))
    png_with_text(root / "img" / "same_pixels.png", pixels(40, bits=8), {"Author": "someone else"})  # pixel dup
    rows.append(dict(rows[0], **{"File name": "img/same_pixels.png", "Patient ID": "BN55507"}))
    import pandas as pd

    pd.DataFrame(rows).to_excel(root / "metadata.xlsx", index=False)
    out = tmp_path_factory.mktemp("built") / "vixray"
    return root, build(config(root, out))


def test_image_folder_export_strips_text_chunks_exif_and_comments(image_build):
    root, result = image_build
    values = set(IMAGE_PHI.values()) | {"TRUONG_THI_LAN_0.png", "LAN_jpeg", "BN55501234", "Trương Thị Lan"}
    texts = output_texts(result.out)
    assert not [(w, v) for v in values for form in spellings_of(v) for w, blob in texts if form.encode() in blob]
    assert result.manifest.leak_scan.clean
    records = rows_of(result.out)
    assert len(records) == 5
    jpeg = next(r for r in records if r[schema.IMAGE]["path"].endswith(".jpg"))
    data = jpeg[schema.IMAGE]["bytes"]
    assert b"Exif" not in data and b"\xff\xfe" not in data[: data.find(b"\xff\xda")]
    assert (
        np.abs(
            np.asarray(Image.open(io.BytesIO(data))).astype(int)
            - np.asarray(Image.open(root / "img" / "LAN_jpeg.jpg")).astype(int)
        ).max()
        == 0
    )  # not re-encoded
    png = next(r for r in records if r[schema.IMAGE]["path"].endswith(".png"))
    reopened = Image.open(io.BytesIO(png[schema.IMAGE]["bytes"]))
    assert not reopened.info and reopened.mode == "L"


def test_image_folder_export_rejects_undecodable_and_pixel_identical_images(image_build):
    _, result = image_build
    counts = result.manifest.counts
    assert counts.rejected_by_reason == {"undecodable_image": 1, "duplicate_pixels": 1}
    assert counts.read == counts.written + counts.rejected == 7
    assert {r[schema.SEX] for r in rows_of(result.out)} == {"Nữ", "Nam"}
    assert result.manifest.source["table"] == "xlsx" and result.manifest.source["images"] == "png/jpeg"


def test_jsonl_table_with_a_file_column_joins_images_by_name(tmp_path):
    root = tmp_path / "export"
    png_with_text(root / "a1.png", pixels(1, bits=8), {})
    with (root / "reports.jsonl").open("w", encoding="utf-8") as handle:
        handle.write(
            json.dumps(
                {"image": "a1.png", "Ages": 50, "Gender": "Nữ", "Findings": FINDINGS, "Impressions": IMPRESSIONS},
                ensure_ascii=False,
            )
            + "\n"
        )
    items = list(ExportSource(config(root, tmp_path / "out")))
    assert len(items) == 1 and items[0].fields[schema.SEX] == "Nữ" and items[0].fields[schema.AGE] == "50"
    assert items[0].image().ext == "png"


def test_unmapped_report_columns_name_the_missing_and_found_columns(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1))
    (root / "t.csv").write_text("Số phiếu,Nội dung\nACC7781234,abc\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"findings.*Nội dung"):
        list(ExportSource(config(root, tmp_path / "out")))


def test_explicit_column_mapping_and_key_column_win_over_recognition(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1))
    (root / "t.csv").write_text("Ma so,Noi dung,Y kien\nACC7781234,Phổi sáng.,Bình thường.\n", encoding="utf-8")
    cfg = config(root, tmp_path / "out", key_column="Ma so", columns={"findings": "Noi dung", "impressions": "Y kien"})
    (item,) = list(ExportSource(cfg))
    assert item.fields[schema.FINDINGS] == "Phổi sáng." and item.fields[schema.IMPRESSIONS] == "Bình thường."
    assert item.study_key == "ACC7781234"


def test_jpeg_metadata_segments_are_stripped_without_reencoding(tmp_path):
    path = tmp_path / "a.jpg"
    jpeg_with_exif(path, pixels(3, bits=8), "Trương Thị Lan", "secret comment")
    stripped = strip_jpeg_metadata(path.read_bytes())
    assert b"secret comment" not in stripped and "Trương".encode() not in stripped
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(stripped))), np.asarray(Image.open(path)))


def test_headers_are_recognised_case_and_diacritic_insensitively():
    headers = ["SỐ PHIẾU", "gioi tinh", "TUOI", "Mo ta", "KẾT LUẬN", "Tư Thế", "Họ và tên", "Khoa"]
    mapping = tbl.map_columns(headers)
    assert mapping.roles == {
        "study": "SỐ PHIẾU",
        "sex": "gioi tinh",
        "age": "TUOI",
        "findings": "Mo ta",
        "impressions": "KẾT LUẬN",
        "view": "Tư Thế",
        "patient_name": "Họ và tên",
    }
    assert mapping.dropped == ["Khoa"]


def test_columns_option_reads_inline_pairs_yaml_and_toml(tmp_path):
    assert tbl.parse_columns_option('findings="Mô tả, hình ảnh",impressions=Kết luận') == {
        "findings": "Mô tả, hình ảnh",
        "impressions": "Kết luận",
    }
    (tmp_path / "c.yaml").write_text("columns:\n  findings: Mô tả\n  patient: Mã BN\n", encoding="utf-8")
    (tmp_path / "c.toml").write_text('findings = "Mô tả"\nstudy = "Số phiếu"\n', encoding="utf-8")
    assert tbl.parse_columns_option(str(tmp_path / "c.yaml")) == {"findings": "Mô tả", "patient": "Mã BN"}
    assert tbl.parse_columns_option(str(tmp_path / "c.toml")) == {"findings": "Mô tả", "study": "Số phiếu"}
    with pytest.raises(SchemaError, match="unknown field"):
        tbl.parse_columns_option("diagnosis=Chẩn đoán")


def test_dicom_table_with_only_a_file_column_joins_on_file_names(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "series" / "IM-0007.dcm", arr=pixels(1))
    (root / "DICOMDIR").write_bytes(b"\x00" * 128 + b"DICM")  # the media index is not a record
    (root / "t.csv").write_text(
        "File name,Findings,Impressions\nIM-0007.dcm,Phổi sáng.,Bình thường.\n", encoding="utf-8"
    )
    source = ExportSource(config(root, tmp_path / "out"))
    (item,) = list(source)
    assert item.study_key == "IM-0007.dcm" and source.summary()["join"] == "file_name"
    assert source.summary()["other_files"] == 1


def test_image_table_with_study_and_file_columns_joins_on_the_file_and_keys_on_the_study(tmp_path):
    root = tmp_path / "export"
    png_with_text(root / "a" / "x1.png", pixels(1, bits=8), {})
    (root / "t.csv").write_text(
        "Accession,Path,Findings,Impressions\nACC-9,a\\x1.png,Phổi sáng.,Bình thường.\n", encoding="utf-8"
    )
    (item,) = list(ExportSource(config(root, tmp_path / "out")))
    assert item.study_key == "ACC-9" and "file.path" in item.phi


def test_two_top_level_tables_need_table_option(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1))
    for name in ("old.csv", "new.csv"):
        (root / name).write_text(
            "Accession,Findings,Impressions\nACC7781234,Phổi sáng.,Bình thường.\n", encoding="utf-8"
        )
    with pytest.raises(SourceError, match="new.csv, old.csv"):
        ExportSource(config(root, tmp_path / "out"))
    (item,) = list(ExportSource(config(root, tmp_path / "out", table=root / "new.csv")))
    assert item.fields[schema.FINDINGS] == "Phổi sáng."


def test_age_falls_back_from_table_to_header_to_dates():
    flags: dict = {}
    assert ExportSource._age(["abc", "072Y"], "", "", flags) == "072Y" and not flags
    assert ExportSource._age(["", ""], "14/03/1952", "20240314", flags) == "72" and flags["age_from_dates"]
    assert ExportSource._age(["abc"], "", "", {}) == "abc"  # left for the de-identifier to reject
    assert ExportSource._age([""], "", "", {}) is None


def test_rotated_jpeg_is_reencoded_upright_and_16_bit_png_keeps_its_depth(tmp_path):
    from vixray_data.sources.export import ImageFile

    arr = pixels(4, bits=8)[:, :24]  # 32 rows x 24 columns
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.fromarray(arr).save(tmp_path / "r.jpg", exif=exif, quality=95)
    upright = ImageFile(path=str(tmp_path / "r.jpg"), ref="r", fmt="jpeg")()
    assert upright.ext == "png" and Image.open(io.BytesIO(upright.data)).size == (32, 24)
    deep = pixels(5)  # 12-bit values in uint16
    Image.fromarray(deep).save(tmp_path / "d.png")
    out = Image.open(io.BytesIO(ImageFile(path=str(tmp_path / "d.png"), ref="d", fmt="png")().data))
    assert np.array_equal(np.asarray(out), deep)


def test_a_jsonl_key_given_twice_is_refused_naming_it(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1), tags=dicom_tags("ACC-1", "BN-1", "A^B^C"))
    (root / "t.jsonl").write_text(
        '{"Số phiếu": "ACC-1", "Mô tả": "A.", "Kết luận": "B.", "Kết luận": "C."}\n', encoding="utf-8"
    )
    with pytest.raises(SchemaError, match=r"line 1: duplicate key\(s\) \['Kết luận'\]"):
        build(config(root, tmp_path / "out"))


def test_the_cards_own_text_is_no_leak_when_a_value_equals_a_number_in_it(tmp_path):
    root = tmp_path / "export"
    write_dicom(root / "a.dcm", arr=pixels(1), tags=dicom_tags("ACC-1", "BN-1", "A^B^C"))
    table = row("ACC-1", pid="BN-1", name="A B C")
    table["Đơn vị"] = "175"  # an extra column: identifying, and the card says "Military Hospital 175"
    with (root / "t.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*HEADERS, "Đơn vị"])
        writer.writeheader()
        writer.writerow(table)
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written == 1 and result.manifest.leak_scan.clean
    assert "Hospital 175" in (result.out / schema.CARD).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- legitimate exports build

HOSPITAL_HEADERS = [
    "Số phiếu",
    "Mã BN",
    "Họ",
    "Tên",
    "Tuổi",
    "Giới tính",
    "Tư thế",
    "Ghi chú",
    "Chẩn đoán lâm sàng",
    "Mô tả",
    "Kết luận",
    "Tên file",
]
#: Split family / given names (a given name that is an everyday word: "Nam", south, and the male sex), address
#: notes, a clinical extra column whose phrases the findings repeat.
HOSPITAL_ROWS = [
    [
        "PH-001",
        "BN-001",
        "Nguyễn Văn",
        "Nam",
        "61",
        "Nam",
        "PA",
        "Địa chỉ: 12 Lê Lợi, phường Bến Nghé, Quận 1, TP HCM. Giới tính: Nam.",
        "Tràn dịch màng phổi",
        "Tràn dịch màng phổi phải lượng ít. Bóng tim không to.",
        "Tràn dịch màng phổi phải.",
        "img0.png",
    ],
    [
        "PH-002",
        "BN-002",
        "Trần Thị",
        "Hoa",
        "47",
        "Nữ",
        "PA",
        "Quê quán: xã Tân Hòa, huyện Châu Thành, tỉnh Tiền Giang.",
        "Viêm phổi",
        "Đám mờ thùy dưới phổi trái. Theo dõi viêm phổi.",
        "Viêm phổi thùy dưới trái.",
        "img1.png",
    ],
    [
        "PH-003",
        "BN-003",
        "Lê",
        "Bình",
        "72",
        "Nam",
        "AP",
        "Thường trú tại 45 Trần Hưng Đạo, Quận 5.",
        "Lao phổi cũ",
        "Xơ hóa đỉnh phổi phải. Lao phổi cũ.",
        "Lao phổi cũ.",
        "img2.png",
    ],
]


def hospital_export(root: Path, *, encoding: str = "utf-16", name: str = "report.txt", sep: str = "\t") -> Path:
    """Three PNG studies and their sheet, saved as Excel's "Unicode Text" (UTF-16 with BOM, tab-separated) by
    default. Windows-1258 writes each tone as a combining mark after its letter: the sheet is written so."""
    (root / "images").mkdir(parents=True)
    for i in range(len(HOSPITAL_ROWS)):
        Image.fromarray(np.full((16, 16), 30 + 40 * i, np.uint8)).save(root / "images" / f"img{i}.png")
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows([HOSPITAL_HEADERS, *HOSPITAL_ROWS])
    text = buffer.getvalue()
    if encoding == "cp1258":
        text = "".join(_with_tone(char) for char in text)
    (root / name).write_bytes(text.encode(encoding))
    return root


def _with_tone(char: str) -> str:
    """One character as Windows-1258 spells it: its tone (if any) a combining mark after the toneless letter."""
    tones = [c for c in unicodedata.normalize("NFD", char) if c in "\u0300\u0301\u0303\u0309\u0323"]
    bare = unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", char) if c not in tones))
    return bare + "".join(tones)


def test_a_hospital_export_with_address_notes_a_clinical_column_split_names_and_a_utf16_sheet_builds(tmp_path):
    root = hospital_export(tmp_path / "export")
    result = build(config(root, tmp_path / "out"))
    assert (result.counts.written, result.counts.rejected) == (3, 0)
    assert result.manifest.source["table_encoding"] == "UTF-16 with BOM"
    by_findings = {r[schema.FINDINGS]: r for r in rows_of(result.out)}
    assert set(by_findings) == {row[9] for row in HOSPITAL_ROWS}  # the clinical text, kept whole
    first = by_findings[HOSPITAL_ROWS[0][9]]
    assert first[schema.NOTE] == "Địa chỉ: ___, TP HCM. Giới tính: Nam."  # below the province gone, the rest kept
    notes = " ".join(r[schema.NOTE] for r in by_findings.values())
    for place in ("Lê Lợi", "Bến Nghé", "Tân Hòa", "Châu Thành", "Trần Hưng Đạo"):
        assert place not in notes
    assert result.manifest.leak_scan.clean and result.manifest.residual_scan.quarantined == 0


@pytest.mark.parametrize(
    "encoding, name, sep, says",
    [
        ("utf-16", "report.tsv", "\t", "UTF-16 with BOM"),
        ("utf-8-sig", "report.csv", ",", "UTF-8 with BOM"),
        ("utf-8", "report.csv", ";", "UTF-8"),
        ("cp1258", "report.csv", ",", "Windows-1258"),
        ("cp1258", "report.tsv", "\t", "Windows-1258"),
    ],
)
def test_sheets_as_hospitals_save_them_are_read_and_the_manifest_names_the_encoding(
    tmp_path, encoding, name, sep, says
):
    root = hospital_export(tmp_path / "export", encoding=encoding, name=name, sep=sep)
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written == 3 and result.manifest.source["table_encoding"] == says
    assert {r[schema.IMPRESSIONS] for r in rows_of(result.out)} == {row[10] for row in HOSPITAL_ROWS}  # NFC, as typed


def pydicom_test_files() -> list[Path]:
    """The DICOM files pydicom ships for its own tests (the installed ``pydicom/data/test_files``)."""
    return sorted((Path(pydicom.__file__).parent / "data" / "test_files").glob("*.dcm"))


def test_pydicom_test_files_build_and_what_cannot_be_read_is_rejected_with_a_reason(tmp_path):
    files = pydicom_test_files()
    assert len(files) >= 70
    root = tmp_path / "export"
    root.mkdir()
    for path in files:
        shutil.copy(path, root / path.name)
    with (root / "report.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Tên file", "Mô tả", "Kết luận"])
        writer.writerows([path.name, "Bóng tim không to. Hai phổi sáng.", "Chưa thấy bất thường."] for path in files)
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written >= 20 and result.manifest.leak_scan.clean
    rejects = [json.loads(line) for line in (result.out / schema.REJECTS).read_text(encoding="utf-8").splitlines()]
    assert result.counts.read == len(files) + sum(r["ref"].startswith("file ") for r in rejects)  # every input
    assert all(r["reason"] and r["reason"] != "residual_phi" for r in rejects)
    assert {"corrupt_dicom", "multi_frame"} <= {r["reason"] for r in rejects}
    assert not [r for r in rejects if any(c.isdigit() for c in r["detail"])]  # templates: no number from a file

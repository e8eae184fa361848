"""De-identification: pseudonyms, age capping, allow-listed fields, Vietnamese free-text scrubbing, audit."""

from __future__ import annotations

import pytest

from vixray_data import schema
from vixray_data.build.leak_scan import value_hash
from vixray_data.deid import DEMO_KEY, Deidentifier, pseudonym, resolve_key, scrub
from vixray_data.errors import DeidError
from vixray_data.records import CleanRecord, EncodedImage, RawRecord, Reject
from vixray_data.values import parse_age

KEY = b"0123456789abcdef-secret"


def raw(**fields) -> RawRecord:
    base = {
        schema.AGE: "72",
        schema.SEX: "Nam",
        schema.VIEW: "PA",
        schema.FINDINGS: "Bóng tim không to.",
        schema.IMPRESSIONS: "Bình thường.",
        schema.NOTE: None,
        schema.TECHNIQUE: None,
    }
    base.update(fields)
    return RawRecord(
        ref="row 1",
        study_key="ACC1",
        patient_key="BN1",
        fields=base,
        image=lambda: EncodedImage(b"", "png"),
        phi={"PatientName": "NGUYEN^VAN^AN", "PatientID": "BN20240001", "blank": ""},
        flags={"tags_dropped": 40, "columns_dropped": 2},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BS. Nguyễn Văn An đọc phim", "BS. ___ đọc phim"),
        ("Bác sĩ: Lê Thị Hoa", "Bác sĩ: ___"),
        ("ông Trần Minh, bà Hồ Thị Mai, anh Long, chị Lan", "ông ___, bà ___, anh ___, chị ___"),
        ("Chụp ngày 12/03/2024 và 2024-03-12, so với 20230101", "Chụp ngày ___ và ___, so với ___"),
        ("ngày 5 tháng 3 năm 2023", "ngày ___"),
        ("Gọi 0912 345 678 hoặc +84 912.345.678", "Gọi ___ hoặc ___"),
        ("Mã BN: 24001234; BHYT DN4797915123456; CCCD 001085012345", "Mã BN: ___; BHYT ___; CCCD ___"),
        ("Liên hệ an.nguyen@bv175.vn", "Liên hệ ___"),
        ("Số hồ sơ HS-2024-0042", "Số hồ sơ ___"),
    ],
)
def test_scrub_replaces_vietnamese_phi_patterns(text, expected):
    assert scrub(text)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Gãy cung bên xương sườn 2, 3 bên phải.",
        "Lao phổi cũ độ III, tổn thương 1/3 dưới phổi phải kích thước 12 mm.",
        "Bệnh nhân 72 tuổi, tiền sử tăng huyết áp.",
        "Nốt mờ 2-3 mm, xương sườn 10-11-12 can xương cũ.",
        "Chỉ số tim ngực 0.55, góc sườn hoành hai bên nhọn.",
        "TS. Lao phổi cũ. Bóng tim không to.",
        "So sánh phim cũ năm 2019: không thay đổi.",
        "Đặt catheter 120 cm; dẫn lưu màng phổi số 28.",
        "BN Nam, 72 tuổi. Bệnh nhân Nữ 45 tuổi.",
        "Diện tích da BSA 1.7 m2; KTVx.",
    ],
)
def test_scrub_leaves_clinical_text_alone(text):
    assert scrub(text) == (text, {})


def test_scrub_removes_the_records_own_values_in_any_spelling():
    text = "Bệnh nhân nguyễn văn an (NGUYEN VAN AN), mã BN20240001, sinh 14/03/1952."
    cleaned, counts = scrub(text, own_values={"NGUYEN^VAN^AN", "BN20240001", "19520314"})
    assert cleaned == "Bệnh nhân ___ (___), mã ___, sinh ___."
    assert sum(counts.values()) == 4


def test_rejects_name_the_reason_and_column_never_the_value():
    deid = Deidentifier(KEY)
    for fields in ({schema.AGE: "0912345678"}, {schema.SEX: "Nguyễn Văn An"}, {schema.VIEW: "BN20240001"}):
        result = deid.process(raw(**fields))
        assert isinstance(result, Reject)
        assert list(fields.values())[0] not in result.detail and "column" in result.detail


def test_process_allow_lists_fields_pseudonymises_ids_and_audits():
    deid = Deidentifier(KEY)
    clean = deid.process(raw(**{schema.NOTE: "BS. Nguyễn Văn An, ĐT 0912345678"}))
    assert isinstance(clean, CleanRecord)
    assert clean.id == pseudonym(KEY, "study", "ACC1") and clean.patient == pseudonym(KEY, "patient", "BN1")
    assert set(clean.fields) == set(schema.FIELDS) - {schema.ID, schema.IMAGE}
    assert clean.fields[schema.NOTE] == "BS. ___, ĐT ___"
    audit = deid.audit
    assert audit["identifying_values_seen"] == 2  # NGUYEN^VAN^AN, BN20240001: indexed, never kept as strings
    found = deid.values.leaks("NGUYEN VAN AN / BN20240001")
    assert {deid.values.sha256(v) for v in found} == {value_hash("NGUYEN^VAN^AN"), value_hash("BN20240001")}
    assert audit["spans_replaced"][schema.NOTE] == 2 and audit["tags_dropped"] == 40
    assert audit["table_cells_dropped"] == 2 and audit["records_out"] == 1
    assert "NGUYEN" not in str(audit)


def test_pseudonyms_depend_on_the_key():
    assert pseudonym(KEY, "study", "ACC1") != pseudonym(DEMO_KEY, "study", "ACC1")
    assert pseudonym(KEY, "study", "ACC1") == pseudonym(KEY, "study", "ACC1")


@pytest.mark.parametrize(
    ("value", "years"),
    [("072Y", 72), ("030M", 2), ("010D", 0), ("72 tuổi", 72), (72.0, 72), ("95", 90), ("089Y", 89), ("", None)],
)
def test_parse_age_reads_dicom_and_table_forms_and_caps_at_90(value, years):
    assert parse_age(value) == years


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({schema.AGE: "abc"}, "bad_age"),
        ({schema.AGE: "150"}, "bad_age"),
        ({schema.SEX: "X"}, "bad_sex"),
        ({schema.VIEW: "OBLIQUE"}, "bad_view"),
        ({schema.FINDINGS: " "}, "empty_findings"),
        ({schema.IMPRESSIONS: None}, "empty_impressions"),
    ],
)
def test_invalid_records_are_rejected_with_a_reason_and_counted(fields, reason):
    deid = Deidentifier(KEY)
    result = deid.process(raw(**fields))
    assert isinstance(result, Reject) and result.reason == reason
    assert deid.audit["rejected_by_reason"] == {reason: 1}


def test_age_above_89_is_written_as_90_and_counted():
    deid = Deidentifier(KEY)
    assert deid.process(raw(**{schema.AGE: "093Y"})).fields[schema.AGE] == 90
    assert deid.audit["ages_capped"] == 1


def test_real_source_needs_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("VIXRAY_DEID_KEY", raising=False)
    with pytest.raises(DeidError):
        resolve_key(None, demo=False)
    (tmp_path / "k").write_bytes(b"short")
    with pytest.raises(DeidError):
        resolve_key(tmp_path / "k", demo=False)
    monkeypatch.setenv("VIXRAY_DEID_KEY", "x" * 32)
    assert resolve_key(None, demo=False) == b"x" * 32
    assert resolve_key(None, demo=True) == DEMO_KEY


def test_every_records_values_are_scrubbed_from_every_records_text_once_all_are_seen():
    deid = Deidentifier(KEY)
    first = raw(**{schema.FINDINGS: "So sánh phim của Lê Thị Hoa: không đổi.", schema.NOTE: "bn ACC2, Tạ Văn Hòa"})
    second = raw()
    second.phi = {"PatientName": "LE^HOA^THI", "AccessionNumber": "ACC2", "Relative": "Tạ Văn Hòa"}
    records = [deid.process(r, scrub_text=False) for r in (first, second)]
    for record in records:
        deid.scrub_record(record)
    assert records[0].fields[schema.FINDINGS] == "So sánh phim của ___: không đổi."
    assert records[0].fields[schema.NOTE] == "bn ___, ___"
    assert deid.audit["spans_replaced_by_category"]["identifying_value"] >= 1


def test_a_report_cell_that_is_a_list_is_rejected_without_its_repr():
    result = Deidentifier(KEY).process(raw(**{schema.FINDINGS: ["Bóng tim to.", "BS. Lê Văn Tám"]}))
    assert isinstance(result, Reject) and result.reason == "not_text"
    assert "Tám" not in result.detail and "[" not in result.detail

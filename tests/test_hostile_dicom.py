"""Hostile DICOM exports: identifying text in any attribute, wrong character sets, odd file names, bombs.

Each test writes the small export that reproduces one case from issue 11 and asserts the clean outcome:
the value is collected and scrubbed, the file is found, or the record is a reject with its reason.
"""

from __future__ import annotations

import json
import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite, write_dataset, write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian, generate_uid
from test_dicom import pixels, write_dicom
from test_export import config, row, rows_of, write_csv

from vixray_data.build import build
from vixray_data.errors import RecordError
from vixray_data.sources import dicom as dcm

#: Attributes of PS3.15 Table E.1-1 that hospitals fill with free text, each with a value the report repeats.
E11_TEXT = {
    "StudyDescription": "XQ ngực Nguyễn Tiến Dũng",
    "SeriesDescription": "Phòng chụp số 7 Lê Lợi",
    "ImageComments": "Bệnh nhân Hoàng Thị Thu chụp lại",
    "PatientComments": "Người nhà Đỗ Văn Khoa",
    "AdditionalPatientHistory": "Tiền sử điều trị tại Bạch Mai",
    "RequestedProcedureDescription": "Chụp theo yêu cầu Trịnh Văn Sơn",
    "PerformedProcedureStepDescription": "Thực hiện bởi Mai Thị Lan",
    "InstitutionalDepartmentName": "Khoa Chẩn đoán hình ảnh A2",
    "OperatorsName": "PHAN^VAN^TAI",
    "InstitutionAddress": "12 Phạm Văn Đồng, Đà Nẵng",
}


def export_with(root: Path, files: dict[str, dict], *, reports: dict[str, str] | None = None) -> Path:
    """One DICOM per accession (``files``: accession -> write_dicom options incl. ``name``), one CSV row each."""
    rows = []
    for n, (acc, options) in enumerate(files.items()):
        options = dict(options)
        name = options.pop("name", f"file_{n}.dcm")
        tags = {
            "AccessionNumber": acc,
            "PatientID": f"BN{700 + n}",
            "PatientName": "VO^VAN^BAO",
            **options.pop("tags", {}),
        }
        write_dicom(root / "images" / name, arr=options.pop("arr", pixels(40 + n)), tags=tags, **options)
        findings = "Bóng tim không to. " + (reports or {}).get(acc, "")
        rows.append(row(acc, pid=f"BN{700 + n}", name="Võ Văn Bảo", findings=findings, impressions="Bình thường."))
    write_csv(root / "bao_cao.csv", rows)
    return root


def rejects_of(out: Path) -> dict[str, str]:
    lines = (out / "rejects.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["ref"]: json.loads(line)["reason"] for line in lines}


def test_every_table_e11_text_attribute_is_collected_as_identifying(tmp_path):
    info = dcm.read_info(write_dicom(tmp_path / "a.dcm", arr=pixels(1), tags=E11_TEXT), relpath="x")
    values = set(info.phi.values())
    for keyword, value in E11_TEXT.items():
        assert value in values, keyword


def test_report_text_repeating_header_descriptions_is_scrubbed(tmp_path):
    echo = " ".join(f"{v}." for k, v in E11_TEXT.items() if k != "OperatorsName")
    root = export_with(tmp_path / "export", {"ACC-1": {"tags": E11_TEXT}}, reports={"ACC-1": echo})
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written == 1
    findings = rows_of(result.out)[0]["findings"]
    assert findings.startswith("Bóng tim không to.")
    for keyword, value in E11_TEXT.items():
        if keyword != "OperatorsName":
            assert value not in findings, keyword


def test_private_tag_with_a_name_made_of_protocol_words_is_scrubbed(tmp_path):
    root = export_with(
        tmp_path / "export",
        {"ACC-1": {"private": "NGUYEN TIEN DUNG"}},
        reports={"ACC-1": "Người chụp NGUYEN TIEN DUNG."},
    )
    result = build(config(root, tmp_path / "out"))
    assert "NGUYEN TIEN DUNG" not in rows_of(result.out)[0]["findings"]


@pytest.mark.filterwarnings("ignore:Failed to encode value")  # pydicom, writing the fixture's raw UTF-8 bytes
@pytest.mark.parametrize("charset", [None, "ISO_IR 100"])
def test_utf8_patient_name_under_a_missing_or_wrong_character_set_is_found_in_the_report(tmp_path, charset):
    path = write_dicom(
        tmp_path / "export" / "images" / "a.dcm", arr=pixels(2), tags={"AccessionNumber": "ACC-1", "PatientID": "BN1"}
    )
    ds = pydicom.dcmread(path)
    del ds.SpecificCharacterSet
    if charset:
        ds.SpecificCharacterSet = charset
    ds["PatientName"] = DataElement(0x00100010, "PN", "Nguyễn Thị Phương".encode())
    ds.save_as(path)
    info = dcm.read_info(path, relpath="x")
    assert "Nguyễn Thị Phương" in info.phi.values()
    write_csv(
        tmp_path / "export" / "bao_cao.csv",
        [row("ACC-1", pid="BN1", name="", findings="Bệnh nhân Nguyễn Thị Phương, tim không to.")],
    )
    result = build(config(tmp_path / "export", tmp_path / "out"))
    assert "Phương" not in rows_of(result.out)[0]["findings"]


def cp1258(text: str) -> bytes:
    """Windows-1258 bytes as Vietnamese Windows writes them: a precomposed vowel, then a combining tone mark."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            vowel = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in "\u0302\u0306\u031b"))
            out += vowel.encode("cp1258") + "".join(m for m in marks if m not in "\u0302\u0306\u031b").encode("cp1258")
    return out


@pytest.mark.filterwarnings("ignore:Failed to encode value")
def test_cp1258_name_without_a_character_set_is_decoded_too(tmp_path):
    path = write_dicom(tmp_path / "a.dcm", arr=pixels(3))
    ds = pydicom.dcmread(path)
    del ds.SpecificCharacterSet
    ds["InstitutionName"] = DataElement(0x00080080, "LO", cp1258("Bệnh viện Chợ Rẫy"))
    ds.save_as(path)
    assert "Bệnh viện Chợ Rẫy" in dcm.read_info(path, relpath="x").phi.values()


def test_dicom_files_are_found_by_content_not_by_name(tmp_path):
    root = export_with(
        tmp_path / "export",
        {
            "ACC-1": {"name": "SCAN0001.IMA"},
            "ACC-2": {"name": "1.2.840.113619.2.55.3.4071.119"},
            "ACC-3": {"name": "DIR1/IMG0003"},
            "ACC-4": {"name": "nopreamble.bin"},
            "ACC-5": {"name": "DIR2/bare"},
        },
    )
    raw = root / "images" / "nopreamble.bin"
    raw.write_bytes(raw.read_bytes()[132:])  # the file meta and dataset without the preamble and "DICM"
    bare = pydicom.dcmread(root / "images" / "DIR2" / "bare")
    del bare.file_meta
    bare.preamble = None  # a bare implicit-VR dataset, as old modalities wrote them: no preamble, no file meta
    dcmwrite(root / "images" / "DIR2" / "bare", bare, enforce_file_format=False, implicit_vr=True, little_endian=True)
    (root / "images" / "notes.txt").write_text("not an image", encoding="utf-8")
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written == 5, result.counts
    assert result.counts.rejected == 0


def _segment(data: bytes) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflate.compress(data) + deflate.flush(zlib.Z_FULL_FLUSH)


def deflated_bomb(path: Path, *, size: int = 20000) -> Path:
    """A deflated DICOM declaring size x size 16-bit pixels (800 MB inflated for 20000) in well under 1 MB."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.SOPInstanceUID = generate_uid(entropy_srcs=["bomb"])
    ds.AccessionNumber, ds.PatientID, ds.Modality = "ACC-BOMB", "BN-BOMB", "DX"
    ds.Rows = ds.Columns = size
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    body = pydicom.filebase.DicomBytesIO()
    body.is_little_endian, body.is_implicit_VR = True, False
    write_dataset(body, ds)
    length = size * size * 2
    chunk = 16 << 20
    zeros = _segment(b"\x00" * chunk)  # a full flush makes segments self-contained: repeat it, don't recompress
    parts = [
        _segment(body.getvalue() + b"\xe0\x7f\x10\x00OW\x00\x00" + length.to_bytes(4, "little")),
        zeros * (length // chunk),
        _segment(b"\x00" * (length % chunk)),
        zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush(),
    ]  # the empty final block
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    head = pydicom.filebase.DicomBytesIO()
    head.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(head, meta, enforce_standard=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head.getvalue() + b"".join(parts))
    return path


def test_deflated_decompression_bomb_is_rejected_from_its_header(tmp_path):
    path = deflated_bomb(tmp_path / "bomb.dcm")
    assert path.stat().st_size < 2_000_000
    with pytest.raises(RecordError) as caught:
        dcm.read_info(path, relpath="file b")
    assert caught.value.reason == "too_many_pixels"
    assert not any(c.isdigit() for c in caught.value.detail)  # the builder's words: no number read from the file


def test_deflated_file_within_budget_still_decodes(tmp_path):
    path = deflated_bomb(tmp_path / "small.dcm", size=64)
    info = dcm.read_info(path, relpath="x")
    assert info.keys["AccessionNumber"] == "ACC-BOMB"
    image = dcm.DicomImage(path=str(path), ref="x")()
    assert image.ext == "png"


def test_max_pixels_rejects_an_oversize_file_in_a_build(tmp_path):
    root = export_with(tmp_path / "export", {"ACC-1": {"arr": pixels(4, size=64)}, "ACC-2": {"arr": pixels(5)}})
    result = build(config(root, tmp_path / "out", max_pixels=32 * 32))
    assert result.counts.written == 1
    assert "too_many_pixels" in rejects_of(result.out).values()


def test_single_frame_pixel_data_twice_the_frame_length_is_a_reject(tmp_path):
    root = export_with(tmp_path / "export", {"ACC-1": {}, "ACC-2": {}})
    path = root / "images" / "file_1.dcm"
    ds = pydicom.dcmread(path)
    ds.PixelData = ds.PixelData * 2
    ds.save_as(path)
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written == 1
    assert "bad_pixel_data" in rejects_of(result.out).values()


def test_pixels_that_decode_to_several_images_are_a_reject_not_an_encoder_crash(tmp_path, monkeypatch):
    path = write_dicom(tmp_path / "a.dcm", arr=pixels(6))
    monkeypatch.setattr(dcm, "to_display", lambda ds, bit_depth: np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(RecordError) as caught:
        dcm.DicomImage(path=str(path), ref="x")()
    assert caught.value.reason == "bad_pixel_data"

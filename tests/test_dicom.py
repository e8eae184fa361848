"""DICOM reading: pixels through LUTs to PNG, identifying header values collected, broken files named.

``write_dicom`` is the fixture factory the export tests use too: small real DICOM files written with
pydicom in the transfer syntaxes the installed plugins can encode (Explicit VR Little Endian, RLE
Lossless, JPEG 2000 Lossless via pylibjpeg-openjpeg, JPEG Baseline via Pillow + encapsulation).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, JPEGBaseline8Bit, RLELossless, generate_uid

from vixray_data.errors import RecordError
from vixray_data.sources import dicom as dcm

PLANTED = {
    "PatientName": "NGUYEN^VAN^AN",
    "PatientID": "BN20240001",
    "AccessionNumber": "ACC7781234",
    "PatientBirthDate": "19520314",
    "InstitutionName": "Benh vien Quan y 175",
    "ReferringPhysicianName": "TRAN^THI^BINH",
    "OperatorsName": "LE^MINH^CUONG",
}
PRIVATE_VALUE = "Nguyễn Văn An - phòng 12B"


def pixels(seed: int, *, size: int = 32, bits: int = 12) -> np.ndarray:
    """Deterministic test pixels: a gradient plus noise, so windowing and inversion are visible."""
    rng = np.random.default_rng(seed)
    top = 2**bits - 1
    ramp = np.linspace(0, top, size * size).reshape(size, size)
    return np.clip(ramp + rng.integers(-top // 16, top // 16, (size, size)), 0, top).astype(
        np.uint8 if bits <= 8 else np.uint16
    )


def write_dicom(
    path: Path,
    *,
    arr: np.ndarray,
    syntax=ExplicitVRLittleEndian,
    photometric: str = "MONOCHROME2",
    bits_stored: int | None = None,
    window: tuple[float, float] | None = None,
    tags: dict | None = None,
    private: str | None = PRIVATE_VALUE,
    burned_in: str | None = None,
    age: str | None = "072Y",
    sex: str = "M",
    view: str = "PA",
    study_date: str = "20240105",
) -> Path:
    """One small DICOM file with PHI planted in its header (standard and private tags)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[str(path)])
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[str(path), "study"])
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Modality = "DX"
    for keyword, value in {**PLANTED, **(tags or {})}.items():
        setattr(ds, keyword, value)
    ds.StudyDate = study_date
    if age is not None:
        ds.PatientAge = age
    ds.PatientSex = sex
    ds.ViewPosition = view
    if burned_in is not None:
        ds.BurnedInAnnotation = burned_in
    if private is not None:
        block = ds.private_block(0x0009, "BV175 PACS", create=True)
        block.add_new(0x01, "LO", private)
    bits = 8 if arr.dtype == np.uint8 else 16
    ds.Rows, ds.Columns = arr.shape
    ds.BitsAllocated, ds.BitsStored = bits, bits_stored or (8 if bits == 8 else 12)
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation, ds.SamplesPerPixel, ds.PhotometricInterpretation = 0, 1, photometric
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = arr.tobytes()
    if syntax == JPEGBaseline8Bit:
        buffer = io.BytesIO()
        Image.fromarray(arr).save(buffer, format="JPEG", quality=95)
        ds.PixelData = encapsulate([buffer.getvalue()])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    elif syntax != ExplicitVRLittleEndian:
        ds.compress(syntax, arr)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def png_pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


LOSSLESS = [ExplicitVRLittleEndian, RLELossless, JPEG2000Lossless]


@pytest.mark.parametrize("syntax", LOSSLESS, ids=lambda s: s.name)
def test_lossless_transfer_syntaxes_decode_to_the_same_png_as_uncompressed(tmp_path, syntax):
    arr = pixels(1)
    plain = dcm.DicomImage(path=str(write_dicom(tmp_path / "plain.dcm", arr=arr)), ref="r")()
    other = dcm.DicomImage(path=str(write_dicom(tmp_path / "other.dcm", arr=arr, syntax=syntax)), ref="r")()
    assert np.array_equal(png_pixels(plain.data), png_pixels(other.data))


def test_jpeg_baseline_8bit_decodes_close_to_its_source_pixels(tmp_path):
    arr = pixels(2, bits=8)
    image = dcm.DicomImage(path=str(write_dicom(tmp_path / "j.dcm", arr=arr, syntax=JPEGBaseline8Bit)), ref="r")()
    decoded = png_pixels(image.data).astype(int)
    expected = np.round((arr.astype(float) - arr.min()) / (arr.max() - arr.min()) * 255)
    assert decoded.shape == arr.shape and np.abs(decoded - expected).mean() < 4


def test_monochrome1_is_inverted_so_that_higher_means_brighter(tmp_path):
    arr = pixels(3)
    mono2 = png_pixels(dcm.DicomImage(path=str(write_dicom(tmp_path / "m2.dcm", arr=arr)), ref="r")().data)
    mono1 = png_pixels(
        dcm.DicomImage(path=str(write_dicom(tmp_path / "m1.dcm", arr=arr, photometric="MONOCHROME1")), ref="r")().data
    )
    assert np.array_equal(mono1.astype(int), 255 - mono2.astype(int))


def test_window_maps_below_to_black_and_above_to_white(tmp_path):
    arr = pixels(4)
    path = write_dicom(tmp_path / "w.dcm", arr=arr, window=(2048, 1024))
    out = png_pixels(dcm.DicomImage(path=str(path), ref="r")().data)
    assert out.dtype == np.uint8
    assert (out[arr <= 1536] == 0).all() and (out[arr >= 2560] == 255).all()
    assert 0 < out[(arr > 1700) & (arr < 2400)].mean() < 255


def test_sixteen_bit_output_keeps_every_stored_level(tmp_path):
    arr = pixels(5)
    path = write_dicom(tmp_path / "16.dcm", arr=arr, window=(2048, 512))
    out = png_pixels(dcm.DicomImage(path=str(path), ref="r", bit_depth=16)().data)
    assert out.dtype == np.uint16
    assert len(np.unique(out)) == len(np.unique(arr)) > 256  # no windowing: nothing merged or clipped


def test_png_from_dicom_has_no_text_exif_or_icc_chunk(tmp_path):
    data = dcm.DicomImage(path=str(write_dicom(tmp_path / "a.dcm", arr=pixels(6))), ref="r")().data
    chunks, i = [], 8
    while i < len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        chunks.append(data[i + 4 : i + 8].decode())
        i += 12 + length
    assert set(chunks) <= {"IHDR", "IDAT", "IEND"}


def test_lazy_image_is_picklable_for_worker_processes(tmp_path):
    image = dcm.DicomImage(path=str(write_dicom(tmp_path / "a.dcm", arr=pixels(7))), ref="file x", bit_depth=16)
    clone = pickle.loads(pickle.dumps(image))
    assert clone == image and clone().data == image().data


def test_header_identifying_values_are_collected_including_private_tags(tmp_path):
    info = dcm.read_info(write_dicom(tmp_path / "a.dcm", arr=pixels(8)), relpath="file x")
    values = set(info.phi.values())
    assert set(PLANTED.values()) <= values
    assert PRIVATE_VALUE in values and "20240105" in values
    assert info.keys["AccessionNumber"] == PLANTED["AccessionNumber"]
    assert info.fields == {"age": "072Y", "sex": "M", "view": "PA"}
    assert info.tags > 20 and info.transfer_syntax == "ExplicitVRLittleEndian"


def test_truncated_dicom_is_a_record_error_naming_the_reason(tmp_path):
    path = write_dicom(tmp_path / "a.dcm", arr=pixels(9))
    path.write_bytes(path.read_bytes()[:-700])
    with pytest.raises(RecordError) as caught:
        dcm.read_info(path, relpath="file x")
    assert caught.value.reason in ("truncated_dicom", "corrupt_dicom") and caught.value.ref == "file x"


def test_garbage_with_dcm_extension_is_corrupt_dicom(tmp_path):
    path = tmp_path / "junk.dcm"
    path.write_bytes(b"this is not a dicom file" * 20)
    with pytest.raises(RecordError, match="corrupt_dicom"):
        dcm.read_info(path, relpath="file y")


def test_voi_lut_sequence_wins_over_the_window(tmp_path):
    from pydicom import dcmread

    arr = pixels(10)
    path = write_dicom(tmp_path / "lut.dcm", arr=arr, window=(100, 10))
    ds = dcmread(path)
    lut = (4095 - np.arange(4096)).astype(np.uint16)  # an inverting 12-bit VOI LUT
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 12]
    item.LUTData = lut.tobytes()
    ds.VOILUTSequence = [item]
    ds.save_as(path)
    out = png_pixels(dcm.DicomImage(path=str(path), ref="r")().data)
    assert np.array_equal(out, np.round(lut[arr] / 4095 * 255).astype(np.uint8))


@pytest.mark.parametrize("window", [None, (1500, 900)])
@pytest.mark.parametrize("bit_depth", [8, 16])
def test_lookup_table_route_equals_the_per_pixel_pipeline(tmp_path, window, bit_depth):
    from pydicom import dcmread

    ds = dcmread(write_dicom(tmp_path / "a.dcm", arr=pixels(11), window=window, photometric="MONOCHROME1"))
    direct = dcm._grey(ds.pixel_array, ds, bit_depth=bit_depth)
    assert np.array_equal(dcm.to_display(ds, bit_depth=bit_depth), direct)


def test_private_tags_are_all_identifying_even_when_their_words_are_protocol_words(tmp_path):
    path = write_dicom(tmp_path / "a.dcm", arr=pixels(12), private="NGUYEN TIEN DUNG")  # "dung" is a position too
    info = dcm.read_info(path, relpath="x")
    assert "NGUYEN TIEN DUNG" in info.phi.values()
    assert not any(v == "BV175 PACS" for v in info.phi.values())  # the private creator names a vendor


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_the_image_carries_the_pixels_its_png_decodes_to_so_ocr_reads_them_without_decoding(tmp_path, bit_depth):
    image = dcm.DicomImage(path=str(write_dicom(tmp_path / "a.dcm", arr=pixels(7))), ref="r", bit_depth=bit_depth)()
    written = png_pixels(image.data)
    assert image.pixels.dtype == written.dtype and np.array_equal(image.pixels, written)

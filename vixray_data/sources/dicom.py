"""DICOM files: read the header once for metadata and identifying values, decode pixels lazily to a PNG.

Pixels go through pydicom's pixel-data plugins (compressed transfer syntaxes need the ``dicom`` extra:
pylibjpeg + pylibjpeg-libjpeg for JPEG / JPEG-LS, pylibjpeg-openjpeg for JPEG 2000; RLE is built in),
then the modality LUT, then - for 8-bit output - the VOI LUT or window, MONOCHROME1 inverted so that
air is dark. The PNG is written from the pixel array alone: no header value can reach it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from ..errors import RecordError
from ..records import EncodedImage
from ..text import strip_diacritics

#: Header attributes whose values identify a person, a place or a time (collected, never written).
PHI_KEYWORDS = (
    "PatientName", "PatientID", "OtherPatientIDs", "OtherPatientNames", "PatientBirthDate", "PatientBirthName",
    "PatientMotherBirthName", "PatientAddress", "PatientTelephoneNumbers", "MedicalRecordLocator",
    "IssuerOfPatientID", "AccessionNumber", "StudyID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
    "InstitutionName", "InstitutionAddress", "ReferringPhysicianName",
    "PerformingPhysicianName", "NameOfPhysiciansReadingStudy", "OperatorsName", "PhysiciansOfRecord",
    "RequestingPhysician", "StationName", "DeviceSerialNumber", "StudyDate", "SeriesDate", "AcquisitionDate",
    "ContentDate", "RequestedProcedureID", "ScheduledProcedureStepID", "PerformedProcedureStepID",
)
_TEXT_VRS = {"PN", "LO", "SH", "ST", "LT", "UT", "UC", "DA", "DT", "CS", "AE", "UI", "IS"}
#: Join candidates: the header attributes a table key column may refer to.
KEY_ATTRIBUTES = ("AccessionNumber", "StudyInstanceUID", "SOPInstanceUID", "PatientID", "StudyID")


@dataclass
class DicomInfo:
    """What the reader keeps of one DICOM file: small, picklable, no pixels."""

    keys: dict[str, str]  # KEY_ATTRIBUTES -> value
    fields: dict[str, str]  # age / sex / view as found in the header
    birth_date: str
    study_date: str
    phi: dict[str, str]
    burned_in: str | None  # BurnedInAnnotation value, None when absent
    transfer_syntax: str
    tags: int  # header elements seen (all dropped)
    file_sha256: str
    pixel_sha256: str
    frames: int = 1
    problems: list[str] = field(default_factory=list)


@contextmanager
def _quiet():
    """Silence pydicom's warnings and error logs (with tracebacks, sometimes paths): a reject says why."""
    logger = logging.getLogger("pydicom")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def is_dicom(path: Path) -> bool:
    """``.dcm``/``.dicom`` files, or any extension-less file with the ``DICM`` preamble."""
    suffix = path.suffix.lower()
    if suffix in (".dcm", ".dicom", ".dic"):
        return True
    if suffix:
        return False
    try:
        with path.open("rb") as handle:
            return handle.read(132)[128:132] == b"DICM"
    except OSError:
        return False


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(_text(v) for v in value)
    return str(value).strip().strip("\x00").strip()


#: Words of acquisition protocols that private tags carry ("CHEST PA", "Ngực thẳng"): not names.
#: ("nam" is left out: it is "male" and also a given name.)
_PROTOCOL_TEXT = (
    "chest thorax thoracic pa ap lat lateral left right portable standard default adult pediatric paediatric "
    "routine supine erect upright bedside grid nogrid exposure detector image images processing dx cr dr xray "
    "nguc thang nghieng phoi tim chup xquang quang x nguoi lon tre em truoc sau trai phai dung ngoi"
)
_PROTOCOL_WORDS = frozenset(_PROTOCOL_TEXT.split())


def private_is_identifying(value: str) -> bool:
    """Whether a private tag's free text may identify someone: IDs, dates, or name-like words.

    Private tags also hold protocol names and flags; scrubbing those from report text would damage it
    ("Chụp ___") and a leak scan for them would fail honest builds, so only these count: values with
    both letters and digits, long digit runs, or several alphabetic words none of which is protocol
    vocabulary.
    """
    import re

    folded = strip_diacritics(value).lower()
    letters, digits = any(c.isalpha() for c in folded), sum(c.isdigit() for c in folded)
    if (letters and digits) or digits >= 6:
        return True
    words = re.findall(r"[a-z]+", folded)
    return len(words) >= 2 and not any(w in _PROTOCOL_WORDS for w in words)


def _collect_phi(ds, phi: dict[str, str], prefix: str = "") -> int:
    """Identifying values anywhere in the dataset (sequences included); returns the number of elements."""
    count = 0
    for elem in ds:
        count += 1
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value or ()):
                count += _collect_phi(item, phi, f"{prefix}{elem.keyword or elem.tag}[{i}].")
            continue
        if elem.tag == 0x7FE00010 or elem.tag.is_private_creator:  # creators name vendors, not people
            continue
        if elem.tag.is_private and elem.VR in ("UN", "OB") and isinstance(elem.value, bytes) and len(elem.value) < 1024:
            text = elem.value.decode("utf-8", "ignore").strip("\x00 ")
            if len(text) >= 3 and text.isprintable() and private_is_identifying(text):
                phi[f"dicom.{prefix}private.{elem.tag.group:04X},{elem.tag.element:04X}"] = text
            continue
        if elem.VR not in _TEXT_VRS:
            continue
        keyword = elem.keyword or f"{elem.tag.group:04X},{elem.tag.element:04X}"
        identifying = (
            keyword in PHI_KEYWORDS
            or elem.VR in ("PN", "DA", "DT")
            or (elem.tag.is_private and elem.VR not in ("CS", "IS", "UI", "DS"))
        )
        if not identifying:
            continue
        value = _text(elem.value)
        if not value or (elem.tag.is_private and elem.VR != "PN" and not private_is_identifying(value)):
            continue
        name = f"dicom.{prefix}{'private.' if elem.tag.is_private else ''}{keyword}"
        phi[name] = value
        for part in value.split("\\") if "\\" in value else ():
            phi.setdefault(f"{name}.{len(phi)}", part)
    return count


def read_info(path: Path, *, relpath: str) -> DicomInfo:
    """Header, identifying values and digests of one file. Raises RecordError for corrupt/truncated files."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    ref = relpath
    blob = path.read_bytes()
    try:
        with _quiet():  # broken files warn before they fail; the reject says why
            ds = pydicom.dcmread(io.BytesIO(blob), force=False)
    except InvalidDicomError as exc:
        raise RecordError(ref, "corrupt_dicom", "not a DICOM file") from exc
    except Exception as exc:  # pydicom raises many types on truncated/garbled input
        raise RecordError(ref, "corrupt_dicom", type(exc).__name__) from exc
    if "PixelData" not in ds:
        raise RecordError(ref, "corrupt_dicom", "no pixel data")
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        bits, samples = int(ds.BitsAllocated), int(ds.get("SamplesPerPixel", 1))
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        pixel_data = ds.PixelData
    except Exception as exc:
        raise RecordError(ref, "corrupt_dicom", f"image attributes unreadable ({type(exc).__name__})") from exc
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    compressed = bool(syntax is not None and syntax.is_compressed)
    if not compressed and len(pixel_data) < rows * cols * samples * frames * bits // 8:
        raise RecordError(ref, "truncated_dicom",
                          f"pixel data has {len(pixel_data)} bytes, {rows}x{cols}x{bits}-bit needs more")
    phi: dict[str, str] = {}
    tags = _collect_phi(ds, phi) + (len(ds.file_meta) if hasattr(ds, "file_meta") else 0)
    pixel_key = f"{rows}x{cols}x{bits}x{samples}:{ds.get('PhotometricInterpretation', '')}:".encode()
    if compressed:
        pixel_key += str(syntax).encode()
    burned = ds.get("BurnedInAnnotation")
    return DicomInfo(
        keys={k: _text(ds.get(k)) for k in KEY_ATTRIBUTES},
        fields={"age": _text(ds.get("PatientAge")), "sex": _text(ds.get("PatientSex")),
                "view": _text(ds.get("ViewPosition"))},
        birth_date=_text(ds.get("PatientBirthDate")),
        study_date=_text(ds.get("StudyDate")) or _text(ds.get("SeriesDate")) or _text(ds.get("AcquisitionDate")),
        phi=phi,
        burned_in=None if burned is None else _text(burned).upper(),
        transfer_syntax=syntax.name if syntax is not None else "unknown",
        tags=tags,
        file_sha256=hashlib.sha256(blob).hexdigest(),
        pixel_sha256=hashlib.sha256(pixel_key + bytes(pixel_data)).hexdigest(),
        frames=frames,
    )


def read_keys(path: Path) -> dict[str, str]:
    """Join keys of a file whose pixels are unusable (truncated): the header alone, {} when unreadable."""
    import pydicom

    try:
        with _quiet():
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        return {k: _text(ds.get(k)) for k in KEY_ATTRIBUTES if _text(ds.get(k))}
    except Exception:
        return {}


def age_from_dates(birth: str, at: str) -> int | None:
    """Whole years between two dates (DICOM ``YYYYMMDD`` or table formats); None when either is unusable."""
    b, a = parse_date(birth), parse_date(at)
    if b is None or a is None or a < b:
        return None
    return a.year - b.year - ((a.month, a.day) < (b.month, b.day))


def parse_date(text: str) -> date | None:
    """``19520314``, ``1952-03-14``, ``14/03/1952``, ``14-03-1952``, ``14.03.1952`` (ISO datetimes too)."""
    import re

    text = (text or "").strip()
    patterns = ((r"(\d{4})(\d{2})(\d{2})", "ymd"), (r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", "ymd"),
                (r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T].*)?", "dmy"))
    for pattern, order in patterns:
        match = re.fullmatch(pattern, text)
        if match:
            x, y, z = (int(g) for g in match.groups())
            year, month, day = (x, y, z) if order == "ymd" else (z, y, x)
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def _output_range(ds, arr: np.ndarray, voi_applied: str) -> tuple[float, float]:
    """The value range the VOI stage maps onto (pydicom's conventions), else the data's own range."""
    if voi_applied == "lut":
        return 0.0, float(2 ** int(ds.VOILUTSequence[0].LUTDescriptor[2]) - 1)
    if voi_applied == "window":
        if ds.get("ModalityLUTSequence"):
            lo, hi = 0.0, float(2 ** int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1)
        elif int(ds.PixelRepresentation) == 0:
            lo, hi = 0.0, float(2 ** int(ds.BitsStored) - 1)
        else:
            lo, hi = float(-(2 ** (int(ds.BitsStored) - 1))), float(2 ** (int(ds.BitsStored) - 1) - 1)
        slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
        if slope is not None and intercept is not None:
            lo, hi = lo * float(slope) + float(intercept), hi * float(slope) + float(intercept)
        return min(lo, hi), max(lo, hi)
    return float(arr.min()), float(arr.max())


def to_display(ds, *, bit_depth: int = 8) -> np.ndarray:
    """Pixel array -> uint8 (modality LUT, VOI LUT / window) or uint16 (modality LUT, full range kept).

    MONOCHROME1 is inverted so that, like MONOCHROME2, higher means brighter. Integer pixels (all of
    radiography) go through a lookup table built over their value range: the LUT/window arithmetic
    runs once per distinct value instead of once per pixel.
    """
    arr = ds.pixel_array
    if arr.ndim == 3 and int(ds.get("SamplesPerPixel", 1)) == 3:  # colour secondary capture: RGB as is
        if arr.dtype != np.uint8:
            arr = (arr.astype(np.float64) * (255.0 / max(float(arr.max()), 1.0))).round().astype(np.uint8)
        return arr
    if arr.dtype.kind in "iu" and arr.dtype.itemsize <= 2:
        lo = int(arr.min())
        offset = arr - lo if lo >= 0 else arr.astype(np.int32) - lo
        present = np.bincount(offset.ravel()) > 0
        values = np.arange(lo, lo + len(present)).astype(arr.dtype)
        return _grey(values, ds, bit_depth=bit_depth, present=present)[offset]
    return _grey(arr, ds, bit_depth=bit_depth)


def _grey(arr: np.ndarray, ds, *, bit_depth: int, present: np.ndarray | None = None) -> np.ndarray:
    """The element-wise display pipeline; ``present`` marks the values that occur (for min-max scaling)."""
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    arr = apply_modality_lut(arr, ds)
    voi = "none"
    if bit_depth == 8:
        if ds.get("VOILUTSequence") and ds.VOILUTSequence[0].get("LUTDescriptor") is not None:
            voi = "lut"
        elif ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
            voi = "window"
        if voi != "none":
            arr = apply_voi_lut(arr, ds, index=0)
    lo, hi = _output_range(ds, arr if present is None else arr[present], voi)
    scaled = (arr.astype(np.float64) - lo) / (hi - lo) if hi > lo else np.zeros(arr.shape)
    scaled = np.clip(scaled, 0.0, 1.0)
    if str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper() == "MONOCHROME1":
        scaled = 1.0 - scaled
    top = 255 if bit_depth == 8 else 65535
    return (scaled * top).round().astype(np.uint8 if bit_depth == 8 else np.uint16)


def encode_png(arr: np.ndarray, *, compress_level: int = 3) -> bytes:
    """A PNG carrying pixels only (Pillow writes no text, EXIF or ICC chunk unless asked)."""
    from PIL import Image

    image = Image.fromarray(arr)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def _decodable(syntax) -> bool:
    """Whether an installed plugin can decode ``syntax`` (unknown syntaxes: no)."""
    from pydicom.pixels import get_decoder

    try:
        return get_decoder(syntax).is_available
    except (NotImplementedError, ValueError):
        return False


@dataclass(frozen=True)
class DicomImage:
    """Lazy image of one DICOM file: a picklable callable for the builder's worker processes."""

    path: str
    ref: str  # pseudonymous reference for errors (never the path)
    bit_depth: int = 8

    def __call__(self) -> EncodedImage:
        import pydicom

        try:
            ds = pydicom.dcmread(self.path)
        except Exception as exc:
            raise RecordError(self.ref, "corrupt_dicom", type(exc).__name__) from exc
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            raise RecordError(self.ref, "multi_frame", f"{int(ds.NumberOfFrames)} frames; one image per study expected")
        try:
            with _quiet():
                arr = to_display(ds, bit_depth=self.bit_depth)
        except Exception as exc:
            syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
            name = syntax.name if syntax is not None else "unknown transfer syntax"
            if syntax is not None and not _decodable(syntax):
                raise RecordError(self.ref, "unsupported_transfer_syntax",
                                  f"{name}: no pixel-data plugin installed (pip install 'vixray-data[dicom]')") from exc
            raise RecordError(self.ref, "undecodable_image", f"{name}: {type(exc).__name__}") from exc
        return EncodedImage(data=encode_png(arr), ext="png")

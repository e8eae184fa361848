"""DICOM files: read the header once for metadata and identifying values, decode pixels lazily to a PNG.

Pixels go through pydicom's pixel-data plugins (compressed transfer syntaxes need the ``dicom`` extra:
pylibjpeg + pylibjpeg-libjpeg for JPEG / JPEG-LS, pylibjpeg-openjpeg for JPEG 2000; RLE is built in),
then the modality LUT, then - for 8-bit output - the VOI LUT or window, MONOCHROME1 inverted so that
air is dark. The PNG is written from the pixel array alone: no header value can reach it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
import unicodedata
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import DEFAULT_MAX_PIXELS
from ..errors import RecordError
from ..records import EncodedImage
from . import legacy_vi

#: Text-valued attributes that DICOM PS3.15 Table E.1-1 (the Basic Application Level Confidentiality Profile)
#: removes or cleans, by keyword: each value is collected as an identifying value of its record (scrubbed
#: from the report text, searched for by the leak scan) and never written. Elements whose keyword ends in
#: one of :data:`PHI_SUFFIXES`, every PN/DA/DT/TM element and every private element count too.
PHI_KEYWORDS = frozenset(
    """
    AccessionNumber AcquisitionComments AcquisitionDeviceProcessingDescription AcquisitionProtocolDescription
    AdditionalPatientHistory AdmissionID AdmittingDiagnosesDescription Allergies BranchOfService CassetteID
    CommentsOnThePerformedProcedureStep ContentCreatorName ContrastBolusAgent CountryOfResidence
    CurrentPatientLocation DerivationDescription DetectorID DeviceDescription DeviceSerialNumber DeviceUID
    DischargeDiagnosisDescription DistributionAddress DistributionName EthnicGroup GantryID GeneratorID
    IdentifyingComments ImageComments ImagePresentationComments ImagingServiceRequestComments Impressions
    InstitutionAddress InstitutionName InstitutionalDepartmentName InterpretationAuthor
    InterpretationDiagnosisDescription InterpretationRecorder InterpretationText InterpretationTranscriber
    IssuerOfAdmissionID IssuerOfPatientID MedicalAlerts MedicalRecordLocator MilitaryRank
    ModifyingDeviceID ModifyingDeviceManufacturer NameOfPhysiciansReadingStudy
    NamesOfIntendedRecipientsOfResults Occupation OperatorsName OrderCallbackPhoneNumber OrderEnteredBy
    OrderEntererLocation OtherPatientIDs OtherPatientNames PatientAddress PatientBirthDate PatientBirthName
    PatientComments PatientID PatientMotherBirthName PatientName PatientReligiousPreference PatientState
    PatientTelephoneNumbers PatientTransportArrangements PerformedLocation PerformedProcedureStepDescription
    PerformedProcedureStepID PerformingPhysicianName PersonAddress PersonName PersonTelephoneNumbers
    PhysicianApprovingInterpretation PhysiciansOfRecord PlateID PreMedication ProtocolName
    ReasonForStudy ReasonForTheImagingServiceRequest ReasonForTheRequestedProcedure ReferringPhysicianAddress
    ReferringPhysicianName ReferringPhysicianTelephoneNumbers RegionOfResidence RequestedContrastAgent
    RequestedProcedureComments RequestedProcedureDescription RequestedProcedureID RequestedProcedureLocation
    RequestingPhysician RequestingService ResponsibleOrganization ResponsiblePerson ResultsComments
    ResultsIDIssuer ScheduledPatientInstitutionResidence ScheduledPerformingPhysicianName
    ScheduledProcedureStepDescription ScheduledProcedureStepID ScheduledProcedureStepLocation
    ScheduledStationAETitle ScheduledStationName ScheduledStudyLocation ScheduledStudyLocationAETitle
    SeriesDescription SeriesInstanceUID ServiceEpisodeDescription ServiceEpisodeID SOPInstanceUID SpecialNeeds
    StationName StudyComments StudyDescription StudyID StudyIDIssuer StudyInstanceUID TextComments TextString
    TopicAuthor TopicKeywords TopicSubject TopicTitle VerifyingObserverName VisitComments
    FrameOfReferenceUID StorageMediaFileSetUID ReferencedSOPInstanceUID
    ContentSequence InstitutionCodeSequence OperatorIdentificationSequence OtherPatientIDsSequence
    PerformingPhysicianIdentificationSequence PhysiciansOfRecordIdentificationSequence ProcedureCodeSequence
    ReferencedPatientSequence ReferringPhysicianIdentificationSequence RequestAttributesSequence
    RequestedProcedureCodeSequence PerformedProcedureCodeSequence
""".split()  # noqa: SIM905 (a keyword table reads better as words)
)
#: Keyword endings that E.1-1's text attributes share (``...Description``, ``...Comments``, ``...Name`` ...).
PHI_SUFFIXES = (
    "Description",
    "Comments",
    "Comment",
    "Name",
    "Names",
    "Address",
    "TelephoneNumbers",
    "PhoneNumber",
    "History",
    "ID",
    "IDs",
    "Location",
    "Institution",
    "Date",
    "Time",
    "DateTime",
)
#: Attributes the reader keeps as fields (age, sex, view) or that describe the image, not a person.
NOT_PHI = frozenset(
    {
        "PatientAge",
        "PatientSex",
        "PatientSize",
        "PatientWeight",
        "ViewPosition",
        "Modality",
        "SpecificCharacterSet",
        "TransferSyntaxUID",
        "ManufacturerModelName",
        "CodingSchemeDesignator",
        "PhotometricInterpretation",
        "ImageType",
        "BurnedInAnnotation",
        "PatientIdentityRemoved",
        "TimezoneOffsetFromUTC",
        "BodyPartExamined",
        "PatientOrientation",
        "LossyImageCompression",
    }
)
_TEXT_VRS = {"PN", "LO", "SH", "ST", "LT", "UT", "UC", "DA", "DT", "TM", "CS", "AE", "UI", "IS", "DS", "UR", "AS"}
#: Private elements longer than this are binary blobs (thumbnails, vendor tables), not a name or an id.
PRIVATE_MAX_BYTES = 4096
#: Encodings tried on every non-ASCII identifying value besides the declared SpecificCharacterSet:
#: exports write UTF-8 without declaring it, or Windows' Vietnamese code page (cp1258, combining accents),
#: or the legacy TCVN3 and VNI-Windows font encodings (:mod:`.legacy_vi`, no Python codec).
FALLBACK_ENCODINGS = ("utf-8", "cp1258", *legacy_vi.DECODERS)
#: Join candidates: the header attributes a table key column may refer to.
KEY_ATTRIBUTES = ("AccessionNumber", "StudyInstanceUID", "SOPInstanceUID", "PatientID", "StudyID")
#: Header bytes inflated to read the image attributes of a deflated file before its pixels.
_HEADER_BYTES = 4 * 2**20
_DEFLATED = "1.2.840.10008.1.2.1.99"


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


def _looks_like_dataset(head: bytes) -> bool:
    """A dataset without the 128-byte preamble starts with a group 0002/0008 element, explicit or implicit VR."""
    if len(head) < 8 or head[:2] not in (b"\x02\x00", b"\x08\x00"):
        return False
    vr = head[4:6]
    if vr.isalpha() and vr.isupper():
        return True
    length = int.from_bytes(head[4:8], "little")  # implicit VR: a 4-byte length, small for a header element
    return 0 < length < 1024


def is_dicom(path: Path) -> bool:
    """Found by content, whatever the name (``.IMA``, a UID, none): the ``DICM`` preamble, or a header
    that parses without one. ``.dcm``/``.dicom``/``.dic`` files always count (a corrupt one is a reject)."""
    if path.suffix.lower() in (".dcm", ".dicom", ".dic"):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(132)
    except OSError:
        return False
    if head[128:132] == b"DICM":
        return True
    if not _looks_like_dataset(head):
        return False
    import pydicom

    try:
        with _quiet():
            ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
        return any(k in ds for k in ("SOPClassUID", "Modality", "Rows"))
    except Exception:
        return False


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return "\\".join(_text(v) for v in value)
    return str(value).strip().strip("\x00").strip()


def needs_decodings(raw: bytes) -> bool:
    """Whether ``raw`` may read differently under another encoding: not ASCII, or holding a control byte
    that TCVN uses for a capital. Plain ASCII values (most of a header) skip the decoders."""
    return not raw.isascii() or _TCVN_CONTROL.search(raw) is not None


_TCVN_CONTROL = re.compile(b"[" + re.escape(legacy_vi.TCVN_CONTROL_LETTERS) + b"]")


def decodings(raw: bytes) -> set[str]:
    """Every plausible text of ``raw`` bytes under :data:`FALLBACK_ENCODINGS` (NFC), printable ones only."""
    texts = set(legacy_vi.decodings(raw))
    for encoding in FALLBACK_ENCODINGS:
        if encoding in legacy_vi.DECODERS:
            continue
        try:
            texts.add(unicodedata.normalize("NFC", raw.decode(encoding)))
        except UnicodeDecodeError:
            continue
    out = set()
    for text in texts:
        text = text.strip("\x00 ")
        if text and text.replace("\\", "").replace("^", " ").isprintable():
            out.add(text)
    return out


def _identifying(keyword: str, vr: str, private: bool) -> bool:
    if private:
        return True
    if not keyword or keyword in NOT_PHI or keyword.endswith(("ClassUID", "SyntaxUID")):  # standard's own UIDs
        return False
    return (
        keyword in PHI_KEYWORDS
        or vr in ("PN", "DA", "DT", "TM")
        or (vr in _TEXT_VRS and keyword.endswith(PHI_SUFFIXES))
    )


def _collect_phi(ds, phi: dict[str, str], prefix: str = "", everything: bool = False) -> int:
    """Identifying values anywhere in the dataset (sequences included); returns the number of elements.

    Each value is kept as the declared character set decodes it and, when its bytes are not ASCII, as
    every fallback encoding decodes them (a UTF-8 name under ``ISO_IR 100`` is mojibake as declared).
    Inside a sequence that is itself identifying (``everything``), every text element counts.
    """
    from pydicom.dataelem import RawDataElement

    count = 0
    for tag in list(ds.keys()):
        count += 1
        raw = ds.get_item(tag)
        raw_bytes = raw.value if isinstance(raw, RawDataElement) and isinstance(raw.value, bytes) else None
        try:
            elem = ds[tag]
        except Exception:  # an element pydicom cannot convert: its bytes are all there is
            elem = None
        tag_ = raw.tag
        private = tag_.is_private
        if tag_ == 0x7FE00010 or (private and tag_.is_private_creator):  # creators name vendors, not people
            continue
        vr = elem.VR if elem is not None else (raw.VR or "UN")
        keyword = (elem.keyword if elem is not None else "") or f"{tag_.group:04X},{tag_.element:04X}"
        if vr == "SQ" and elem is not None:
            inner = everything or private or keyword in PHI_KEYWORDS
            for i, item in enumerate(elem.value or ()):
                count += _collect_phi(item, phi, f"{prefix}{keyword}[{i}].", inner)
            continue
        if not (everything and vr in _TEXT_VRS) and not _identifying(keyword, vr, private):
            continue
        if raw_bytes is not None and len(raw_bytes) > PRIVATE_MAX_BYTES:
            continue
        name = f"dicom.{prefix}{'private.' if private else ''}{keyword}"
        values = set()
        if (
            elem is not None
            and vr not in ("OB", "OW", "UN", "OD", "OF", "OL", "OV")
            and not isinstance(elem.value, bytes)
        ):
            values.add(_text(elem.value))
        binary = (
            raw_bytes
            if raw_bytes is not None
            else (elem.value if elem is not None and isinstance(elem.value, bytes) else None)
        )
        if binary is not None and len(binary) <= PRIVATE_MAX_BYTES and needs_decodings(binary):
            values |= decodings(binary)
        elif binary is not None and binary.isascii() and vr in ("OB", "UN"):
            text = binary.decode("ascii").strip("\x00 ")
            if text.isprintable():  # text stored as bytes; anything else is a binary value, not a name
                values.add(text)
        for n, value in enumerate(sorted(v for v in values if v)):
            key = name if n == 0 else f"{name}.{n}"
            phi[key] = value
            for part in value.split("\\") if "\\" in value else ():
                phi.setdefault(f"{key}.{len(phi)}", part)
    return count


def _meta_end(blob: bytes) -> tuple[int, str | None]:
    """Offset where the dataset starts after the preamble and file meta group, and the transfer syntax UID."""
    pos = 132 if blob[128:132] == b"DICM" else 0
    syntax = None
    while pos + 8 <= len(blob) and blob[pos : pos + 2] == b"\x02\x00":
        element = int.from_bytes(blob[pos + 2 : pos + 4], "little")
        vr = blob[pos + 4 : pos + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV", b"SV", b"UV"):
            length, start = int.from_bytes(blob[pos + 8 : pos + 12], "little"), pos + 12
        else:
            length, start = int.from_bytes(blob[pos + 6 : pos + 8], "little"), pos + 8
        if element == 0x0010:
            syntax = blob[start : start + length].rstrip(b"\x00 ").decode("ascii", "replace")
        pos = start + length
    return pos, syntax


def syntax_word(syntax) -> str:
    """A transfer syntax as the builder writes it in the manifest: pydicom's keyword (``JPEG2000Lossless``), one
    of :func:`syntax_words`; a UID pydicom does not list is not written (its digits are data)."""
    if syntax is None:
        return "no transfer syntax"
    return syntax.keyword if syntax.is_transfer_syntax and syntax.keyword else "an unlisted transfer syntax"


@functools.lru_cache(maxsize=1)
def syntax_words() -> frozenset[str]:
    """Every transfer-syntax word :func:`syntax_word` can write: the builder's vocabulary, which the scans of its
    own files must not take for data (``JPEG2000`` reads as an id, and is the stem of pydicom's test file)."""
    from pydicom.uid import UID, AllTransferSyntaxes

    return frozenset({UID(uid).keyword for uid in AllTransferSyntaxes} - {""})


def _declared_pixels(ds) -> tuple[int, int, int]:
    """(pixels, bytes of one frame, frames) the header declares."""
    rows, cols = int(ds.Rows), int(ds.Columns)
    samples, frames = int(ds.get("SamplesPerPixel", 1) or 1), int(ds.get("NumberOfFrames", 1) or 1)
    bits = int(ds.BitsAllocated)
    return rows * cols * samples * frames, rows * cols * samples * bits // 8, frames


def _check_budget(ds, ref: str, max_pixels: int) -> None:
    try:
        pixels, _, _ = _declared_pixels(ds)
    except Exception as exc:
        raise RecordError(ref, "corrupt_dicom", f"image attributes unreadable ({type(exc).__name__})") from exc
    if pixels > max_pixels:
        raise RecordError(ref, "too_many_pixels", "the header declares more pixels than --max-pixels; not decoded")


def read_dataset(blob: bytes, ref: str, *, max_pixels: int, header_only: bool = False):
    """The dataset of a DICOM file's bytes, refusing from the header alone files declaring more than
    ``max_pixels``. A deflated file (the whole dataset zlib-compressed: a 1 MB file can inflate to
    gigabytes) is inflated piecewise: the header first, then at most the bytes its header declares."""
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.filebase import DicomBytesIO
    from pydicom.filereader import read_dataset as read_elements
    from pydicom.filewriter import write_file_meta_info
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    force = blob[128:132] != b"DICM"
    try:
        start, syntax = _meta_end(blob)
        with _quiet():
            if syntax != _DEFLATED:
                ds = pydicom.dcmread(io.BytesIO(blob), force=force, stop_before_pixels=header_only)
                if "TransferSyntaxUID" not in ds.file_meta:  # a bare dataset: the encoding it was read in
                    implicit, little = ds.original_encoding
                    ds.file_meta.TransferSyntaxUID = (
                        ImplicitVRLittleEndian
                        if implicit
                        else ExplicitVRLittleEndian
                        if little
                        else ExplicitVRBigEndian
                    )
                if "Rows" in ds:
                    _check_budget(ds, ref, max_pixels)
                return ds
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            head = inflater.decompress(blob[start:], _HEADER_BYTES)
            header = read_elements(io.BytesIO(head), False, True, stop_when=lambda tag, vr, length: tag == 0x7FE00010)
            if "Rows" in header:
                _check_budget(header, ref, max_pixels)
            if header_only:
                ds = pydicom.dcmread(io.BytesIO(blob[:start]), force=True, stop_before_pixels=True)
                ds.update(header)
                return ds
            _, frame, frames = _declared_pixels(header)
            body = head + inflater.decompress(inflater.unconsumed_tail, frame * frames + _HEADER_BYTES)
            if inflater.unconsumed_tail:
                raise RecordError(ref, "corrupt_dicom", "deflated data inflates past what its header declares")
            meta = pydicom.dcmread(io.BytesIO(blob[:start]), force=True).file_meta
            meta.TransferSyntaxUID = ExplicitVRLittleEndian
            buffer = DicomBytesIO()
            buffer.write(b"\x00" * 128 + b"DICM")
            write_file_meta_info(buffer, meta, enforce_standard=True)
            return pydicom.dcmread(io.BytesIO(buffer.getvalue() + body))
    except RecordError:
        raise
    except InvalidDicomError as exc:
        raise RecordError(ref, "corrupt_dicom", "not a DICOM file") from exc
    except Exception as exc:  # pydicom and zlib raise many types on truncated/garbled input
        raise RecordError(ref, "corrupt_dicom", type(exc).__name__) from exc


def read_info(path: Path, *, relpath: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> DicomInfo:
    """Header, identifying values and digests of one file. Raises RecordError for corrupt/truncated files
    and for files declaring more than ``max_pixels`` (decided from the header, before any pixel is read)."""
    ref = relpath
    blob = path.read_bytes()
    ds = read_dataset(blob, ref, max_pixels=max_pixels)
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
    needed = rows * cols * samples * frames * bits // 8
    if not compressed and len(pixel_data) < needed:
        raise RecordError(ref, "truncated_dicom", "pixel data shorter than the header's image size needs")
    if not compressed and len(pixel_data) > needed + 1:  # one pad byte makes an odd length even
        raise RecordError(ref, "bad_pixel_data", "pixel data longer than the header's image size and frames need")
    phi: dict[str, str] = {}
    with _quiet():  # pydicom's value warnings quote the value
        tags = _collect_phi(ds, phi) + (len(ds.file_meta) if hasattr(ds, "file_meta") else 0)
    pixel_key = f"{rows}x{cols}x{bits}x{samples}:{ds.get('PhotometricInterpretation', '')}:".encode()
    if compressed:
        pixel_key += str(syntax).encode()
    burned = ds.get("BurnedInAnnotation")
    return DicomInfo(
        keys={k: _text(ds.get(k)) for k in KEY_ATTRIBUTES},
        fields={
            "age": _text(ds.get("PatientAge")),
            "sex": _text(ds.get("PatientSex")),
            "view": _text(ds.get("ViewPosition")),
        },
        birth_date=_text(ds.get("PatientBirthDate")),
        study_date=_text(ds.get("StudyDate")) or _text(ds.get("SeriesDate")) or _text(ds.get("AcquisitionDate")),
        phi=phi,
        burned_in=None if burned is None else _text(burned).upper(),
        transfer_syntax=syntax_word(syntax),
        tags=tags,
        file_sha256=hashlib.sha256(blob).hexdigest(),
        pixel_sha256=hashlib.sha256(pixel_key + bytes(pixel_data)).hexdigest(),
        frames=frames,
    )


def read_keys(path: Path) -> dict[str, str]:
    """Join keys of a file whose pixels are unusable (truncated): the header alone, {} when unreadable."""
    try:
        ds = read_dataset(path.read_bytes(), "", max_pixels=2**63, header_only=True)
        return {k: _text(ds.get(k)) for k in KEY_ATTRIBUTES if _text(ds.get(k))}
    except Exception:
        return {}


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
    max_pixels: int = DEFAULT_MAX_PIXELS

    def __call__(self) -> EncodedImage:
        try:
            blob = Path(self.path).read_bytes()
        except OSError as exc:
            raise RecordError(self.ref, "unreadable_file", exc.strerror or type(exc).__name__) from exc
        ds = read_dataset(blob, self.ref, max_pixels=self.max_pixels)
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            raise RecordError(self.ref, "multi_frame", "several frames; one image per study expected")
        try:
            with _quiet():
                arr = to_display(ds, bit_depth=self.bit_depth)
        except Exception as exc:
            syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
            if syntax is not None and not _decodable(syntax):
                raise RecordError(
                    self.ref,
                    "unsupported_transfer_syntax",
                    "no pixel-data plugin installed for its transfer syntax (pip install 'vixray-data[dicom]')",
                ) from exc
            raise RecordError(self.ref, "undecodable_image", f"pixel data: {type(exc).__name__}") from exc
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
            raise RecordError(self.ref, "bad_pixel_data", "pixels decode to more than one grey or colour image")
        try:
            return EncodedImage(data=encode_png(arr), ext="png", pixels=arr)  # the array written: what OCR reads
        except Exception as exc:  # Pillow refuses shapes and types it cannot write
            raise RecordError(self.ref, "undecodable_image", f"PNG encoder: {type(exc).__name__}") from exc

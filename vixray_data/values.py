"""Header aliases, value parsers and the spellings of identifying values, declared once: the loader, the export
table reader, the DICOM reader, the de-identifier's scrub and the leak scan use them.

A header is compared by :func:`vixray_data.text.header_key` (lowercase, no diacritics, no punctuation).
A value parser returns the schema's value (or ``None`` when the cell is empty) and raises ``ValueError``
when it cannot: its message describes the problem and never repeats the value, which may be identifying;
the caller adds the record, row or file. Date parsers return ``None`` for what is not a date.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from . import schema
from .text import header_key, normalize, strip_diacritics

# -- header aliases ------------------------------------------------------------------------------------

#: Roles of an export table beyond the schema fields: join keys, the image file, and identifying columns
#: that are read only to be scrubbed from the text and leak-scanned.
STUDY = "study"  # accession number, study instance UID, ...
PATIENT = "patient"  # patient identifier: patient-level splits
FILE = "file"  # image file name or relative path
PATIENT_NAME = "patient_name"
BIRTH_DATE = "birth_date"
STUDY_DATE = "study_date"
PHI_ROLES = ("address", "phone", "national_id", "insurance", "institution", "physician")

#: Header variants of the schema's value and text fields, wherever they are read.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    schema.AGE: ("age", "ages", "tuoi", "patientage", "dotuoi"),
    schema.SEX: ("sex", "gender", "gioitinh", "gioi", "phai", "patientsex"),
    schema.VIEW: ("view", "views", "viewposition", "tuthe", "tuthechup", "huongchup", "projection", "position"),
    schema.NOTE: ("note", "notes", "ghichu", "chuthich", "comment", "comments"),
    schema.TECHNIQUE: ("technique", "kythuat", "kithuat", "kythuatchup", "protocol"),
    schema.FINDINGS: ("findings", "finding", "mota", "motahinhanh", "ketquamota", "ketqua", "description"),
    schema.IMPRESSIONS: ("impressions", "impression", "ketluan", "conclusion", "conclusions", "diagnosis", "chandoan"),
}
#: A loaded dataset's id and image columns (an export table has join keys and file paths instead).
DATASET_ALIASES: dict[str, tuple[str, ...]] = {
    schema.ID: ("id", "studyid", "imageid", "uid", "ma", "maso", "mahoso"),
    schema.IMAGE: ("image", "images", "img", "anh", "xray", "imagepath", "anhxquang"),
    **FIELD_ALIASES,
}
#: Every role of an export table, in the order the table reader assigns them.
TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    **FIELD_ALIASES,
    STUDY: (
        "accession",
        "accessionnumber",
        "accessionno",
        "sophieu",
        "maphieu",
        "studyinstanceuid",
        "studyuid",
        "studyid",
        "machidinh",
        "sochidinh",
        "studykey",
    ),
    PATIENT: ("patientid", "mabn", "mabenhnhan", "pid", "mayte", "mabenhan", "patientkey"),
    FILE: (
        "file",
        "filename",
        "filepath",
        "path",
        "image",
        "imagepath",
        "imagefile",
        "tenfile",
        "tentep",
        "duongdan",
        "anh",
        "hinhanh",
    ),
    PATIENT_NAME: ("patientname", "name", "hoten", "hovaten", "tenbenhnhan", "hotenbenhnhan", "ten"),
    BIRTH_DATE: ("birthdate", "dateofbirth", "dob", "patientbirthdate", "ngaysinh", "namsinh"),
    STUDY_DATE: ("studydate", "ngaychup", "ngaythuchien", "ngaykham", "date", "ngay", "examdate"),
    "address": ("address", "diachi", "patientaddress"),
    "phone": ("phone", "telephone", "sdt", "sodienthoai", "dienthoai", "mobile"),
    "national_id": ("cccd", "cmnd", "nationalid", "socccd", "socmnd", "idcard"),
    "insurance": ("bhyt", "sobhyt", "mabhyt", "insurance", "insuranceid", "sothebhyt"),
    "institution": ("institution", "institutionname", "hospital", "benhvien", "noichup", "coso"),
    "physician": (
        "physician",
        "doctor",
        "bacsi",
        "bs",
        "bacsidocphim",
        "bacsichidinh",
        "referringphysician",
        "radiologist",
        "nguoidoc",
        "ktv",
        "operator",
    ),
}

# -- values ----------------------------------------------------------------------------------------------

#: Age units (DICOM's Y/M/W/D and the words reports use) -> how many make a year (whole years, rounded down).
_AGE_UNITS: dict[str, int] = {"y": 1, "m": 12, "w": 52, "d": 365}
_AGE_WORDS = {
    "tuoi": "y",
    "t": "y",
    "nam": "y",
    "year": "y",
    "years": "y",
    "yr": "y",
    "yrs": "y",
    "yo": "y",
    "thang": "m",
    "month": "m",
    "months": "m",
    "tuan": "w",
    "week": "w",
    "weeks": "w",
    "ngay": "d",
    "day": "d",
    "days": "d",
}
_AGE = re.compile(r"(\d+)(?:[.,]\d+)?([a-z]*)\.?")
_SEX: dict[str, str] = {
    "nam": schema.MALE,
    "male": schema.MALE,
    "m": schema.MALE,
    "man": schema.MALE,
    "namgioi": schema.MALE,
    "nu": schema.FEMALE,
    "female": schema.FEMALE,
    "f": schema.FEMALE,
    "woman": schema.FEMALE,
    "nugioi": schema.FEMALE,
}
#: Spelled-out projections -> the schema's code.
_VIEW: dict[str, str] = {
    "LATERAL": "LAT",
    "POSTERO-ANTERIOR": "PA",
    "POSTEROANTERIOR": "PA",
    "ANTERO-POSTERIOR": "AP",
    "ANTEROPOSTERIOR": "AP",
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def age_years(value: Any) -> int | None:
    """Whole years, uncapped; None when empty. ``72``, ``72.0``, ``"72"``, ``"72 tuổi"``, ``"072Y"``,
    ``"030M"`` (months: 2), ``"010W"``, ``"010D"``, ``"72 years"``.

    Raises ValueError for an unreadable age and for one outside 0-120 (the message never holds the value).
    """
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("age is a true/false value, not a number")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError("age is not a finite number")
        years = math.floor(value)
    else:
        text = strip_diacritics(normalize(str(value), lowercase=True)).replace(" ", "")
        match = _AGE.fullmatch(text)
        if match is None:
            raise ValueError("age is not a number of years, months, weeks or days")
        number, unit = int(match.group(1)), match.group(2)
        unit = _AGE_WORDS.get(unit, unit) or "y"
        if unit not in _AGE_UNITS:
            raise ValueError("age has an unknown unit")
        years = number // _AGE_UNITS[unit]
    if not schema.AGE_MIN <= years <= schema.AGE_MAX:
        raise ValueError(f"impossible age (outside {schema.AGE_MIN}-{schema.AGE_MAX} years)")
    return years


def parse_age(value: Any) -> int | None:
    """Years as the schema stores them: :func:`age_years`, above 89 written as 90 (HIPAA safe harbour)."""
    years = age_years(value)
    return None if years is None else min(years, schema.AGE_CAP)


def parse_sex(value: Any) -> str | None:
    """``Nam``/``Nữ`` from Vietnamese or English, any case, with or without diacritics (``M``, ``female``, ``nu``)."""
    if _blank(value):
        return None
    sex = _SEX.get(header_key(normalize(str(value))))
    if sex is None:
        raise ValueError(f"unknown sex (expected one of {', '.join(schema.SEX_VALUES)}, Male/Female, M/F)")
    return sex


def parse_view(value: Any) -> str | None:
    """One of :data:`schema.VIEW_VALUES`: ``pa``, ``LAT.``, ``Lateral``, ``PA (thẳng)``, ``AP/supine``, ``PA-erect``,
    ``Postero-anterior``."""
    if _blank(value):
        return None
    text = normalize(str(value)).upper()
    whole, first_word = text, re.split(r"[\s(/,;]+", text)[0].rstrip(".")  # "ANTERO-POSTERIOR (SUPINE)"
    for candidate in (whole, first_word, first_word.split("-")[0]):  # "PA-ERECT"
        view = _VIEW.get(candidate, candidate)
        if view in schema.VIEW_VALUES:
            return view
    raise ValueError(f"unknown view (expected one of {', '.join(schema.VIEW_VALUES)})")


# -- dates -----------------------------------------------------------------------------------------------


def parse_date(text: str) -> date | None:
    """``19520314``, ``1952-03-14``, ``14/03/1952``, ``14-03-1952``, ``14.03.1952`` (ISO datetimes too)."""
    text = (text or "").strip()
    patterns = (
        (r"(\d{4})(\d{2})(\d{2})", "ymd"),
        (r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?", "ymd"),
        (r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T].*)?", "dmy"),
    )
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


def age_from_dates(birth: str, at: str) -> int | None:
    """Whole years between two dates (DICOM ``YYYYMMDD`` or table formats); None when either is unusable."""
    b, a = parse_date(birth), parse_date(at)
    if b is None or a is None or a < b:
        return None
    return a.year - b.year - ((a.month, a.day) < (b.month, b.day))


# -- spellings of an identifying value: what the scrub (phi.values) and the leak scan both search for ----------

#: Shorter values are not searched for: they would match inside any text.
MIN_LENGTH = 3


def as_date(value: str) -> date | None:
    """The date an identifying value is, when it is written as one (a whole value, not a date inside text)."""
    if not re.fullmatch(r"\d{8}|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T][\d:.]+)?", value):
        return None
    return parse_date(value)


def date_spellings(day: date) -> set[str]:
    """The usual ways a date is written: ``YYYYMMDD`` and ``YYYY-MM-DD``, ``DD-MM-YYYY``, ``D-M-YYYY`` with
    ``-``, ``/`` or ``.``."""
    d, m, y = day.day, day.month, day.year
    forms = {f"{y:04d}{m:02d}{d:02d}"}
    for sep in "-/.":
        forms |= {f"{y:04d}{sep}{m:02d}{sep}{d:02d}", f"{d:02d}{sep}{m:02d}{sep}{y:04d}", f"{d}{sep}{m}{sep}{y:04d}"}
    return forms


def person_name_orders(value: str) -> list[tuple[str, ...]]:
    """The word orders a DICOM person name is written in, for each of its representations (``=``-separated):
    as stored (family given middle), Vietnamese (family middle given) from three parts on, given name first from
    two parts on. Empty for a value that is not a DICOM name (no ``^``)."""
    orders: list[tuple[str, ...]] = []
    for representation in value.split("=") if "^" in value else ():
        parts = tuple(p.strip() for p in representation.split("^") if p.strip())
        if not parts:
            continue
        orders.append(parts)
        if len(parts) >= 3:
            orders.append((parts[0], *parts[2:], parts[1]))
        if len(parts) >= 2:
            orders.append((*parts[1:], parts[0]))
    return orders

"""De-identification stage: RawRecord -> CleanRecord | Reject (allow-list, not deny-list).

Only schema fields leave this stage. Identifiers become HMAC-SHA256 pseudonyms under a secret key;
the demo corpus uses a fixed public key. (First version: pseudonyms, age capping and field checks;
free-text scrubbing and the audit are filled in by the de-identification work.)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import Counter
from pathlib import Path

from . import schema
from .errors import DeidError
from .records import CleanRecord, RawRecord, Reject
from .text import normalize

#: Public key for the synthetic demo corpus: its ids need no secrecy, only stability.
DEMO_KEY = b"vixray-demo-corpus-public-key"
KEY_ENV = "VIXRAY_DEID_KEY"

_SEX = {"nam": schema.MALE, "m": schema.MALE, "male": schema.MALE, "nữ": schema.FEMALE, "nu": schema.FEMALE,
        "f": schema.FEMALE, "female": schema.FEMALE}


def resolve_key(key_file: Path | None, *, demo: bool) -> bytes:
    """The HMAC key: the demo's public one, else --key-file, else $VIXRAY_DEID_KEY; refuse without one."""
    if demo:
        return DEMO_KEY
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise DeidError(f"cannot read key file {key_file}: {exc.strerror}") from exc
    else:
        key = os.environ.get(KEY_ENV, "").encode()
    if len(key) < 16:
        raise DeidError(f"a real source needs a secret key of 16+ bytes: set ${KEY_ENV} or pass --key-file")
    return key


def pseudonym(key: bytes, *parts: str, length: int = 16) -> str:
    """Stable pseudonym of source identifiers (HMAC-SHA256, hex, truncated)."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:length]


def parse_age(value) -> int | None:
    """``72``, ``"72"``, ``"072Y"``, ``"030M"``, ``"010D"`` -> years; None when absent. Raises ValueError."""
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    text = str(value).strip().upper()
    match = re.fullmatch(r"(\d{1,3})(?:\.0+)?\s*([YMWD]?)", text)
    if not match:
        raise ValueError(f"unparseable age {value!r}")
    number, unit = int(match.group(1)), match.group(2) or "Y"
    years = {"Y": number, "M": number // 12, "W": number // 52, "D": number // 365}[unit]
    if not schema.AGE_MIN <= years <= schema.AGE_MAX:
        raise ValueError(f"impossible age {value!r}")
    return min(years, schema.AGE_CAP)


def parse_sex(value) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    sex = _SEX.get(normalize(str(value), lowercase=True))
    if sex is None:
        raise ValueError(f"unknown sex {value!r}")
    return sex


class Deidentifier:
    """Turns raw records into allow-listed ones; keeps the audit counts and the PHI values it saw."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self.audit: Counter[str] = Counter()
        self.phi_values: set[str] = set()

    def process(self, raw: RawRecord) -> CleanRecord | Reject:
        self.phi_values.update(v for v in raw.phi.values() if v)
        f = raw.fields
        try:
            age = parse_age(f.get(schema.AGE))
        except ValueError as exc:
            return Reject(raw.ref, "bad_age", str(exc))
        try:
            sex = parse_sex(f.get(schema.SEX))
        except ValueError as exc:
            return Reject(raw.ref, "bad_sex", str(exc))
        fields = {schema.AGE: age, schema.SEX: sex}
        view = normalize(str(f.get(schema.VIEW) or "")).upper() or None
        if view is not None and view not in schema.VIEW_VALUES:
            return Reject(raw.ref, "bad_view", f"unknown view {view!r}")
        fields[schema.VIEW] = view
        for name in schema.TEXT_FIELDS:
            fields[name] = normalize(f.get(name)) or None
        for name in schema.REQUIRED_TEXT:
            if not fields[name]:
                return Reject(raw.ref, f"empty_{name}", f"{name} is missing or blank")
        return CleanRecord(
            id=pseudonym(self._key, "study", raw.study_key),
            patient=pseudonym(self._key, "patient", raw.patient_key) if raw.patient_key else None,
            fields=fields,
            image=raw.image,
            ref=raw.ref,
        )

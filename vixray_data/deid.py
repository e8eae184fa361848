"""De-identification stage: RawRecord -> CleanRecord | Reject (allow-list, not deny-list).

Only schema fields leave this stage. Identifiers become HMAC-SHA256 pseudonyms under a secret key
(the demo corpus uses a fixed public key); ages above 89 become 90; free text is scrubbed of every
category of Vietnamese PHI (:mod:`vixray_data.phi`) and of every identifying value the source saw in any
record, each hit replaced by ``___`` and counted per field and category. ``audit`` is the manifest's
``deid`` section; ``values``, the build's one index of those values (no value kept as a string), feeds the leak
scan too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from . import phi, schema
from .build import kept_values
from .errors import DeidError
from .records import CleanRecord, RawRecord, Reject
from .text import normalize
from .values import age_years, parse_sex, parse_view

#: Public key for the synthetic demo corpus: its ids need no secrecy, only stability.
DEMO_KEY = b"vixray-demo-corpus-public-key"
KEY_ENV = "VIXRAY_DEID_KEY"


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


# --------------------------------------------------------------------------- free-text scrubbing

#: A table cell that was a list or an object (JSONL), not text: the record is rejected, never written as a repr.
NON_TEXT = "\x00not text\x00"


def scrub(
    text: str, *, own_values: set[str] | None = None, analyzer: phi.Analyzer | None = None
) -> tuple[str, Counter[str]]:
    """Replace PHI spans in ``text`` with ``___``; returns the text and the count of spans per category.

    ``analyzer`` carries the build's listed values and id shapes (see :mod:`vixray_data.phi`);
    ``own_values`` is a shortcut for one record's values alone.
    """
    if analyzer is None and own_values:
        analyzer = phi.Analyzer(values=phi.ValueIndex(own_values))
    spans = analyzer.find(text) if analyzer is not None else phi.find_phi(text)
    return phi.redact(text, spans) if spans else (text, Counter())


def _detail(exc: ValueError, column: str) -> str:
    """A reject's detail: the parser's reason (its own words, never the value) without a bracket holding a number
    (``outside 0-120 years``): rejects.jsonl is leak-scanned, and a bound could equal an identifying value."""
    return re.sub(r"\s*\([^)]*\d[^)]*\)", "", str(exc)) + f" in the {column} column"


class Deidentifier:
    """Turns raw records into allow-listed ones; keeps the audit counts and the PHI values it saw.

    Text is scrubbed of every category of PHI and of every identifying value of *every* record (another
    patient named in a report is removed too). A builder therefore calls :meth:`process` with
    ``scrub_text=False`` for all records first and :meth:`scrub_record` on each once all values are known;
    ``process`` alone scrubs with the values seen so far.
    """

    def __init__(self, key: bytes, *, demo: bool | None = None) -> None:
        self._key = key
        self._demo = key == DEMO_KEY if demo is None else demo
        self._counts: Counter[str] = Counter()
        self._spans: Counter[str] = Counter({name: 0 for name in schema.TEXT_FIELDS})
        self._categories: Counter[str] = Counter()
        self._rejects: Counter[str] = Counter()
        self.values = phi.ValueIndex(classify=kept_values.classifier())  # the scrub's and the leak scan's
        self._shapes = phi.IdShapes()
        self.analyzer = phi.Analyzer(values=self.values, shapes=self._shapes)

    @property
    def audit(self) -> dict:
        """The manifest's ``deid`` section: what was dropped, replaced, capped and rejected (no values)."""
        return {
            "pseudonyms": "HMAC-SHA256" + (" (public demo key)" if self._demo else " (secret key, not written)"),
            "records_in": self._counts["records_in"],
            "records_out": self._counts["records_out"],
            "tags_dropped": self._counts["tags_dropped"],
            "table_cells_dropped": self._counts["columns_dropped"],  # values of unrecognised table columns
            "identifying_values_seen": self.values.count,
            "id_shapes": len(self._shapes),
            "spans_replaced": dict(self._spans),
            "spans_replaced_by_category": dict(sorted(self._categories.items())),
            "ages_capped": self._counts["ages_capped"],
            "ages_from_dates": self._counts["ages_from_dates"],
            "burned_in_reviewed": self._counts["burned_in_reviewed"],
            "rejected_by_reason": dict(sorted(self._rejects.items())),
        }

    def _reject(self, raw: RawRecord, reason: str, detail: str) -> Reject:
        self._rejects[reason] += 1
        return Reject(raw.ref, reason, detail)

    def see(self, values: Iterable[str | None], *, keys: Iterable[str | None] = ()) -> None:
        """Identifying values to scrub from every text; ``keys`` are ids whose shape marks other ids."""
        self.values.add(str(v) for v in values if v is not None)
        self._shapes.add(k for k in keys if k)

    def process(self, raw: RawRecord, *, scrub_text: bool = True) -> CleanRecord | Reject:
        self.see(
            raw.phi.values(),
            keys=(raw.study_key, raw.patient_key, raw.phi.get("table.study"), raw.phi.get("table.patient")),
        )
        self._counts["records_in"] += 1
        self._counts["tags_dropped"] += int(raw.flags.get("tags_dropped", 0) or 0)
        self._counts["columns_dropped"] += int(raw.flags.get("columns_dropped", 0) or 0)
        f = raw.fields
        not_text = [name for name, value in f.items() if value == NON_TEXT or isinstance(value, (list, dict))]
        if not_text:
            return self._reject(
                raw, "not_text", f"column(s) for {', '.join(sorted(not_text))} hold a list or object, not text"
            )
        try:
            years = age_years(f.get(schema.AGE))
        except ValueError as exc:
            return self._reject(raw, "bad_age", _detail(exc, "age"))
        age = None if years is None else min(years, schema.AGE_CAP)
        try:
            sex = parse_sex(f.get(schema.SEX))
        except ValueError as exc:
            return self._reject(raw, "bad_sex", _detail(exc, "sex"))
        fields = {schema.AGE: age, schema.SEX: sex}
        try:
            fields[schema.VIEW] = parse_view(f.get(schema.VIEW))
        except ValueError as exc:
            return self._reject(raw, "bad_view", _detail(exc, "view"))
        for name in schema.TEXT_FIELDS:
            fields[name] = normalize(f.get(name)) or None
        for name in schema.REQUIRED_TEXT:
            if not fields[name]:
                return self._reject(raw, f"empty_{name}", f"{name} is missing or blank")
        self._counts["ages_capped"] += years is not None and years > schema.AGE_CAP
        self._counts["ages_from_dates"] += bool(raw.flags.get("age_from_dates"))
        if raw.flags.get("burned_in_annotation") not in (None, "NO"):
            self._counts["burned_in_reviewed"] += 1
        self._counts["records_out"] += 1
        record = CleanRecord(
            id=pseudonym(self._key, "study", raw.study_key),
            patient=pseudonym(self._key, "patient", raw.patient_key) if raw.patient_key else None,
            fields=fields,
            image=raw.image,
            ref=raw.ref,
        )
        if scrub_text:
            self.scrub_record(record)
        return record

    def scrub_record(self, record: CleanRecord) -> None:
        """Replace PHI in the record's text fields, in place, with every value seen so far."""
        for name in schema.TEXT_FIELDS:
            text = record.fields.get(name)
            if not text:
                continue
            cleaned, counts = scrub(text, analyzer=self.analyzer)
            record.fields[name] = cleaned or None
            self._spans[name] += sum(counts.values())
            self._categories.update(counts)

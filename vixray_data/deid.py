"""De-identification stage: RawRecord -> CleanRecord | Reject (allow-list, not deny-list).

Only schema fields leave this stage. Identifiers become HMAC-SHA256 pseudonyms under a secret key
(the demo corpus uses a fixed public key); ages above 89 become 90; free text is scrubbed of
Vietnamese PHI patterns and of every identifying value the source saw for the record, each hit
replaced by ``___`` and counted per field. ``audit`` is the manifest's ``deid`` section; ``phi_values``
feeds the leak scan.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import unicodedata
from collections import Counter
from pathlib import Path

from . import schema
from .errors import DeidError
from .records import CleanRecord, RawRecord, Reject
from .text import normalize
from .values import age_years, parse_age, parse_sex, parse_view  # noqa: F401 - sources/export.py imports parse_age here

#: Public key for the synthetic demo corpus: its ids need no secrecy, only stability.
DEMO_KEY = b"vixray-demo-corpus-public-key"
KEY_ENV = "VIXRAY_DEID_KEY"
REDACTED = "___"


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

_UPPER_INITIAL = re.compile(r"[^\W\d_]")
_TITLE_ABBR = r"BSCKII|BSCKI|BSCK[12]|BS|Bs|ThS|PGS|KTV|ĐD"  # not "TS": tiền sử (history)
_TITLE_WORD = r"[Bb]ác\s+sĩ|[Kk]ỹ\s+thuật\s+viên|[Bb]ệnh\s+nhân|[Ôô]ng|[Bb]à|[Aa]nh|[Cc]hị|[Cc]ô|[Cc]hú|BN"
#: (rule, pattern, group to replace). Order matters: specific before general.
_RULES: tuple[tuple[str, re.Pattern, int], ...] = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), 0),
    ("date", re.compile(r"(?<![\w/.-])(?:\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{1,2}[.-]\d{1,2}[.-]\d{4}"
                        r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
                        r"(?![\w/-]|\.\d)"), 0),
    ("date", re.compile(r"(?i)\bngày\s+\d{1,2}\s*(?:tháng\s*|/\s*)\d{1,2}(?:\s*(?:năm\s*|/\s*)\d{2,4})?"), 0),
    ("date", re.compile(r"(?i)\btháng\s+\d{1,2}\s*(?:năm\s*|/\s*)\d{4}\b"), 0),
    ("date", re.compile(r"(?<![\w/.])\d{1,2}/(?:19|20)\d{2}(?![\w/])"), 0),
    ("phone", re.compile(r"(?<![\w+])(?:\+84|0084|0)(?:[\s.-]?\d){8,10}(?![\w])"), 0),
    ("record_number", re.compile(
        r"(?i)(?:\bmã\s*(?:số\s*)?(?:bn|bệnh\s*nhân|hồ\s*sơ|y\s*tế|phiếu|lưu\s*trữ)|\bsố\s*(?:hồ\s*sơ|bệnh\s*án|phiếu|"
        r"lưu\s*trữ|bhyt|cccd|cmnd|thẻ)|\bpid\b|\bshs\b|\bbhyt\b|\bcccd\b|\bcmnd\b|\bmrn\b|\baccession(?:\s*(?:no|number))?)"
        r"\s*[:#.]?\s*(?-i:([A-Za-z]{0,4}[-./]?\d[\w./-]{2,}))"), 1),
    ("insurance_number", re.compile(r"\b[A-Z]{2}\s?\d\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{5}\b"), 0),
    ("record_number", re.compile(r"\b[A-Z]{1,4}\d{5,}\b"), 0),
    ("id_number", re.compile(r"(?<![\w.,])\d{6,}(?![\w]|[.,]\d)"), 0),
    ("titled_name", re.compile(rf"(?<!\w)(?:(?:{_TITLE_ABBR})(?:\.\s*|\s+)|(?:{_TITLE_WORD})\s*:?\s+)(?=[^\W\d_])"), 0),
)


_SEX_WORDS = {"Nam", "Nữ", "NAM", "NỮ"}


def _name_span(text: str) -> int:
    """Length of the leading run of capitalised words in ``text`` (0 when the first is not capitalised)."""
    end = 0
    for match in re.finditer(r"\S+", text):
        word = match.group(0).rstrip(".,;:")
        if not word or not word[0].isupper() or not _UPPER_INITIAL.match(word):
            break
        if match.start() > end and text[end:match.start()].strip():
            break
        end = match.start() + len(word)
    return end


def _fold_chars(text: str) -> str:
    """Per-character lowercase base letter (``"Nguyễn"`` -> ``"nguyen"``), same length as ``text``.

    Positions in the folded text are positions in the original, so a match found case- and
    diacritic-insensitively can be replaced in the original text.
    """
    out = []
    for char in text:
        base = "d" if char in "đĐ" else unicodedata.normalize("NFD", char)[0].lower()
        out.append(base if len(base) == 1 else char)
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def _own_forms(value: str) -> frozenset[str]:
    """Folded spellings of one identifying value (cached: institutions and doctors recur in every record)."""
    from .leakscan import spellings

    forms = {_fold_chars(unicodedata.normalize("NFC", f)) for f in spellings(value)[0]}
    return frozenset(f for f in forms if len(f) >= 3)


def own_forms(values: set[str] | frozenset[str]) -> tuple[str, ...]:
    """Folded spellings of a record's identifying values, longest first (computed once per record)."""
    forms: set[str] = set()
    for value in values:
        forms |= _own_forms(value)
    return tuple(sorted(forms, key=len, reverse=True))


def _scrub_own(text: str, forms: tuple[str, ...]) -> tuple[str, int]:
    """Replace word-bounded occurrences of any form, found case- and diacritic-insensitively."""
    folded = _fold_chars(text)
    taken = [False] * len(folded)
    spans = []
    for form in forms:  # longest first: a name wins over a part of it
        start = folded.find(form)
        while start != -1:
            end = start + len(form)
            bounded = (start == 0 or not folded[start - 1].isalnum()) and (end == len(folded) or
                                                                            not folded[end].isalnum())
            if bounded and not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                spans.append((start, end))
            start = folded.find(form, start + 1)
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + REDACTED + text[end:]
    return text, len(spans)


_HAS_DIGIT = re.compile(r"\d")
_DIGIT_RULES = frozenset({"date", "phone", "record_number", "insurance_number", "id_number"})


def scrub(text: str, *, own_values: set[str] | None = None,
          own: tuple[str, ...] | None = None) -> tuple[str, Counter[str]]:
    """Replace PHI spans in ``text`` with ``___``; returns the text and the count of spans per rule.

    ``own`` (from :func:`own_forms`) saves recomputing the spellings of ``own_values`` per field.
    """
    counts: Counter[str] = Counter()
    forms = own if own is not None else own_forms(own_values or set())
    if forms and text:
        text, n = _scrub_own(text, forms)
        counts["own_value"] += n
    text, rule_counts = _scrub_rules(text)
    counts.update(dict(rule_counts))
    return text, +counts


@functools.lru_cache(maxsize=65536)
def _scrub_rules(text: str) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The record-independent rules, cached: radiologists reuse the same sentences, so most texts repeat."""
    counts: Counter[str] = Counter()
    digits = bool(_HAS_DIGIT.search(text))
    for rule, regex, group in _RULES:
        if (rule in _DIGIT_RULES and not digits) or (rule == "email" and "@" not in text):
            continue  # every pattern of these rules needs a digit (or an @)
        if rule == "titled_name":
            text = _scrub_names(text, regex, counts)
            continue

        def replace(match: re.Match, group: int = group, rule: str = rule) -> str:
            counts[rule] += 1
            if group == 0:
                return REDACTED
            start, end = match.span(group)
            return match.group(0)[: start - match.start()] + REDACTED + match.group(0)[end - match.start():]

        text = regex.sub(replace, text)
    return text, tuple(sorted((+counts).items()))


def _scrub_names(text: str, regex: re.Pattern, counts: Counter[str]) -> str:
    """Replace the capitalised words right after each title (``BS.``, ``bác sĩ``, ``ông``, ...)."""
    out, last = [], 0
    for match in regex.finditer(text):
        start = match.end()
        if start < last:
            continue
        span = _name_span(text[start:])
        if span == 0 or text[start:start + span] == REDACTED:
            continue
        if text[start:start + span] in _SEX_WORDS and match.group(0).strip().lower().startswith(("bn", "bệnh")):
            continue  # "BN Nam, 72 tuổi": the patient's sex, not a name
        counts["titled_name"] += 1
        out += [text[last:start], REDACTED]
        last = start + span
    return "".join(out) + text[last:]


class Deidentifier:
    """Turns raw records into allow-listed ones; keeps the audit counts and the PHI values it saw."""

    def __init__(self, key: bytes, *, demo: bool | None = None) -> None:
        self._key = key
        self._demo = key == DEMO_KEY if demo is None else demo
        self._counts: Counter[str] = Counter()
        self._spans: Counter[str] = Counter({name: 0 for name in schema.TEXT_FIELDS})
        self._rules: Counter[str] = Counter()
        self._rejects: Counter[str] = Counter()
        self.phi_values: set[str] = set()

    @property
    def audit(self) -> dict:
        """The manifest's ``deid`` section: what was dropped, replaced, capped and rejected (no values)."""
        return {
            "pseudonyms": "HMAC-SHA256" + (" (public demo key)" if self._demo else " (secret key, not written)"),
            "records_in": self._counts["records_in"],
            "records_out": self._counts["records_out"],
            "tags_dropped": self._counts["tags_dropped"],
            "table_cells_dropped": self._counts["columns_dropped"],  # values of unrecognised table columns
            "identifying_values_seen": len(self.phi_values),
            "spans_replaced": dict(self._spans),
            "spans_replaced_by_rule": dict(sorted(self._rules.items())),
            "ages_capped": self._counts["ages_capped"],
            "ages_from_dates": self._counts["ages_from_dates"],
            "burned_in_reviewed": self._counts["burned_in_reviewed"],
            "rejected_by_reason": dict(sorted(self._rejects.items())),
        }

    def _reject(self, raw: RawRecord, reason: str, detail: str) -> Reject:
        self._rejects[reason] += 1
        return Reject(raw.ref, reason, detail)

    def process(self, raw: RawRecord) -> CleanRecord | Reject:
        own = {str(v).strip() for v in raw.phi.values() if v and str(v).strip()}
        self.phi_values |= own
        self._counts["records_in"] += 1
        self._counts["tags_dropped"] += int(raw.flags.get("tags_dropped", 0) or 0)
        self._counts["columns_dropped"] += int(raw.flags.get("columns_dropped", 0) or 0)
        f = raw.fields
        try:
            years = age_years(f.get(schema.AGE))
        except ValueError as exc:
            return self._reject(raw, "bad_age", str(exc))
        age = None if years is None else min(years, schema.AGE_CAP)
        self._counts["ages_capped"] += years is not None and years > schema.AGE_CAP
        self._counts["ages_from_dates"] += bool(raw.flags.get("age_from_dates"))
        try:
            sex = parse_sex(f.get(schema.SEX))
        except ValueError as exc:
            return self._reject(raw, "bad_sex", str(exc))
        fields = {schema.AGE: age, schema.SEX: sex}
        try:
            fields[schema.VIEW] = parse_view(f.get(schema.VIEW))
        except ValueError as exc:
            return self._reject(raw, "bad_view", str(exc))
        replaced: Counter[str] = Counter()
        by_rule: Counter[str] = Counter()
        forms = own_forms(own)
        for name in schema.TEXT_FIELDS:
            text, rules = scrub(normalize(f.get(name)), own=forms)
            fields[name] = text or None
            replaced[name] = sum(rules.values())
            by_rule.update(rules)
        for name in schema.REQUIRED_TEXT:
            if not fields[name]:
                return self._reject(raw, f"empty_{name}", f"{name} is missing or blank")
        self._spans.update(replaced)
        self._rules.update(by_rule)
        if raw.flags.get("burned_in_annotation") not in (None, "NO"):
            self._counts["burned_in_reviewed"] += 1
        self._counts["records_out"] += 1
        return CleanRecord(
            id=pseudonym(self._key, "study", raw.study_key),
            patient=pseudonym(self._key, "patient", raw.patient_key) if raw.patient_key else None,
            fields=fields,
            image=raw.image,
            ref=raw.ref,
        )

"""Figure 2 counts: body parts in the findings (2a) and diagnoses in the impressions (2b).

Counted by canonical lexicon concept, never by raw string, from the atomic facts of
:func:`vixray_data.clinical.extract_facts`, so that polarity is respected: "Bóng tim không to" is a
*negated* heart-size statement and never adds to cardiomegaly. Severity variants stay apart
("Bóng tim to" and "Bóng mờ tim to nhẹ" are two rows of one concept), and every row lists the
surface forms that produced it.

Figure 2a also carries the paper's own measure: body parts named in noun phrases of the findings
(:mod:`vixray_data.statistics.nounphrase`, Stanza when installed, else POS tags + lexicon), with the side and
rib number written beside them ("xương sườn 2 bên trái").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import schema
from ..lexicon import Concept, Lexicon, load_lexicon
from .corpus import Corpus
from .nounphrase import NounPhraseExtractor, anatomy_mentions

if TYPE_CHECKING:
    from ..clinical import Fact

PRESENT, NEGATED, NORMAL, UNRECOGNISED = "present", "negated", "normal", "unrecognised"  # fact polarities
FactExtractor = Callable[[str], "list[Fact]"]  # a report's atomic facts (vixray_data.clinical.extract_facts)


def _fact_extractor() -> FactExtractor:
    from ..clinical import extract_facts  # contract 4 (Engineer E)

    return extract_facts


@dataclass
class Row:
    """One bar of Figure 2: a concept (and, for diagnoses, a severity)."""

    concept: str
    vi: str
    en: str
    severity: str | None = None
    # reports (not mentions) stating the concept with each polarity; one report may count in several
    present: int = 0  # positive, certain
    uncertain: int = 0  # positive, hedged ("nghĩ đến", "theo dõi")
    negated: int = 0  # ruled out ("Bóng tim không to", "không thấy tràn dịch")
    normal: int = 0  # a normal-state statement about the body part ("Góc sườn hoành hai bên nhọn")
    unrecognised: int = 0  # a statement naming the body part that the lexicon could not read
    reports: int = 0  # reports naming the concept at all
    noun_phrases: int = 0  # 2a: mentions inside noun phrases (the paper's measure), repeats included
    variants: Counter = field(default_factory=Counter)  # surface form -> mentions
    qualifiers: Counter = field(default_factory=Counter)  # 2a: "left", "rib:2", ... -> reports

    @property
    def key(self) -> str:
        return self.concept if self.severity is None else f"{self.concept}:{self.severity}"

    @property
    def positive(self) -> int:
        return self.present + self.uncertain

    @property
    def mentions(self) -> int:
        """Bar length: reports by polarity (a report naming the part with no polarity counts once)."""
        return max(self.present + self.uncertain + self.negated + self.normal + self.unrecognised, self.reports)

    def label(self, severity_vi: dict[str, str]) -> str:
        vi = self.vi if self.severity is None else f"{self.vi} ({severity_vi.get(self.severity, self.severity)})"
        en = self.en if self.severity is None else f"{self.en}, {self.severity}"
        return f"{vi} — {en}"

    def to_json(self) -> dict:
        return {
            "concept": self.concept, "severity": self.severity, "vi": self.vi, "en": self.en,
            "present": self.present, "uncertain": self.uncertain, "negated": self.negated, "normal": self.normal,
            "unrecognised": self.unrecognised,
            "reports": self.reports, "noun_phrases": self.noun_phrases,
            "variants": dict(self.variants.most_common()), "qualifiers": dict(self.qualifiers.most_common()),
        }  # fmt: skip


@dataclass
class Frequencies:
    """One of Figure 2a / 2b: rows, how they were counted, and how many texts were empty."""

    name: str
    field: str
    rows: dict[str, Row]
    method: str
    texts: int
    empty: int
    without_positive: int = 0  # non-empty texts stating no concept as present (e.g. a normal impression)
    unrecognised: int = 0  # ... of the others: texts stating nothing present but a statement the lexicon cannot read

    def sorted_rows(self, *, by: str = "mentions") -> list[Row]:
        return sorted(self.rows.values(), key=lambda r: (-getattr(r, by), -r.mentions, r.key))

    def to_json(self) -> dict:
        return {
            "name": self.name, "field": self.field, "method": self.method, "texts": self.texts, "empty": self.empty,
            "without_positive": self.without_positive, "unrecognised": self.unrecognised,
            "rows": [r.to_json() for r in self.sorted_rows()],
        }  # fmt: skip

    def to_markdown(self, *, limit: int | None = None) -> str:
        severity_vi = _severity_vi()
        has_np = any(r.noun_phrases for r in self.rows.values())
        head = "| concept | present | uncertain | negated | normal | unread | any |" + (
            " noun phrases |" if has_np else ""
        )
        lines = [f"*{self.method}*; {self.texts} texts, {self.empty} empty, {self.without_positive} stating nothing "
                 f"as present, {self.unrecognised} stating nothing present but a statement the lexicon could not "
                 "read (never counted as normal). Counts are reports (a report stating a concept twice counts once) "
                 "per polarity" + ("; *noun phrases* counts every mention." if has_np else "."), "",
                 head + " surface forms; qualifiers |",
                 "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if has_np else "") + "---|"]  # fmt: skip
        for row in self.sorted_rows()[:limit]:
            forms = ", ".join(f"{form} ({n})" for form, n in row.variants.most_common(6))
            if row.qualifiers:
                forms += "; " + ", ".join(f"{q} ({n})" for q, n in row.qualifiers.most_common(4))
            np_cell = f" {row.noun_phrases} |" if has_np else ""
            lines.append(f"| {row.label(severity_vi)} | {row.present} | {row.uncertain} | {row.negated} | {row.normal} "
                         f"| {row.unrecognised} | {row.reports} |{np_cell} {forms} |")  # fmt: skip
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | Path, stem: str) -> None:
        out = Path(out_dir)
        (out / f"{stem}.json").write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        (out / f"{stem}.md").write_text(self.to_markdown(), encoding="utf-8")


def _severity_vi() -> dict[str, str]:
    """The first (canonical) Vietnamese word of each severity level: mild -> nhẹ."""
    raw = load_lexicon().raw.get("severity") or {}
    return {level: (forms[0] if forms else level) for level, forms in raw.items()}


def _anatomy_of(fact: Fact, lex: Lexicon) -> tuple[str | None, str | None]:
    """The body part a finding fact *names*: its subject, or the organ inside the finding's own words.

    "Tù góc sườn hoành" is a pleural-effusion finding whose default subject is the pleura, but the
    body part written is the costophrenic angle; "Bóng tim to" names the heart.
    """
    if fact.subject_text or not fact.finding_text:
        return fact.subject, fact.subject_text
    named = anatomy_mentions(fact.finding_text)
    if named:
        return named[0].concept, named[0].surface
    return fact.subject, None


def _category(fact: Fact) -> str:
    if fact.polarity == UNRECOGNISED:
        return "unrecognised"
    if fact.polarity == NEGATED:
        return "negated"
    if fact.polarity == NORMAL:
        return "normal"
    return "uncertain" if fact.certainty == "uncertain" else "present"


@dataclass
class _Report:
    """What one report states: row key -> its polarity categories, and row key -> its qualifiers."""

    seen: dict[str, set[str]] = field(default_factory=dict)
    qualifiers: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class _Tally:
    """The rows of one figure and its text counts, filled one report at a time; rows count reports, not repeats."""

    lex: Lexicon
    kind: str  # "anatomy" (Figure 2a) or "finding" (2b)
    rows: dict[str, Row] = field(default_factory=dict)
    texts: int = 0
    empty: int = 0
    without_positive: int = 0
    unrecognised: int = 0

    def row_for(self, concept: Concept, severity: str | None = None) -> Row:
        key = concept.id if severity is None else f"{concept.id}:{severity}"
        return self.rows.get(key) or self.rows.setdefault(key, Row(concept.id, concept.vi, concept.en, severity))

    def add(self, text: str | None, extractor: FactExtractor, noun_phrases: NounPhraseExtractor | None) -> None:
        self.texts += 1
        if not text or not text.strip():
            self.empty += 1
            return
        report = _Report()
        facts = extractor(text)
        for fact in facts:
            self._fact(fact, report, surfaces=noun_phrases is None)
        if noun_phrases is not None:
            for phrase in noun_phrases(text):
                self._phrase(phrase, report)
        self._close(report, facts)

    def _fact(self, fact: Fact, report: _Report, *, surfaces: bool) -> None:
        """A fact's row (its body part for 2a, its finding and severity for 2b) and polarity; its surface form
        when the rows list the facts' forms (not the noun phrases')."""
        if self.kind == "anatomy":
            cid, surface = _anatomy_of(fact, self.lex)
            if cid is None or cid not in self.lex.anatomy:
                return
            row = self.row_for(self.lex.anatomy[cid])
            report.qualifiers.setdefault(row.key, set()).update(
                ([fact.laterality] if fact.laterality else []) + list(fact.position)
            )
        else:
            if fact.finding is None or fact.finding not in self.lex.findings:
                return
            row, surface = self.row_for(self.lex.findings[fact.finding], fact.severity), fact.finding_text
        report.seen.setdefault(row.key, set()).add(_category(fact))
        if surface and surfaces:
            row.variants[surface.lower()] += 1

    def _phrase(self, phrase: str, report: _Report) -> None:
        """The body parts a noun phrase names (the paper's measure), with the side and rib number beside them."""
        for mention in anatomy_mentions(phrase):
            row = self.row_for(self.lex.anatomy[mention.concept])
            row.noun_phrases += 1
            row.variants[mention.surface] += 1
            report.seen.setdefault(row.key, set())
            extra = [mention.laterality] if mention.laterality else []
            if mention.number is not None and mention.concept == "rib":
                extra.append(f"rib:{mention.number}")
            report.qualifiers.setdefault(row.key, set()).update(extra)

    def _close(self, report: _Report, facts: list[Fact]) -> None:
        """Count the report once per row and polarity; a report stating nothing present is normal or unread."""
        if not any(c in ("present", "uncertain") for categories in report.seen.values() for c in categories):
            if any(f.polarity == UNRECOGNISED for f in facts):
                self.unrecognised += 1  # not a normal text: something in it could not be read
            else:
                self.without_positive += 1
        for key, categories in report.seen.items():
            row = self.rows[key]
            row.reports += 1
            for category in categories:
                setattr(row, category, getattr(row, category) + 1)
            row.qualifiers.update(report.qualifiers.get(key, ()))


def _count(
    texts: Iterable[str | None], *, kind: str, extractor: FactExtractor, noun_phrases: NounPhraseExtractor | None
) -> tuple[dict[str, Row], int, int, int, int]:
    """Per report: which concepts it states, with which polarity; rows count reports, not repeats."""
    tally = _Tally(load_lexicon(), kind)
    for text in texts:
        tally.add(text, extractor, noun_phrases)
    return tally.rows, tally.texts, tally.empty, tally.without_positive, tally.unrecognised


def body_parts(
    corpus: Corpus,
    *,
    noun_phrases: NounPhraseExtractor | None = None,
    extractor: FactExtractor | None = None,
    split: str | None = None,
) -> Frequencies:
    """Figure 2a: anatomy concepts of the findings, by polarity, plus noun-phrase mentions."""
    rows, n, empty, none, unread = _count(
        corpus.column(schema.FINDINGS, split), kind="anatomy", extractor=extractor or _fact_extractor(),
        noun_phrases=noun_phrases,
    )  # fmt: skip
    method = f"subjects of vixray_data.clinical.extract_facts (lexicon {load_lexicon().version})"
    if noun_phrases is not None:
        method += f"; noun-phrase mentions by {noun_phrases.method}"
    return Frequencies("Figure 2a: body parts in findings", schema.FINDINGS, rows, method, n, empty, none, unread)


def diagnoses(corpus: Corpus, *, extractor: FactExtractor | None = None, split: str | None = None) -> Frequencies:
    """Figure 2b: finding concepts of the impressions, one row per (concept, severity), by polarity."""
    rows, n, empty, none, unread = _count(
        corpus.column(schema.IMPRESSIONS, split), kind="finding", extractor=extractor or _fact_extractor(),
        noun_phrases=None,
    )  # fmt: skip
    method = f"findings of vixray_data.clinical.extract_facts (lexicon {load_lexicon().version}), severity kept apart"
    return Frequencies("Figure 2b: diagnoses in impressions", schema.IMPRESSIONS, rows, method, n, empty, none, unread)

"""Loader for the shared Vietnamese chest X-ray lexicon (``lexicon.yaml`` beside this file), and its one
longest-match index (:func:`term_index`) that the word segmenter and the fact extractor both read.

Every surface form is passed through :func:`vixray_data.text.normalize` (lowercased) on load, so a
term written ``hoá`` in the file still matches ``hóa`` in a report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .text import normalize

LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")

#: How the index cuts text and forms into tokens: a syllable or word, or one punctuation mark.
TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Concept:
    """One anatomy or finding concept; ``variants`` are normalised, lowercased, longest first."""

    id: str
    vi: str
    en: str
    variants: tuple[str, ...]  # every surface form, ``bare`` ones included
    anatomy: str | None = None  # findings: the organ the finding belongs to (its default subject)
    labels: tuple[str, ...] = ()  # findings: clinical labels (one, or two for "tràn dịch tràn khí"); none: no label

    @property
    def label(self) -> str | None:
        """The finding's (first) clinical label; None for a finding with no label of its own."""
        return self.labels[0] if self.labels else None

    bare: tuple[str, ...] = ()  # findings: the forms that name no organ and count only bound to this one's
    strict: tuple[str, ...] = ()  # bare forms that mean this finding only of its own organ, not of a related one
    directional: bool = False  # a side written after it is where it goes ("khí quản lệch phải"), not a side


def _forms(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({normalize(v, lowercase=True) for v in values}, key=lambda s: (-len(s), s)))


@dataclass(frozen=True)
class Lexicon:
    version: str
    anatomy: dict[str, Concept]
    findings: dict[str, Concept]
    position: dict[str, Concept]
    normal: dict[str, tuple[str, ...]]  # subject id (or "any") -> normal-state phrases
    severity: dict[str, tuple[str, ...]]
    laterality: dict[str, tuple[str, ...]]
    negation_pre: tuple[str, ...]
    negation_post: tuple[str, ...]
    uncertainty: tuple[str, ...]
    labels: dict[str, str]  # label id -> English name
    raw: dict[str, Any] = field(repr=False, default_factory=dict)  # the parsed file, for sections a module owns


def _labels(value: str | Iterable[str] | None) -> tuple[str, ...]:
    return () if value is None else (value,) if isinstance(value, str) else tuple(value)


def _concepts(section: dict[str, dict[str, Any]] | None) -> dict[str, Concept]:
    out = {}
    for cid, spec in (section or {}).items():
        variants = spec.get("variants") or [spec["vi"]]
        out[cid] = Concept(
            id=cid,
            vi=normalize(spec["vi"]),
            en=spec["en"],
            variants=_forms([*variants, spec["vi"], *(spec.get("bare") or ()), *(spec.get("bare_strict") or ())]),
            anatomy=spec.get("anatomy"),
            labels=_labels(spec.get("label")),
            bare=_forms([*(spec.get("bare") or ()), *(spec.get("bare_strict") or ())]),
            strict=_forms(spec.get("bare_strict") or ()),
            directional=bool(spec.get("directional")),
        )
    return out


#: libyaml's parser when PyYAML was built with it: the same objects as ``yaml.safe_load``, ten times sooner (the
#: package's data files took a third of a second to parse in every process that de-identifies).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: str | Path) -> Any:
    """One of the package's YAML data files (the lexicon, the word and place lists), parsed safely."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # a safe loader, C or Python


@lru_cache(maxsize=4)
def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Parse the lexicon once per path (cached)."""
    data = read_yaml(path or LEXICON_PATH)
    return Lexicon(
        version=str(data["version"]),
        anatomy=_concepts(data["anatomy"]),
        findings=_concepts(data["findings"]),
        position=_concepts(data.get("position")),
        normal={k: _forms(v) for k, v in (data.get("normal") or {}).items()},
        severity={k: _forms(v) for k, v in (data.get("severity") or {}).items()},
        laterality={k: _forms(v) for k, v in (data.get("laterality") or {}).items()},
        negation_pre=_forms(data["negation"]["pre"]),
        negation_post=_forms(data["negation"]["post"]),
        uncertainty=_forms(data["uncertainty"]),
        labels=dict(data.get("labels") or {}),
        raw=data,
    )


# --------------------------------------------------------------------------- the one index


@dataclass(frozen=True)
class Term:
    """What one surface form means. ``kind``: anatomy | finding | bare | position | normal | severity |
    laterality | direction (a side that is not the finding's: "đẩy trung thất *sang phải*", "*bên phải nhiều
    hơn*") | locative ("sát", "chồng lên": the organ after it only says where) | cause ("do") | advice ("đề
    nghị") | neg | unc | scope_end | join (a scope end that also ends the clause: "kèm", "nhưng") | filler (a
    word a negation reaches past: "không thấy *hình ảnh* tràn dịch") | modifier (a description read as plain
    words) | word (segmenter only)."""

    kind: str
    value: str  # concept id, side, severity level, subject of a normal phrase, or the cue itself
    form: str = ""
    lateral: str = ""  # an anatomy form that implies a side ("hai phổi")
    positions: tuple[str, ...] = ()  # position terms inside the form ("gãy cung sau xương sườn")
    headed: bool = False  # a finding form that opens with its organ ("bóng tim to")
    names_organ: bool = False  # a finding form that contains its organ ("tràn dịch màng phổi")
    candidates: tuple[str, ...] = ()  # bare forms: every finding the form may mean, bound by organ


#: When one form has several meanings, the first of these kinds is what a report means by it.
_KIND_RANK = {
    "finding": 0,
    "anatomy": 1,
    "bare": 2,
    "unc": 3,
    "normal": 4,
    "neg": 5,
    "position": 6,
    "laterality": 7,
    "severity": 8,
    "scope_end": 9,
    "join": 9,
    "filler": 10,
    "modifier": 11,
    "direction": 12,
    "locative": 13,
    "cause": 14,
    "advice": 15,
    "word": 16,
}


def tokens(form: str) -> tuple[str, ...]:
    """The index's tokens of a (lowercased) form."""
    return tuple(TOKEN.findall(form))


@dataclass(frozen=True)
class TermIndex:
    """Every lexicon form by its token tuple, with the lengths to try per first token (longest first)."""

    lexicon: Lexicon
    table: dict[tuple[str, ...], tuple[Term, ...]]
    sizes: dict[str, tuple[int, ...]]
    finding_forms: dict[str, str]  # full finding form -> finding id ("bóng tim to" -> cardiomegaly)
    subject_groups: dict[str, str]  # anatomy id -> the place it names for matching
    bilateral_prefix: frozenset[str]  # "hai" in "hai góc sườn hoành"
    normal_means: dict[str, str]  # subject -> the finding its normal state rules out (heart -> cardiomegaly)
    negated_means_normal: dict[str, frozenset[str]]  # subject -> findings whose negation is its normal state
    located_in: dict[str, tuple[str, str]]  # organ -> (the organ it is a place in, position id)

    def match(
        self,
        toks: Sequence[str],
        i: int,
        accept: Callable[[Term], bool] | None = None,
    ) -> tuple[int, tuple[Term, ...]]:
        """The longest form starting at ``toks[i]`` (lowercased tokens) with a term ``accept`` takes."""
        for size in self.sizes.get(toks[i], ()):
            if i + size > len(toks):
                continue
            found = self.table.get(tuple(toks[i : i + size]))
            if found and accept is not None:
                found = tuple(t for t in found if accept(t))
            if found:
                return size, found
        return 0, ()

    def compatible(self, a: str | None, b: str | None) -> bool:
        """Two anatomy ids that name one place (``lung`` and ``lobe``; ``pleura`` and ``costophrenic_angle``)."""
        groups = self.subject_groups
        return a == b or (a is not None and b is not None and a in groups and groups[a] == groups.get(b))


@lru_cache(maxsize=4)
def term_index(path: str | None = None) -> TermIndex:
    """The longest-match index over every form of the lexicon, built once per lexicon file."""
    lex = load_lexicon(path) if path else load_lexicon()
    terms = [*_concept_terms(lex), *_cue_terms(lex), *_word_terms(lex.raw)]
    table: dict[tuple[str, ...], set[Term]] = {}
    for term in terms:
        key = tokens(term.form)
        if key:
            table.setdefault(key, set()).add(term)
    frozen = {k: tuple(sorted(v, key=lambda t: (_KIND_RANK[t.kind], t.value))) for k, v in table.items()}
    sizes: dict[str, set[int]] = {}
    for key in frozen:
        sizes.setdefault(key[0], set()).add(len(key))
    matching = lex.raw.get("fact_matching") or {}
    groups = {member: group for group, members in (matching.get("subject_groups") or {}).items() for member in members}
    prefix = frozenset(normalize(str(w), lowercase=True) for w in matching.get("bilateral_prefix") or ())
    return TermIndex(
        lexicon=lex,
        table=frozen,
        sizes={first: tuple(sorted(s, reverse=True)) for first, s in sizes.items()},
        finding_forms={t.form: t.value for t in terms if t.kind == "finding"},
        subject_groups=groups,
        bilateral_prefix=prefix,
        normal_means=dict(matching.get("normal_means") or {}),
        negated_means_normal={k: frozenset(v) for k, v in (matching.get("negated_means_normal") or {}).items()},
        located_in={k: (v["organ"], v["position"]) for k, v in (matching.get("located_in") or {}).items()},
    )


def _concept_terms(lex: Lexicon) -> Iterator[Term]:
    """Anatomy, finding, bare and position forms, with what the words inside a form say (a side, a position,
    an organ at its head or anywhere in it)."""
    position_forms = {form: cid for cid, c in lex.position.items() for form in (*c.variants, c.vi.lower())}
    lateral_forms = {form: side for side, forms in lex.laterality.items() for form in forms}
    anatomy_keys = {tokens(form) for c in lex.anatomy.values() for form in c.variants}

    def inner_positions(form: str) -> tuple[str, ...]:
        return tuple(sorted({cid for pf, cid in position_forms.items() if f" {pf} " in f" {form} "}))

    def organ_at(form: str, *, head: bool) -> bool:
        key = tokens(form)
        if head:
            return any(key[:n] in anatomy_keys for n in range(1, len(key)))
        return any(key[i:j] in anatomy_keys for i in range(len(key)) for j in range(i + 1, len(key) + 1))

    for cid, c in lex.anatomy.items():
        for form in c.variants:
            yield Term("anatomy", cid, form, lateral_forms.get(form, ""), inner_positions(form))
    bare: dict[str, list[str]] = {}
    for cid, c in lex.findings.items():
        for form in (f for f in c.variants if f not in c.bare):
            yield Term(
                "finding", cid, form, "", inner_positions(form), organ_at(form, head=True), organ_at(form, head=False)
            )
        for form in c.bare:
            bare.setdefault(form, []).append(cid)
    for form, cids in bare.items():
        yield Term("bare", cids[0], form, candidates=tuple(cids))
    for form, cid in position_forms.items():
        yield Term("position", cid, form)


def _cue_terms(lex: Lexicon) -> Iterator[Term]:
    """Normal-state phrases, severities and sides (valued), negation and uncertainty cues (each its own value)."""
    for kind, section in (("normal", lex.normal), ("severity", lex.severity), ("laterality", lex.laterality)):
        for value, forms in section.items():
            for form in forms:
                yield Term(kind, value, form)
    for form in (*lex.negation_pre, *lex.negation_post):
        yield Term("neg", form, form)
    for form in lex.uncertainty:
        yield Term("unc", form, form)


def _word_lists(raw: dict[str, Any]) -> Iterator[tuple[str, str | None, Iterable[str]]]:
    """The file's plain word lists as (kind, value, forms); value None: each form is its own value."""
    negation = raw.get("negation") or {}
    yield "scope_end", None, negation.get("scope_end") or ()
    yield "join", None, negation.get("joins") or ()
    yield "filler", None, negation.get("fillers") or ()
    for value, forms in (raw.get("directions") or {}).items():
        yield "direction", value, forms
    yield "advice", None, raw.get("advice") or ()
    yield "cause", None, (raw.get("causes") or {}).get("words") or ()
    yield "locative", None, raw.get("locatives") or ()
    yield "modifier", None, raw.get("modifiers") or ()
    yield "word", None, raw.get("words") or ()


def _word_terms(raw: dict[str, Any]) -> Iterator[Term]:
    for kind, value, forms in _word_lists(raw):
        for form in forms:
            form = normalize(form, lowercase=True)
            yield Term(kind, form if value is None else value, form)

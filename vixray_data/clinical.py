"""Clinical statements and atomic facts from a Vietnamese chest X-ray report, through the lexicon.

Radiologists chain statements with commas or with no punctuation at all ("Phổi hai bên kém sáng mờ
kính rải rác rốn phổi tăng đậm nhẹ"), so a fact is not a clause: a new fact starts where a new
finding begins, or where a new subject begins after a complete statement. The report is normalised
(:func:`vixray_data.text.normalize`), cut into syllables, and every lexicon term is found by
longest match; a small state machine then groups the terms into facts.

Canonical forms, so that two ways of writing one statement give one fact:

- "Bóng tim không to" is the heart with cardiomegaly *negated* (a predicate after its subject is
  resolved against the findings: ``bóng tim`` + ``to`` is the lexicon's ``bóng tim to``).
- A negation cue before a finding ("Không thấy tràn dịch, tràn khí màng phổi") covers every
  following finding of the sentence until a new subject, a normal statement or a scope-ending word
  (``negation.scope_end``); uncertainty cues ("nghĩ đến", "theo dõi") cover the rest of the sentence.
- Subject, laterality and position carry over to the next fact of the same sentence unless it names
  its own ("Phổi hai bên kém sáng, mờ kính rải rác": both facts are bilateral lung facts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from .lexicon import Lexicon, load_lexicon
from .text import normalize

PRESENT, NEGATED, NORMAL = "present", "negated", "normal"
POLARITIES: tuple[str, ...] = (PRESENT, NEGATED, NORMAL)
CERTAIN, UNCERTAIN = "certain", "uncertain"
_ANY_SUBJECT = "any"  # the lexicon's `normal:` key for phrases that need no subject

_TOKEN = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = frozenset(".;!?:")
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")
_CLAUSE_END = frozenset(",")
_ROMAN = {r: n for n, r in enumerate(("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"), 1)}


@dataclass(frozen=True)
class Fact:
    """One clinical statement: a subject and one finding or state about it (contract 4)."""

    subject: str | None
    finding: str | None
    polarity: str
    certainty: str = CERTAIN
    laterality: str | None = None
    position: tuple[str, ...] = ()
    severity: str | None = None
    text: str = ""
    subject_text: str | None = None
    finding_text: str | None = None

    def describe(self) -> str:
        """A short, stable English rendering for reports and judge comparisons."""
        parts = [self.subject or "-", self.finding or "(state)", self.polarity]
        if self.laterality:
            parts.append(self.laterality)
        if self.certainty == UNCERTAIN:
            parts.append("uncertain")
        return "/".join(parts)


# --------------------------------------------------------------------------- lexicon index


@dataclass(frozen=True)
class _Entry:
    kind: str  # anatomy | finding | position | normal | severity | laterality | neg | unc | scope_end
    value: str  # concept id, side, severity level, cue
    lateral: str = ""  # an anatomy form that implies a side ("hai phổi")
    positions: tuple[str, ...] = ()  # position terms inside the form ("gãy cung sau xương sườn")
    headed: bool = False  # a finding form that opens with its subject ("bóng tim to")
    names_subject: bool = False  # a finding form that contains its subject ("tràn dịch màng phổi")


@dataclass(frozen=True)
class _Index:
    lexicon: Lexicon
    table: dict[tuple[str, ...], tuple[_Entry, ...]]
    longest: int
    finding_forms: dict[str, str]  # surface form -> finding id
    subject_groups: dict[str, str]  # anatomy id -> matching group
    bilateral_prefix: frozenset[str]  # "hai" in "hai góc sườn hoành"


_KIND_RANK = {"finding": 0, "anatomy": 1, "unc": 2, "normal": 3, "neg": 4, "position": 5, "laterality": 6}


def _tokens(form: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(form))


@lru_cache(maxsize=4)
def _index(path: str | None = None) -> _Index:
    lex = load_lexicon(path) if path else load_lexicon()
    raw = lex.raw
    table: dict[tuple[str, ...], list[_Entry]] = {}
    position_forms: dict[str, str] = {}
    for cid, concept in lex.position.items():
        for form in {*concept.variants, normalize(concept.vi, lowercase=True)}:
            position_forms[form] = cid
    lateral_forms = {form: side for side, forms in lex.laterality.items() for form in forms}
    anatomy_keys = {_tokens(form) for concept in lex.anatomy.values() for form in concept.variants}

    def add(form: str, entry: _Entry) -> None:
        key = _tokens(form)
        if key:
            table.setdefault(key, []).append(entry)

    def inner_positions(form: str) -> tuple[str, ...]:
        padded = f" {form} "
        return tuple(sorted({cid for pf, cid in position_forms.items() if f" {pf} " in padded}))

    def headed(form: str) -> bool:
        key = _tokens(form)
        return any(key[:n] in anatomy_keys for n in range(1, len(key)))

    def names_subject(form: str) -> bool:
        key = _tokens(form)
        return any(key[i:j] in anatomy_keys for i in range(len(key)) for j in range(i + 1, len(key) + 1))

    for cid, concept in lex.anatomy.items():
        for form in concept.variants:
            add(form, _Entry("anatomy", cid, lateral_forms.get(form, ""), inner_positions(form)))
    finding_forms: dict[str, str] = {}
    for cid, concept in lex.findings.items():
        for form in concept.variants:
            finding_forms[form] = cid
            add(form, _Entry("finding", cid, "", inner_positions(form), headed(form), names_subject(form)))
    for form, cid in position_forms.items():
        add(form, _Entry("position", cid))
    for subject, forms in lex.normal.items():
        for form in forms:
            add(form, _Entry("normal", subject))
    for level, forms in lex.severity.items():
        for form in forms:
            add(form, _Entry("severity", level))
    for form, side in lateral_forms.items():
        add(form, _Entry("laterality", side))
    for form in (*lex.negation_pre, *lex.negation_post):
        add(form, _Entry("neg", form))
    for form in lex.uncertainty:
        add(form, _Entry("unc", form))
    for form in (raw.get("negation") or {}).get("scope_end") or ():
        add(normalize(form, lowercase=True), _Entry("scope_end", form))
    matching = raw.get("fact_matching") or {}
    groups = {member: group for group, members in (matching.get("subject_groups") or {}).items() for member in members}
    prefix = frozenset(normalize(w, lowercase=True) for w in matching.get("bilateral_prefix") or ())
    frozen = {k: tuple(sorted(set(v), key=lambda e: _KIND_RANK.get(e.kind, 9))) for k, v in table.items()}
    return _Index(lex, frozen, max(len(k) for k in frozen), finding_forms, groups, prefix)


def lexicon_version(lexicon_path: str | Path | None = None) -> str:
    """The lexicon version the facts were extracted with (part of every evaluation signature)."""
    return _index(str(lexicon_path) if lexicon_path else None).lexicon.version


# --------------------------------------------------------------------------- tagging


@dataclass(frozen=True)
class _Tag:
    kind: str  # an _Entry kind, or "word", "number", "comma", "and", "end"
    value: str
    start: int  # char offsets in the normalised text
    end: int
    surface: str
    entry: _Entry | None = None


def _match_at(tokens: list[str], i: int, index: _Index) -> tuple[int, tuple[_Entry, ...]]:
    for length in range(min(index.longest, len(tokens) - i), 0, -1):
        entries = index.table.get(tuple(tokens[i : i + length]))
        if entries:
            return length, entries
    return 0, ()


def _starts_finding(tokens: list[str], i: int, index: _Index) -> bool:
    entries = _match_at(tokens, i, index)[1]
    return bool(entries) and entries[0].kind == "finding"


def _negation_cue(tokens: list[str], i: int, index: _Index) -> tuple[int, tuple[_Entry, ...]]:
    """The longest negation cue at ``i`` that leaves a finding right after it, if any."""
    for cut in range(min(index.longest, len(tokens) - i), 0, -1):
        cue = tuple(e for e in index.table.get(tuple(tokens[i : i + cut]), ()) if e.kind == "neg")
        if cue and _starts_finding(tokens, i + cut, index):
            return cut, cue
    return 0, ()


def _tag(text: str, index: _Index) -> list[_Tag]:
    spans = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text.lower())]
    tokens = [s[0] for s in spans]
    tags: list[_Tag] = []
    i = 0
    while i < len(tokens):
        tok, start, end = spans[i]
        if tok in _SENTENCE_END:
            tags.append(_Tag("end", tok, start, end, tok))
            i += 1
            continue
        if tok in _CLAUSE_END:
            tags.append(_Tag("comma", tok, start, end, tok))
            i += 1
            continue
        length, entries = _match_at(tokens, i, index)
        if entries and (entries[0].kind == "normal" or (entries[0].kind == "neg" and length > 1)):
            # "không to" after "bóng tim", "không thấy bất thường xương": a cue, then a finding
            cut, cue = _negation_cue(tokens, i, index)
            if cut:
                length, entries = cut, cue
        if tok in index.bilateral_prefix and i + 1 < len(tokens):
            n, nxt = _match_at(tokens, i + 1, index)
            if nxt and nxt[0].kind == "anatomy":
                stop = spans[i + n][2]
                entry = replace(nxt[0], lateral="bilateral")
                tags.append(_Tag("anatomy", entry.value, start, stop, text[start:stop], entry))
                i += 1 + n
                continue
        if not entries:
            kind = "number" if tok.isdigit() or tok in _ROMAN else ("and" if tok == "và" else "word")
            tags.append(_Tag(kind, tok, start, end, text[start:end]))
            i += 1
            continue
        stop = spans[i + length - 1][2]
        tags.append(_Tag(entries[0].kind, entries[0].value, start, stop, text[start:stop], entries[0]))
        i += length
    return tags


# --------------------------------------------------------------------------- grouping


@dataclass
class _Group:
    subject: str | None = None
    subject_text: str | None = None
    subject_kind: str = ""  # "explicit" | "weak" (a lobe/position word) | "soft" (carried over) | ""
    finding: str | None = None
    finding_text: str | None = None
    pending: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # "Tim, phổi bình thường"
    normal: bool = False
    negated: bool = False
    own_negation: bool = False  # a cue inside this statement, not a shared one from before
    bare_negation: bool = False  # a cue with no finding after it: "Trung thất không giãn"
    uncertain: bool = False
    laterality: str | None = None
    lateral_soft: bool = False
    position: list[str] = field(default_factory=list)
    position_soft: bool = False
    severity: str | None = None
    start: int | None = None
    end: int | None = None

    def complete(self) -> bool:
        return self.finding is not None or self.normal

    def touch(self, tag: _Tag) -> None:
        self.start = tag.start if self.start is None else min(self.start, tag.start)
        self.end = tag.end if self.end is None else max(self.end, tag.end)

    def add_positions(self, positions) -> None:
        """Own positions replace those carried over from the previous statement."""
        if self.position_soft:
            self.position, self.position_soft = [], False
        self.position.extend(positions)

    def drop_soft(self) -> None:
        if self.lateral_soft:
            self.laterality, self.lateral_soft = None, False
        if self.position_soft:
            self.position, self.position_soft = [], False


def _content(upcoming: list[_Tag]):
    for tag in upcoming:
        if tag.kind in ("end", "comma"):
            return
        yield tag


def _predicate_ahead(upcoming: list[_Tag]) -> bool:
    """A finding, a normal state or a negation cue before the clause ends: a new statement begins."""
    for tag in _content(upcoming):
        if tag.kind in ("finding", "normal", "neg"):
            return True
        if tag.kind == "anatomy":
            return False
    return False


def _finding_ahead(upcoming: list[_Tag]) -> bool:
    for tag in _content(upcoming):
        if tag.kind == "finding":
            return True
        if tag.kind in ("anatomy", "normal"):
            return False
    return False


class _Builder:
    def __init__(self, text: str, index: _Index) -> None:
        self.text, self.index = text, index
        self.facts: list[Fact] = []
        self.group = _Group()
        self.neg_scope = False  # a pre-negation shared by the following findings of the sentence
        self.unc_scope = False  # an uncertainty cue: the rest of the sentence
        self.after_rib = False

    # -- statements
    def close(self, *, carry: bool) -> _Group:
        g = self.group
        self.facts.extend(self._facts(g))
        nxt = _Group(uncertain=self.unc_scope, negated=self.neg_scope)
        if carry and g.subject is not None:
            nxt.subject, nxt.subject_text, nxt.subject_kind = g.subject, g.subject_text, "soft"
            nxt.laterality, nxt.lateral_soft = g.laterality, True
            nxt.position, nxt.position_soft = list(g.position), True
        self.group = nxt
        return nxt

    def end_sentence(self) -> None:
        self.neg_scope = self.unc_scope = False
        self.close(carry=False)
        self.after_rib = False

    def _facts(self, g: _Group) -> list[Fact]:
        if g.finding is not None:
            polarity = NEGATED if g.negated else PRESENT
        elif g.normal or (g.bare_negation and g.subject_kind in ("explicit", "weak")):
            polarity = NORMAL
        else:
            return []
        subject, subject_text = g.subject, g.subject_text
        laterality, position = g.laterality, tuple(g.position)
        finding, shared = g.finding, polarity
        default = self.index.lexicon.findings[finding].anatomy if finding else None
        if default and (subject is None or (g.subject_kind == "soft" and not self._compatible(subject, default))):
            subject, subject_text = default, None
            if g.lateral_soft:
                laterality = None
            if g.position_soft:
                position = ()
        elif finding and subject and g.subject_kind != "soft":
            finding, fits = self._resolve(subject, finding, g.finding_text or "")
            if not fits and polarity == NEGATED and len(_tokens((g.finding_text or "").lower())) == 1:
                finding, polarity = None, NORMAL  # "Trung thất không to": a normal mediastinum
        span = self.text[g.start : g.end].strip(" ,") if g.start is not None else ""

        def make(subj, subj_text, find, pol, side) -> Fact:
            return Fact(
                subject=subj,
                finding=find,
                polarity=pol,
                certainty=UNCERTAIN if g.uncertain else CERTAIN,
                laterality=side,
                position=tuple(dict.fromkeys(position)),
                severity=g.severity,
                text=span,
                subject_text=subj_text,
                finding_text=g.finding_text,
            )

        facts = []
        for other, other_text, side in g.pending:  # a predicate shared by several subjects
            if g.finding is None:
                facts.append(make(other, other_text, None, shared, side))
                continue
            found, fits = self._resolve(other, g.finding, g.finding_text or "")
            if fits:
                facts.append(make(other, other_text, found, shared, side))
            elif shared == NEGATED:
                facts.append(make(other, other_text, None, NORMAL, side))
        facts.append(make(subject, subject_text, finding, polarity, laterality))
        return facts

    def _resolve(self, subject: str, finding: str, surface: str) -> tuple[str, bool]:
        """A predicate read against its subject: ``to`` after ``bóng tim`` is the lexicon's ``bóng tim to``.

        Returns the finding and whether it fits the subject (its anatomy is the subject's, or the subject
        plus the predicate is one of the lexicon's forms).
        """
        lex = self.index.lexicon
        if self._compatible(subject, lex.findings[finding].anatomy or subject):
            return finding, True
        surface = surface.lower()
        for variant in lex.anatomy[subject].variants:
            hit = self.index.finding_forms.get(f"{variant} {surface}")
            if hit:
                return hit, True
        return finding, False

    def _compatible(self, a: str, b: str) -> bool:
        groups = self.index.subject_groups
        return a == b or (a in groups and groups.get(a) == groups.get(b))

    # -- events
    def anatomy(self, tag: _Tag, upcoming: list[_Tag]) -> None:
        entry = tag.entry
        assert entry is not None
        weak = bool(entry.positions)  # "thùy trên", "cạnh rốn phổi": a place that a later organ may refine
        g = self.group
        if g.complete():
            if _predicate_ahead(upcoming):  # "... mờ kính rải rác rốn phổi tăng đậm": a new statement
                self.neg_scope = False
                g = self.close(carry=False)
            elif g.subject_kind == "explicit":  # "Phổi phải đám mờ đáy phổi": the organ only says where
                g.position.extend(entry.positions or (tag.value,))
                g.touch(tag)
                return
            # else the finding came first and this is its subject: "Thâm nhiễm nhu mô phổi hai bên"
        else:
            if g.negated and not g.own_negation:
                # a new subject ends a shared negation: "Không thấy tràn dịch, phổi hai bên ..."
                self.neg_scope = g.negated = False
            if g.subject_kind == "explicit" and not weak and g.subject and not self._compatible(g.subject, tag.value):
                # "Tim, phổi bình thường": both subjects share the predicate to come
                g.pending.append((g.subject, g.subject_text, g.laterality))
                g.laterality = None
        if not (weak and g.subject_kind == "explicit"):
            if g.subject_kind == "soft":
                g.drop_soft()
            g.subject, g.subject_text = tag.value, tag.surface
            g.subject_kind = "weak" if weak else "explicit"
        if entry.lateral:
            g.laterality, g.lateral_soft = entry.lateral, False
        if entry.positions:
            g.add_positions(entry.positions)
        g.touch(tag)

    def finding(self, tag: _Tag) -> None:
        entry = tag.entry
        assert entry is not None
        g = self.group
        if g.complete():
            if entry.headed:  # "bóng tim to" names its own subject: a shared negation stops here
                self.neg_scope = False
            g = self.close(carry=not entry.headed)
        g.finding, g.finding_text = tag.value, tag.surface
        if entry.names_subject and g.subject_kind in ("", "soft"):
            # "tràn dịch màng phổi" names its organ: an organ after it only says where
            default = self.index.lexicon.findings[tag.value].anatomy
            if g.subject_kind == "soft" and not self._compatible(g.subject or "", default or ""):
                g.drop_soft()
            if g.subject_kind == "" or not self._compatible(g.subject or "", default or ""):
                g.subject, g.subject_text = default, None
            g.subject_kind = "explicit"
            g.lateral_soft = g.position_soft = False
        if entry.positions:
            g.add_positions(entry.positions)
        g.touch(tag)

    def normal(self, tag: _Tag) -> None:
        g = self.group
        if tag.value != _ANY_SUBJECT and g.subject is None:
            return  # "sáng", "đều" state something only about a named organ
        if g.normal and g.finding is None:  # "Bờ vòm hoành hai bên đều, rõ nét": one normal state
            g.touch(tag)
            return
        if g.complete():
            g = self.close(carry=True)
        self.neg_scope = False
        g.negated = g.own_negation = False
        g.normal = True
        g.touch(tag)

    def negation(self, tag: _Tag, upcoming: list[_Tag]) -> None:
        g = self.group
        ahead = _finding_ahead(upcoming)
        if g.complete():
            if not ahead:  # a cue after its finding: "tràn dịch màng phổi không thấy"
                g.negated = g.own_negation = True
                g.touch(tag)
                return
            g = self.close(carry=True)
        g.negated = g.own_negation = True
        self.neg_scope = ahead
        g.bare_negation = not ahead
        g.touch(tag)

    def uncertainty(self, tag: _Tag) -> None:
        g = self.group
        if g.complete():
            g = self.close(carry=True)
        self.unc_scope = True
        g.uncertain = True
        g.touch(tag)

    def laterality(self, tag: _Tag) -> None:
        g = self.group
        if self.after_rib and tag.surface[:1].isdigit():  # "xương sườn 2 bên trái": rib 2, not "2 bên"
            g.position.append(f"rib:{int(tag.surface.split()[0])}")
        else:
            g.laterality, g.lateral_soft = tag.value, False
        g.touch(tag)

    def position(self, tag: _Tag) -> None:
        g = self.group
        g.add_positions([tag.value])
        g.touch(tag)

    def number(self, tag: _Tag) -> None:
        if self.after_rib:  # "xương sườn III", "cung sau xương sườn 4,5"
            self.group.position.append(f"rib:{_ROMAN.get(tag.value) or int(tag.value)}")
            self.group.touch(tag)

    def severity(self, tag: _Tag) -> None:
        self.group.severity = tag.value
        self.group.touch(tag)


def extract_facts(text: str | None, *, lexicon_path: str | Path | None = None) -> list[Fact]:
    """The atomic facts of a report, in reading order; ``[]`` when nothing is recognised."""
    normalized = normalize(_LINE_BREAK.sub(". ", text) if text else text)  # a line break ends a sentence
    if not normalized:
        return []
    if len(normalized.lower()) != len(normalized):  # keep character offsets valid for the spans
        normalized = normalized.lower()
    index = _index(str(lexicon_path) if lexicon_path else None)
    tags = _tag(normalized, index)
    builder = _Builder(normalized, index)
    for i, tag in enumerate(tags):
        kind = tag.kind
        if kind == "end":
            builder.end_sentence()
        elif kind == "anatomy":
            builder.anatomy(tag, tags[i + 1 :])
        elif kind == "finding":
            builder.finding(tag)
        elif kind == "normal":
            builder.normal(tag)
        elif kind == "neg":
            builder.negation(tag, tags[i + 1 :])
        elif kind == "unc":
            builder.uncertainty(tag)
        elif kind == "scope_end":
            builder.neg_scope = False
        elif kind == "laterality":
            builder.laterality(tag)
        elif kind == "position":
            builder.position(tag)
        elif kind == "severity":
            builder.severity(tag)
        elif kind == "number":
            builder.number(tag)
        if kind in ("anatomy", "finding"):
            g = builder.group
            builder.after_rib = g.subject == "rib" or tag.value == "rib_fracture"
        elif kind not in ("number", "comma", "and", "laterality", "position"):
            builder.after_rib = False
    builder.end_sentence()
    return builder.facts


def split_statements(text: str | None, *, lexicon_path: str | Path | None = None) -> list[str]:
    """The text span of each fact: the report cut where a new statement begins."""
    return [fact.text for fact in extract_facts(text, lexicon_path=lexicon_path)]


def match_key(fact: Fact, *, lexicon_path: str | Path | None = None) -> tuple[str | None, str | None, str, str | None]:
    """What two facts must share to match: subject (its matching group), finding, polarity, laterality."""
    index = _index(str(lexicon_path) if lexicon_path else None)
    subject = index.subject_groups.get(fact.subject, fact.subject) if fact.subject else None
    return (subject, fact.finding, fact.polarity, fact.laterality)

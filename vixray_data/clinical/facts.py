"""Step 4: drafts made into canonical facts, so that one clinical meaning is one fact.

- The finding is bound to the draft's organ (:mod:`.binding`); a finding with no organ named takes
  the organ it belongs to, and an organ carried over from an earlier statement that it does not
  belong to is dropped with its side.
- "Trung thất không to": a negated bare form that does not fit its organ is that organ's normal state.
- A normal state of an organ listed in ``fact_matching.normal_means`` is the negation of its size
  finding: "Bóng tim bình thường" = "Bóng tim không to" = "Tim không lớn" = (heart, cardiomegaly, negated);
  for those in ``negated_means_normal`` it is the other way round: "Trung thất không rộng" = "Trung thất
  bình thường" = (mediastinum, normal).
- A lung finding said of the hilum (``located_in``) is a lung finding placed there: "Khối mờ rốn phổi".
- A clause that states nothing readable but holds a word the lexicon does not know (nor lists as a common
  word), or a finding word that fits no organ there, is one ``unrecognised`` fact: the report is then
  never read as normal, and the side written in it belongs to nothing.
- Facts are never merged: "Tràn dịch màng phổi phải. Tràn dịch màng phổi trái." states two facts. That the
  pair means "Tràn dịch màng phổi hai bên" is an equivalence the fact matcher applies (:func:`merge_sides`,
  used by :mod:`vixray_data.evaluation.facts`), so it decides whether a fact is supported, never how many
  facts were stated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..lexicon import TermIndex
from .binding import bind_bare, bind_finding, organ_form
from .drafts import EXPLICIT, HEADING, SOFT, WEAK, Draft
from .mentions import Mention

PRESENT, NEGATED, NORMAL, UNRECOGNISED = "present", "negated", "normal", "unrecognised"
#: ``unrecognised``: a clause that states something the lexicon cannot read (see :func:`unread_facts`)
POLARITIES: tuple[str, ...] = (PRESENT, NEGATED, NORMAL, UNRECOGNISED)
CERTAIN, UNCERTAIN = "certain", "uncertain"


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


def _bind(index: TermIndex, g: Draft) -> tuple[str | None, str | None, str | None, tuple[str, ...], str | None]:
    """(subject, subject_text, laterality, position, finding) of a draft with a finding, after binding."""
    m = g.finding
    assert m is not None
    subject, subject_text, side, position = g.subject, g.subject_text, g.laterality, tuple(g.position)
    if m.kind == "bare":
        return subject, subject_text, side, position, bind_bare(index, subject, m)
    own = index.lexicon.findings[m.value].anatomy
    if own is None:  # a device: the organ beside it only says where it lies
        return subject, subject_text, side, position, m.value
    if g.subject_kind == SOFT and subject is not None and not index.compatible(subject, own):
        carried = organ_form(index, subject, m.form)  # "Quai động mạch chủ vồng, vôi hóa thành"
        if carried:
            return subject, subject_text, side, position, carried
    if subject is None or (g.subject_kind in (SOFT, WEAK) and not index.compatible(subject, own)):
        # no organ, or one that only says where ("thùy trên") or was carried over: the finding's own organ
        weak = g.subject_kind == WEAK
        side = None if g.lateral_soft else side
        position = () if g.position_soft else position
        return own, subject_text if weak else None, side, position, m.value
    if g.subject_kind in (EXPLICIT, HEADING):
        finding, fits = bind_finding(index, subject, m)
        place = index.located_in.get(subject)
        if not fits and place and index.compatible(place[0], own):  # "Khối mờ rốn phổi phải": a perihilar mass
            return place[0], subject_text, side, (*position, place[1]), m.value
        return subject, subject_text, side, position, finding
    return subject, subject_text, side, position, m.value


def _shared(index: TermIndex, organ: str, mention: Mention) -> str | None:
    """What a predicate shared with another organ means for it ("Bóng tim, trung thất không to")."""
    if mention.kind == "bare":
        return bind_bare(index, organ, mention)
    found, fits = bind_finding(index, organ, mention)
    return found if fits else None


def draft_facts(index: TermIndex, g: Draft, text: str) -> list[Fact]:
    """The facts one draft states (several when organs share a predicate: "Tim, phổi bình thường")."""
    span = text[g.start : g.end].strip(" ,") if g.start is not None else ""
    certainty = UNCERTAIN if g.uncertain else CERTAIN

    def make(subject, subject_text, finding, polarity, side, position) -> Fact:
        if polarity == NORMAL and finding is None and subject in index.normal_means:
            finding, polarity = index.normal_means[subject], NEGATED
        elif polarity == NEGATED and finding in index.negated_means_normal.get(subject, ()):
            finding, polarity = None, NORMAL
        return Fact(
            subject,
            finding,
            polarity,
            certainty,
            side,
            tuple(dict.fromkeys(position)),
            g.severity,
            span,
            subject_text,
            g.finding.surface if g.finding else None,
        )

    stated = NEGATED if g.negated else PRESENT
    if g.finding is not None:
        polarity = stated
        subject, subject_text, side, position, finding = _bind(index, g)
        if g.subject_kind == SOFT:
            subject_text = None  # the organ was written for the statement before, not this one
        if finding is None:  # a bare form with no organ it fits
            if not (g.negated and subject is not None):
                return []
            polarity = NORMAL  # "Trung thất không to": a normal mediastinum
    elif g.normal or (g.bare_negation and g.subject_kind in (EXPLICIT, WEAK, HEADING)):
        polarity, finding = NORMAL, None
        subject, subject_text, side, position = g.subject, g.subject_text, g.laterality, tuple(g.position)
    else:
        return []
    facts = []
    for other, other_text, other_side in g.pending:  # a predicate shared by several organs
        if g.finding is None:
            facts.append(make(other, other_text, None, polarity, other_side, position))
            continue
        shared = _shared(index, other, g.finding)
        if shared:
            facts.append(make(other, other_text, shared, stated, other_side, position))
        elif stated == NEGATED:
            facts.append(make(other, other_text, None, NORMAL, other_side, position))
    facts.append(make(subject, subject_text, finding, polarity, side, position))
    return facts


def share_sides(facts: Sequence[Fact], index: TermIndex) -> list[Fact]:
    """A finding written with no organ and no side of its own, in one sentence with a finding of the same organ
    that has a side, is at that side: the place is said once for both.

    - listed before it, with the same polarity and certainty: "Thâm nhiễm và đông đặc rải rác hai phổi",
      "Dải xơ, nốt vôi đỉnh phổi trái" (both sides bilateral / left);
    - after it, with the same polarity: what interprets or follows it there ("Đám mờ thùy dưới phổi phải,
      hướng tới viêm phổi": a right pneumonia; "... đỉnh phổi trái, di chứng lao cũ").

    An organ written without a side ("xơ hóa phổi") means the organ as a whole, so it takes no side.
    """

    def group(f: Fact):
        return index.subject_groups.get(f.subject or "", f.subject)

    def open_(f: Fact) -> bool:
        return f.laterality is None and f.subject_text is None and f.finding is not None and f.polarity != UNRECOGNISED

    out = list(facts)
    for i in range(len(out) - 2, -1, -1):  # right to left, so a list of three shares the last one's side
        a, b = out[i], out[i + 1]
        same = group(a) == group(b) and (a.polarity, a.certainty) == (b.polarity, b.certainty)
        if open_(a) and b.laterality and same:
            out[i] = replace(a, laterality=b.laterality)
    for i, b in enumerate(out):
        if not open_(b):
            continue
        before = next((f for f in reversed(out[:i]) if f.laterality and f.polarity != UNRECOGNISED), None)
        if before is not None and group(before) == group(b) and before.polarity == b.polarity:
            out[i] = replace(b, laterality=before.laterality)
    return out


def _clauses(mentions: Sequence[Mention]) -> list[list[Mention]]:
    """The mentions cut at commas and joining words ("kèm", "nhưng")."""
    out: list[list[Mention]] = [[]]
    for m in mentions:
        if m.kind in ("comma", "join"):
            out.append([])
        else:
            out[-1].append(m)
    return out


def unread_facts(
    common: frozenset[str],
    mentions: Sequence[Mention],
    covered: Sequence[tuple[int, int]],
    negated: Sequence[bool],
    text: str,
) -> list[Fact]:
    """One ``unrecognised`` fact per clause that states nothing read yet holds content the lexicon cannot read:
    a word no term took that is not a ``common_words`` entry ("kén" of "kén khí", alone, is unread), or a
    finding word that fit no organ.

    ``covered``: the spans of the statements that gave facts; ``negated[k]``: a shared negation was open when
    clause ``k`` began ("Không thấy tràn dịch, <anything>" denies it). A clause with a negation cue or advice
    ("đề nghị chụp CT có tiêm thuốc cản quang") may hold any words.
    """
    out = []
    for k, clause in enumerate(_clauses(mentions)):
        if not clause or (k < len(negated) and negated[k] and clause[0].kind != "anatomy"):
            continue  # under a shared negation, unless a new organ ended it
        if any(m.kind in ("neg", "advice") for m in clause):
            continue
        if any(start <= m.start and m.end <= end for m in clause for start, end in covered):
            continue
        unread = [
            m
            for m in clause
            if m.kind in ("finding", "bare") or (m.kind == "word" and m.value.isalpha() and m.value not in common)
        ]
        if unread:
            organ = next((m.value for m in clause if m.kind == "anatomy"), None)
            span = text[clause[0].start : clause[-1].end].strip(" .")
            out.append(Fact(organ, None, UNRECOGNISED, text=span, subject_text=None))
    return out


def merge_sides(facts: Sequence[Fact], index: TermIndex) -> list[Fact]:
    """The facts with a finding stated once on the right and once on the left of one organ as one bilateral fact
    (an equivalence for matching; extraction keeps both statements)."""

    def key(f: Fact):
        return (index.subject_groups.get(f.subject or "", f.subject), f.finding, f.polarity, f.certainty)

    out: list[Fact | None] = list(facts)
    for i, fact in enumerate(out):
        if fact is None or fact.laterality not in ("left", "right") or fact.polarity == UNRECOGNISED:
            continue
        other = "left" if fact.laterality == "right" else "right"
        for j in range(i + 1, len(out)):
            twin = out[j]
            if twin is not None and twin.laterality == other and key(twin) == key(fact):
                out[i] = replace(fact, laterality="bilateral", text=f"{fact.text}; {twin.text}")
                out[j] = None
                break
    return [f for f in out if f is not None]

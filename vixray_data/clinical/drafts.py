"""Step 3: the mentions of a statement read into *drafts*, one per clinical statement.

Radiologists chain statements with commas or with no punctuation at all ("Phổi hai bên kém sáng mờ
kính rải rác rốn phổi tăng đậm nhẹ"), so a draft is not a clause: a new draft starts where a new
finding begins, or where a new organ begins after a complete statement. A draft records what was
said (organ, finding mention, side, position, cues); :mod:`.facts` decides what it means.

Scopes:

- a side or position written before the finding belongs to the organ and carries to the next
  finding of the sentence ("Phổi hai bên kém sáng, mờ kính rải rác": both bilateral); one written
  after the finding is that finding's own and ends with it ("Tràn khí màng phổi phải, không thấy
  tràn dịch": the effusion has no side);
- a negation cue before a finding covers the findings listed after it until a new organ, a normal
  statement, a scope-ending word (``negation.scope_end``, ``negation.joins``) or the sentence end; a cue after the
  finding ("Bóng tim không to") covers that finding only;
- an uncertainty cue ("nghĩ đến", "theo dõi") covers the rest of the sentence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..lexicon import TermIndex
from .binding import bind_bare
from .mentions import FINDING_KINDS, ROMAN, Mention

EXPLICIT, WEAK, SOFT, HEADING = "explicit", "weak", "soft", "heading"


@dataclass
class Draft:
    """One statement as written; ``subject_kind`` says how sure the organ is."""

    subject: str | None = None
    subject_text: str | None = None
    subject_kind: str = ""  # explicit | weak (a lobe/position word) | soft (carried over) | heading | ""
    finding: Mention | None = None
    pending: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # "Tim, phổi bình thường"
    normal: bool = False
    normal_first: bool = False  # the normal phrase came before any organ: "Không thấy bất thường tim phổi"
    negated: bool = False
    own_negation: bool = False  # a cue inside this statement, not a shared one from before
    bare_negation: bool = False  # a cue with no finding after it: "Trung thất không giãn"
    uncertain: bool = False
    laterality: str | None = None
    lateral_soft: bool = False  # carried over: dropped if this statement names another organ
    side_on_subject: bool = False  # written before the finding: it carries to the next statement
    position: list[str] = field(default_factory=list)
    position_soft: bool = False
    severity: str | None = None
    start: int | None = None
    end: int | None = None

    def complete(self) -> bool:
        return self.finding is not None or self.normal

    def touch(self, mention: Mention) -> None:
        self.start = mention.start if self.start is None else min(self.start, mention.start)
        self.end = mention.end if self.end is None else max(self.end, mention.end)

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

    def set_side(self, side: str) -> None:
        if not self.lateral_soft and {self.laterality, side} == {"left", "right"}:
            side = "bilateral"  # "phải và trái", "phổi phải, phổi trái": both sides of one statement
        self.laterality, self.lateral_soft = side, False
        self.side_on_subject = self.finding is None


def _clause(upcoming: Sequence[Mention]) -> Iterator[Mention]:
    """The mentions up to the next comma or scope-ending word ("kèm", "nhưng"): one clause."""
    for mention in upcoming:
        if mention.kind in ("comma", "join"):
            return
        yield mention


def _predicate_ahead(index: TermIndex, organ: str, upcoming: Sequence[Mention], *, cue_ends: bool) -> bool:
    """A finding, a normal state or a negation cue before the clause ends: a new statement begins.

    A bare form counts only if it means something of ``organ`` ("Nốt mờ thùy trên phổi phải tăng kích
    thước": ``tăng`` says nothing of the lung, so the lung is the nodule's). With ``cue_ends`` an
    uncertainty cue stops the search: in "Đám mờ nhu mô phổi phải nghĩ đến đụng dập" the organ belongs
    to the opacity before it, and the cue opens the next statement.
    """
    for mention in _clause(upcoming):
        if mention.kind in ("finding", "normal", "neg"):
            return True
        if mention.kind == "bare" and bind_bare(index, organ, mention):
            return True
        if mention.kind == "anatomy" or (cue_ends and mention.kind == "unc"):
            return False
    return False


def _finding_ahead(upcoming: Sequence[Mention]) -> bool:
    for mention in _clause(upcoming):
        if mention.kind in FINDING_KINDS:
            return True
        if mention.kind in ("anatomy", "normal"):
            return False
    return False


def heading_context(mentions: Sequence[Mention], outer: Draft | None = None) -> Draft | None:
    """The organ, side and position a heading ("Phổi trái:", "Thùy trên phổi phải:") sets for what follows.

    A heading that names only a side ("Phải:" under "Phổi:") takes the organ of the ``outer`` heading.
    """
    ctx = Draft()
    for m in mentions:
        if m.kind == "anatomy" and m.term is not None:
            if not (m.term.positions and ctx.subject):
                ctx.subject, ctx.subject_text = m.value, m.surface
            ctx.position.extend(m.term.positions)
            if m.term.lateral:
                ctx.laterality = m.term.lateral
        elif m.kind == "laterality":
            ctx.laterality = m.value
        elif m.kind == "position":
            ctx.position.append(m.value)
    if ctx.subject is None and ctx.laterality and outer is not None:
        ctx.subject, ctx.subject_text, ctx.position = outer.subject, outer.subject_text, ctx.position or outer.position
    if ctx.subject is None and not ctx.laterality:
        return None  # "Kết luận:", "Mô tả:"; a side alone ("Bên phải:") still gives its side
    ctx.subject_kind, ctx.side_on_subject = HEADING, True
    return ctx


class Reader:
    """Reads one sentence's mentions into drafts (events in reading order; see the module docstring)."""

    def __init__(self, index: TermIndex, context: Draft | None = None) -> None:
        self.index, self.context = index, context
        self.drafts: list[Draft] = []
        self.neg_scope = self.unc_scope = self.after_rib = False
        self.previous: Mention | None = None
        self.explained = False  # the current draft's cause was read ("do" + an organ): the rest of the clause is it
        self.clause_negated: list[bool] = [False]  # per clause: a shared negation was open when it began
        self.draft = self._fresh()

    def _fresh(self) -> Draft:
        ctx = self.context
        draft = Draft(uncertain=self.unc_scope, negated=self.neg_scope)
        if ctx is not None:
            draft.subject, draft.subject_text, draft.subject_kind = ctx.subject, ctx.subject_text, HEADING
            draft.laterality, draft.side_on_subject, draft.position = ctx.laterality, True, list(ctx.position)
        return draft

    def close(self, *, carry: bool) -> Draft:
        """End the current draft; ``carry`` passes its organ (and the side written on it) to the next."""
        g = self.draft
        if g.complete() or g.bare_negation:
            self.drafts.append(g)
        nxt = self._fresh()
        if carry and g.subject is not None:
            nxt.subject, nxt.subject_text, nxt.subject_kind = g.subject, g.subject_text, SOFT
            if g.side_on_subject and not (self.context and self.context.laterality):  # a heading's side stays
                nxt.laterality, nxt.lateral_soft, nxt.side_on_subject = g.laterality, True, True
                nxt.position, nxt.position_soft = list(g.position), True
        self.draft = nxt
        return nxt

    def read(self, mentions: Sequence[Mention]) -> list[Draft]:
        for i, m in enumerate(mentions):
            if self.explained:  # the words of a cause already read ("do mất bóng mờ phần mềm")
                if m.kind not in ("comma", "join"):
                    self.draft.touch(m)
                    continue
                self.explained = False
            handler = getattr(self, f"_on_{m.kind}", None)
            if handler is not None:
                handler(m, mentions[i + 1 :])
            if m.kind in ("comma", "join"):
                self.clause_negated.append(self.neg_scope)
            self.previous = m
            if m.kind in ("anatomy", "finding", "bare"):
                self.after_rib = self.draft.subject == "rib" or m.value == "rib_fracture"
            elif m.kind not in ("number", "comma", "and", "laterality", "position"):
                self.after_rib = False
        self.close(carry=False)
        return self.drafts

    def _directional(self, g: Draft) -> bool:
        meant, findings = self._bound(g), self.index.lexicon.findings
        return meant is not None and meant in findings and findings[meant].directional

    def _bound(self, g: Draft) -> str | None:
        assert g.finding is not None
        return bind_bare(self.index, g.subject, g.finding) if g.finding.kind == "bare" else g.finding.value

    # -- events
    def _on_anatomy(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        term = m.term
        assert term is not None
        weak = bool(term.positions)  # "thùy trên", "cạnh rốn phổi": a place that a later organ may refine
        g = self.draft
        if g.complete() and self.previous is not None and self.previous.kind == "locative":
            # "đám mờ nhỏ sát vòm hoành": an organ after a word of place only says where
            g.position.extend(term.positions or (m.value,))
            g.touch(m)
            return
        after_comma = (
            self.previous is not None
            and self.previous.kind in ("comma", "join")
            and not (g.normal_first and g.finding is None)
        )  # "Chưa thấy bất thường tim, phổi": a list
        if g.complete():
            # "... mờ kính rải rác rốn phổi tăng đậm": a new statement; so is an organ after a comma once a
            # statement is complete ("Tim không to, phổi phải <unread>": the side is not the heart's)
            if after_comma or _predicate_ahead(self.index, m.value, upcoming, cue_ends=g.subject_kind != EXPLICIT):
                self.neg_scope = False
                g = self.close(carry=False)
            elif (
                g.normal_first
                and g.finding is None
                and g.subject_kind == EXPLICIT
                and not weak
                and g.subject is not None
                and not self.index.compatible(g.subject, m.value)
            ):
                # "Không thấy bất thường tim phổi": every organ listed after the normal phrase shares it
                g.pending.append((g.subject, g.subject_text, g.laterality))
                g.laterality = None
                g.subject, g.subject_text = m.value, m.surface
                if term.lateral:
                    g.set_side(term.lateral)
                g.touch(m)
                return
            elif g.subject_kind == EXPLICIT or (
                g.subject_kind == WEAK and not self.index.compatible(g.subject, m.value)
            ):
                # "Phổi phải đám mờ đáy phổi", "Khuyết cung sau xương sườn 5 ... lồng ngực": it only says where
                g.position.extend(term.positions or (m.value,))
                g.touch(m)
                return
            # else the finding came first and this is its organ: "Thâm nhiễm nhu mô phổi hai bên"
        else:
            if g.negated and not g.own_negation:
                # a new organ ends a shared negation: "Không thấy tràn dịch, phổi hai bên ..."
                self.neg_scope = g.negated = False
            if g.subject_kind == EXPLICIT and not weak and g.subject and not self.index.compatible(g.subject, m.value):
                # "Tim, phổi bình thường": both organs share the predicate to come
                g.pending.append((g.subject, g.subject_text, g.laterality))
                g.laterality = None
        if not (weak and g.subject_kind in (EXPLICIT, HEADING)):
            if g.subject_kind in (SOFT, HEADING) and not self.index.compatible(g.subject, m.value):
                g.drop_soft()
            g.subject, g.subject_text, g.subject_kind = m.value, m.surface, WEAK if weak else EXPLICIT
        if term.lateral:
            g.set_side(term.lateral)
        if term.positions:
            g.add_positions(term.positions)
        g.touch(m)

    def _on_finding(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        term = m.term
        assert term is not None
        g = self.draft
        if g.complete():
            if term.headed:  # "bóng tim to" names its own organ: a shared negation stops here
                self.neg_scope = False
            g = self.close(carry=not term.headed)
        g.finding = m
        if term.names_organ and g.subject_kind != WEAK:
            # "tràn dịch màng phổi" names its organ: an organ around it only says where
            organ = self.index.lexicon.findings[m.value].anatomy
            if not self.index.compatible(g.subject, organ):
                if g.subject_kind == SOFT:
                    g.drop_soft()
                g.subject, g.subject_text = organ, None
            elif g.subject_kind == SOFT:
                g.subject_text = None  # "..., theo dõi viêm phổi": the organ in a diagnosis's name places nothing
            g.subject_kind = EXPLICIT
            g.lateral_soft = g.position_soft = False
        if term.positions:
            g.add_positions(term.positions)
        g.touch(m)

    def _on_bare(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        g = self.draft
        if g.finding is not None:
            meant = bind_bare(self.index, g.subject, m)
            organ_ahead = any(
                a.kind == "anatomy"
                and a.term is not None
                and not a.term.positions
                and bind_bare(self.index, a.value, m)
                for a in _clause(upcoming)
            )
            after_comma = self.previous is not None and self.previous.kind == "comma"
            said_again = meant is not None and meant == self._bound(g)
            if not after_comma and ((meant is None and not organ_ahead) or said_again):
                # a size word after a finding ("nốt mờ to 2 cm"), or the finding said again ("to và đậm")
                g.touch(m)
                return
        if g.complete():
            g = self.close(carry=True)
        g.finding = m
        g.touch(m)

    def _on_normal(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        g = self.draft
        if m.value != "any" and g.subject is None:
            return  # "sáng", "đều" state something only about a named organ
        if g.normal and g.finding is None:  # "Bờ vòm hoành hai bên đều, rõ nét": one normal state
            g.touch(m)
            return
        if g.complete():
            g = self.close(carry=True)
        self.neg_scope = False
        g.negated = g.own_negation = False
        g.normal = True
        g.normal_first = g.subject is None
        g.touch(m)

    def _on_neg(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        g = self.draft
        ahead = _finding_ahead(upcoming)
        if g.complete():
            if not ahead:  # a cue after its finding: "tràn dịch màng phổi không thấy"
                g.negated = g.own_negation = True
                g.touch(m)
                return
            g = self.close(carry=True)
        g.negated = g.own_negation = True
        self.neg_scope = ahead
        g.bare_negation = not ahead
        g.touch(m)

    def _on_unc(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        self.neg_scope = False  # "Không có X, theo dõi Y": what is hedged is not denied
        g = self.draft
        if g.complete():
            g = self.close(carry=True)
        self.unc_scope = g.uncertain = True
        g.touch(m)

    def _on_scope_end(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        self.neg_scope = False

    _on_join = _on_scope_end  # "kèm", "nhưng": ends a shared negation, and the clause

    def _on_laterality(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        g = self.draft
        if self.after_rib and m.surface[:1].isdigit():  # "xương sườn 2 bên trái": rib 2, not "2 bên"
            g.position.append(f"rib:{int(m.surface.split()[0])}")
        elif g.finding is not None and m.value in ("left", "right") and self._directional(g):
            g.position.append(f"toward:{m.value}")  # "khí quản lệch phải": where it goes, not a side
        else:
            g.set_side(m.value)
        g.touch(m)

    def _on_cause(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        """ "tăng sáng do mất bóng mờ phần mềm": a finding caused by the chest wall or a breast is theirs."""
        g = self.draft
        if g.finding is None:
            return
        outside = (self.index.lexicon.raw.get("causes") or {}).get("outside") or ()
        for a in _clause(upcoming):
            if a.kind == "anatomy" and a.value in outside:
                g.subject, g.subject_text, g.subject_kind = a.value, a.surface, EXPLICIT
                self.explained = True
                return

    def _on_direction(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        if m.value in ("left", "right"):  # where a shift goes: not the side of what is shifted
            self.draft.position.append(f"toward:{m.value}")
        self.draft.touch(m)

    def _on_position(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        self.draft.add_positions([m.value])
        self.draft.touch(m)

    def _on_number(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        if self.after_rib:  # "xương sườn III", "cung sau xương sườn 4,5"
            for part in m.value.split(","):
                self.draft.position.append(f"rib:{ROMAN.get(part) or int(part)}")
            self.draft.touch(m)

    def _on_severity(self, m: Mention, upcoming: Sequence[Mention]) -> None:
        self.draft.severity = m.value
        self.draft.touch(m)

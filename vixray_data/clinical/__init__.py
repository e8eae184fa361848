"""Clinical statements and atomic facts from a Vietnamese chest X-ray report, through the lexicon.

One pipeline, one small module per step, read top to bottom:

1. :mod:`.statements` -- the normalised report cut into statements, each with its heading ("Phổi trái:");
2. :mod:`.mentions` -- the lexicon terms of a statement, by the lexicon's one longest-match index
   (:func:`vixray_data.lexicon.term_index`, shared with the word segmenter), after :mod:`.spelling` has
   respelled what reports type fast (abbreviations, no diacritics, side letters, one-character typos);
3. :mod:`.drafts` -- mentions read into one draft per clinical statement (where statements begin,
   which organ, side and cue each one has, and how far a negation or side reaches);
4. :mod:`.facts` -- drafts made into canonical facts: findings bound to their organ (:mod:`.binding`),
   equivalent phrasings one canonical form, a place said once shared by the facts it applies to, and one
   ``unrecognised`` fact per clause that states something the lexicon cannot read.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..lexicon import TermIndex, term_index
from ..text import fold, normalize
from .drafts import Draft, Reader, heading_context
from .facts import (
    CERTAIN,
    NEGATED,
    NORMAL,
    POLARITIES,
    PRESENT,
    UNCERTAIN,
    UNRECOGNISED,
    Fact,
    draft_facts,
    share_sides,
    unread_facts,
)
from .mentions import FINDING_KINDS, find_mentions
from .spelling import speller
from .statements import split_statements

__all__ = [
    "CERTAIN",
    "NEGATED",
    "NORMAL",
    "POLARITIES",
    "PRESENT",
    "UNCERTAIN",
    "UNRECOGNISED",
    "Fact",
    "extract_facts",
    "lexicon_version",
    "match_key",
]

_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")


def _index(lexicon_path: str | Path | None) -> TermIndex:
    return term_index(str(lexicon_path) if lexicon_path else None)


def lexicon_version(lexicon_path: str | Path | None = None) -> str:
    """The lexicon version the facts were extracted with (part of every evaluation signature)."""
    return _index(lexicon_path).lexicon.version


def extract_facts(text: str | None, *, lexicon_path: str | Path | None = None) -> list[Fact]:
    """The atomic facts of a report, in reading order; ``[]`` when nothing is recognised."""
    normalized = normalize(_LINE_BREAK.sub(". ", text) if text else text)  # a line break ends a statement
    if not normalized:
        return []
    if len(normalized.lower()) != len(normalized):  # keep character offsets valid for the spans
        normalized = normalized.lower()
    index = _index(lexicon_path)
    common = speller(index).common
    facts: list[Fact] = []
    contexts: dict[tuple[int, int] | None, Draft | None] = {None: None}

    def context_of(span: tuple[int, int] | None, outer: Draft | None = None) -> Draft | None:
        if span is not None and span not in contexts:  # None: no heading, no context (set above)
            contexts[span] = heading_context(find_mentions(normalized, *span, index), outer)
        return contexts[span]

    headings_read: set[tuple[int, int]] = set()
    for statement in split_statements(normalized):
        titled: list[Fact] = []  # "Di chứng lao phổi: dải xơ ...": a heading that states a finding is a statement too
        for heading in (statement.section, statement.heading):
            if heading is not None and heading not in headings_read:
                headings_read.add(heading)
                mentions = find_mentions(normalized, *heading, index)
                if any(m.kind in FINDING_KINDS for m in mentions):
                    outer = context_of(statement.section) if heading != statement.section else None
                    for draft in Reader(index, outer).read(mentions):
                        titled.extend(draft_facts(index, draft, normalized))
        context = context_of(statement.heading, context_of(statement.section))
        mentions = find_mentions(normalized, statement.start, statement.end, index)
        reader = Reader(index, context)
        covered, sentence = [], []
        for draft in reader.read(mentions):
            stated = draft_facts(index, draft, normalized)
            if stated and draft.start is not None and draft.end is not None:  # set together
                covered.append((draft.start, draft.end))
            sentence.extend(stated)
        facts.extend(share_sides([*titled, *sentence], index))  # the heading's finding is placed by what follows
        facts.extend(unread_facts(common, mentions, covered, reader.clause_negated, normalized))
    return facts


def match_key(fact: Fact, *, lexicon_path: str | Path | None = None) -> tuple[str | None, str | None, str, str | None]:
    """What two facts must share to match: subject (its matching group), finding, polarity, laterality.

    An unrecognised statement matches only the same words (case and diacritics aside) on the other side.
    """
    index = _index(lexicon_path)
    subject = index.subject_groups.get(fact.subject, fact.subject) if fact.subject else None
    if fact.polarity == UNRECOGNISED:
        return (subject, fold(fact.text), fact.polarity, None)
    return (subject, fact.finding, fact.polarity, fact.laterality)

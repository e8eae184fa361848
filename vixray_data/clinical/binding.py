"""Findings bound to their organ: what a finding form means next to the organ the statement names.

- A *bare* form (``to``, ``gãy``, ``xẹp``, ``tù``) means the finding of the organ it is said of:
  ``to`` of the heart is cardiomegaly, of the hilum hilar enlargement; ``gãy`` of a rib is a rib
  fracture, of the clavicle a clavicle fracture; with no fitting organ it means nothing. A *strict* bare
  form means its finding only of the finding's own organ (``tăng`` of the lung markings, not of a nodule
  in the lung: "Vân phổi hai bên tăng", not "Nốt mờ phổi phải tăng kích thước").
- A full form said of an organ it does not belong to is looked up with that organ
  (``tràn dịch`` + ``màng tim`` is ``tràn dịch màng tim``); failing that it is ``other_finding``:
  abnormal, never a chest label.
"""

from __future__ import annotations

from ..lexicon import TermIndex
from .mentions import Mention

OTHER = "other_finding"


def organ_form(index: TermIndex, organ: str, surface: str) -> str | None:
    """The finding that ``surface`` forms with one of the organ's names, either order ("bóng tim" + "to")."""
    surface = surface.lower()
    for variant in index.lexicon.anatomy[organ].variants:
        found = index.finding_forms.get(f"{variant} {surface}") or index.finding_forms.get(f"{surface} {variant}")
        if found:
            return found
    return None


def bind_bare(index: TermIndex, organ: str | None, mention: Mention) -> str | None:
    """The finding a bare form means when said of ``organ``, or None if it means none there."""
    if organ is None or mention.term is None:
        return None
    findings = index.lexicon.findings
    candidates = mention.term.candidates
    for strict in (True, False):
        for cid in candidates:
            anatomy = findings[cid].anatomy
            if strict and anatomy == organ:
                return cid
            if not strict and index.compatible(organ, anatomy) and mention.form not in findings[cid].strict:
                return cid
    return organ_form(index, organ, mention.form)


def bind_finding(index: TermIndex, organ: str, mention: Mention) -> tuple[str, bool]:
    """A full finding form said of ``organ``: (the finding meant, whether the form belongs to that organ)."""
    own = index.lexicon.findings[mention.value].anatomy
    if own is None or index.compatible(organ, own):
        return mention.value, True
    found = organ_form(index, organ, mention.form)
    return (found, True) if found else (OTHER, False)

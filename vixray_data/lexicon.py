"""Loader for the shared Vietnamese chest X-ray lexicon (``lexicon.yaml`` beside this file).

Every surface form is passed through :func:`vixray_data.text.normalize` (lowercased) on load, so a
term written ``hoá`` in the file still matches ``hóa`` in a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .text import normalize

LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")


@dataclass(frozen=True)
class Concept:
    """One anatomy or finding concept; ``variants`` are normalised, lowercased, longest first."""

    id: str
    vi: str
    en: str
    variants: tuple[str, ...]
    anatomy: str | None = None  # findings: default subject
    label: str | None = None  # findings: clinical label


def _forms(values) -> tuple[str, ...]:
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
    raw: dict = field(repr=False, default_factory=dict)  # the parsed file, for sections a module owns

    def terms(self) -> tuple[str, ...]:
        """Every multi-syllable surface form, longest first: what the segmenter must keep whole."""
        forms: set[str] = set()
        for group in (self.anatomy, self.findings, self.position):
            for concept in group.values():
                forms.update(concept.variants)
                forms.add(normalize(concept.vi, lowercase=True))
        for values in (*self.normal.values(), *self.severity.values(), *self.laterality.values()):
            forms.update(values)
        forms.update(self.negation_pre + self.negation_post + self.uncertainty)
        return tuple(sorted((f for f in forms if " " in f), key=lambda s: (-len(s.split()), -len(s), s)))


def _concepts(section: dict) -> dict[str, Concept]:
    out = {}
    for cid, spec in (section or {}).items():
        variants = spec.get("variants") or [spec["vi"]]
        out[cid] = Concept(
            id=cid,
            vi=normalize(spec["vi"]),
            en=spec["en"],
            variants=_forms([*variants, spec["vi"]]) if "variants" in spec else _forms([spec["vi"]]),
            anatomy=spec.get("anatomy"),
            label=spec.get("label"),
        )
    return out


@lru_cache(maxsize=4)
def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Parse the lexicon once per path (cached)."""
    data = yaml.safe_load(Path(path or LEXICON_PATH).read_text(encoding="utf-8"))
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

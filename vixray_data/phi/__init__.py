"""PHI in Vietnamese report text: one recognizer per category, one merge with the clinical allow-list,
one replacement step. See ``analyzer.py`` for how they fit and ``words.yaml`` for the anchor words."""

from .analyzer import RECOGNIZERS, REDACTED, Analyzer, find_phi, merge, redact
from .numbers import IdShapes
from .spans import CATEGORIES, Span
from .values import ValueIndex, value_forms

__all__ = [
    "CATEGORIES",
    "RECOGNIZERS",
    "REDACTED",
    "Analyzer",
    "IdShapes",
    "Span",
    "ValueIndex",
    "find_phi",
    "merge",
    "redact",
    "value_forms",
]

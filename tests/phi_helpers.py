"""Shared helpers for the PHI recognizer tests."""

from __future__ import annotations

from vixray_data.phi import Analyzer, find_phi, redact


def scrubbed(text: str, analyzer: Analyzer | None = None) -> str:
    """``text`` with every PHI span the analyzer finds replaced by ``___``."""
    return redact(text, (analyzer or Analyzer()).find(text))[0]


def categories(text: str) -> set[str]:
    return {span.category for span in find_phi(text)}

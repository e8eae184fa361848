"""Step 1: a report cut into statements, each with the heading that governs it.

A statement ends at ``.``, ``;``, ``!``, ``?`` or a line break (never at the dot of ``1.5``). A colon
makes what precedes it (back to the statement start or the last comma) a *heading*: ``Phổi trái:``,
``Màng phổi phải:``. The heading's organ, side and position apply to every statement after it until
the next heading, so ``Phổi trái: nốt mờ thùy trên`` reads as ``nốt mờ thùy trên phổi trái``. A heading
with nothing under it before the next heading is a section title (``Phổi:`` over ``+ Phải: ...``): it
stays the ``section`` of the headings after it until the next section title.
"""

from __future__ import annotations

from dataclasses import dataclass

_ENDS = frozenset(".;!?\r\n")


@dataclass(frozen=True)
class Statement:
    """Character spans in the normalised report: the statement and the heading over it (if any)."""

    start: int
    end: int
    heading: tuple[int, int] | None = None
    section: tuple[int, int] | None = None


def _decimal_point(text: str, i: int) -> bool:
    return text[i] == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def split_statements(text: str) -> list[Statement]:
    """The statements of ``text`` in reading order; empty ones (only spaces or punctuation) are dropped."""
    out: list[Statement] = []
    heading: tuple[int, int] | None = None
    section: tuple[int, int] | None = None
    used = False  # the current heading has a statement under it
    start = 0

    def emit(begin: int, stop: int) -> None:
        nonlocal used
        if any(ch.isalnum() for ch in text[begin:stop]):
            out.append(Statement(begin, stop, heading, section if section != heading else None))
            used = True

    for i, ch in enumerate(text):
        if ch in _ENDS and not _decimal_point(text, i):
            emit(start, i)
            start = i + 1
        elif ch == ":":
            comma = text.rfind(",", start, i)
            if comma >= 0:  # "Bóng tim to, phổi phải: ..." -- the clause before the comma stands alone
                emit(start, comma)
                start = comma + 1
            if heading is not None and not used:
                section = heading
            heading, used = ((start, i) if any(c.isalnum() for c in text[start:i]) else None), False
            start = i + 1
    emit(start, len(text))
    return out

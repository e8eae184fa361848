"""Step 2: the lexicon terms of a statement (its *mentions*), found by the lexicon's one longest-match index.

Besides plain longest match, two readings need a look at the neighbours:

- a negation cue followed by a finding is cut there: ``không to`` after ``bóng tim`` is the cue
  ``không`` and the (bare) finding ``to``; ``không thấy bất thường xương`` is ``không thấy`` and the
  finding ``bất thường xương``, not the normal phrase ``không thấy bất thường``;
- a ratio's value after its name is the finding it measures, or the organ's normal state (``chỉ số tim
  ngực 0,58``: cardiomegaly; ``0,45``: a heart not enlarged);
- a count word before an organ, a headed finding or an apex/base makes it bilateral (``hai góc sườn
  hoành``, ``hai rốn phổi đậm``, ``hai đáy``).

Numbers are kept (``xương sườn III``, ``4,5,6``) so rib numbers can be read; a decimal size
(``1,5 cm``) is one token and never a clause break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..lexicon import Term, TermIndex
from .spelling import respell, speller

_PIECE = re.compile(r"\d+(?:[.,/]\d+)+|\w+|[^\w\s]")
ROMAN = {r: n for n, r in enumerate(("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"), 1)}
FINDING_KINDS = frozenset({"finding", "bare"})


@dataclass(frozen=True)
class Mention:
    """One term (or a number, comma, "và", other word) of a statement, with its span in the report."""

    kind: str  # a Term kind, or "number" | "comma" | "and" | "word"
    value: str
    start: int
    end: int
    surface: str  # as written in the report
    term: Term | None = None
    canon: str = ""  # the words in the lexicon's spelling ("tràn dịch màng phổi" for "TDMP")

    @property
    def form(self) -> str:
        return self.canon or self.surface.lower()


def _starts_finding(toks: list[str], i: int, index: TermIndex) -> bool:
    """A finding begins at ``i``, perhaps after words a negation reaches past ("hình ảnh", "tổn thương dạng")."""
    while i < len(toks):
        size, terms = index.match(toks, i)
        if not terms or terms[0].kind != "filler":
            return bool(terms) and terms[0].kind in FINDING_KINDS
        i += size
    return False


def _negation_cut(toks: list[str], i: int, index: TermIndex) -> tuple[int, tuple[Term, ...]]:
    """The longest negation cue at ``i`` that leaves a finding right after it, if any."""
    for cut in range(len(toks) - i, 0, -1):
        cue = tuple(t for t in index.table.get(tuple(toks[i : i + cut]), ()) if t.kind == "neg")
        if cue and _starts_finding(toks, i + cut, index):
            return cut, cue
    return 0, ()


_RATIO_VALUE = re.compile(r"0[.,]\d+")
_RATIO_SKIP = frozenset({"khoảng", "=", "là", "(", ":", "~", "<", ">", "≈", "đo", "được"})


def _ratio(index: TermIndex, organ: Mention, spans, i: int) -> tuple[Mention, int] | None:
    """After a ratio's name ("chỉ số tim ngực 0,58"): its value read as the finding it measures, or as normal."""
    rule = (index.lexicon.raw.get("ratios") or {}).get(organ.value) if organ.kind == "anatomy" else None
    if not rule or organ.form not in rule["forms"]:  # the lexicon writes them lowercased, as matched
        return None
    j = i
    while j < len(spans) and j < i + 4 and spans[j][0] in _RATIO_SKIP:
        j += 1
    if j >= len(spans) or not _RATIO_VALUE.fullmatch(spans[j][0]):
        return None
    tok, begin, stop = spans[j]
    if float(tok.replace(",", ".")) > float(rule["above"]):
        term = Term("finding", rule["finding"], tok)
    else:
        term = Term("normal", organ.value, tok)
    return Mention(term.kind, term.value, begin, stop, tok, term, tok), j + 1


def find_mentions(text: str, start: int, end: int, index: TermIndex) -> list[Mention]:
    """The mentions of ``text[start:end]`` in order; offsets are positions in ``text``."""
    written = [(m.group(0).lower(), start + m.start(), start + m.end()) for m in _PIECE.finditer(text[start:end])]
    spans = [(w.text, w.start, w.end) for w in respell(index, written)]
    toks = [s[0] for s in spans]
    side_letters = speller(index).side_letters
    out: list[Mention] = []
    i = 0
    while i < len(toks):
        tok, begin, stop = spans[i]
        if tok in (",", "/"):  # "VIÊM PHỔI THÙY DƯỚI / THEO DÕI TRÀN DỊCH": a slash separates like a comma
            out.append(Mention("comma", tok, begin, stop, tok))
            i += 1
            continue
        length, terms = index.match(toks, i)
        if terms and (terms[0].kind == "normal" or (terms[0].kind == "neg" and length > 1)):
            cut, cue = _negation_cut(toks, i, index)
            if cut:
                length, terms = cut, cue
        if tok in index.bilateral_prefix and i + 1 < len(toks):
            size, nxt = index.match(toks, i + 1)
            # "hai đáy": both bases; "Hai rốn phổi đậm": both hila
            both = nxt and (
                (nxt[0].kind == "position" and nxt[0].value in ("apex", "base"))
                or (nxt[0].kind == "finding" and nxt[0].headed)
            )
            if both:
                stop = spans[i + size][2]
                out.append(
                    Mention(
                        nxt[0].kind,
                        nxt[0].value,
                        spans[i + 1][1],
                        stop,
                        text[spans[i + 1][1] : stop],
                        nxt[0],
                        " ".join(toks[i + 1 : i + 1 + size]),
                    )
                )
                out.append(Mention("laterality", "bilateral", begin, spans[i][2], text[begin : spans[i][2]]))
                i += 1 + size
                continue
            if nxt and nxt[0].kind == "anatomy":
                stop = spans[i + size][2]
                term = replace(nxt[0], lateral="bilateral")
                out.append(
                    Mention(
                        "anatomy", term.value, begin, stop, text[begin:stop], term, " ".join(toks[i : i + 1 + size])
                    )
                )
                i += 1 + size
                continue
        if not terms and tok in side_letters and out and out[-1].kind in ("anatomy", "finding", "bare", "number"):
            # "phổi P", "xương sườn 5 T": a letter for a side right after what it is the side of
            out.append(Mention("laterality", side_letters[tok], begin, stop, text[begin:stop]))
            i += 1
            continue
        if not terms:
            numeric = tok.isdigit() or tok in ROMAN or (tok[:1].isdigit() and tok.replace(",", "").isdigit())
            kind = "number" if numeric else ("and" if tok == "và" else "word")
            out.append(Mention(kind, tok, begin, stop, text[begin:stop]))
            i += 1
            continue
        stop = spans[i + length - 1][2]
        out.append(
            Mention(
                terms[0].kind, terms[0].value, begin, stop, text[begin:stop], terms[0], " ".join(toks[i : i + length])
            )
        )
        i += length
        measured = _ratio(index, out[-1], spans, i)
        if measured is not None:
            out.append(measured[0])
            i = measured[1]
    return out

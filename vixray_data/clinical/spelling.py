"""Step 1½: a statement's words respelled the way the lexicon writes them, before any term is matched.

Reports are typed fast: without diacritics (``tran dich mang phoi``), with abbreviations (``TDMP``,
``ko``, ``NKQ``), with a letter for a side (``phổi P``), with a typo (``tràn dịch màg phổi``). What to
forgive is declared in the lexicon's ``spelling`` section; this module applies it, in this order:

1. an abbreviation is replaced by the words it stands for (longest first: ``k phổi`` before ``k``);
2. a word that is neither a lexicon word nor a common word, with one character wrong (missing, extra,
   replaced or two swapped; in a word shorter than ``typo_min_word`` letters only a tone mark), takes a
   lexicon word's spelling when that completes a lexicon form of two words or more and at least
   ``typo_min_length`` characters, and no other correction does;
3. words written without diacritics take the lexicon's spelling where, together, they spell one lexicon
   form (``mo kinh`` is ``mờ kính``); a single unaccented word does so alone only when it spells one
   lexicon word and is not declared ambiguous (``khong`` is ``không``; ``sang`` may be ``sáng`` or
   ``sang``, ``mo`` ``mờ``, ``mô`` or ``mổ``): an ambiguous word is read only where its declared
   context decides it, else it is left as written and read as nothing, never guessed.

A word written with diacritics is never respelled (step 2 aside), so ``mờ`` cannot become ``mô``. Every
respelled word keeps the span of what was written, so facts still quote the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..lexicon import TermIndex, tokens
from ..text import normalize, strip_diacritics


@dataclass(frozen=True)
class Token:
    """A word as the matcher reads it, with the span (in the report) of what was written."""

    text: str  # lowercased, in the lexicon's spelling
    start: int
    end: int


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """The word without diacritics (``đ`` becomes ``d``)."""
    return strip_diacritics(word)


def _accented(word: str) -> bool:
    return fold(word) != word


def _deletions(word: str) -> set[str]:
    return {word[:k] + word[k + 1 :] for k in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one replaced, inserted or deleted character, or two adjacent ones swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and (a[diff[0]], a[diff[1]]) == (b[diff[1]], b[diff[0]])
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))


@dataclass(frozen=True)
class Speller:
    """The lexicon's ``spelling`` section, compiled."""

    abbreviations: dict[tuple[str, ...], tuple[str, ...]]  # folded written words -> the words meant
    abbreviation_sizes: dict[str, tuple[int, ...]]
    side_letters: dict[str, str]  # "p" -> "right": a side letter, read as one only after what it is the side of
    forms: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]  # folded lexicon form -> its spellings
    form_sizes: dict[str, tuple[int, ...]]  # folded first word -> form lengths, longest first
    longest_form: int
    known: frozenset[str]  # lexicon words and common words (as written, and folded): never typos
    exact: frozenset[str]  # lexicon words and common words as the lexicon writes them
    common: frozenset[str]  # the common words (as written, and folded): words that say nothing clinical
    ambiguous: frozenset[str]  # folded words never respelled alone
    in_context: dict[str, tuple[str, frozenset[str], frozenset[str]]]  # word -> (spelling, after, not before)
    typo_min_length: int
    typo_min_word: int
    neighbours: dict[str, frozenset[str]]  # a lexicon word, folded or not, and its one-deletions -> the word


_COMPILED: dict[int, tuple[TermIndex, Speller]] = {}


def _compile(index: TermIndex) -> Speller:
    spec = index.lexicon.raw.get("spelling") or {}

    def words(phrase) -> tuple[str, ...]:
        return tokens(normalize(str(phrase), lowercase=True))

    abbreviations = {tuple(fold(w) for w in words(k)): words(v) for k, v in (spec.get("abbreviations") or {}).items()}
    forms: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    lexicon_words: set[str] = set()
    for key, terms in index.table.items():
        if all(t.kind == "word" for t in terms):
            continue  # segmenter-only words: not forms the extractor reads
        lexicon_words.update(key)
        spellings = forms.setdefault(tuple(fold(w) for w in key), [])
        if key not in spellings:
            spellings.append(key)
    common = {w for phrase in index.lexicon.raw.get("common_words") or () for w in words(phrase)}
    neighbours: dict[str, set[str]] = {}
    for word in lexicon_words:
        for variant in {word, fold(word)}:
            for near in (variant, *_deletions(variant)):
                neighbours.setdefault(near, set()).add(word)
    in_context = {}
    for word, rule in (spec.get("unaccented_in_context") or {}).items():
        in_context[fold(str(word))] = (
            normalize(str(rule["reads"]), lowercase=True),
            frozenset(normalize(str(w), lowercase=True) for w in rule.get("after") or ()),
            frozenset(fold(normalize(str(w), lowercase=True)) for w in rule.get("not_before") or ()),
        )

    def sizes(keys) -> dict[str, tuple[int, ...]]:
        out: dict[str, set[int]] = {}
        for key in keys:
            out.setdefault(key[0], set()).add(len(key))
        return {k: tuple(sorted(v, reverse=True)) for k, v in out.items()}

    return Speller(
        abbreviations=abbreviations,
        abbreviation_sizes=sizes(abbreviations),
        side_letters=_side_letters(index, spec),
        forms={k: tuple(v) for k, v in forms.items()},
        form_sizes=sizes(forms),
        longest_form=max(len(key) for key in forms),
        known=frozenset(lexicon_words | common | {fold(w) for w in lexicon_words | common}),
        exact=frozenset(lexicon_words | common),
        common=frozenset(common | {fold(w) for w in common}),
        ambiguous=frozenset(fold(normalize(str(w), lowercase=True)) for w in spec.get("unaccented_ambiguous") or ()),
        in_context=in_context,
        typo_min_length=int(spec.get("typo_min_length", 10)),
        typo_min_word=int(spec.get("typo_min_word", 4)),
        neighbours={k: frozenset(v) for k, v in neighbours.items()},
    )


def _side_letters(index: TermIndex, spec: dict) -> dict[str, str]:
    """Letter -> side id, through the lexicon's own side words ("p": "phải" -> "right")."""
    sides = {form: side for side, forms in index.lexicon.laterality.items() for form in forms}
    return {
        fold(str(letter)): sides[normalize(str(word), lowercase=True)]
        for letter, word in (spec.get("side_letters") or {}).items()
    }


def speller(index: TermIndex) -> Speller:
    """The compiled spelling rules of the index's lexicon (built once per index; indexes are cached for good)."""
    held = _COMPILED.get(id(index))
    if held is None or held[0] is not index:
        held = _COMPILED[id(index)] = (index, _compile(index))
    return held[1]


def _expand(sp: Speller, written: Sequence[tuple[str, int, int]]) -> list[Token]:
    """Abbreviations replaced by the words they stand for, each word with the abbreviation's span."""
    folded = [fold(w) for w, _, _ in written]
    out: list[Token] = []
    i = 0
    while i < len(written):
        for size in sp.abbreviation_sizes.get(folded[i], ()):
            key = tuple(folded[i : i + size])
            if key in sp.abbreviations:
                begin, stop = written[i][1], written[i + size - 1][2]
                out.extend(Token(word, begin, stop) for word in sp.abbreviations[key])
                i += size
                break
        else:
            out.append(Token(*written[i]))
            i += 1
    return out


def _fits(written: Sequence[str], form: Sequence[str]) -> bool:
    """Written words fit a form: an accented word exactly, an unaccented one by its letters."""
    return all(w == f or (not _accented(w) and fold(f) == w) for w, f in zip(written, form, strict=True))


def _form_at(sp: Speller, words: Sequence[str], i: int, *, minimum: int = 1) -> tuple[int, tuple[str, ...]] | None:
    """The longest lexicon form the words at ``i`` fit with diacritics ignored, if it has one spelling.

    ``None`` also when the longest fitting form has two spellings (two readings: read as written).
    """
    for size in sp.form_sizes.get(fold(words[i]), ()):
        window = words[i : i + size]
        if size < minimum or len(window) < size:
            continue
        spellings = [form for form in sp.forms.get(tuple(fold(w) for w in window), ()) if _fits(window, form)]
        if len(spellings) == 1:
            if size == 1 and window[0] != spellings[0][0] and fold(window[0]) in sp.ambiguous:
                return None
            return size, spellings[0]
        if spellings:
            return None
    return None


def _typo_fixes(sp: Speller, words: list[str]) -> None:
    """Correct in place the unknown words that one edit turns into the word of one long lexicon form."""
    for i, word in enumerate(words):
        if (
            word in sp.known
            or len(word) < 2
            or not word.isalpha()
            or (len(word) < sp.typo_min_word and not _accented(word))
        ):
            continue
        keys = (word, *_deletions(word))
        candidates = {
            c
            for key in keys
            for c in sp.neighbours.get(key, ())
            if one_edit(c, word) or (not _accented(word) and one_edit(fold(c), word))
        }
        if len(word) < sp.typo_min_word:  # a short word: only a slipped tone mark ("kẻ" for "kẽ", "mơ" for "mờ")
            candidates = {c for c in candidates if fold(c) == fold(word)}
        fixes = set()
        for candidate in candidates:
            trial = [*words[:i], candidate, *words[i + 1 :]]
            for j in range(max(0, i - 6), i + 1):
                found = _form_at(sp, trial, j, minimum=i - j + 1)
                if found and j + found[0] > i and len(found[1]) > 1 and len(" ".join(found[1])) >= sp.typo_min_length:
                    fixes.add(candidate)
                    break
        if len(fixes) == 1:
            words[i] = fixes.pop()


def respell(index: TermIndex, written: Sequence[tuple[str, int, int]]) -> list[Token]:
    """The words of a statement (lowercased, with their spans) in the lexicon's spelling."""
    sp = speller(index)
    if all(w in sp.exact or not w.isalpha() for w, _, _ in written) and not any(
        fold(w) in sp.abbreviation_sizes for w, _, _ in written
    ):
        return [Token(*w) for w in written]  # every word as the lexicon spells it: nothing to respell
    toks = _expand(sp, written)
    words = [t.text for t in toks]
    _typo_fixes(sp, words)
    # where the next word not spelled as the lexicon spells it is: a form can only be respelled if it has one
    next_odd, odd = [len(words)] * (len(words) + 1), len(words)
    for k in range(len(words) - 1, -1, -1):
        if words[k].isalpha() and words[k] not in sp.exact:
            odd = k
        next_odd[k] = odd
    i = 0
    while i < len(words):
        exact = index.match(words, i)[0] if words[i] in index.sizes else 0
        found = _form_at(sp, words, i) if next_odd[i] < i + sp.longest_form else None
        if found is not None and found[0] > exact:
            size, form = found
            words[i : i + size] = form
            i += size
            continue
        context = sp.in_context.get(words[i]) if not exact else None
        if context is not None:
            reads, after, not_before = context
            if i and words[i - 1] in after and (i + 1 == len(words) or fold(words[i + 1]) not in not_before):
                words[i] = reads
        i += max(exact, 1)
    return [Token(word, t.start, t.end) for word, t in zip(words, toks, strict=True)]

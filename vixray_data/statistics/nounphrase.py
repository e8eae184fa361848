"""Noun phrases of the findings, and the body parts they name (the paper's Figure 2a method).

The paper parsed the findings with Stanza's Vietnamese constituency parser and counted noun phrases
that name body parts. That is the ``stanza`` method here, used when stanza and its Vietnamese models
are installed. Otherwise (the default offline) the ``pos+lexicon`` method chunks pyvi POS tags over the
lexicon-corrected segmentation: a noun phrase is a maximal run of nominal tokens (N, Np, Nc, Nu, Ny,
M, L tags, or a lexicon anatomy/position word whatever pyvi tagged it), extended by laterality words.
Either way the body parts are read from each noun phrase by longest match in the lexicon's one index
(:func:`vixray_data.lexicon.term_index`), the matcher the segmenter and the fact extractor use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from ..lexicon import Term, TermIndex, term_index
from ..lexicon import tokens as lexicon_tokens
from ..segment import segment
from ..text import normalize

log = logging.getLogger(__name__)

STANZA, POS_LEXICON = "stanza", "pos+lexicon"
_NOMINAL_TAGS = frozenset({"N", "Np", "Nc", "Nu", "Ny", "M", "L"})
_ROMAN = {r: i for i, r in enumerate(("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"), 1)}
_BRACKET_TOKEN = re.compile(r"\(|\)|[^\s()]+")


# --------------------------------------------------------------------------- bracket trees


@dataclass(frozen=True)
class Tree:
    """A constituency tree node; leaves are plain strings."""

    label: str
    children: tuple[Tree | str, ...]

    def leaves(self) -> list[str]:
        out: list[str] = []
        for child in self.children:
            out.extend(child.leaves() if isinstance(child, Tree) else [child])
        return out


def parse_tree(text: str) -> Tree:
    """Parse a Penn-style bracket string, e.g. ``(ROOT (S (NP (N Bóng) (N tim)) (VP (R không) (A to))))``."""
    tokens = _BRACKET_TOKEN.findall(text)
    pos = 0

    def node() -> Tree:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] != "(":
            raise ValueError(f"bracket tree: expected '(' at token {pos} of {text!r}")
        pos += 1
        label = tokens[pos] if pos < len(tokens) and tokens[pos] not in "()" else ""
        if label:
            pos += 1
        children: list[Tree | str] = []
        while pos < len(tokens) and tokens[pos] != ")":
            if tokens[pos] == "(":
                children.append(node())
            else:
                children.append(tokens[pos])
                pos += 1
        if pos >= len(tokens):
            raise ValueError(f"bracket tree: unbalanced brackets in {text!r}")
        pos += 1
        return Tree(label, tuple(children))

    tree = node()
    if pos != len(tokens):
        raise ValueError(f"bracket tree: text after the tree in {text!r}")
    return tree


def noun_phrases(tree: Tree) -> list[str]:
    """Maximal NP constituents (an NP inside an NP is part of its parent), leaves joined by spaces."""
    found: list[str] = []

    def walk(node: Tree) -> None:
        if node.label == "NP" or node.label.startswith("NP-"):
            found.append(" ".join(leaf.replace("_", " ") for leaf in node.leaves()))
            return
        for child in node.children:
            if isinstance(child, Tree):
                walk(child)

    walk(tree)
    return found


# --------------------------------------------------------------------------- extractors


@dataclass(frozen=True)
class NounPhraseExtractor:
    method: str
    extract: Callable[[str], list[str]]

    def __call__(self, text: str) -> list[str]:
        return self.extract(text)


def _lexicon_nominal(tokens: list[str]) -> list[bool]:
    """Tokens inside a lexicon anatomy term ("bóng mờ tim", "thùy trên"): nominal whatever pyvi tagged."""
    index = term_index()
    owner: list[int] = []  # index token -> pyvi token
    parts: list[str] = []
    for k, token in enumerate(tokens):
        for part in lexicon_tokens(token.replace("_", " ").lower()):
            parts.append(part)
            owner.append(k)
    flags = [token.replace("_", " ").lower() in _nominal_forms() for token in tokens]
    i = 0
    while i < len(parts):
        size, _ = index.match(parts, i, _is_anatomy)
        if size > 1:
            for j in range(i, i + size):
                flags[owner[j]] = True
        i += max(size, 1)
    return flags


def _pos_chunks(tokens: list[str]) -> list[str]:
    """Noun-phrase chunks, sentence by sentence (a chunk never crosses punctuation; sentences repeat)."""
    out: list[str] = []
    begin = 0
    for k, token in enumerate(tokens):
        if token in (".", ";", "!", "?"):
            out.extend(_sentence_chunks(tuple(tokens[begin : k + 1])))
            begin = k + 1
    out.extend(_sentence_chunks(tuple(tokens[begin:])))
    return out


@lru_cache(maxsize=1 << 16)
def _sentence_chunks(tokens: tuple[str, ...]) -> tuple[str, ...]:
    from ..segment import pyvi_module  # its CRF model loaded without leaving a file in the temp folder

    ViPosTagger = pyvi_module("ViPosTagger")  # noqa: N806 - pyvi's module name
    if not tokens:
        return ()
    lateral_words = _lateral_words()
    words, tags = ViPosTagger.postagging(" ".join(tokens))
    nominal = _lexicon_nominal(list(words))
    chunks: list[list[str]] = []
    current: list[str] = []
    for word, tag, lexical in zip(words, tags, nominal, strict=True):
        key = word.replace("_", " ").lower()
        if tag in _NOMINAL_TAGS or lexical or (current and key in lateral_words):
            current.append(word)
        else:
            if current:
                chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return tuple(" ".join(w.replace("_", " ") for w in chunk) for chunk in chunks)


def offline_extractor(*, tokenize: Callable[[str], list[str]] | None = None) -> NounPhraseExtractor:
    """POS + lexicon chunks; ``tokenize`` lets a caller that already segmented the text share its tokens."""
    tokenize = tokenize or segment
    return NounPhraseExtractor(POS_LEXICON, lambda text: _pos_chunks(list(tokenize(text))))


def stanza_extractor() -> NounPhraseExtractor:
    """Stanza's Vietnamese constituency parser; raises when stanza or its models are missing."""
    import stanza  # noqa: F401 - ImportError when not installed

    pipeline = stanza.Pipeline("vi", processors="tokenize,pos,constituency", download_method=None, verbose=False)

    def extract(text: str) -> list[str]:
        doc = pipeline(normalize(text))
        return [np for sentence in doc.sentences for np in noun_phrases(parse_tree(str(sentence.constituency)))]

    return NounPhraseExtractor(STANZA, extract)


def make_extractor(method: str = "auto", *, tokenize: Callable[[str], list[str]] | None = None) -> NounPhraseExtractor:
    """``stanza``, ``pos+lexicon`` or ``auto`` (Stanza when usable, else offline with one log line)."""
    if method == POS_LEXICON:
        return offline_extractor(tokenize=tokenize)
    if method not in ("auto", STANZA):
        raise ValueError(f"unknown noun-phrase method {method!r}; choose auto, {STANZA} or {POS_LEXICON}")
    try:
        return stanza_extractor()
    except Exception as exc:  # ImportError, or stanza's missing-resources error
        # DEBUG, not INFO: most runs have no Stanza; report.md names the method used and how to get Stanza
        log.debug("noun phrases: Stanza unavailable (%s); using the offline %s method", str(exc).splitlines()[0]
                 if str(exc) else type(exc).__name__, POS_LEXICON)  # fmt: skip
        return offline_extractor(tokenize=tokenize)


# --------------------------------------------------------------------------- body parts in a phrase


@dataclass(frozen=True)
class Mention:
    """A body part named in a noun phrase, with the side and rib number written beside it."""

    concept: str
    surface: str
    laterality: str | None = None
    number: int | None = None


def _is_anatomy(term: Term) -> bool:
    return term.kind == "anatomy"


def _is_lateral(term: Term) -> bool:
    return term.kind == "laterality"


def _names_anatomy(index: TermIndex, word: str) -> bool:
    """A one-word anatomy form ("phổi", "tim"): a side word before it is the next body part's."""
    return any(_is_anatomy(t) for t in index.table.get((word,), ()))


@lru_cache(maxsize=1)
def _nominal_forms() -> frozenset[str]:
    """Anatomy and position forms of the lexicon: nominal whatever their POS tag."""
    table = term_index().table
    return frozenset(t.form for terms in table.values() for t in terms if t.kind in ("anatomy", "position"))


@lru_cache(maxsize=1)
def _lateral_words() -> frozenset[str]:
    """Side forms and the words in them ("bên", "trái"), which extend a noun phrase they follow."""
    forms = {t.form for terms in term_index().table.values() for t in terms if t.kind == "laterality"}
    return frozenset(forms | {w for form in forms for w in form.split()})


def anatomy_mentions(phrase: str) -> list[Mention]:
    """Body parts in one noun phrase, longest match first ("nhu mô phổi" is parenchyma, not lung)."""
    return list(_anatomy_mentions(phrase))


@lru_cache(maxsize=1 << 16)  # report phrases repeat a lot ("Phổi hai bên", "rốn phổi")
def _anatomy_mentions(phrase: str) -> tuple[Mention, ...]:
    index = term_index()
    toks = lexicon_tokens(normalize(phrase, lowercase=True))
    mentions: list[Mention] = []
    i = 0
    while i < len(toks):
        size, found = index.match(toks, i, _is_anatomy)
        if not size:
            i += 1
            continue
        j, number, side = i + size, None, None
        while j < len(toks) and not _names_anatomy(index, toks[j]):  # qualifiers up to a body-part word
            word = toks[j]
            if number is None and (word.isdigit() or word in _ROMAN):
                number = int(word) if word.isdigit() else _ROMAN[word]
                j += 1
                continue
            n, sides = index.match(toks, j, _is_lateral)
            if not n:
                break
            side = sides[0].value
            j += n
        mentions.append(Mention(found[0].value, found[0].form, side, number))
        i += size
    return tuple(mentions)

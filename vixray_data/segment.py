"""Vietnamese word segmentation that keeps the chest X-ray lexicon's medical words whole.

General segmenters mis-segment this domain (pyvi writes ``rải_rác_rốn``, leaves ``xương sườn`` and
``vòm hoành`` as two words), so every backend's output is corrected against the lexicon:

1. the text is normalised (:func:`vixray_data.text.normalize`: NFC, new-style tone marks);
2. the backend segments it (``pyvi`` by default; ``underthesea`` or ``vncorenlp`` when installed;
   ``lexicon`` needs nothing: syllables joined only by the lexicon's word list);
3. the lexicon's ``words`` (``xương sườn``, ``góc sườn hoành``, ``động mạch chủ`` ...) are joined by
   longest match over the lexicon's one index (:func:`vixray_data.lexicon.term_index`, the fact
   extractor's too), and no token may straddle the boundary of any lexicon term (``rải_rác_rốn`` next to
   ``rốn phổi`` becomes ``rải_rác`` ``rốn_phổi``): where the backend and the lexicon disagree, the
   lexicon wins. Phrase terms (``bóng tim to``) are not joined into one token.

Punctuation comes back as tokens of its own, as VnCoreNLP (the paper's segmenter) returns it; callers
that count words drop them with :func:`is_word`.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from functools import cache, lru_cache
from types import ModuleType

from .errors import SegmenterError
from .lexicon import Term, TermIndex, term_index
from .text import normalize

BACKENDS: tuple[str, ...] = ("pyvi", "lexicon", "underthesea", "vncorenlp")
#: Where ``vncorenlp`` looks for the VnCoreNLP jar and models (py_vncorenlp ``save_dir``).
VNCORENLP_DIR_ENV = "VIXRAY_VNCORENLP_DIR"

# a syllable, a number (2, 1.5, 1/3), or one punctuation character
_PIECE = re.compile(r"\d+(?:[.,/]\d+)*|\w+|[^\w\s]", re.UNICODE)
_WORDLIKE = re.compile(r"\w")
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")


def is_word(token: str) -> bool:
    """True unless the token is punctuation only: what length statistics count."""
    return bool(_WORDLIKE.search(token))


# --------------------------------------------------------------------------- backends
# Each returns a list of tokens whose syllables are joined by "_".


@cache
def pyvi_module(name: str) -> ModuleType:
    """``pyvi.ViTokenizer`` or ``pyvi.ViPosTagger``, leaving no file behind.

    Importing either unpickles a CRF model, which sklearn-crfsuite writes to a ``model*.crfsuite`` file in the
    system temp folder and deletes only if the model object is collected, which a process's exit does not do
    (4 MB per model and process). Here the file goes to a private folder, the tagger reads it into memory at
    once, and the folder is removed before this returns.
    """
    private = tempfile.mkdtemp(prefix="vixray-pyvi-")
    previous, tempfile.tempdir = tempfile.tempdir, private
    try:
        module = importlib.import_module(f"pyvi.{name}")
        module_model = getattr(module, name).model
        module_model.tagger_  # noqa: B018 - opens the model file now, while it exists (crfsuite reads it whole)
    except ImportError as exc:  # pragma: no cover - pyvi is a core dependency
        raise SegmenterError("segmentation backend 'pyvi' is not installed: pip install pyvi") from exc
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(private, ignore_errors=True)
    return module


@lru_cache(maxsize=1)
def _pyvi() -> Callable[[str], str]:
    return pyvi_module("ViTokenizer").ViTokenizer.tokenize


def _split_pyvi(text: str) -> list[str]:
    return _pyvi()(text).split()


def _split_syllables(text: str) -> list[str]:
    return _PIECE.findall(text)


@lru_cache(maxsize=1)
def _underthesea() -> Callable[[str], list[str]]:
    try:
        from underthesea import word_tokenize
    except ImportError as exc:
        raise SegmenterError("segmentation backend 'underthesea' is not installed: pip install underthesea") from exc
    return word_tokenize


def _split_underthesea(text: str) -> list[str]:
    return [word.replace(" ", "_") for word in _underthesea()(text)]


@lru_cache(maxsize=1)
def _vncorenlp():
    try:
        import py_vncorenlp
    except ImportError as exc:
        raise SegmenterError(
            "segmentation backend 'vncorenlp' is not installed: pip install py_vncorenlp (needs Java)"
        ) from exc
    save_dir = os.environ.get(VNCORENLP_DIR_ENV)
    if not save_dir or not os.path.isdir(save_dir):
        raise SegmenterError(
            f"segmentation backend 'vncorenlp' needs ${VNCORENLP_DIR_ENV} set to a folder holding VnCoreNLP "
            "(py_vncorenlp.download_model(save_dir=...))"
        )
    return py_vncorenlp.VnCoreNLP(annotators=["wseg"], save_dir=save_dir)


def _split_vncorenlp(text: str) -> list[str]:
    return [token for sentence in _vncorenlp().word_segment(text) for token in sentence.split()]


_SPLITTERS: dict[str, Callable[[str], list[str]]] = {
    "pyvi": _split_pyvi,
    "lexicon": _split_syllables,
    "underthesea": _split_underthesea,
    "vncorenlp": _split_vncorenlp,
}


# --------------------------------------------------------------------------- lexicon correction


def _spans(lowered: list[str], index: TermIndex, *, words: bool) -> list[tuple[int, int]]:
    """Left-to-right longest multi-syllable matches of lexicon words (``words=True``) or of any term."""
    accept = _is_word_term if words else None
    spans, i, n = [], 0, len(lowered)
    while i < n:
        size, _ = index.match(lowered, i, accept)
        if size > 1:
            spans.append((i, i + size))
            i += size
        else:
            i += 1
    return spans


def _is_word_term(term: Term) -> bool:
    return term.kind == "word"


def _correct(tokens: list[str], lexicon_path: str | None) -> list[str]:
    syllables: list[str] = []
    breaks: set[int] = set()  # break before syllable index k
    for token in tokens:
        breaks.add(len(syllables))
        syllables.extend(part for part in token.split("_") if part)
    if not syllables:
        return []
    index = term_index(lexicon_path)
    lowered = [s.lower() for s in syllables]
    for start, end in _spans(lowered, index, words=False):
        breaks.update((start, end))  # no token straddles a lexicon term
    for start, end in _spans(lowered, index, words=True):
        breaks.difference_update(range(start + 1, end))  # lexicon words are one token
        breaks.update((start, end))
    breaks.discard(0)
    out, begin = [], 0
    for k in sorted(breaks | {len(syllables)}):
        out.append("_".join(syllables[begin:k]))
        begin = k
    return out


def segment(text: str | None, *, backend: str = "pyvi", lowercase: bool = False, lexicon_path: str | None = None):
    """Words of ``text``, multi-syllable words joined by "_", the lexicon's medical words kept whole.

    Punctuation marks are tokens of their own (see :func:`is_word`). Raises :class:`SegmenterError`
    for an unknown backend or one that is not installed.
    """
    if backend not in _SPLITTERS:
        raise SegmenterError(f"unknown segmentation backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    text = normalize(text, lowercase=lowercase)
    if not text:
        return []
    path = None if lexicon_path is None else str(lexicon_path)
    out: list[str] = []
    for sentence in _SENTENCE.split(text):  # reports repeat their sentences: each is segmented once
        out.extend(_segment_sentence(sentence, backend, path))
    return out


@lru_cache(maxsize=1 << 16)
def _segment_sentence(sentence: str, backend: str, lexicon_path: str | None) -> tuple[str, ...]:
    return tuple(_correct(_SPLITTERS[backend](sentence), lexicon_path))


def count_words(text: str | None, *, backend: str = "pyvi") -> int:
    """Number of words (punctuation excluded) after :func:`segment`: the unit of Table 3's lengths."""
    return sum(1 for token in segment(text, backend=backend) if is_word(token))

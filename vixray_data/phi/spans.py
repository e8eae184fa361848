"""What every recognizer returns, the word lists they anchor on, and the folding they match with.

A recognizer is a function ``text -> list[Span]``. It matches keywords on :func:`fold_chars` of the
text (lowercase, no diacritics, same length as the text), so an offset found there is an offset in the
original, and reads case from the original where case matters (names).
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..lexicon import read_yaml

WORDS_PATH = Path(__file__).with_name("words.yaml")

# Categories (one recognizer each; the manifest counts replacements under these names).
NAME = "name"
DATE = "date"
AGE = "age_over_89"
PHONE = "phone"
EMAIL = "email"
ADDRESS = "address"
NATIONAL_ID = "national_id"
INSURANCE = "insurance"
RECORD = "record_number"
URL = "url"
IP = "ip"
FACILITY = "facility"  # a named hospital, airport, market, school ... (where the patient was)
OTHER_ID = "other_id"  # another identifying number: vehicle plate, bank account or card, IMEI, service number
VALUE = "identifying_value"  # a value the source listed (any record's name, id, date, ...), in its spellings
CATEGORIES = (
    NAME,
    DATE,
    AGE,
    PHONE,
    EMAIL,
    ADDRESS,
    FACILITY,
    NATIONAL_ID,
    INSURANCE,
    RECORD,
    OTHER_ID,
    URL,
    IP,
    VALUE,
)


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    category: str


def _table(convert) -> dict[int, str]:
    """A str.translate table over Latin letters (ASCII to Latin Extended Additional): one character each."""
    table = {}
    for code in range(0x41, 0x2000):
        out = convert(chr(code))
        if len(out) == 1 and out != chr(code):
            table[code] = out
    return table


def _base(char: str) -> str:
    return "D" if char == "Đ" else "d" if char == "đ" else unicodedata.normalize("NFD", char)[0]


_FOLD = _table(lambda c: _base(c).lower())  # "Ễ" -> "e"
_BASE = _table(_base)  # "Ễ" -> "E": diacritics off, case kept
_LOWER = _table(str.lower)  # "Ễ" -> "ễ"


#: A text's words, translated once each: ``str.translate`` with a dict table costs ~70 ns a character on text that is
#: not ASCII, and a report's syllables repeat from text to text (a few thousand in the language), so a text is
#: translated word by word from these memos (cleared when full), spaces as they are.
_FOLDED: dict[str, str] = {}
_BASED: dict[str, str] = {}
_MEMO_MAX = 1 << 16


def _by_word(text: str, table: dict[int, str], memo: dict[str, str]) -> str:
    if len(memo) > _MEMO_MAX:
        memo.clear()
    words_ = text.split(" ")
    out = [memo.get(w) for w in words_]
    if None in out:
        for i, w in enumerate(out):
            if w is None:
                out[i] = memo[words_[i]] = words_[i].translate(table)
    return " ".join(out)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=4096)  # every recognizer folds the same text; names fold the same words
def fold_chars(text: str) -> str:
    """Per character: lowercase base letter (``"Nguyễn Đ"`` -> ``"nguyen d"``); same length as ``text``."""
    return text.lower() if text.isascii() else _by_word(text, _FOLD, _FOLDED)


@functools.lru_cache(maxsize=256)
def base_chars(text: str) -> str:
    """Per character: base letter, case kept (``"TrầnThịHoa"`` -> ``"TranThiHoa"``); same length as ``text``."""
    return text if text.isascii() else _by_word(text, _BASE, _BASED)


#: Where ``str.lower`` is not the table's per-character lower case: past the table's range, and the capital sigma
#: (lowered by its context). A character lowered into several takes the lengths apart.
_LOWER_ELSEWHERE = re.compile("[\u03a3\u2000-\U0010ffff]")


@functools.lru_cache(maxsize=4096)
def lower_chars(text: str) -> str:
    """Per character lowercase, diacritics kept; same length as ``text``."""
    lower = text.lower()
    if len(lower) == len(text) and not _LOWER_ELSEWHERE.search(text):
        return lower
    return text.translate(_LOWER)


@functools.lru_cache(maxsize=1)
def raw_words() -> dict[str, frozenset[str]]:
    """The lists of ``words.yaml``, lowercase NFC (read once)."""
    raw = read_yaml(WORDS_PATH)
    return {
        key: frozenset(unicodedata.normalize("NFC", str(w)).lower().strip() for w in values)
        for key, values in raw.items()
    }


@functools.lru_cache(maxsize=1)
def words() -> dict[str, frozenset[str]]:
    """The lists of ``words.yaml``, folded (no case, no diacritics)."""
    return {key: frozenset(fold_chars(w) for w in values) for key, values in raw_words().items()}


_SENTENCE_END = re.compile(r"[.!?;\n]\s")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


#: Capital Latin letters (Vietnamese ones included), for a regex class.
UPPER = "".join(re.escape(c) for c in map(chr, range(0x41, 0x1F00)) if c.isalpha() and c.isupper())
_CAPITAL_WORD = rf"[{UPPER}][^\W\d_]*(?:['’][^\W\d_]+)?"
# the look-behind after the first capital, not before it: ``re`` then skips straight to the capitals
_CAPITAL_RUN = re.compile(rf"[{UPPER}](?<![^\W_].)[^\W\d_]*(?:['’][^\W\d_]+)?(?:[ \-]{_CAPITAL_WORD})*(?![^\W_])")


@functools.lru_cache(maxsize=256)
def capital_runs(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each run of capitalised words joined by single spaces or hyphens, read once per text."""
    return tuple(m.span() for m in _CAPITAL_RUN.finditer(text))


_DIGIT = re.compile(r"\d")


def has_digit(text: str) -> bool:
    """Does ``text`` hold a digit (the number recognizers' quick exit)?"""
    return _DIGIT.search(text) is not None


@functools.lru_cache(maxsize=256)
def _sentence_starts(text: str) -> tuple[int, ...]:
    return (0, *(m.end() for m in _SENTENCE_END.finditer(text)))


def sentence_at(text: str, at: int) -> tuple[int, int]:
    """(start, end) of the sentence around offset ``at``: between sentence marks (``. `` ``; `` a line break)."""
    starts = _sentence_starts(text)
    k = bisect.bisect_right(starts, at) - 1
    return starts[k], (starts[k + 1] - 1 if k + 1 < len(starts) else len(text))


def case_uninformative(text: str, at: int) -> bool:
    """Is the sentence around ``at`` written so that capitals say nothing: all in capitals, or in Title Case (every
    word capitalised, clinical words too)? A name's capitals cannot mark it there. A line of proper nouns
    (``123 Lê Lợi, Quận 1``) is not Title Case: clinical words are fewer than a third of its words."""
    return _uninformative(text, *sentence_at(text, at))


@functools.lru_cache(maxsize=1024)
def _uninformative(text: str, start: int, end: int) -> bool:
    words_ = _LETTERS.findall(text, start, end)
    if len(words_) < 3 or not all(w[:1].isupper() for w in words_):
        return False
    if all(w.isupper() for w in words_):
        return True
    from .allow import clinical_words  # the lexicon's words; imported late (allow imports this module)

    clinical = clinical_words(safe=True)  # the report words too: "Sốt Cao, Ho, Thở Rít" is Title Case
    # a third of the words at least: one clinical-looking word ("Đồng" of "12 Phạm Văn Đồng, Đà Nẵng") does not
    # make a line of proper nouns Title Case
    return 3 * sum(lower_chars(w) in clinical for w in words_) >= len(words_)


@functools.lru_cache(maxsize=256)
def any_unaccented(text: str) -> bool:
    """Is any sentence of ``text`` written without diacritics (then phrases are also looked for folded)? A
    quick exit for the matchers of words written without their diacritics."""
    starts = _sentence_starts(text)
    return any(
        text[a:b].isascii() and len(_LETTERS.findall(text, a, b)) >= 2  # words, not a code ("PID 123")
        for a, b in zip(starts, [*starts[1:], len(text)], strict=True)
    )


def unaccented(text: str, at: int) -> bool:
    """Is the sentence around ``at`` written without diacritics (then ``ho`` may be ``Hồ``)?"""
    start, end = sentence_at(text, at)
    return text[start:end].isascii()


def alternation(phrases, *, space: str = r"[\s.]*", not_after: str | None = None) -> str:
    r"""A regex matching any of ``phrases``, a space in one matching ``space`` (any spacing and dots).

    Written as a trie (``b(?:s|ac si)``): Python's ``re`` tries alternatives one by one, so a flat list
    of hundreds of phrases costs hundreds of attempts at every position; a trie costs one per character.
    Longer phrases win (every branch is greedy).

    ``not_after`` (a one-character class such as ``[^\W_]``): no match right after such a character. Written
    after each phrase's first character (``b(?<![^\W_].)...``), not as a look-behind before the trie, so the
    pattern starts with a literal and ``re`` skips straight to the positions holding a phrase's first character
    instead of entering the pattern at every position (the same matches, several times faster).
    """
    trie: dict = {}
    for phrase in {" ".join(str(p).split()) for p in phrases if str(p).strip()}:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie(trie, space, f"(?<!{not_after}.)" if not_after else "")


def _trie(node: dict, space: str, lead: str = "") -> str:
    branches = [
        (space if char == " " else re.escape(char)) + lead + _trie(child, space)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


_ALNUM = r"[^\W_]"  # a letter or a digit


def keyword_regex(key: str, tail: str) -> re.Pattern:
    """``<keyword of list key>`` then ``tail``, on folded text; keywords are word-bounded."""
    return re.compile(rf"(?:{alternation(words()[key], not_after=_ALNUM)})(?![^\W_]){tail}")

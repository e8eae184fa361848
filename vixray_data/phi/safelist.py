"""The second, independent detector: every token of a written text must be explained; what is not is flagged.

The recognizers (``analyzer.RECOGNIZERS``) look for PHI by its shapes and anchors. This module works the other way
round and shares none of their code, lists or patterns (it imports neither them nor the allow-list built on
them): a token is explained when it is

* part of a phrase of the clinical lexicon (``lexicon.yaml``: anatomy, findings, positions, normal states,
  severity, sides, negation and uncertainty cues, its ``deid_safe`` eponyms, abbreviations and words), matched
  case-insensitively, and for phrases of several words also without diacritics;
* part of a Vietnamese compound word of pyvi's dictionary (``pyvi/models/words.txt``, read where pyvi is
  installed), or a one-syllable word of the closed list in ``safe_words.yaml``; a capitalised word in the middle
  of a mixed-case sentence is a proper noun and is explained only by the lexicon or a dictionary entry written
  with capitals (``BHYT``);
* a number that measures or counts (a unit after it: ``12 mm``, ``3 tháng``, ``72 tuổi`` up to 89), that numbers
  something clinical (a word before it: ``xương sườn 5``, ``độ II``, ``lần 2``), a decimal ratio (``0,55``), a
  fraction of a lung (``1/3``), a run of consecutive rib numbers (``10-11-12``), a year after ``năm``, or a
  level written in the lexicon's patterns (``T12``, ``L1-L2``);
* a province, a centrally-run city, a country or a larger region (``places.yaml``: too coarse to identify);
* the redaction marker ``___`` or punctuation.

Anything else is a :class:`Span` of category ``unexplained_word`` (letters), ``unexplained_number`` (digits) or
``unexplained_code`` (letters and digits in one token); neighbouring ones of a category are joined. It finds
capitalised words and digit runs nobody explained (a name, a place, a case number, a date such as ``24-7``); it
does not find a lower-case name made of ordinary words, a place whose name is a dictionary word, or a PHI value
that is itself clinical vocabulary.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import yaml

from ..lexicon import load_lexicon
from ..text import normalize, strip_diacritics
from .places import coarse_places
from .spans import Span

SAFE_WORDS_PATH = Path(__file__).with_name("safe_words.yaml")
WORD = "unexplained_word"
NUMBER = "unexplained_number"
CODE = "unexplained_code"
MARKER = "___"

_TOKEN = re.compile(r"_{3,}|[^\W_]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;•\n(\[\"'“‘\-–*>])\s*$")
_MAX_COMPOUND = 4
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")
_ROMAN = re.compile(r"(?:II|III|IV|VI|VII|VIII|IX|XI|XII)")
_DIMENSIONS = re.compile(r"(\d+)[x×](\d+)", re.IGNORECASE)


def _lower(text: str) -> str:
    return normalize(text, lowercase=True)


def _ascii_fold(text: str) -> str:
    return strip_diacritics(text).lower()


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(compounds of 2+ syllables, entries written with capitals, one-syllable words) of pyvi's list.

    Not used without diacritics: a name written without them often folds into a dictionary word
    (``Nguyen Van`` is ``nguyên văn``, "verbatim"); ``safe_words.yaml``'s own compounds are."""
    spec = importlib.util.find_spec("pyvi")
    if spec is None or not spec.submodule_search_locations:
        return frozenset(), frozenset(), frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "words.txt"
    if not path.is_file():
        return frozenset(), frozenset(), frozenset()
    compounds, capitals, singles = set(), set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = normalize(line)
        if not entry:
            continue
        if entry != entry.lower():
            capitals.add(entry)
        if " " in entry:
            compounds.add(entry.lower())
        elif entry == entry.lower():
            singles.add(entry)
    return frozenset(compounds), frozenset(capitals), frozenset(singles)


@functools.lru_cache(maxsize=1)
def _words() -> dict[str, frozenset[str]]:
    raw = _words_raw()
    out = {key: frozenset(_lower(str(w)) for w in values) for key, values in raw.items()}
    lexicon = _lexicon_words()
    out["single_ascii"] = frozenset(_ascii_fold(w) for w in out["single"] | out["english"])
    out["lexicon"] = lexicon
    out["lexicon_ascii"] = frozenset(_ascii_fold(w) for w in lexicon)
    out["compounds_ascii"] = frozenset(_ascii_fold(w) for w in out["compounds"])
    for key in ("units", "numbering"):
        out[key + "_ascii"] = frozenset(_ascii_fold(w) for w in out[key])
    return out


@functools.lru_cache(maxsize=1)
def _lexicon_phrases() -> frozenset[str]:
    """Every surface form of the lexicon, lower case."""
    lexicon = load_lexicon()
    safe = lexicon.raw.get("deid_safe") or {}
    phrases: set[str] = set()
    for group in (lexicon.anatomy, lexicon.findings, lexicon.position):
        for concept in group.values():
            phrases.update(concept.variants)
            phrases.add(concept.vi)
    for values in (*lexicon.normal.values(), *lexicon.severity.values(), *lexicon.laterality.values()):
        phrases.update(values)
    phrases.update(lexicon.negation_pre + lexicon.negation_post + lexicon.uncertainty)
    phrases.update(str(p) for p in lexicon.raw.get("modifiers") or ())
    phrases.update(str(p) for p in lexicon.raw.get("words") or ())
    for key in ("eponyms", "abbreviations", "words"):
        phrases.update(str(p) for p in safe.get(key) or ())
    return frozenset(_lower(p) for p in phrases if str(p).strip())


def _lexicon_words() -> frozenset[str]:
    """The lexicon's one-word forms (``ĐTĐ``, ``Nữ``): explained without diacritics too."""
    return frozenset(p for p in _lexicon_phrases() if " " not in p)


@functools.lru_cache(maxsize=1)
def _words_raw() -> dict:
    return yaml.safe_load(SAFE_WORDS_PATH.read_text(encoding="utf-8"))


def alternation_of(names) -> str:
    forms = {normalize(str(n)) for n in names} | {strip_diacritics(normalize(str(n))) for n in names}
    return "|".join(re.escape(f).replace(r"\ ", r"[\s\-]+") for f in sorted(forms, key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def _lexicon_regexes() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """(phrases with diacritics, phrases of several words without, the lexicon's level/measurement patterns)."""
    safe = load_lexicon().raw.get("deid_safe") or {}
    exact = set(_lexicon_phrases())
    loose = {_ascii_fold(p) for p in exact if " " in p}

    def regex(forms: set[str]) -> re.Pattern:
        body = "|".join(re.escape(f).replace(r"\ ", r"[\s.\-]+") for f in sorted(forms, key=len, reverse=True))
        return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])")

    patterns = "|".join(f"(?:{p})" for p in safe.get("patterns") or ())
    levels = re.compile(rf"(?<![^\W_])(?:{patterns})(?![^\W_])", re.IGNORECASE) if patterns else re.compile(r"(?!)")
    peoples = alternation_of(_words_raw()["peoples"])
    people = re.compile(rf"(?<![^\W_])(?:dân tộc|người|đồng bào|dan toc|nguoi|dong bao)\s+(?:{peoples})(?![^\W_])",
                        re.IGNORECASE)
    return regex(exact), regex(loose | set(coarse_places())), levels, people


def _covered(matches, n: int) -> bytearray:
    marks = bytearray(n)
    for m in matches:
        marks[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    return marks


def _case_informative(text: str, tokens: list[re.Match]) -> tuple[list[bool], list[bool]]:
    """Per token: does its capital mean something (not in a sentence written all in capitals or in Title Case), and
    is its sentence written without diacritics (then ``Phan`` may be ``phần``; with them it may not)?"""
    out = [True] * len(tokens)
    bare = [False] * len(tokens)
    sentence: list[int] = []

    def close() -> None:
        words = [tokens[k].group(0) for k in sentence if tokens[k].group(0).isalpha()]
        long_words = [tokens[k].group(0) for k in sentence if tokens[k].group(0).isalpha()
                      and len(tokens[k].group(0)) > 1 and text[tokens[k].start() - 1:tokens[k].start()] != "/"]
        capitalised = sum(w[:1].isupper() for w in long_words)
        if len(long_words) >= 3 and capitalised == len(long_words) or \
                long_words and all(w.isupper() for w in long_words):
            for k in sentence:
                out[k] = False
        if all(w.isascii() for w in words):
            for k in sentence:
                bare[k] = True
        sentence.clear()

    last = 0
    for k, token in enumerate(tokens):
        if re.search(r"[.!?\n]", text[last:token.start()]):
            close()
        sentence.append(k)
        last = token.end()
    close()
    return out, bare


_RUN = re.compile(r"\d+(?:(?:\s?[\-/:x×]\s?|[.,]\s?)\d+)*")
_DATE_WORDS = frozenset({"ngay", "mung", "hom", "thang", "sang", "chieu", "toi", "trua", "dem", "luc", "dau", "cuoi"})
_LIST_TAIL = re.compile(r"(?:\d{1,2}\s*(?:,|và|va|đến|den|tới|toi|hoặc|hoac|-)\s*)+$", re.IGNORECASE)
_LUNG_PART = re.compile(r"\s*(?:trên|giữa|dưới|trong|ngoài|sau|trước|phổi|tren|giua|duoi|trong|ngoai|phoi)\b",
                        re.IGNORECASE)


def _in(word: str, words: dict[str, frozenset[str]], key: str) -> bool:
    return word in words[key] or (word.isascii() and _ascii_fold(word) in words[key + "_ascii"])


def _unit_ok(unit: str, value: str, words: dict[str, frozenset[str]]) -> bool:
    unit = unit.lower()
    if not _in(unit, words, "units"):
        return False
    if _ascii_fold(unit) in ("tuoi", "t", "y", "yo"):
        return value.isdigit() and int(value) <= 89
    return len(value) <= 6


def _numbered(before: str, words: dict[str, frozenset[str]]) -> bool:
    """The words before a number make it clinical numbering (``xương sườn 5``, ``xương sườn 5 và 6``, ``độ II``)."""
    before = _LIST_TAIL.sub("", before.lower().rstrip())
    prev = re.findall(r"[^\W_]+", before)[-3:]
    return any(_in(" ".join(prev[-n:]), words, "numbering") for n in (3, 2, 1) if len(prev) >= n)


def _run_explained(text: str, start: int, end: int, words: dict[str, frozenset[str]]) -> bool:
    """A number, or numbers joined by separators, that measures, counts or numbers something clinical."""
    run = text[start:end]
    numbers = re.findall(r"\d+", run)
    seps = [s.strip() or " " for s in re.findall(r"\D+", run)]
    after = text[end:end + 20]
    unit_match = re.match(r"\s?(%|[^\W\d_]+(?:[-/][^\W\d_]+)?)", after)
    unit = unit_match.group(1) if unit_match else ""
    before = text[max(0, start - 30):start]
    prev = [_ascii_fold(w) for w in re.findall(r"[^\W_]+", before)[-1:]]
    dated = bool(prev) and prev[-1] in _DATE_WORDS
    if len(numbers) == 1:
        value = numbers[0]
        if unit and _unit_ok(unit, value, words) and not dated:
            tail = text[end + unit_match.end():end + unit_match.end() + 3]
            return not (_ascii_fold(unit) in ("thang", "gio", "ngay") and re.match(r"\s?\d", tail))
        if len(value) <= 2 and (_numbered(before, words) or not dated):
            return True  # one or two digits alone count something (a bed, a dose, a step); after a date word
            # ("ngày 19") they are a day
        return bool(prev) and prev[-1] == "nam" and bool(re.fullmatch(r"(?:19|20)\d\d", value))  # a year alone
    ints = [int(n) for n in numbers]
    if len(numbers) == 2 and seps[0] in (".", ","):  # a decimal: 0,55; 1.7 m2 (not 1.035, a thousands group)
        return bool(unit and _unit_ok(unit, "1", words)) or numbers[0] == "0" or (ints[0] <= 9 and
                                                                                 len(numbers[1]) <= 2)
    if len(numbers) == 2 and seps[0] == "/":
        return ints[0] < ints[1] <= 4 and bool(_LUNG_PART.match(after))  # 1/3 dưới phổi phải
    if all(sep == "-" for sep in seps):
        if all(b - a == 1 for a, b in zip(ints, ints[1:], strict=False)) and max(ints) <= 12:
            return True  # ribs 10-11-12, levels 4-5
        return len(ints) == 2 and ints[0] < ints[1] and bool(unit) and _unit_ok(unit, numbers[1], words) \
            and not dated
    if all(sep == "," for sep in seps):
        return max(ints) <= 12 and _numbered(before, words)  # xương sườn 5, 6, 7
    if all(sep in ("x", "×") for sep in seps):
        return bool(unit) and _unit_ok(unit, "1", words)
    return False


def find_unexplained(text: str) -> list[Span]:
    """Spans of ``text`` that nothing explains (see the module docstring), merged per category."""
    if not text:
        return []
    words = _words()
    compounds, capitals, singles = _dictionary()
    exact, loose, levels, people = _lexicon_regexes()
    lowered, folded = text.lower(), _ascii_fold(text)
    same_length = len(lowered) == len(text) and len(folded) == len(text)
    allowed = _covered(exact.finditer(lowered), len(text)) if same_length else bytearray(len(text))
    if same_length:
        for m in loose.finditer(folded):
            allowed[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for regex in (levels, people):
        for m in regex.finditer(text):
            allowed[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    tokens = list(_TOKEN.finditer(text))
    informative, bare = _case_informative(text, tokens)
    explained = [False] * len(tokens)
    for k, token in enumerate(tokens):
        if all(allowed[token.start():token.end()]) or token.group(0).startswith("_"):
            explained[k] = True
    # compounds: longest first, over neighbouring letter tokens separated by one space or hyphen
    k = 0
    while k < len(tokens):
        matched = 0
        for n in range(min(_MAX_COMPOUND, len(tokens) - k), 1, -1):
            group = tokens[k:k + n]
            if not all(t.group(0).isalpha() for t in group) or any(
                    text[a.end():b.start()] not in (" ", "-") for a, b in zip(group, group[1:], strict=False)):
                continue
            phrase = " ".join(t.group(0) for t in group)
            proper = any(informative[k + i] and t.group(0)[:1].isupper() and not _starts_sentence(text, t.start())
                         for i, t in enumerate(group))
            if proper:
                if normalize(phrase) in capitals:
                    matched = n
                    break
                continue
            low = _lower(phrase)
            if low in compounds or low in words["compounds"] or \
                    (phrase.isascii() and _ascii_fold(phrase) in words["compounds_ascii"]):
                matched = n
                break
        if matched:
            for i in range(k, k + matched):
                explained[i] = True
            k += matched
        else:
            k += 1
    runs = {}
    for m in _RUN.finditer(text):
        verdict = _run_explained(text, m.start(), m.end(), words)
        for d in re.finditer(r"\d+", m.group(0)):
            runs[m.start() + d.start()] = verdict
    spans: list[Span] = []
    for k, token in enumerate(tokens):
        if explained[k]:
            continue
        value = token.group(0)
        if value.isdigit():
            if not runs.get(token.start(), False):
                spans.append(Span(token.start(), token.end(), NUMBER))
            continue
        if not value.isalpha():  # letters and digits: a unit run on ("12mm", "97t"), sizes ("16x28"), or a code
            number = re.fullmatch(r"(\d+)([^\W\d_]+)", value)
            if number and _unit_ok(number.group(2), number.group(1), words):
                continue
            unit = re.match(r"\s?([^\W\d_]+)", text[token.end():token.end() + 8])
            if _DIMENSIONS.fullmatch(value) and unit and _unit_ok(unit.group(1), "1", words):
                continue
            spans.append(Span(token.start(), token.end(), CODE))
            continue
        if k and tokens[k - 1].group(0).isdigit() and text[tokens[k - 1].end():token.start()] in ("", " ") \
                and runs.get(tokens[k - 1].start()) and _unit_ok(value, "1", words):
            continue  # the unit of an explained number: "28 Fr"
        if _word_explained(text, token, informative[k], bare[k], words, capitals, singles):
            continue
        prev = tokens[k - 1] if k else None
        if prev is not None and not explained[k - 1] and value[:1].isupper() and informative[k] \
                and text[prev.end():token.start()] == " " and prev.group(0)[:1].isupper() and prev.group(0).isalpha() \
                and prev.group(0).lower() not in words["lexicon"] and _starts_sentence(text, prev.start()):
            spans.append(Span(prev.start(), prev.end(), WORD))  # "Người đọc: Phan Thanh Tùng": the opening word of a
            # run of proper nouns is one of them, though a sentence's first word may be capitalised anyway
        spans.append(Span(token.start(), token.end(), WORD))
    return _join(sorted(set(spans)), text)


def _starts_sentence(text: str, start: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, start - 6):start]))


def _word_explained(text: str, token: re.Match, informative: bool, bare: bool, words: dict[str, frozenset[str]],
                    capitals: frozenset[str], singles: frozenset[str]) -> bool:
    """A word is explained by the lexicon (any case), a dictionary entry written with capitals, the closed list
    of ``safe_words.yaml``, or, written in lower case with its diacritics in a mixed-case sentence, any one-syllable
    word of pyvi's dictionary (a name there would be capitalised). A capitalised word in the middle of a mixed-case
    sentence is a proper noun; in capitals, Title Case or without diacritics only the closed list explains a word
    (a name looks like words there)."""
    value = token.group(0)
    low = value.lower()
    if (value in capitals and len(value) > 1) or _ROMAN.fullmatch(value):  # a capital alone is an initial
        return True
    if low in words["lexicon"] or (value.isascii() and low in words["lexicon_ascii"]):
        return True  # the lexicon wins over case: "BN Nu" (Nữ), "DTD" (ĐTĐ)
    if informative and value[:1].isupper() and not _starts_sentence(text, token.start()):
        return False  # a proper noun in a mixed-case sentence
    if low in words["single"] or low in words["english"]:
        return True
    if not informative or value.isascii():
        pass
    elif value.islower() or (value[1:].islower() and _starts_sentence(text, token.start())):
        return low in singles  # lower case, or capitalised only because it opens the sentence
    if value.isascii():
        # without diacritics only in a sentence written without them ("Phan" is no "phần" beside "Người đọc");
        # a foreign word in lower case (heparin, amikacin, damoiseau): no Vietnamese syllable, so no Vietnamese name
        return (bare and low in words["single_ascii"]) or (value.islower() and len(value) >= 4
                                                            and not _SYLLABLE.fullmatch(low))
    return False


def _join(spans: list[Span], text: str) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if out and out[-1].category == span.category and text[out[-1].end:span.start].strip(" .-/,") == "":
            out[-1] = Span(out[-1].start, span.end, span.category)
        else:
            out.append(span)
    return out


__all__ = ["CODE", "NUMBER", "WORD", "find_unexplained"]

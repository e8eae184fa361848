"""The second, independent detector: every token of a written text must be explained; what is left and shaped
like PHI is flagged. The build quarantines a record it flags, so a flag must mean something.

The recognizers (``analyzer.RECOGNIZERS``) look for PHI by its shapes and anchors. This module works the other way
round and shares none of their code, lists or patterns (it imports neither them nor the allow-list built on
them). A token is **explained** when it is

* part of a phrase of the clinical lexicon (``lexicon.yaml``: every phrase it writes, its ``spelling`` section's
  abbreviations and unaccented forms, ``common_words``, cues, ``deid_safe``), in any case, and without diacritics
  where it is written without them; or one edit away from a lexicon word of five letters or more (``thươg``)
  where its case says nothing;
* part of a Vietnamese compound word of pyvi's dictionary (``pyvi/models/words.txt``, read where pyvi is
  installed), a one-syllable word of the closed list in ``safe_words.yaml``, a compound of that file (also
  without diacritics), or, written in lower case (or capitalised only because it opens a sentence) in a
  mixed-case text, any one-syllable word of pyvi's dictionary. A capitalised word in the middle of a mixed-case
  sentence is a proper noun: only the lexicon, a dictionary entry written with capitals (``BHYT``) or a compound
  whose other words are in lower case (``Hội chứng``) explains it. A form label (``Địa Chỉ:``, ``Số CCCD:``) is
  read as if its capitals said nothing;
* no Vietnamese word at all: an acronym (no vowel, ``TDMP``, ``CRP``; or capitals that cannot be one Vietnamese
  syllable, ``VATS``), or a foreign word (``Heparin``, ``Alzheimer``: letters without diacritics that make
  several syllables and cannot be Vietnamese syllables run together, as ``NguyenVanAn`` can). Vietnamese writes
  one syllable per word, so neither is a Vietnamese personal name;
* a people of Vietnam (``safe_words.yaml``: a closed list of facts) after ``dân tộc``/``người``/``đồng bào``, alone
  in brackets, or whose name cannot be a Vietnamese syllable (``Khmer``, ``Mnông``);
* a number that measures or counts (a unit after it: ``12 mm``, ``3 tháng``, ``72 tuổi`` up to 89, ``5.000.000
  UI``, ``150.000/mm3``; a measure before it: ``kV 110``, ``cổng 104``), that numbers something clinical (``xương
  sườn 5``, ``độ II``, ``lần 2``), a decimal (``0,55``), a ratio (``10:1``), a fraction of a lung (``1/3``), a
  run of consecutive rib numbers (``10-11-12``), a version (``phiên bản 3.0.2``), a year after ``năm``, or a
  level written in the lexicon's patterns (``T12``, ``L1-L2``);
* a province, a centrally-run city, a country or a larger region (``places.yaml``: too coarse to identify);
* the redaction marker ``___`` or punctuation.

What is left is flagged only when it has a shape PHI has (:func:`find_unexplained`): a word that can be a
Vietnamese syllable (or a minority name's) and is capitalised, or written in a text whose case says nothing
(all capitals, Title Case, all lower case); initials (``N.H.N.``); a number of three digits or more, a day and
month (``24-7``), a time (``14:30``), or any number after a date word, an address word or a case word
(``ngày 19``, ``quận 2``, ``bệnh nhân 34``); a code holding three digits or more (``XQ240117``); an e-mail
address or a web address. An unexplained lower-case word in a text that uses capitals, a single letter, a short
code (``T2N1``) are not. Spans are ``unexplained_word`` (letters), ``unexplained_number`` (digits) or
``unexplained_code`` (letters and digits, addresses); neighbouring ones of a category are joined.

It does not find: a lower-case name made of ordinary words in a text that uses capitals, a name whose every
syllable is explained (a place or a people's name that is also a province, ``Long An``), initials written
without dots (``HTM``, read as an acronym), a foreign name of several syllables (``Michael``), a place whose name
is a dictionary word, or a PHI value that is itself clinical vocabulary.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from ..lexicon import load_lexicon, read_yaml
from ..text import normalize, strip_diacritics
from .places import coarse_places, is_coarse_place
from .spans import Span

SAFE_WORDS_PATH = Path(__file__).with_name("safe_words.yaml")
WORD = "unexplained_word"
NUMBER = "unexplained_number"
CODE = "unexplained_code"
MARKER = "___"

_TOKEN = re.compile(r"_{3,}|[^\W_]+")
_SENTENCE_START = re.compile(r"(?:^|[!?:;•\n(\[\"'“‘\-–*>|]|\.\s)\s*$")  # a dot ends a sentence with a space after
_SENTENCE_END = re.compile(r"[.!?;\n]")
_MAX_PHRASE = 8  # tokens
_JOINER = re.compile(r"\s?[\-./(]?\s?")  # what may stand between two words of one phrase ("bên (p)")
_ROMAN = re.compile(r"(?:II|III|IV|VI|VII|VIII|IX|XI|XII)|(?:ii|iii|iv|vii|viii|ix|xii)")
_DIMENSIONS = re.compile(r"(\d+)[x×](\d+)", re.IGNORECASE)
_AT = r"\s?(?:@|[\[(]\s?(?i:at|a|@)\s?[\])])\s?"
_DOT = r"\s?(?:\.|[\[(]\s?(?i:dot)\s?[\])])\s?"
#: An e-mail address, written plainly or hidden (``an (at) bv (dot) vn``), or a web address: never explained.
_ADDRESS = re.compile(rf"[\w.+\-]+{_AT}[a-z0-9\-]+(?:{_DOT}[a-z0-9\-]+)+|(?i:https?://|www\.)[^\s,;]+")


# --------------------------------------------------------------------------- Vietnamese orthography

_ONSET = (
    r"(?:ngh(?=[eiy])|gh(?=[eiy])|ng(?![eiy])|nh|ch|gi|kh|ph|qu|th|tr|k(?=[eiy])|c(?![eiy])|g(?![eiy])"
    r"|[bdhlmnrstvx])?"
)
_CLOSABLE = r"(?:uye|oa|oe|uy|ue|ua|uo|ie|ye|a|e|i|o|u|y)"
_OPEN = r"(?:ieu|yeu|uoi|uou|oai|oay|oeo|uay|uyu|uya|ai|ao|au|ay|eo|eu|ia|iu|oi|ui|uu)"
_SYLLABLE_SHAPE = re.compile(rf"{_ONSET}(?:({_CLOSABLE})(ch|nh|ng|[cmnpt])?|{_OPEN})")
_VOWEL_RUN = re.compile(r"[aeiouy]+")


@functools.lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    return strip_diacritics(word).lower()


@functools.lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """Can ``word`` (any case, with or without diacritics) be one Vietnamese syllable by the spelling rules (onset,
    vowel nucleus, final consonant; ``k``/``gh``/``ngh`` only before ``e i y``, ``ch``/``nh`` only after ``a e i
    y``)? Loan syllables (``pin``) and minority names (``Ksor``) cannot."""
    m = _SYLLABLE_SHAPE.fullmatch(_fold(word))
    if m is None:
        return False
    nucleus, coda = m.group(1), m.group(2)
    if coda in ("ch", "nh") and nucleus[-1] not in "aeiy":
        return False
    return not (coda == "ng" and nucleus == "i")


def _syllables(word: str) -> bool:
    """Does ``word`` (folded) split into Vietnamese syllables of two letters or more (``nguyenvanan``)?"""
    n = len(word)
    reach = [True] + [False] * n
    for i in range(n):
        if reach[i]:
            for j in range(i + 2, min(n, i + 7) + 1):
                if not reach[j] and is_syllable(word[i:j]):
                    reach[j] = True
    return reach[n]


@functools.lru_cache(maxsize=65536)
def is_foreign(word: str) -> bool:
    """A word of letters without diacritics that is several syllables and no Vietnamese syllables run together
    (``Heparin``, ``Alzheimer``, ``Vietcombank``; not ``NguyenVanAn``, ``nguyenvanan``, ``Khmer``)."""
    if not (word.isascii() and word.isalpha()) or len(_VOWEL_RUN.findall(word.lower())) < 2:
        return False
    humps = re.findall(r"[A-Z][a-z]*|[a-z]+", word)
    if len(humps) > 1 and not word.isupper() and all(is_syllable(h) for h in humps):
        return False  # NguyenVanAn
    return not ((word.islower() or word.isupper()) and _syllables(word.lower()))


def _acronym(word: str) -> bool:
    """No vowel at all (``TDMP``, ``KLS``, ``Bs``), or capitals that cannot be one Vietnamese syllable (``VATS``,
    ``UID``; not ``HOA``, nor ``LêVănHùng``)."""
    folded = _fold(word)
    if len(folded) < 2:
        return False
    if not _VOWEL_RUN.search(folded):
        return True
    if word.isupper():
        return not is_syllable(word)
    humps = re.findall(r"[A-ZĐ][^A-ZĐ]*|[^A-ZĐ]+", strip_diacritics(word))  # nCoV, SpO; not LêVănHùng
    return sum(c.isupper() for c in word) >= 2 and not all(is_syllable(h) for h in humps)


# --------------------------------------------------------------------------- the word lists


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(compounds of 2+ syllables, entries written with capitals, one-syllable words) of pyvi's list."""
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
def _words_raw() -> dict:
    return read_yaml(SAFE_WORDS_PATH)


def _lower(text: str) -> str:
    return normalize(text, lowercase=True)


def _strings(node, out: set[str]) -> None:
    """Every phrase a lexicon section writes: strings in lists and values, and the keys of mappings of phrases
    (``spelling.abbreviations``: ``tdmp: tràn dịch màng phổi``)."""
    if isinstance(node, str):
        out.add(node)
    elif isinstance(node, list):
        for item in node:
            _strings(item, out)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) or isinstance(value, dict) and "reads" in value:
                out.add(str(key))
            _strings(value, out)


#: Lexicon sections that hold no report wording: the version, label names, the demo generator's settings, the
#: fact matcher's concept ids (their phrases are written in the sections read).
_NOT_WORDING = ("version", "labels", "demo", "fact_matching", "patterns")
#: Sections of clinical terms: a word of one alone is clinical whatever its case ("BN Nữ"); a word of the other
#: sections (``common_words``: thành, mặt, sang ...) is an everyday word, which may be a name when capitalised.
_TERMS = ("normal", "severity", "laterality", "negation", "uncertainty", "modifiers", "words", "deid_safe")


@functools.lru_cache(maxsize=1)
def _lexicon_phrases() -> tuple[frozenset[str], frozenset[str]]:
    """(the lexicon's clinical terms, every phrase it writes), lower case."""
    lexicon = load_lexicon()
    terms: set[str] = set()
    for group in (lexicon.anatomy, lexicon.findings, lexicon.position):
        for concept in group.values():
            terms.update(concept.variants)
            terms.add(concept.vi)
    phrases = set(terms)
    for key, section in lexicon.raw.items():
        if key in _NOT_WORDING or key in ("anatomy", "findings", "position"):
            continue
        if isinstance(section, dict):
            section = {k: v for k, v in section.items() if k not in _NOT_WORDING}
        _strings(section, phrases)
        if key in _TERMS:
            _strings(section, terms)
    _strings(list((lexicon.raw.get("spelling") or {}).get("abbreviations") or {}), terms)  # TDMP, ko, xs
    return (
        frozenset(_lower(p) for p in terms if str(p).strip()),
        frozenset(_lower(p) for p in phrases if str(p).strip()),
    )


@functools.lru_cache(maxsize=1)
def _words() -> dict[str, frozenset[str]]:
    raw = _words_raw()
    out = {key: frozenset(_lower(str(w)) for w in values) for key, values in raw.items()}
    terms, phrases = _lexicon_phrases()
    lexicon = frozenset(key[0] for p in terms if len(key := _key(p)) == 1)
    out["single"] = out["single"] | frozenset(key[0] for p in phrases if len(key := _key(p)) == 1)
    out["single_ascii"] = frozenset(_fold(w) for w in out["single"] | out["english"])
    out["lexicon"] = lexicon
    out["lexicon_ascii"] = frozenset(_fold(w) for w in lexicon)
    syllables = {t for p in phrases for t in _TOKEN.findall(p) if t.isalpha() and len(t) >= 5}
    out["typo_targets"] = frozenset(syllables)
    for name in (
        "units",
        "numbering",
        "measures",
        "identity",
        "address",
        "number_words",
        "month_words",
        "place_before",
        "counts",
        "place_words",
        "place_at",
    ):
        out[name + "_ascii"] = frozenset(_fold(w) for w in out[name])
    return out


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(t.lower() for t in _TOKEN.findall(phrase))


# A phrase's kinds: how it may explain its tokens (see _phrase_matches).
_LEXICON, _SAFE, _PLACE, _PYVI, _PEOPLE, _CAPITALS, _PLACE1 = 1, 2, 4, 8, 16, 32, 64


@functools.lru_cache(maxsize=1)
def _phrase_table() -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], int], frozenset[tuple[str, ...]]]:
    """(phrase -> kinds as written, phrase -> kinds written without diacritics, every prefix of a phrase).

    A phrase of one word is a phrase here only when it is a people's name (the rest are single words)."""
    exact: dict[tuple[str, ...], int] = {}
    folded: dict[tuple[str, ...], int] = {}

    def add(phrase: str, kind: int, *, fold: bool, single: bool = False) -> None:
        key = _key(phrase)
        if not key or (len(key) < 2 and not single):
            return
        exact[key] = exact.get(key, 0) | kind
        if fold:
            bare = tuple(_fold(t) for t in key)
            folded[bare] = folded.get(bare, 0) | kind

    for phrase in _lexicon_phrases()[1]:
        add(phrase, _LEXICON, fold=True)
    raw = _words_raw()
    for phrase in raw["compounds"]:
        add(str(phrase), _SAFE, fold=True)
    for phrase in coarse_places():  # a place of one word (Anh, Nga, Đức are also given names) needs a locative
        add(phrase, _PLACE if len(_key(phrase)) > 1 else _PLACE1, fold=True, single=True)
    for phrase in _dictionary()[0]:
        add(phrase, _PYVI, fold=False)
    for phrase in raw["peoples"]:
        add(str(phrase), _PEOPLE, fold=True, single=True)
    for phrase in _dictionary()[1]:
        add(phrase, _CAPITALS, fold=False)
    prefixes = {key[:n] for table in (exact, folded) for key in table for n in range(1, len(key) + 1)}
    return exact, folded, frozenset(prefixes)


# --------------------------------------------------------------------------- the text's case


def _case_informative(text: str, tokens: list[re.Match]) -> tuple[list[bool], list[bool]]:
    """Per token: does its capital mean something (not in a sentence written all in capitals or in Title Case;
    a sentence of fewer than three words takes the whole text's style), and is its sentence written without
    diacritics (then ``Phan`` may be ``phần``; with them it may not)?"""

    def style(words: list[str]) -> bool | None:
        """False: capitals say nothing here; True: they do; None: too few words to tell."""
        if words and all(w.isupper() for w in words):
            return False
        if len(words) < 3:
            return None
        return not all(w[:1].isupper() for w in words)

    values = [t.group(0) for t in tokens]
    long = [
        len(v) > 1 and v.isalpha() and text[t.start() - 1 : t.start()] != "/"
        for v, t in zip(values, tokens, strict=True)
    ]

    def long_words(indices) -> list[str]:
        return [values[k] for k in indices if long[k]]

    sentences: list[list[int]] = [[]]
    last = 0
    for k, token in enumerate(tokens):
        if sentences[-1] and _SENTENCE_END.search(text, last, token.start()):
            sentences.append([])
        sentences[-1].append(k)
        last = token.end()
    whole = style(long_words(range(len(tokens))))
    out = [True] * len(tokens)
    bare = [False] * len(tokens)
    for sentence in sentences:
        verdict = style(long_words(sentence))
        if verdict is None:
            verdict = True if whole is None else whole
        plain = all(values[k].isascii() for k in sentence if not values[k].isdigit())
        for k in sentence:
            out[k] = verdict
            bare[k] = plain
    return out, bare


def _starts_sentence(text: str, start: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, start - 6) : start]))


def _labels(text: str, tokens: list[re.Match]) -> dict[int, int]:
    """Tokens of a form label, each with its place in the label: up to four words (markers among them) from the
    start of a field up to a colon (``Địa Chỉ:``, ``Accession No.:``, ``Ngày Vào ___:``)."""
    out: dict[int, int] = {}
    for k, token in enumerate(tokens):
        if not re.match(r"\.?\s?:", text[token.end() : token.end() + 3]):
            continue
        first = k
        while first > 0 and k - first < 3 and text[tokens[first - 1].end() : tokens[first].start()] in (" ", "-", "/"):
            first -= 1
        if _starts_sentence(text, tokens[first].start()):
            out.update({i: i - first for i in range(first, k + 1)})
    return out


# --------------------------------------------------------------------------- numbers

_RUN = re.compile(r"\d+(?:(?:\s?[\-/:x×]\s?|[.,]\s?)\d+)*")
_DATE_WORDS = frozenset({"ngay", "mung", "hom", "thang", "sang", "chieu", "toi", "trua", "dem", "luc", "dau", "cuoi"})
_LIST_TAIL = re.compile(r"(?:\d{1,2}\s*(?:,|và|va|đến|den|tới|toi|hoặc|hoac|-)\s*)+$", re.IGNORECASE)
_LUNG_PART = re.compile(
    r"\s*(?:trên|giữa|dưới|trong|ngoài|sau|trước|phổi|phế trường|trường phổi|tren|giua|duoi|"
    r"ngoai|phoi|phe truong|truong phoi)\b",
    re.IGNORECASE,
)
_RANGE_TO_DATE = re.compile(r"\s?(?:-|–|đến|tới|den|toi)\s?(\d{1,2})\s?[\-/.]\s?(\d{1,2})(?!\d)", re.IGNORECASE)
_AMOUNT = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_UNIT_AFTER = re.compile(r"\s?(/\s?)?(%|°\s?[CcFf]|[^\W\d_]+\d?(?:[-/][^\W\d_]+\d?)?)")
#: A day counted from an operation ("sau mổ ngày 3", "hậu phẫu ngày 2"): a count, not a date.
_POST_OP = re.compile(r"(?:mổ|mo|phẫu|phau|phẫu thuật|phau thuat)(?:\s+[^\W\d_]+)?\s+(?:ngày|ngay)\s*$", re.IGNORECASE)


def _in(word: str, words: dict[str, frozenset[str]], key: str) -> bool:
    return word in words[key] or (word.isascii() and _fold(word) in words[key + "_ascii"])


def _unit_ok(unit: str, value: str, words: dict[str, frozenset[str]], *, counts: bool = True) -> bool:
    """Is ``unit`` a unit for ``value`` (an age up to 89; a count word only where ``counts``: "bệnh nhân 5 người
    Đức" is case 5)?"""
    unit = unit.lower()
    if not (_in(unit, words, "units") or counts and _in(unit, words, "counts")):
        return False
    if _fold(unit) in ("tuoi", "t", "y", "yo"):
        return value.isdigit() and int(value) <= 89
    return len(value) <= 6


def _before(text: str, start: int, n: int) -> list[str]:
    """The last ``n`` words before ``start`` in its clause (a list of numbers and joiners skipped: ``xương sườn 5 và
    6``; not past a comma or a bracket: in ``ngày ___, 2 trong số 3`` the 2 is no day)."""
    before = _LIST_TAIL.sub("", text[max(0, start - 40) : start].lower().rstrip())
    before = re.split(r"[,;()\[\]\"“”]", before)[-1]
    return re.findall(r"[^\W_]+", before)[-n:]


def _after_word_in(prev: list[str], words: dict[str, frozenset[str]], key: str) -> bool:
    if key in ("identity", "address") and prev and _fold(prev[-1]) in ("so", "no", "thu"):
        prev = prev[:-1]  # "ca bệnh số 9", "bệnh nhân thứ 9", "số nhà số 5"
    return any(_in(" ".join(prev[-n:]), words, key) for n in (4, 3, 2, 1) if len(prev) >= n)


_AGE_UNIT = re.compile(r"\s?(?:tuổi|tuoi|t|y|yo|years?)\b", re.IGNORECASE)


def _old_age(text: str, start: int, end: int, value: str) -> bool:
    """An age over 89 (``90 tuổi``, ``95t``, ``Tuổi: 93``): identifying (HIPAA counts it with the dates)."""
    if not value.isdigit() or int(value) < 90 or int(value) > 130:
        return False
    return bool(_AGE_UNIT.match(text, end)) or bool(
        re.search(r"(?:tuổi|tuoi|age)\W{0,3}$", text[max(0, start - 9) : start], re.IGNORECASE)
    )


def _day_of_range(text: str, end: int, run: str) -> bool:
    """The first day of a range of dates (``từ 26 đến 29-1``, ``15-28/7``)."""
    m = _RANGE_TO_DATE.match(text, end)
    if m is None:
        return False
    return run.isdigit() and 1 <= int(run) <= 31 and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 12


def _born(prev: list[str]) -> bool:
    """A year of birth (``sinh năm 1932``, ``năm sinh 1939``, ``born 1930``)."""
    folded = [_fold(w) for w in prev[-2:]]
    return folded[-1:] in (["sinh"], ["born"]) or folded == ["sinh", "nam"]


def _run_explained(text: str, start: int, end: int, words: dict[str, frozenset[str]]) -> bool:
    """A number, or numbers joined by separators, that measures, counts or numbers something clinical."""
    run = text[start:end]
    numbers = re.findall(r"\d+", run)
    seps = [s.strip() or " " for s in re.findall(r"\D+", run)]
    after = text[end : end + 20]
    unit_match = _UNIT_AFTER.match(after)
    unit = unit_match.group(2) if unit_match else ""
    prev = _before(text, start, 3)
    last = _fold(prev[-1]) if prev else ""
    dated = last in _DATE_WORDS and not (
        len(numbers) == 1 and len(run) <= 2 and _POST_OP.search(text[max(0, start - 30) : start])
    )
    if len(numbers) == 1 and (_old_age(text, start, end, numbers[0]) or _born(prev) or _day_of_range(text, end, run)):
        return False
    if dated or _after_word_in(prev, words, "identity") or _after_word_in(prev, words, "address"):
        return bool(unit) and not dated and _unit_ok(unit, numbers[0], words, counts=False) and len(numbers) == 1
    if _after_word_in(prev, words, "measures") and len(run) <= 12:
        return True  # kV 110, mAs 2,8, HA 120/80, cổng 8080, phiên bản 3.0.2
    ints = [int(n) for n in numbers]
    if _AMOUNT.fullmatch(run):  # 5.000.000 UI, 150.000/mm3, 1.500 ml (not 1.035 alone: a case number)
        return bool(unit) and _unit_ok(unit, "1", words)
    if len(numbers) == 1:
        value = numbers[0]
        if unit_match and unit and _unit_ok(unit, value, words):
            tail = text[end + unit_match.end() : end + unit_match.end() + 3]
            return not (_fold(unit) in ("thang", "gio", "ngay") and re.match(r"\s?\d", tail))
        if len(value) <= 2:
            return True  # one or two digits alone count something (a bed, a dose, a step)
        return last == "nam" and bool(re.fullmatch(r"(?:19|20)\d\d", value))  # a year alone
    if len(numbers) == 2 and seps[0] in (".", ","):  # a decimal: 0,55; 1.7 m2; 38,5 độ
        return bool(unit and _unit_ok(unit, "1", words)) or numbers[0] == "0" or (ints[0] <= 9 and len(numbers[1]) <= 2)
    if len(numbers) == 2 and seps[0] == ":":
        return len(numbers[1]) == 1  # a ratio (lưới 8:1), not a time (14:30)
    if len(numbers) == 2 and seps[0] == "/":
        return ints[0] < ints[1] <= 4 and bool(_LUNG_PART.match(after))  # 1/3 dưới phổi phải
    if all(sep == "-" for sep in seps):
        return _dashed_explained(numbers, unit, prev, words)
    if all(sep == "," for sep in seps):
        return max(ints) <= 12 and _after_word_in(_before(text, start, 3), words, "numbering")  # xương sườn 5, 6
    if all(sep in ("x", "×") for sep in seps):
        return bool(unit) and _unit_ok(unit, "1", words)
    return False


def _dashed_explained(numbers: list[str], unit: str, prev: list[str], words: dict[str, frozenset[str]]) -> bool:
    """Numbers joined by dashes: consecutive ribs (``10-11-12``, ``xương sườn 6-7``: 6-7 alone is a day and month),
    a range of ribs (``xương sườn 4-8``), or a range with its unit (``2-3 mm``)."""
    ints = [int(n) for n in numbers]
    numbered = _after_word_in(prev, words, "numbering")
    if (
        all(b - a == 1 for a, b in zip(ints, ints[1:], strict=False))
        and max(ints) <= 12
        and (len(ints) > 2 or numbered)
    ):
        return True
    if len(ints) == 2 and ints[0] < ints[1] <= 12 and numbered:
        return True
    return len(ints) == 2 and ints[0] < ints[1] and bool(unit) and _unit_ok(unit, numbers[1], words)


def _number_shaped(text: str, start: int, end: int, words: dict[str, frozenset[str]]) -> bool:
    """Is an unexplained number PHI-shaped: three digits or more, a day and month or a time, or any number after a
    date, address or case word? (``5, 6`` without a rib before it, ``3/4`` of something, are not.)"""
    run = text[start:end]
    numbers = re.findall(r"\d+", run)
    if sum(len(n) for n in numbers) >= 3 or (
        len(numbers) == 1 and (_old_age(text, start, end, numbers[0]) or _day_of_range(text, end, run))
    ):
        return True
    prev = _before(text, start, 3)
    last = _fold(prev[-1]) if prev else ""
    if last in _DATE_WORDS or _after_word_in(prev, words, "identity") or _after_word_in(prev, words, "address"):
        return True
    seps = [s.strip() for s in re.findall(r"\D+", run)]
    if len(numbers) in (2, 3) and seps and all(s in ("-", "/", ".") for s in seps):
        return 1 <= int(numbers[0]) <= 31 and 1 <= int(numbers[1]) <= 12  # 24-7, 4/3, 5.6
    return False


# --------------------------------------------------------------------------- words


def _phrase_matches(text: str, tokens: list[re.Match], informative: list[bool]) -> bytearray:
    """Tokens explained by a phrase: the lexicon, the safe compounds and the places in any case (without diacritics
    where written without); pyvi's compounds written with diacritics, unless a capital after the first word makes
    them a proper noun in a mixed-case text; a people's name in its context."""
    exact, folded, prefixes = _phrase_table()
    capitals = _dictionary()[1]
    explained = bytearray(len(tokens))
    lows = [t.group(0).lower() for t in tokens]
    folds = [_fold(w) for w in lows]
    joined = [
        k > 0 and _JOINER.fullmatch(text, tokens[k - 1].end(), tokens[k].start()) is not None and lows[k].isalnum()
        for k in range(len(tokens))
    ]  # may token k continue a phrase?
    for k in range(len(tokens)):
        best = 0
        for n in range(1, min(_MAX_PHRASE, len(tokens) - k) + 1):
            if n > 1 and not joined[k + n - 1]:
                break
            key, bare = tuple(lows[k : k + n]), tuple(folds[k : k + n])
            if key not in prefixes and bare not in prefixes:
                break
            if (key in exact or bare in folded) and _phrase_ok(
                text, tokens, k, n, key, bare, exact, folded, capitals, informative
            ):
                best = n
        if best:  # phrases may overlap: "không khí" and "khí phế thũng" both explain "KHÔNG KHÍ PHẾ THŨNG"
            explained[k : k + best] = b"\x01" * best
    return explained


def _phrase_ok(text, tokens, k, n, key, bare_key, exact, folded, capitals, informative) -> bool:
    kinds = exact.get(key, 0)
    group = tokens[k : k + n]
    bare = folded.get(bare_key, 0)
    kinds |= bare if all(t.group(0).isascii() for t in group) else bare & (_PLACE | _PLACE1)  # places: any way
    if kinds & _CAPITALS and " ".join(t.group(0) for t in group) in capitals:
        return True  # as the dictionary writes it: "Nam Cực"
    if kinds & (_LEXICON | _SAFE):
        return True
    if kinds & _PLACE and _coarse_here(text, tokens, k, n):
        return True
    if kinds & _PYVI and (
        not any(informative[k + i] for i in range(n))
        or all(t.group(0).islower() or len(t.group(0)) == 1 for t in group[1:])
    ):
        return True
    if (
        kinds & _PLACE1
        and _coarse_here(text, tokens, k, n)
        and _after_word_in([t.group(0).lower() for t in tokens[max(0, k - 2) : k]], _words(), "place_before")
    ):
        return True  # "ở Đức", "bên Ý", "người Anh"
    if kinds & _PEOPLE:
        before = text[max(0, tokens[k].start() - 14) : tokens[k].start()].lower()
        after = text[group[-1].end() : group[-1].end() + 2]
        return bool(
            re.search(r"(?:dân tộc|người|đồng bào|dan toc|nguoi|dong bao)\s+$", before)
            or (before.rstrip().endswith("(") and after.lstrip().startswith(")"))
            or any(not is_syllable(t.group(0)) for t in group if len(t.group(0)) > 1)
            or (n == 1 and "'" in text[tokens[k].start() - 2 : tokens[k].start()])
        )
    return False


def _coarse_here(text: str, tokens: list[re.Match], k: int, n: int) -> bool:
    """A province or country is coarse, unless an address word before it makes it a street's, a district's or a
    city's name (``đường Nam Định``, ``thành phố Thái Bình``; ``TP Cần Thơ`` is the province-level city)."""
    prev: list[str] = []  # the words just before it, in its phrase (not past a comma: "Quê: ___, Bình Định")
    i = k - 1
    while (
        i >= 0
        and len(prev) < 5
        and text[tokens[i].end() : tokens[i + 1].start()].strip(" .") == ""
        and tokens[i].group(0).isalpha()
    ):
        if len(tokens[i].group(0)) > 1:  # "Bệnh viện K Nam Định"
            prev.insert(0, tokens[i].group(0).lower())
        i -= 1
    if (
        prev
        and _fold(prev[-1]) in ("pho", "tp")
        and (len(prev) < 2 or _fold(prev[-2]) in ("thanh", "tp"))
        or prev
        and _fold(prev[-1]) == "tp"
    ):
        return is_coarse_place(
            f"{' '.join(prev[-2:] if _fold(prev[-1]) == 'pho' else prev[-1:])} "
            f"{text[tokens[k].start() : tokens[k + n - 1].end()]}"
        )
    return not (prev and _after_word_in(prev, _words(), "place_words"))


def _one_edit(word: str, targets: frozenset[str]) -> bool:
    """Is ``word`` one deletion, insertion or substitution away from a word of ``targets`` (``thươg``)?"""
    if any(word[:i] + word[i + 1 :] in targets for i in range(len(word))):  # one letter too many
        return True
    by_length = _by_length(targets)
    for target in by_length.get(len(word), ()):  # one letter wrong
        if sum(a != b for a, b in zip(word, target, strict=True)) == 1:
            return True
    return any(
        target[:i] + target[i + 1 :] == word for target in by_length.get(len(word) + 1, ()) for i in range(len(target))
    )  # one letter missing


@functools.lru_cache(maxsize=4)
def _by_length(targets: frozenset[str]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for t in targets:
        out.setdefault(len(t), []).append(t)
    return {n: tuple(ts) for n, ts in out.items()}


@functools.lru_cache(maxsize=16384)
def _typo(low: str) -> bool:
    """A word that cannot be a Vietnamese syllable, one edit away from a lexicon word (``thươg``): a typo, not a
    name (a name is spelled as a syllable)."""
    return len(low) >= 4 and not is_syllable(low) and _one_edit(low, _words()["typo_targets"])


def _word_explained(
    text: str,
    token: re.Match,
    informative: bool,
    bare: bool,
    label: int | None,
    words: dict[str, frozenset[str]],
    capitals: frozenset[str],
    singles: frozenset[str],
) -> bool:
    """One word that no phrase explained: see the module docstring."""
    value = token.group(0)
    low = value.lower()
    if value in capitals and len(value) > 1 and (value.isupper() or not is_syllable(value)) or _ROMAN.fullmatch(value):
        return True  # BHYT, Internet (not Ra, Co, Bi: chemical symbols that are syllables, and names)
    if low in words["lexicon"] or (value.isascii() and (bare or not informative) and low in words["lexicon_ascii"]):
        return True  # a clinical term wins over case: "BN Nữ", "BN NU"
    if _acronym(value) or is_foreign(value):
        return True
    listed = low in words["single"] or low in words["english"]
    if listed and not is_syllable(value):
        return True  # "Fax", "Email": no Vietnamese syllable, so no Vietnamese name, whatever its case
    opening = _starts_sentence(text, token.start()) or label == 0
    if informative and value[:1].isupper() and not opening and label is None:
        return False  # a proper noun in a mixed-case sentence; in a form label ("Địa Chỉ:") only the lists explain it
    if listed or (bare and _fold(low) in words["single_ascii"]):
        return True
    if (value.islower() or not informative) and _typo(low):
        return True
    if informative and (value.islower() or (value[1:].islower() and opening)):
        # lower case, or capitalised only because it opens the sentence: a dictionary word (a name would be
        # capitalised). Without diacritics only as spelled (``Kim`` among words with diacritics, not in a sentence
        # written without them, where ``hoa`` may be hóa, hòa or Hoa)
        return not bare and low in singles
    return False


def _name_shaped(value: str) -> bool:
    """Letters that may be (part of) a personal or place name: two letters or more, and not a foreign word."""
    return len(value) > 1 and not is_foreign(value)


def find_unexplained(text: str) -> list[Span]:
    """PHI-shaped spans of ``text`` that nothing explains (see the module docstring), merged per category."""
    if not text:
        return []
    words = _words()
    _, capitals, singles = _dictionary()
    tokens = list(_TOKEN.finditer(text))
    informative, bare = _case_informative(text, tokens)
    labels = _labels(text, tokens)
    explained = _phrase_matches(text, tokens, informative)
    allowed = bytearray(len(text))
    for m in _levels().finditer(text):
        allowed[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    cased = any(c.isupper() for c in text)
    runs = _run_verdicts(text, words)
    spans: list[Span] = [Span(m.start(), m.end(), CODE) for m in _ADDRESS.finditer(text)]
    spans += _initials(text, tokens, cased) + _in_words(text, tokens)
    for k, token in enumerate(tokens):
        value = token.group(0)
        low = value.lower()
        if explained[k] or value.startswith("_") or all(allowed[token.start() : token.end()]):
            continue
        if value.isdigit():
            if not runs.get(token.start(), False):
                spans.append(Span(token.start(), token.end(), NUMBER))
            continue
        if not value.isalpha():  # letters and digits: a unit run on ("12mm", "97t"), sizes ("16x28"), or a code
            if _is_code(text, token, words):
                spans.append(Span(token.start(), token.end(), CODE))  # XQ240117, Q1, P3, K68, 95t
            continue
        if (
            k
            and tokens[k - 1].group(0).isdigit()
            and text[tokens[k - 1].end() : token.start()] in ("", " ")
            and runs.get(tokens[k - 1].start())
            and _unit_ok(value, "1", words)
        ):
            continue  # the unit of an explained number: "28 Fr"
        if _lone_initial(text, token, words):
            spans.append(Span(token.start(), token.end(), WORD))  # "ông K. đã khỏi", "bà Ng. về"
            continue
        if len(value) == 1:
            continue  # a side (P, T), a grade, an initial alone: nobody's name
        before = [t.group(0).lower() for t in tokens[max(0, k - 4) : k]]
        named_place = (
            value[:1].isupper()
            and is_foreign(value)
            and low not in words["lexicon"]
            and (_after_word_in(before, words, "place_words") or _after_word_in(before, words, "place_at"))
        )
        if not named_place and (
            _word_explained(text, token, informative[k], bare[k], labels.get(k), words, capitals, singles)
            or not _name_shaped(value)
            or (value.islower() and cased)
        ):
            continue  # explained; a foreign word; a lower-case word in a text that uses capitals (a name has one)
        prev = tokens[k - 1] if k else None
        if prev is not None and not explained[k - 1] and informative[k] and _opens_names(text, prev, token, words):
            spans.append(Span(prev.start(), prev.end(), WORD))  # "Người đọc: Phan Thanh Tùng": the opening word of a
            # run of proper nouns is one of them, though a sentence's first word may be capitalised anyway
        spans.append(Span(token.start(), token.end(), WORD))
    return _join(sorted(set(spans)), text)


def _run_verdicts(text: str, words: dict[str, frozenset[str]]) -> dict[int, bool]:
    """Whether each digit run of ``text`` (by start) is explained: clinical, or not shaped like a date or id."""
    runs = {}
    for m in _RUN.finditer(text):
        verdict = _run_explained(text, m.start(), m.end(), words) or not _number_shaped(text, m.start(), m.end(), words)
        for d in re.finditer(r"\d+", m.group(0)):
            runs[m.start() + d.start()] = verdict
    return runs


def _is_code(text: str, token: re.Match, words: dict[str, frozenset[str]]) -> bool:
    """A token of letters and digits that is a code (``XQ240117``, ``Q1``, ``K68``, ``95t``), not a number with its
    unit run on (``12mm``) or a size (``16x28 mm``)."""
    value = token.group(0)
    number = re.fullmatch(r"(\d+)([^\W\d_]+)", value)
    if number and _unit_ok(number.group(2), number.group(1), words):
        return False
    unit = re.match(r"\s?([^\W\d_]+)", text[token.end() : token.end() + 8])
    if _DIMENSIONS.fullmatch(value) and unit and _unit_ok(unit.group(1), "1", words):
        return False
    if sum(c.isdigit() for c in value) >= 3 or _in(re.sub(r"\d", "", value), words, "address"):
        return True
    if re.fullmatch(r"[A-Z]\d{2}", value):
        return True
    if number is None:
        return False
    digits = number.group(1)
    return _old_age(text, token.start() + len(digits) - 1, token.start() + len(digits), digits)


def _opens_names(text: str, prev: re.Match, token: re.Match, words: dict[str, frozenset[str]]) -> bool:
    """Whether ``prev``, a capitalised word opening a sentence, starts a run of proper nouns with ``token``."""
    word = prev.group(0)
    return (
        token.group(0)[:1].isupper()
        and text[prev.end() : token.start()] == " "
        and word[:1].isupper()
        and word.isalpha()
        and _name_shaped(word)
        and word.lower() not in words["lexicon"]
        and _starts_sentence(text, prev.start())
    )


def _in_words(text: str, tokens: list[re.Match]) -> list[Span]:
    """Dates and old ages written in words, though every word of them is a dictionary word: a month after ``tháng``
    (``tháng Giêng``, ``tháng tư``), a day before ``tháng`` after ``ngày``/``mồng``/``rằm`` (``ngày mười lăm
    tháng sáu``), an age of ninety or more before ``tuổi``/``years`` (``chín mươi tư tuổi``, ``Ninety-three years``),
    an English month beside a number (``3rd of May``)."""
    words = _words()
    # a keyword as written, or without diacritics where the word has none ("thang" for tháng, never "thẳng")
    folded = [_fold(t.group(0)) if t.group(0).isascii() else t.group(0).lower() for t in tokens]
    number = [_in(t.group(0).lower(), words, "number_words") for t in tokens]
    month = [_in(t.group(0).lower(), words, "month_words") for t in tokens]
    out: list[Span] = []

    def run_from(i: int) -> int:
        j = i
        while j < len(tokens) and number[j]:
            j += 1
        return j

    for i, word in enumerate(folded):
        if word in ("tháng", "thang") and i + 1 < len(tokens) and month[i + 1]:
            twelve = _fold(folded[i + 1]) == "muoi" and i + 2 < len(tokens) and _fold(folded[i + 2]) in ("mot", "hai")
            j = i + 3 if twelve else i + 2
            dated = (i and (tokens[i - 1].group(0).isdigit() or number[i - 1])) or (
                j < len(tokens) and folded[j] in ("năm", "nam")
            )
            if word == "tháng" or dated:  # without diacritics "thang sau" may be "thẳng sau": a day or year with it
                out.append(Span(tokens[i + 1].start(), tokens[j - 1].end(), NUMBER))
        elif (
            word in ("ngày", "mồng", "mùng", "rằm", "đêm", "ngay", "mong", "mung", "ram", "dem")
            and (j := run_from(i + 1)) > i + 1
            and j < len(tokens)
            and folded[j] in ("tháng", "thang")
        ):
            out.append(Span(tokens[i + 1].start(), tokens[j - 1].end(), NUMBER))
        elif number[i] and (i == 0 or not number[i - 1]):
            j = run_from(i)
            run = [_fold(w) for w in folded[i:j]]
            if (
                j < len(tokens)
                and folded[j] in ("tuổi", "tuoi", "years", "year")
                and ("tram" in run or "hundred" in run or run[0] == "ninety" or run[:2] == ["chin", "muoi"])
            ):
                out.append(Span(tokens[i].start(), tokens[j - 1].end(), NUMBER))
        if word in words["english_months"] and any(t.group(0)[:1].isdigit() for t in tokens[max(0, i - 3) : i + 3]):
            out.append(Span(tokens[i].start(), tokens[i].end(), NUMBER))
    return out


_DIGRAPHS = frozenset({"ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr"})


def _lone_initial(text: str, token: re.Match, words: dict[str, frozenset[str]]) -> bool:
    """One initial standing for a name in running text: a capital (or a capitalised onset, ``Ng``) with its dot,
    the sentence going on in lower case after it (``ông K. đã khỏi``; not ``bên T. Tràn dịch``)."""
    value = token.group(0)
    if not (
        len(value) == 1 and value.isupper() or len(value) == 2 and value[0].isupper() and value.lower() in _DIGRAPHS
    ):
        return False
    if token.start() and not (text[token.start() - 1].isspace() or text[token.start() - 1] in '("“'):
        return False  # "g/L.": a unit's letter
    after = re.match(r"\.+ ?(.?)", text[token.end() : token.end() + 4])
    if after is None or not (after.group(1).islower() or after.group(1) in ("", ",", ";", ":", "(", ")", "-", "–")):
        return False
    before = re.findall(r"[^\W_]+", text[max(0, token.start() - 20) : token.start()])
    side = (
        bool(before)
        and text[: token.start()].rstrip()[-1:].isalnum()
        and (before[-1].lower() in words["lexicon"] or before[-1].isdigit() or _fold(before[-1]) == "ben")
    )  # "phổi P."
    return not side if len(value) == 1 else value.lower() not in words["lexicon"]


def _initials(text: str, tokens: list[re.Match], cased: bool) -> list[Span]:
    """Initials: two or more pieces of one or two letters joined by dots, one of them a single letter, maybe with a
    given name last (``N.H.N.``, ``Tr.T.Lan``, ``Ng.V.Kh``, ``D. V. Minh``), capitalised where the text uses
    capitals. A side letter before a sentence (``bên T. Tràn dịch``) is not: after a dot and a space, a word needs
    two initials before it."""
    out: list[Span] = []
    k = 0
    while k < len(tokens):
        j = k
        while (
            j + 1 < len(tokens)
            and text[tokens[j].end() : tokens[j + 1].start()] in (".", ". ")
            and tokens[j].group(0).isalpha()
            and len(tokens[j].group(0)) <= 2
            and tokens[j + 1].group(0).isalpha()
            and (not cased or tokens[j + 1].group(0)[:1].isupper())
        ):
            j += 1
        chain = tokens[k : j + 1]
        if len(chain) >= 2:
            values = [t.group(0) for t in chain]
            spaced = any(text[a.end() : b.start()] == ". " for a, b in zip(chain, chain[1:], strict=False))
            short = [v for v in values if len(v) <= 2]
            if len(values[-1]) > 2 and text[chain[-2].end() : chain[-1].start()] == ". " and len(short) < 2:
                values, chain = values[:-1], chain[:-1]
            if (
                len(chain) >= 2
                and any(len(v) == 1 for v in values)
                and (len(chain) >= 3 or not spaced)
                and (not cased or all(v[:1].isupper() for v in values))
            ):
                out.append(Span(chain[0].start(), chain[-1].end(), WORD))
        k = j + 1
    return out


@functools.lru_cache(maxsize=1)
def _levels() -> re.Pattern:
    """The lexicon's level and measurement patterns (``T12``, ``L1-L2``, ``12 mm``)."""
    safe = load_lexicon().raw.get("deid_safe") or {}
    patterns = "|".join(f"(?:{p})" for p in safe.get("patterns") or ())
    return re.compile(rf"(?<![^\W_])(?:{patterns})(?![^\W_])", re.IGNORECASE) if patterns else re.compile(r"(?!)")


def _join(spans: list[Span], text: str) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if out and span.start < out[-1].end:
            longer = out[-1] if out[-1].end - out[-1].start >= span.end - span.start else span
            out[-1] = Span(out[-1].start, max(out[-1].end, span.end), longer.category)
        elif out and out[-1].category == span.category and text[out[-1].end : span.start].strip(" .-/,") == "":
            out[-1] = Span(out[-1].start, span.end, span.category)
        else:
            out.append(span)
    return out


__all__ = ["CODE", "NUMBER", "WORD", "find_unexplained", "is_foreign", "is_syllable"]

"""Person names, anchored by the closed set of Vietnamese family names, middle names and titles.

A span is a name when
* a title, role or rank stands before it (``BS.``, ``bác sĩ``, ``Người đọc:``, ``Đại úy``, ``ông`` ...,
  any case and spacing) and it is capitalised (``BS. Hùng``), or starts with a family name in any case
  (``bs. trần thị b``), or follows a role's colon (``KTV: lan``);
* or it starts with a family name and goes on with capitalised words (``Nguyễn Văn An``, ``TRAN THI B``,
  ``Trần T. Hoa``); family names that are also common words (Cao, Tăng, Cung ...) need a middle name or an
  initial after; in lower case with no title it needs a middle name (``trần thị hoa``; after a family name that
  is also a word, only văn/thị: ``cao văn tâm``);
* words match the lists with their diacritics, or without when written without any (``Nguyen`` is Nguyễn,
  ``không`` is not Khổng);
* or it is a family name run together with capitalised parts (``TranThiHoa``, ``NguyenVanAn``);
* or, in a sentence whose capitals mean something, it is a capitalised word, ``Thị`` and a capitalised given
  name (``Thông Thị Lan``): only a woman's name is built so, whatever its family name.
A name with no listed family name and no title (``An đến khám``) is not found: see the README.
"""

from __future__ import annotations

import functools
import re

from .spans import (
    NAME,
    Span,
    alternation,
    any_unaccented,
    base_chars,
    case_uninformative,
    fold_chars,
    lower_chars,
    raw_words,
    unaccented,
    words,
)

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # "H'Loan" is one word
_MAX_WORDS = 5
#: Titles that, written in capitals in a mixed-case sentence, are the radiography system ("DR"), not a person's.
_EQUIPMENT = frozenset({"DR"})
_THI_NAME = re.compile(r"(?<![^\W_])[A-ZĐ][^\W\d_]*\s+Thị(?:\s+[A-ZĐ][^\W\d_]*){1,2}(?![^\W_])")
_LETTER = r"[^\W\d_]"  # for ``alternation(not_after=...)``
_RUN_TOGETHER = re.compile(r"[a-zàáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ][A-ZĐ]")
#: Words that end a lower-case name (compared with their diacritics: "từ" stops a name, "tú" does not).
_STOP = frozenset(
    {
        "và",
        "với",
        "là",
        "của",
        "do",
        "cho",
        "tại",
        "ở",
        "đến",
        "từ",
        "khi",
        "thì",
        "đã",
        "đọc",
        "chụp",
        "ký",
        "phim",
        "ngày",
        "lúc",
        "số",
        "khám",
        "nam",
        "nữ",
        "tuổi",
        "hoặc",
        "bệnh",
        "viện",
        "mã",
        "đt",
    }
)


#: A relation in brackets between a role and its colon: "Người nhà (con): Tuấn".
_RELATION = r"(?:\([^()\n]{1,25}\)\s*:\s*)?"


def _title_regex(phrases) -> re.Pattern:
    return re.compile(rf"(?<![^\W_])(?:{alternation(phrases)})(?![^\W_])[\s.:]*{_RELATION}")


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """Titles with their diacritics (``ông`` is not ``ống``), titles without (``bac si``), colon roles, run-together."""
    w, raw = words(), raw_words()
    titles = raw["titles"] | raw["colon_roles"]
    exact = _title_regex(titles)
    loose = _title_regex({fold_chars(t) for t in titles if " " in t})
    colon = re.compile(rf"(?:{alternation(w['colon_roles'])})\s*(?::\s*|\([^()\n]{{1,25}}\)\s*:\s*)")
    families = sorted(w["family_strong"] | w["family_weak"] | w["family_ethnic"], key=len, reverse=True)
    camel = re.compile(
        rf"(?<![^\W_])(?:{'|'.join(f.capitalize() for f in families if ' ' not in f)})"
        r"(?:[A-Z][a-z]*){1,3}(?![^\W_])"
    )
    return exact, loose, colon, camel


@functools.lru_cache(maxsize=1)
def _family_regex() -> re.Pattern:
    return re.compile(rf"(?:{alternation(_families(), not_after=_LETTER)})(?![^\W\d_])")


@functools.lru_cache(maxsize=1)
def _families() -> frozenset[str]:
    return words()["family_strong"] | words()["family_weak"] | words()["family_ethnic"]


def _in(word: str, key: str, loose: bool = True) -> bool:
    """``word`` is in list ``key``: with its diacritics, or without when written without any (``Nguyen``) and
    ``loose``. A lower-case word without diacritics in a sentence that has them is an ordinary word spelled as it
    is (``do``, ``trong``, ``ho``), so the callers of lower-case names pass ``loose`` only for unaccented text."""
    return lower_chars(word) in raw_words()[key] or (loose and word.isascii() and word.lower() in words()[key])


def _family(word: str, loose: bool = True) -> str | None:
    if fold_chars(word) not in _families():
        return None
    if _in(word, "family_strong", loose) or lower_chars(word) in raw_words()["family_ethnic"]:
        return "strong"  # highland names only as written: folded, "Quàng" would be "quang"
    return "weak" if _in(word, "family_weak", loose) else None


def family_kind(word: str) -> str | None:
    """``"strong"``, ``"weak"`` or None: is ``word`` a listed family name (see :func:`_family`)?"""
    return _family(word) if word else None


def _loose(text: str, word: str, at: int) -> bool:
    """May a word written without diacritics stand for a name written with them? Capitalised, or in an unaccented
    sentence."""
    return word[:1].isupper() or unaccented(text, at)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text)]


def _gap_ok(text: str, end: int, start: int, *, initial: bool) -> bool:
    """Only spaces (or an initial's dot) between two words of one name."""
    gap = text[end:start].strip()
    return start > end and (gap in ("", "_") or (initial and gap == "."))


def _run(text: str, toks: list[tuple[int, int]], i: int, *, upper: bool | None) -> int:
    """Index past the last capitalised word of a name starting at token ``i`` (same case style)."""
    j = i + 1
    while j < len(toks) and j - i < _MAX_WORDS:
        start, end = toks[j]
        word = text[start:end]
        prev_start, prev_end = toks[j - 1]
        initial = prev_end - prev_start == 1
        if not _gap_ok(text, prev_end, start, initial=initial) or not _capitalised(word):
            break
        if upper is not None and len(word) > 1 and word.isupper() != upper:
            break
        j += 1
    return j


def _end(text: str, toks: list[tuple[int, int]], j: int) -> int:
    end = toks[j - 1][1]
    return end + 1 if toks[j - 1][1] - toks[j - 1][0] == 1 and text[end : end + 1] == "." else end


def _lower_name(text: str, folded: str, toks: list[tuple[int, int]], i: int, colon: bool = False) -> int:
    """A lower-case name after a title: family name, middle names, one given name."""
    first = text[slice(*toks[i])]
    loose = _loose(text, first, toks[i][0])
    family = _family(first, loose)
    if family is None:
        return i
    j = i + 1
    while (
        j < len(toks)
        and j - i < _MAX_WORDS - 1
        and folded[toks[j - 1][1] : toks[j][0]].strip() == ""
        and _in(text[slice(*toks[j])], "middle", loose)
    ):
        j += 1
    if j == i + 1 and not colon:
        return i  # "BN ho kéo dài", "bệnh nhân ung thư": in lower case a family name needs a middle name after
        # it, except after a role's colon ("KTV: lan")
    gap = folded[toks[j - 1][1] : toks[j][0]].strip() if j < len(toks) else "!"
    initial = toks[j - 1][1] - toks[j - 1][0] == 1
    if j < len(toks) and lower_chars(text[slice(*toks[j])]) not in _STOP and (gap == "" or (gap == "." and initial)):
        j += 1
    return j


def find_names(text: str) -> list[Span]:
    """Name spans of ``text`` (see the module docstring)."""
    if not text:
        return []
    folded = fold_chars(text)
    toks = _tokens(text)
    starts = {s: k for k, (s, _) in enumerate(toks)}
    spans = _titled_names(text, folded, toks, starts) + _family_names(text, folded, toks, starts)
    if "Thị" in text:
        spans += [
            Span(m.start(), m.end(), NAME)
            for m in _THI_NAME.finditer(text)
            if not case_uninformative(text, m.start())  # "Giảm Thị Lực" in Title Case
        ]
    if _RUN_TOGETHER.search(text):  # a small letter then a capital: the only way a run-together name looks
        camel = _patterns()[3]
        spans += [Span(m.start(), m.end(), NAME) for m in camel.finditer(base_chars(text))]
    return spans


def _titled_names(text: str, folded: str, toks: list[tuple[int, int]], starts: dict[int, int]) -> list[Span]:
    """Names after a title, role or rank: ``BS. Hùng``, ``bs. trần thị b``, ``KTV: lan``."""
    exact, loose, colon, _ = _patterns()
    anchors = {m.span() for m in exact.finditer(lower_chars(text))}
    if any_unaccented(text):  # "Bac si Tran Van Binh"
        anchors |= {m.span() for m in loose.finditer(folded)}
    anchor_starts = {start for start, _ in anchors}
    spans: list[Span] = []
    for a_start, a_end in sorted(anchors):
        k = starts.get(a_end)
        if k is None or a_end in anchor_starts:  # "ThS.BS. An": the next word is another title
            continue
        if (
            text[a_start : a_start + 3].rstrip(". ") in _EQUIPMENT
            and not case_uninformative(text, a_start)
            and _family(text[slice(*toks[k])]) is None
        ):
            continue  # "Kỹ thuật số DR. Phim đạt": digital radiography, not Dr.
        j = _titled_run(text, folded, toks, k, after_colon=bool(colon.fullmatch(folded, a_start, a_end)))
        if j > k:
            spans.append(Span(toks[k][0], _end(text, toks, j), NAME))
    return spans


def _titled_run(text: str, folded: str, toks: list[tuple[int, int]], k: int, *, after_colon: bool) -> int:
    """Index past the name a title anchors at token ``k`` (``k`` itself: no name)."""
    word = text[slice(*toks[k])]
    if _capitalised(word):
        if case_uninformative(text, toks[k][0]) and _family(word) is None and not after_colon:
            return k  # "Bệnh Nhân Khó Thở": in Title Case or capitals a title anchors only a family name
        return _run(text, toks, k, upper=None)
    j = _lower_name(text, folded, toks, k, colon=after_colon)
    return _after_role(text, folded, toks, k) if j == k and after_colon else j


def _after_role(text: str, folded: str, toks: list[tuple[int, int]], k: int) -> int:
    """A role's colon names whoever follows in lower case ("KTV: lan"): up to three words, to a stop word."""
    j = k
    while (
        j < len(toks)
        and j - k < 3
        and (j == k or lower_chars(text[slice(*toks[j])]) not in _STOP)
        and (j == k or folded[toks[j - 1][1] : toks[j][0]].strip() == "")
    ):
        j += 1
    return j


def _family_names(text: str, folded: str, toks: list[tuple[int, int]], starts: dict[int, int]) -> list[Span]:
    """Names that open with a listed family name, no title needed."""
    spans = []
    for found in _family_regex().finditer(folded):  # candidate family names only, not every word
        k = starts.get(found.start())
        if k is None or toks[k][1] != found.end():
            continue
        span = _family_name(text, folded, toks, k)
        if span is not None:
            spans.append(span)
    return spans


def _family_name(text: str, folded: str, toks: list[tuple[int, int]], k: int) -> Span | None:
    """The name opening with the family name at token ``k``, if the words after it make one."""
    start = toks[k][0]
    word = text[slice(*toks[k])]
    loose = _loose(text, word, start)
    family = _family(word, loose)
    if family is None:
        return None
    if not _capitalised(word):  # lower case, no title: family + middle name + given name
        j = _lower_name(text, folded, toks, k)
        middle = text[slice(*toks[k + 1])] if k + 1 < len(toks) else ""
        if j - k >= 3 and _in(middle, "middle", loose) and (family == "strong" or fold_chars(middle) in ("van", "thi")):
            return Span(start, toks[j - 1][1], NAME)
        return None
    j = _run(text, toks, k, upper=word.isupper() if len(word) > 1 else None)
    if j - k < 2:
        return None
    second = text[slice(*toks[k + 1])]
    if family == "weak" and not (_in(second, "middle") or (len(second) == 1 and text[toks[k + 1][1] :][:1] == ".")):
        return None  # "Cao Văn Tâm", "Cao Q. Tuấn"; not "Cao Huyết Áp"
    return Span(start, _end(text, toks, j), NAME)

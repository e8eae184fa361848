"""Named facilities: a hospital, health centre, airport, station, market, school, bar, hotel, barracks, bank,
workshop, residential or industrial area ... and its name (``Bệnh viện Đa khoa Phú Mỹ``, ``BV Tâm Trí``, ``Trung tâm
Y tế Cần Giờ``, ``sân bay Cát Bi``, ``quán cà phê Hoa Sứ``, ``Trung đoàn 812``, ``khu đô thị Ecopark``, ``Bệnh viện
Lao và bệnh phổi khu vực cơ sở 2``). A named facility says where the patient was (a place below the province), so it
is replaced; a facility word with no name (``bệnh viện tuyến trên``, ``trạm y tế xã``) is not.

The name runs from the facility word over capitalised words (also across a dash: ``Phụ sản - Nhi``), numbers after
the word, after a unit word (``quận 7``, ``cơ sở 2``) or closing the capitalised words (``Nhi Đồng 1``), ``và`` that
leads to more capitalised words (``Chỉnh hình và Phục hồi chức năng``), and lower-case words that lead to a
capitalised word or a number within a few words; it stops at punctuation and at the words of a sentence (``ở``,
``tại``, ``ngày``, ``đã`` ...). A department before it joined by a dash or comma is part of it (``khoa Nội thận -
Bệnh viện Đà Nẵng``); so are the province, the ward or the building after it (``..., Đà Nẵng``, ``..., nhà C5``).
An English facility ends with its kind (``Lotus Hospital``); a workplace or a laboratory follows its key (``làm việc
cho ...``, ``Lab: ...``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from .allow import allowed_spans
from .places import coarse_places_written, is_coarse_place
from .spans import (
    FACILITY,
    UPPER,
    Span,
    alternation,
    any_unaccented,
    case_uninformative,
    fold_chars,
    lower_chars,
    raw_words,
    unaccented,
    words,
)

_WORD = re.compile(r"\s([^\W_]+(?:['’.][^\W_]+|-\d+)*)")  # "TP.HCM", "COVID-19" are one word
_MAX_WORDS = 12
_CAP = rf"[{UPPER}][^\W_]*(?:['’.][^\W_]+)*"
_CAPS = rf"{_CAP}(?:[ ]{_CAP}){{0,7}}"  # a run of capitalised words ("Minh Long Electronics Việt Nam")
_CAPS_AT = re.compile(rf"{_CAPS}(?![^\W_])")
_LOOKAHEAD = 5
_TRAIL = 5  # lower-case words after the last capitalised word of a name
#: Words that end a facility's name: the sentence goes on (with diacritics: "cơ sở" goes on, "có" does not).
_STOP = frozenset(
    {
        "ở",
        "tại",
        "từ",
        "và",
        "với",
        "trên",
        "ngày",
        "lúc",
        "đã",
        "được",
        "để",
        "nhưng",
        "là",
        "cho",
        "về",
        "đến",
        "tới",
        "khám",
        "nằm",
        "có",
        "không",
        "khi",
        "thì",
        "sau",
        "trước",
        "trong",
        "vào",
        "ra",
        "lên",
        "xuống",
        "cùng",
        "của",
        "này",
        "đó",
        "nên",
        "vì",
        "hiện",
        "đang",
        "sẽ",
        "bị",
        "hôm",
        "sáng",
        "chiều",
        "tối",
        "đêm",
        "tháng",
        "năm",
        "giờ",
        "tuần",
        "lần",
        "chuyển",
        "nhập",
        "xuất",
        "qua",
        "theo",
        "gồm",
        "bao",
        "rồi",
        "mới",
        "các",
        "nhiều",
        "một",
        "hai",
        "ba",
        "bốn",
        "nhân",
        "người",
        "bệnh",
        "ca",
        "phòng",
        "do",
        "nơi",
        "thăm",
        "chữa",
        "làm",
        "đi",
        "ăn",
        "uống",
        "mua",
        "bán",
        "gặp",
        "nhận",
        "báo",
        "lấy",
        "xét",
        "cách",
        "phát",
        "công",
        "ghi",
        "ngoài",
        "điều",
        "hết",
        "khỏi",
        "tử",
        "mất",
        "chết",
        "đưa",
        "giữ",
        "tiếp",
        "hỗ",
        "kết",
        "xin",
        "gửi",
        "trả",
        "vẫn",
        "còn",
        "cũng",
        "đều",
        "mà",
        "hay",
        "hoặc",
        "như",
        "tuy",
        "nếu",
        "khai",
        "đây",
        "sang",
        "ngay",
        "thêm",
        "gần",
        "thuộc",
        "khuya",
        "mắc",
        "nêu",
        "yêu",
        "quyết",
        "phun",
        "nhằm",
    }
)
_STOP_ASCII = frozenset(fold_chars(w) for w in _STOP)
#: Words before a number that make it the name's number ("số 5", "cơ sở 2", "quận 7", "phường 3", "khu 4").
_NUMBERED = frozenset({"số", "sở", "đoàn", "khu", "quận", "phường", "xã", "tổ", "nhà", "tòa", "toà", "lô", "dãy"})
_NUMBERED_ASCII = frozenset(fold_chars(w) for w in _NUMBERED)
_NUMBERED_HEADS = (
    "benh vien",
    "bv",
    "su doan",
    "trung doan",
    "tieu doan",
    "lu doan",
    "doanh trai",
    "trai",
    "khu",
    "benh xa",
    "phong kham",
    "tram y te",
    "biet thu",
    "quan doan",
    "quan khu",
)
#: Words after a number that count something: the number is no name's ("Bệnh viện Bạch Mai 2 lần").
_COUNTED = frozenset(
    {"ngày", "tháng", "năm", "giờ", "tuần", "lần", "người", "ca", "bệnh", "hai", "ba", "bốn", "một", "các"}
    | {"nhiều", "phòng", "sáng", "chiều", "tối", "đêm", "hôm", "nhân"}
)
_NUMBER = re.compile(r"\d{1,4}[A-Za-z]?")
_CAPITAL_BEFORE = re.compile(rf"(?<![^\W_])([{UPPER}][^\W\d_]*) $")
_ADMIN_HEADS = ("ubnd", "uy ban nhan dan")  # an administration: its name is its unit, no words trail it
#: "bệnh" that opens a specialty ("Lao và bệnh phổi"), not a patient ("bệnh nhân", "bệnh nhi").
_PATIENT = frozenset({"nhân", "nhi", "viện", "xá", "tình", "trạng"})


def _stop(word: str, plain: bool = True) -> bool:
    """Does ``word`` end a name? Read without diacritics (``plain``: the sentence has none) ``Nam`` may be ``năm``;
    in a sentence with diacritics it is not."""
    return lower_chars(word) in _STOP or (plain and word.isascii() and word.lower() in _STOP_ASCII)


def _capital(word: str) -> bool:
    return word[:1].isupper()


@functools.lru_cache(maxsize=2)
def _head(folded: bool) -> re.Pattern:
    """Facility words with their diacritics ("đền" is not "đến"), or without for text written without any."""
    heads = alternation(
        {h for h in (words() if folded else raw_words())["facility_heads"] if fold_chars(h) != "vien"},
        space=r"\s+",
        not_after=r"[^\W_]",
    )
    return re.compile(rf"(?:{heads})(?![^\W_])")


class _Token:
    """A word of a name, and whether a dash or an ampersand stands before it ("Phụ sản - Nhi", "Sen & Sứ")."""

    __slots__ = ("end", "joined", "start", "word")

    def __init__(self, m: re.Match[str], joined: bool) -> None:
        self.word, self.start, self.end, self.joined = m.group(1), m.start(1), m.end(1), joined


def _tokens(text: str, at: int) -> list[_Token]:
    tokens: list[_Token] = []
    pos = at
    while len(tokens) < _MAX_WORDS:
        m = _WORD.match(text, pos)
        if m is None and tokens and re.fullmatch(r"[A-ZĐ]{1,3}", tokens[-1].word) and text.startswith(". ", pos):
            m = _WORD.match(text, pos + 1)  # "Bệnh viện Bệnh nhiệt đới TP. HCM": an abbreviation's dot goes on
        joined = False
        if m is None and tokens:
            dash = _JOINER.match(text, pos)  # "Bà Rịa - Vũng Tàu", "Phụ sản-Nhi", "Sen & Sứ"
            if dash:
                m, joined = _WORD.match(text, dash.end() - 1), True
        if m is None or (not joined and text[pos : m.start(1)].strip(" .")):
            break
        tokens.append(_Token(m, joined))
        pos = m.end()
    return tokens


_JOINER = re.compile(r"\s*[-–&]\s*(?=[^\W_])")


def _closes(tokens: list[_Token], i: int, plain: bool) -> bool:
    """Does the number at ``i`` close a name: nothing after it in the name, a capitalised word, or a word of the
    sentence that counts nothing ("Bệnh viện Nhi Đồng 1 ở", not "Bệnh viện Bạch Mai 2 lần")?"""
    if i + 1 >= len(tokens) or tokens[i + 1].joined:
        return True
    after = tokens[i + 1].word
    if _capital(after):
        return True
    if lower_chars(after) in _COUNTED:
        return not _counts(tokens, i)
    return _stop(after, plain)


def _counts(tokens: list[_Token], i: int) -> bool:
    """Does a word that counts follow the number at ``i`` ("bệnh viện 2 lần"; not "175 ngày 3/4", a date after)?"""
    if i + 1 >= len(tokens) or tokens[i + 1].joined or lower_chars(tokens[i + 1].word) not in _COUNTED:
        return False
    return not (i + 2 < len(tokens) and _NUMBER.fullmatch(tokens[i + 2].word))


def _name_end(
    text: str,
    folded: str,
    at: int,
    numbered: bool = False,
    allowed: _Clinical | None = None,
    plain: bool = False,
    *,
    campus: bool = False,
    trail_after: Callable[[list[_Token], int], bool] | None = None,
) -> int:
    """End of the facility name that starts after ``at`` (``at`` itself when there is none); a number right after
    the facility word is its name only for ``numbered`` heads (``Bệnh viện 175``, ``Trung đoàn 812``; not ``phế
    trường 2 bên``), a number after its capitalised words closes it (``Bệnh viện Nhi Đồng 1``). The lower-case
    words after its last capitalised one end where a clinical phrase of ``allowed`` starts (``tại Bệnh viện
    Phú Mỹ ho sốt``); ``và`` goes on to the next capitalised word (``Chấn thương và Chỉnh hình Hải Phòng``)."""
    tokens = _tokens(text, at)
    end, named, trail, skip = at, False, at, 0
    for i, token in enumerate(tokens):
        word = token.word
        if i < skip:
            continue
        prev = lower_chars(tokens[i - 1].word) if i else ""
        if _capital(word):
            end = trail = token.end
            named = True
            continue
        if _NUMBER.fullmatch(word):
            if (
                (i == 0 and numbered and not campus and not _counts(tokens, i))
                or (i == 0 and campus and _closes(tokens, i, plain))
                or prev in _NUMBERED
                or (plain and fold_chars(prev) in _NUMBERED_ASCII)
                or (named and i - _last_capital(tokens, i) <= 2 and _closes(tokens, i, plain))
            ):
                end = trail = token.end
                named = True
                continue
            break
        if token.joined and not (
            i + 1 < len(tokens) and _capital(tokens[i + 1].word) and not tokens[i + 1].joined and not _stop(word, plain)
        ):
            break  # after a dash a capitalised word goes on ("Phụ sản - nhi Hải Phòng"), not "Bệnh viện X - nơi nằm"
        low = lower_chars(word)
        if named and allowed is not None and (low == "và" or (plain and low == "va")):
            reach = _and_reach(tokens, i, plain, allowed)
            if reach:
                skip = reach
                continue
            break
        stop = _stop(word, plain)
        if stop and i:
            break
        ahead = tokens[i + 1 : i + 1 + _LOOKAHEAD]
        reach = next(
            (k for k, t in enumerate(ahead) if t.joined or (_stop(t.word, plain) and not _capital(t.word))), len(ahead)
        )
        if stop and not _leads_to_name(tokens, i + 1, i + 1 + reach):
            break  # "quán tại phường 14", "bệnh viện ở Hà Nội": a sentence word leads to a name only
        trails = (
            named
            and not _stop(word, plain)
            and (allowed is None or token.start not in allowed.starts)
            and i - _last_capital(tokens, i) <= _TRAIL
            and trail == tokens[i - 1].end
            and not (trail_after is not None and trail_after(tokens, i))
        )
        if any(_capital(t.word) or t.word.isdigit() for t in ahead[:reach]):
            trail = token.end if trails else trail
            continue  # "Đa khoa tỉnh Nam Định": lower-case words that lead to the capitalised ones
        if trails:
            end = trail = token.end  # "Bệnh nhiệt đới trung ương": the rest of a name begun with a capital
            continue
        break
    else:
        return end if named else at
    # Lower-case words that led to a number which closed nothing: those that may trail a name still do
    # ("Bệnh viện Phổi trung ương giai đoạn 2").
    return max(end, trail) if named else at


def _and_reach(tokens: list[_Token], i: int, plain: bool, allowed: _Clinical) -> int:
    """Index of the capitalised word a ``và`` at ``i`` leads to within the name (0 for none): over lower-case words
    of a specialty (``Lao và bệnh phổi Hà Nam``), not over a clinical phrase, a person or a sentence."""
    if i + 1 < len(tokens) and _opens_place(tokens[i + 1].word, tokens[i + 2].word if i + 2 < len(tokens) else ""):
        return 0  # "Bệnh viện X và Bệnh viện Y", "huyện X và huyện Y": each is found on its own
    for k in range(i + 1, min(len(tokens), i + 1 + _LOOKAHEAD)):
        t = tokens[k]
        low = lower_chars(t.word)
        if _capital(t.word):
            if len(t.word) >= 2 and not any(a <= t.start and t.end <= b for a, b in allowed.spans):
                return k
            continue  # "và bệnh Phổi tỉnh X" goes on to X; "và phổi P", "và COPD" lead to nothing
        if t.joined or t.word.isdigit() or low in _person_words() or t.start in allowed.phrases:
            return 0  # "và chị Lan", "và viêm phổi ...": a person or a clinical phrase
        patient = k + 1 < len(tokens) and lower_chars(tokens[k + 1].word) in _PATIENT
        if _stop(t.word, plain) and not (low == "bệnh" and not patient):
            return 0
    return 0


def _leads_to_name(tokens: list[_Token], start: int, end: int) -> bool:
    """Is there a capitalised run in ``tokens[start:end]`` that is not just a province or a country?"""
    k = next((k for k in range(start, end) if _capital(tokens[k].word)), None)
    if k is None:
        return False
    run = k
    while run < len(tokens) and _capital(tokens[run].word):
        run += 1
    return not is_coarse_place(" ".join(t.word for t in tokens[k:run]))


def _opens_place(word: str, after: str) -> bool:
    """Does ``word`` (then ``after``) open a facility or an administrative unit of its own?"""
    one, two = fold_chars(word), fold_chars(f"{word} {after}")
    openers = _openers()
    if one == "vien" and _capital(word):
        return True  # "và Viện X"
    return one in openers or two in openers or any(h.startswith(two + " ") for h in openers)


@functools.lru_cache(maxsize=1)
def _openers() -> frozenset[str]:
    w = words()
    return frozenset(w["facility_heads"] | {u for u in w["admin_units"] if len(u) > 2}) - {"vien"}


def _no_trail(tokens: list[_Token], i: int) -> bool:
    """After a province or city the name is over ("Bệnh viện Đa khoa Hà Tĩnh phun ..."): no lower-case trail."""
    k = i
    while k > 0 and _capital(tokens[k - 1].word) and not tokens[k - 1].joined:
        k -= 1
    if k == i - 1:  # one word: as written ("Huế" is a city, "Lão" in "Bệnh viện Lão khoa" is not "Lào")
        return lower_chars(tokens[k].word) in coarse_places_written()
    return any(is_coarse_place(" ".join(t.word for t in tokens[j:i])) for j in range(k, i - 1))


class _Clinical:
    """The allowed (clinical) spans of a text: all of them, where each starts, where those of several words start."""

    def __init__(self, text: str) -> None:
        self._text = text

    @functools.cached_property
    def spans(self) -> tuple[tuple[int, int], ...]:  # looked up only when a name needs it
        return tuple(allowed_spans(self._text))

    @functools.cached_property
    def starts(self) -> frozenset[int]:
        return frozenset(a for a, _ in self.spans)

    @functools.cached_property
    def phrases(self) -> frozenset[int]:
        return frozenset(a for a, b in self.spans if " " in self._text[a:b].strip())


@functools.lru_cache(maxsize=1)
def _person_words() -> frozenset[str]:
    """Titles and kinship words ("chị", "bác sĩ"): after ``và`` they start a person, not the rest of a name."""
    w = raw_words()
    return frozenset(x for x in w["titles"] | w["kin_heads"] if " " not in x)


def _last_capital(tokens: list[_Token], i: int) -> int:
    return max((k for k in range(i) if _capital(tokens[k].word) or tokens[k].word.isdigit()), default=-99)


def find_facilities(text: str) -> list[Span]:
    """Named facilities (see the module docstring)."""
    if not text:
        return []
    folded = fold_chars(text)
    lower = lower_chars(text)
    heads = [m.span() for m in _head(False).finditer(lower)]
    heads += [
        m.span()
        for m in (_head(True).finditer(folded) if any_unaccented(text) else ())  # without diacritics
        # only a head of several words:
        if text[m.start() : m.end()].isascii() and " " in folded[m.start() : m.end()]
    ]  # "TRAI" is not "trại"
    spans = []
    clinical = _Clinical(text)
    for m_start, m_end in sorted(set(heads)):
        head = fold_chars(text[m_start:m_end])
        if head == "truong" and folded.startswith(" hop", m_end):
            continue  # "trường hợp F1": a case, not a school
        before = (
            _CAPITAL_BEFORE.search(text, max(0, m_start - 40), m_start)
            if " " not in head and text[m_start].isupper()
            else None
        )
        if before and before.group(1)[1:].islower() and not _stop(before.group(1), unaccented(text, m_start)):
            continue  # "Lê Trường Giang": a one-word head inside a run of capitalised words is part of a name
        campus = head == "co so"
        if campus and re.search(r"(?:tren|dua vao|theo)\s+$", folded[max(0, m_start - 12) : m_start]):
            continue  # "trên cơ sở 2 phim": on the basis of, not a campus
        numbered = head.startswith(_NUMBERED_HEADS)
        plain = unaccented(text, m_start)
        end = _name_end(
            text,
            folded,
            m_end,
            numbered,
            clinical,
            plain,
            campus=campus,
            trail_after=(lambda _t, _i: True) if head.startswith(_ADMIN_HEADS) else _no_trail,
        )
        if end == m_end:
            continue
        start = m_start
        dept = re.search(r"(?<![^\W_])khoa\s[^,.;()]{1,40}?\s*[-–,]?\s*$", folded[max(0, start - 50) : start])
        if dept:
            start -= len(folded[max(0, start - 50) : start]) - dept.start()
        spans.append(Span(start, _tail(text, end), FACILITY))
    for m in re.finditer(r"(?<![^\W_])Viện(?![^\W_])", text):  # "Viện Vệ sinh Dịch tễ" (not "nhập viện")
        end = _name_end(text, folded, m.end(), False, clinical, unaccented(text, m.start()), trail_after=_no_trail)
        if end > m.end():
            spans.append(Span(m.start(), _tail(text, end), FACILITY))
    if any(w in text for w in _ENGLISH_KINDS):
        spans += _english(text)
    if any(w in folded for w in ("lam viec", "cong tac", "lab", "xet nghiem", "pxn")):
        spans += _keyed(text)
    return spans


#: After a facility's name, the province or the ward it is in, or the building ("Trung tâm Y tế Sơn Động, Bắc Giang",
#: "CHỢ X, PHƯỜNG Y", "khu tập thể X, nhà C5"): one place with it.
_TAIL_PROVINCE = re.compile(r"\s*[,\-–]\s*(?:(?i:tỉnh|thành phố|tp\.?)\s*)?(" + _CAPS + r")(?![^\W_])")
_TAIL_PART = re.compile(
    r"\s*,\s*(?i:phường|quận|huyện|xã|thị trấn|thị xã)\s+(?:" + _CAPS + r"|\d{1,3})(?![^\W_])"
    r"|\s*,?\s*(?i:nhà|tòa nhà|toà nhà|tòa|toà|block|dãy|lô|khu nhà|khu)\s+(?:số\s+)?(?:[A-Z]{1,3}\d{0,3}[A-Z]?"
    r"|\d{1,4}[A-Z]?)(?![^\W_])"
)


def _tail(text: str, end: int) -> int:
    while True:
        m = _TAIL_PROVINCE.match(text, end)
        if m is None or not is_coarse_place(m.group(1)):
            m = _TAIL_PART.match(text, end)  # "Bệnh viện X, Cầu Giấy": a district alone is found as a place
        if m is None:
            return end
        end = m.end()


#: An English facility: capitalised words before its kind ("Lotus Hospital", "Lotus Medical Practice Hanoi").
_ENGLISH = re.compile(
    r"(?<![^\W_])((?:[A-Z][\w&'.]*\s+){1,4})"
    r"(?:Hospital|Clinic|Polyclinic|Medical\s+(?:Cent(?:er|re)|Practice)|Health\s+Cent(?:er|re)|Laboratory|Lab)"
    r"(?![^\W_])((?:\s+[A-Z][^\W\d_]+){1,2}(?=\s*[),.;:]|\s*$))?"
)
_ENGLISH_KINDS = ("Hospital", "Clinic", "Medical", "Health", "Lab")
_DETERMINERS = re.compile(r"(?:(?:The|A|An|This|That|Our|Your|His|Her|Their|Same|Any)\s+)*")


def _english(text: str) -> list[Span]:
    spans = []
    for m in _ENGLISH.finditer(text):
        lead = _DETERMINERS.match(text, m.start(1))
        start = lead.end() if lead else m.start(1)
        if start < m.end(1):
            spans.append(Span(start, m.end(), FACILITY))
    return spans


#: Keys whose value is a workplace or a laboratory ("làm việc cho Công ty X", "Lab: X").
_KEYED = re.compile(
    r"(?<![^\W_])(?:làm việc|công tác|lam viec|cong tac)\s+(?:cho|tại|ở|tai|o)\s+"
    r"|(?<![^\W_])(?:Lab|Laboratory|Phòng xét nghiệm|PXN)\s*:\s*"
)


def _keyed(text: str) -> list[Span]:
    spans = []
    for m in _KEYED.finditer(text):
        run = _CAPS_AT.match(text, m.end())
        if run is None or case_uninformative(text, m.end()):
            continue
        first = lower_chars(run.group(0).split()[0])
        if first in _person_words() or first in raw_words()["proper_not_names"] or is_coarse_place(run.group(0)):
            continue  # "làm việc tại Khoa ...": a department is found with its facility
        allowed = allowed_spans(text[run.start() : run.end()])
        if allowed and allowed[0][0] == 0:
            continue  # "Lab: AFB âm tính": a test, not a laboratory
        spans.append(Span(run.start(), run.end(), FACILITY))
    return spans

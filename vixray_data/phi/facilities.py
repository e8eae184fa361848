"""Named facilities: a hospital, health centre, airport, station, market, school, bar, hotel, barracks ... and its
name (``Bệnh viện Đa khoa Phú Mỹ``, ``BV Tâm Trí``, ``Trung tâm Y tế Cần Giờ``, ``sân bay Cát Bi``,
``quán cà phê Hoa Sứ``, ``Trung đoàn 812``, ``Bệnh viện Lao và bệnh phổi khu vực cơ sở 2``). A named facility
says where the patient was (a place below the province), so it is replaced; a facility word with no name
(``bệnh viện tuyến trên``, ``trạm y tế xã``) is not.

The name runs from the facility word over capitalised words, numbers after the word or after ``cơ sở``/``số``, and
lower-case words that lead to a capitalised word or a number within a few words; it stops at punctuation and at
the words of a sentence (``ở``, ``tại``, ``ngày``, ``đã`` ...). A department before it joined by a dash or comma is
part of it (``khoa Nội thận - Bệnh viện Đà Nẵng``).
"""

from __future__ import annotations

import functools
import re

from .allow import allowed_spans
from .spans import FACILITY, Span, alternation, any_unaccented, fold_chars, lower_chars, raw_words, words

_WORD = re.compile(r"\s([^\W_]+(?:['’.][^\W_]+)*)")  # "TP.HCM" is one word
_MAX_WORDS = 12
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
    }
)
_STOP_ASCII = frozenset(fold_chars(w) for w in _STOP)
_NUMBERED = frozenset({"số", "sở", "đoàn", "khu"})
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
)


def _stop(word: str) -> bool:
    return lower_chars(word) in _STOP or (word.isascii() and word.lower() in _STOP_ASCII)


@functools.lru_cache(maxsize=2)
def _head(folded: bool) -> re.Pattern:
    """Facility words with their diacritics ("đền" is not "đến"), or without for text written without any."""
    heads = alternation(
        {h for h in (words() if folded else raw_words())["facility_heads"] if fold_chars(h) != "vien"},
        space=r"\s+",
        not_after=r"[^\W_]",
    )
    return re.compile(rf"(?:{heads})(?![^\W_])")


def _name_end(
    text: str, folded: str, at: int, numbered: bool = False, clinical_starts: frozenset[int] = frozenset()
) -> int:
    """End of the facility name that starts after ``at`` (``at`` itself when there is none); a number right after
    the facility word is its name only for ``numbered`` heads (``Bệnh viện 175``, ``Trung đoàn 812``; not ``phế
    trường 2 bên``). The lower-case words after its last capitalised one end where a clinical phrase starts
    (``clinical_starts``: ``tại Bệnh viện Phú Mỹ ho sốt``)."""
    tokens: list[re.Match[str]] = []
    pos = at
    while len(tokens) < _MAX_WORDS:
        m = _WORD.match(text, pos)
        if m is None and tokens and re.fullmatch(r"[A-ZĐ]{1,3}", tokens[-1].group(1)) and text.startswith(". ", pos):
            m = _WORD.match(text, pos + 1)  # "Bệnh viện Bệnh nhiệt đới TP. HCM": an abbreviation's dot goes on
        if m is None or text[pos : m.start(1)].strip(" ."):
            break
        tokens.append(m)
        pos = m.end()
    end, named = at, False
    for i, token in enumerate(tokens):
        word = token.group(1)
        prev = lower_chars(tokens[i - 1].group(1)) if i else ""
        if word[:1].isupper() or (word.isdigit() and (i == 0 and numbered or prev in _NUMBERED)):
            end, named = token.end(1), True
            continue
        if word.isdigit() or (_stop(word) and i):
            break
        ahead = tokens[i + 1 : i + 1 + _LOOKAHEAD]
        reach = next((k for k, t in enumerate(ahead) if _stop(t.group(1))), len(ahead))
        if any(t.group(1)[:1].isupper() or t.group(1).isdigit() for t in ahead[:reach]):
            continue  # "Đa khoa tỉnh Nam Định": lower-case words that lead to the capitalised ones
        if (
            named
            and not _stop(word)
            and not word.isdigit()
            and token.start(1) not in clinical_starts
            and i - _last_capital(tokens, i) <= _TRAIL
        ):
            end = token.end(1)  # "Bệnh nhiệt đới trung ương": the rest of a name begun with a capital
            continue
        break
    return end if named else at


def _last_capital(tokens: list[re.Match], i: int) -> int:
    return max((k for k in range(i) if tokens[k].group(1)[:1].isupper() or tokens[k].group(1).isdigit()), default=-99)


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
    clinical = frozenset(a for a, _ in allowed_spans(text)) if heads else frozenset()
    for m_start, m_end in sorted(set(heads)):
        numbered = fold_chars(text[m_start:m_end]).startswith(_NUMBERED_HEADS)
        end = _name_end(text, folded, m_end, numbered, clinical)
        if end == m_end:
            continue
        start = m_start
        dept = re.search(r"(?<![^\W_])khoa\s[^,.;()]{1,40}?\s*[-–,]?\s*$", folded[max(0, start - 50) : start])
        if dept:
            start -= len(folded[max(0, start - 50) : start]) - dept.start()
        spans.append(Span(start, end, FACILITY))
    for m in re.finditer(r"(?<![^\W_])Viện(?![^\W_])", text):  # "Viện Vệ sinh Dịch tễ" (not "nhập viện")
        end = _name_end(text, folded, m.end(), clinical_starts=frozenset(a for a, _ in allowed_spans(text)))
        if end > m.end():
            spans.append(Span(m.start(), end, FACILITY))
    return spans

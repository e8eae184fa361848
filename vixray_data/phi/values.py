"""Identifying values the source listed (every record's names, ids, dates, phones, file names ...),
found in any record's text in their common spellings, and in everything a build writes (the leak scan).

A value becomes token sequences: words and digit runs, folded (no case, no diacritics), so spacing,
``_``/``-``/``^`` separators, case and diacritics do not matter. A person name also gives its DICOM
orders, its initials forms (``Trần T. Hoa``, ``T.T.Hoa``) and its run-together form (``TranThiHoa``); a
date gives its usual spellings; a phone its bare digits. A single word without digits matches only with
its diacritics (the given name ``Hòa`` must not remove ``hóa`` from ``vôi hóa``), and one- or two-letter
words and the clinical allow-list are never removed on their own.

One :class:`ValueIndex` per build serves the scrub and every leak scan. It holds no value: each spelling is a
64-bit hash of its folded tokens and the separators between them (a short separator, :func:`_joined`, is one
mark; any other, such as the comma of an address, is kept as written), in a sorted array, with the index of the
value and which search it serves. A value is kept as the first 96 bits of its SHA-256: the first 64 are what a
leak-scan hit reports, the next 32 tell apart two values whose first 64 bits are equal (refused, not merged). A
text is tokenised once and the hashes of its token n-grams are looked up, so its cost does not grow with the
number of values. Once every value is known, the build moves the index to a file (:meth:`ValueIndex.spill`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import unicodedata
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from itertools import accumulate
from pathlib import Path

import numpy as np

from .. import heap
from ..values import MIN_LENGTH, as_date, date_spellings, person_name_orders
from .spans import VALUE, Span, fold_chars, lower_chars

_TOKEN = re.compile(r"[^\W_]+")
_PIECES = re.compile(r"([^\W_]+)")  # split: the gaps and, between them, the tokens
_SPACE = re.compile(r"\s+")
_MARK = "\x1f"  # a short separator between two tokens of one value

#: What a spelling serves (kept per stored form).
SCRUB = 1  # the de-identifier's scrub: every spelling of :func:`value_forms`
LEAK = 2  # the leak scan: the value as written, its DICOM name orders and date spellings, case- and diacritic-free
#: What a value is (kept per value), from the ``classify`` callable of the index.
KEPT = 1  # the scrub keeps it by design (:mod:`vixray_data.build.kept_values`): the leak scan does not search it
BUILDER_NUMBER = 2  # a number of under six digits: not searched in the builder's own files
_SEARCHED = 4  # the value has at least one leak-scan spelling

_RECENT = 16384  # values remembered as strings to skip repeats cheaply (an institution named on every record)
_CHUNK = 1 << 17  # forms (or values) collected before they are merged into the sorted arrays: bounds the spare memory


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text))


@functools.lru_cache(maxsize=16)  # the scrub's forms and the leak scan's spellings of one value ask in turn
def _date_forms(value: str) -> frozenset[str]:
    day = as_date(value) if value[:1].isdigit() else None
    return frozenset(date_spellings(day)) if day is not None else frozenset()


def value_forms(value: str) -> set[tuple[str, ...]]:
    """Folded token sequences under which ``value`` is searched (empty when too short to search)."""
    value = unicodedata.normalize("NFC", str(value)).strip()
    if len(value) < MIN_LENGTH:
        return set()
    forms: set[tuple[str, ...]] = set()
    orders = [value] + [" ".join(order) for order in person_name_orders(value) if len(order) >= 2]
    for text in orders:
        words = _tokens(fold_chars(text))
        if not words:
            continue
        forms.add(words)
        if len(words) >= 2 and all(w.isalpha() for w in words):
            forms.add(("".join(words),))  # run together
            forms.add((*[w[0] for w in words[:-1]], words[-1]))  # T. T. Hoa
            forms.add((words[0], *[w[0] for w in words[1:-1]], words[-1]))  # Trần T. Hoa
            forms.add(("".join(w[0] for w in words[:-1]) + words[-1],))  # TTHoa
    for spelling in _date_forms(value):
        forms.add(_tokens(spelling))
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) >= 6 and len(digits) >= len(re.sub(r"[\s().+\-]", "", value)) - 1:
        forms.add((digits,))  # a phone or id written with other grouping
    return {f for f in forms if len("".join(f)) >= MIN_LENGTH}


def leak_spellings(value: str) -> set[str]:
    """The spellings the leak scan searches ``value`` under: as written, its DICOM person-name orders (``NGUYEN VAN
    AN``, Vietnamese order, given name first) and, for a date, its usual spellings; each then case- and
    diacritic-insensitively, any short separator for any other (see :func:`_joined`)."""
    value = unicodedata.normalize("NFC", str(value)).strip()
    if len(value) < MIN_LENGTH:
        return set()
    out = {value} | _date_forms(value)
    out |= {name for name in (" ".join(order) for order in person_name_orders(value)) if len(name) >= MIN_LENGTH}
    return out


def _joined(gap: str) -> bool:
    """Whether two tokens are parts of one value: a short separator, not a bracket or a comma."""
    return len(gap) <= 3 and gap.strip(" ._-^/:") == ""


def _gap(gap: str) -> str:
    """A separator as a key holds it: one mark when short (:func:`_joined`), else as written, spaces collapsed."""
    gap = _SPACE.sub(" ", gap)
    return _MARK if _joined(gap) else gap


def _spelling_key(spelling: str) -> tuple[str, int, str]:
    """(key, tokens, first token) of a spelling, folded, with its separators as written."""
    folded = fold_chars(spelling)
    bounds = [m.span() for m in _TOKEN.finditer(folded)]
    if not bounds:
        return "", 0, ""
    parts = [folded[slice(*bounds[0])]]
    for (_, end), (start, stop) in zip(bounds, bounds[1:], strict=False):
        parts += [_gap(folded[end:start]), folded[start:stop]]
    return "".join(parts), len(bounds), parts[0]


def _hash(key: str) -> int:
    """A 64-bit hash, the same in every process (``hash()`` of a str is salted per process)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


@functools.lru_cache(maxsize=16384)  # a report's words repeat from text to text: hashed once each
def _word_hash(word: str) -> int:
    return _hash("f" + word)


#: :func:`_gap` of the separators a search meets (a few dozen distinct ones: a space, ", ", ". ", " - " ...).
_gap_of = functools.lru_cache(maxsize=1024)(_gap)


def _value_entries(value: str) -> tuple[dict[str, int], set[str], int]:
    """({key: SCRUB|LEAK bits}, first-token keys, longest form in tokens) of a value (NFC, stripped)."""
    entries: dict[str, int] = {}
    firsts: set[str] = set()
    longest = 0
    single = _tokens(value)
    if len(single) == 1 and not any(c.isdigit() for c in value):  # one word: with its diacritics only
        if len(single[0]) >= MIN_LENGTH:  # the scrub any case (``HÒA``), the leak scan as written (``TEXT``,
            entries["l" + lower_chars(single[0])] = SCRUB  # not the word ``text`` of the builder's own files)
            entries["e" + single[0]] = LEAK
            firsts.add("f" + fold_chars(single[0]))
            longest = 1
        return entries, firsts, longest
    for form in value_forms(value):
        if len(form) == 1 and len(form[0]) < MIN_LENGTH:
            continue
        key = "f" + _MARK.join(form)
        entries[key] = entries.get(key, 0) | SCRUB
        firsts.add("f" + form[0])
        longest = max(longest, len(form))
    for spelling in leak_spellings(value):
        key, count, first = _spelling_key(spelling)
        if count == 0 or len("".join(_TOKEN.findall(key))) < MIN_LENGTH:
            continue
        entries["f" + key] = entries.get("f" + key, 0) | SCRUB | LEAK  # the scrub removes all the scan looks for
        firsts.add("f" + first)
        longest = max(longest, count)
    return entries, firsts, longest


def value_sha256(value: str) -> bytes:
    """The SHA-256 of ``value`` (NFC, stripped): a leak-scan hit names the value by its first 64 bits."""
    return hashlib.sha256(unicodedata.normalize("NFC", str(value)).strip().encode("utf-8")).digest()


_PAGE = 64  # bytes of the spilled table's key stream made at once (one BLAKE2b digest)
_FORM = np.dtype([("key", "<u8"), ("vid", "<u4"), ("bits", "u1")])  # a stored form on disk: 13 bytes, packed
_WRITE = 1 << 16  # forms (or prefixes) enciphered and written at once: a multiple of the page


class _Spilled:
    """The stored forms (hash, value id, bits) and the values' SHA-256 prefixes in a file, read with ``pread``: what
    :meth:`ValueIndex.spill` moves off the heap. The file is unlinked as soon as it is created (it is gone when the
    index is, however the process ends) and holds no hash of a value as such: it is enciphered with a key drawn for
    this index alone and kept in memory only (XOR with the keyed BLAKE2b of each 64-byte page's number)."""

    def __init__(self, folder: Path, keys: np.ndarray, vids: np.ndarray, bits: np.ndarray, prefix: np.ndarray) -> None:
        self._key = os.urandom(32)
        self.forms = len(keys)
        self._values_at = -(-self.forms * _FORM.itemsize // _PAGE) * _PAGE  # the prefixes start on a page
        fd, path = _new_file(folder)
        self._file = os.fdopen(fd, "w+b", buffering=0)
        os.unlink(path)
        for lo in range(0, self.forms, _WRITE):
            part = np.empty(min(_WRITE, self.forms - lo), _FORM)
            part["key"], part["vid"], part["bits"] = (
                keys[lo : lo + _WRITE],
                vids[lo : lo + _WRITE],
                bits[lo : lo + _WRITE],
            )
            self._write(lo * _FORM.itemsize, part.tobytes())
        for lo in range(0, len(prefix), _WRITE):
            self._write(self._values_at + lo * 8, prefix[lo : lo + _WRITE].astype("<u8").tobytes())

    def _pads(self, first: int, count: int) -> bytes:
        """The key stream of ``count`` pages from page ``first``."""
        key = self._key
        return b"".join(
            hashlib.blake2b(page.to_bytes(8, "little"), digest_size=_PAGE, key=key).digest()
            for page in range(first, first + count)
        )

    def _write(self, at: int, data: bytes) -> None:
        """``data`` enciphered from byte ``at``, a page's start (its last page filled up with zeros)."""
        pages = -(-len(data) // _PAGE)
        plain = np.zeros(pages * _PAGE, np.uint8)
        plain[: len(data)] = np.frombuffer(data, np.uint8)
        cipher = plain ^ np.frombuffer(self._pads(at // _PAGE, pages), np.uint8)
        os.pwrite(self._file.fileno(), cipher.tobytes(), at)

    def _read(self, at: int, size: int) -> bytes:
        """``size`` bytes from byte ``at``, deciphered."""
        first, last = at // _PAGE, (at + size - 1) // _PAGE
        raw = os.pread(self._file.fileno(), (last + 1 - first) * _PAGE, first * _PAGE)
        pads = self._pads(first, last + 1 - first)
        plain = (int.from_bytes(raw, "little") ^ int.from_bytes(pads, "little")).to_bytes(len(raw), "little")
        return plain[at - first * _PAGE : at - first * _PAGE + size]

    def values_of(self, key: int, lo: int, hi: int) -> tuple[list[int], list[int]]:
        """(value ids, bits) of the stored forms ``lo`` to ``hi`` (in hash order) whose hash is ``key``."""
        size = _FORM.itemsize
        data = self._read(lo * size, (hi - lo) * size)
        vids, bits = [], []
        for at in range(0, len(data), size):
            if int.from_bytes(data[at : at + 8], "little") == key:
                vids.append(int.from_bytes(data[at + 8 : at + 12], "little"))
                bits.append(data[at + 12])
        return vids, bits

    def prefix(self, vid: int) -> int:
        return int.from_bytes(self._read(self._values_at + vid * 8, 8), "little")


def _new_file(folder: Path) -> tuple[int, str]:
    """A new file in ``folder`` only this process can read (its name drawn at random)."""
    path = os.path.join(folder, f".values-{os.urandom(8).hex()}")
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), path


class ValueIndex:
    """All identifying values of a build, searchable in one pass over a text's tokens, holding no value.

    ``classify`` gives each value's :data:`KEPT` / :data:`BUILDER_NUMBER` bits for the leak scan (none: every
    value is searched everywhere). Forms are appended to flat arrays as values are added and merged into the sorted
    numpy arrays when the index is searched or a chunk (:data:`_CHUNK`) is full: 13 bytes per form, 13 per value
    (its SHA-256's first 64 bits, what a hit reports, and the next 32, which tell two values apart).
    """

    def __init__(self, values: Iterable[str] = (), *, classify: Callable[[str], int] | None = None) -> None:
        self._classify = classify
        self._recent: OrderedDict[str, None] = OrderedDict()
        # appended since the last freeze
        self._new_keys = array("Q")
        self._new_vids = array("I")  # index into the new values
        self._new_bits = array("B")
        self._new_firsts = array("Q")
        self._new_prefix = array("Q")  # each new value's SHA-256: bits 0-63
        self._new_check = array("I")  # and 64-95
        self._new_flags = array("B")
        # frozen: sorted, unique
        self._keys = np.zeros(0, np.uint64)
        self._vids = np.zeros(0, np.uint32)  # index into _prefix
        self._bits = np.zeros(0, np.uint8)
        self._firsts = np.zeros(0, np.uint64)
        #: (the first-word array it was made for, whether each folded word opens a stored form): see :meth:`_starts`
        self._opens: tuple[np.ndarray, dict[str, bool]] = (self._firsts, {})
        self._prefix = np.zeros(0, np.uint64)  # each value's SHA-256, bits 0-63: sorted, each once
        self._check = np.zeros(0, np.uint32)  # bits 64-95
        self._flags = np.zeros(0, np.uint8)
        #: once :meth:`spill` ran: the forms and the prefixes in a file, the forms' and the first words' hashes in
        #: memory by their high 32 bits only (a candidate, then checked in the file)
        self._spilled: _Spilled | None = None
        self._high = np.zeros(0, np.uint32)
        self._longest = 1
        self._exact_words = False
        self.add(values)

    # -- adding ----------------------------------------------------------------------------------------

    def add(self, values: Iterable[str]) -> None:
        """Add identifying values (any value, however short: each counts once in :attr:`count`); not once spilled."""
        if self._spilled is not None:
            raise ValueError("the index was spilled to a file: no value can be added to it")
        for raw in values:
            value = unicodedata.normalize("NFC", str(raw)).strip()
            if not value:
                continue
            if value in self._recent:
                self._recent.move_to_end(value)
                continue
            self._recent[value] = None
            if len(self._recent) > _RECENT:
                self._recent.popitem(last=False)
            self._add_one(value)

    def _add_one(self, value: str) -> None:
        vid = len(self._new_flags)
        entries, firsts, longest = _value_entries(value)
        flags = self._classify(value) if (self._classify is not None and entries) else 0
        if any(bits & LEAK for bits in entries.values()):
            flags |= _SEARCHED
        digest = value_sha256(value)
        self._new_prefix.append(int.from_bytes(digest[:8], "big"))
        self._new_check.append(int.from_bytes(digest[8:12], "big"))
        self._new_flags.append(flags)
        for key, bits in entries.items():
            self._new_keys.append(_hash(key))
            self._new_vids.append(vid)
            self._new_bits.append(bits)
            self._exact_words |= key[0] != "f"
        self._new_firsts.extend(_hash(key) for key in firsts)
        self._longest = max(self._longest, longest)
        if len(self._new_keys) >= _CHUNK or len(self._new_flags) >= _CHUNK:
            self._freeze()

    def _freeze(self) -> None:
        """Merge what was added since (at most a chunk) into the sorted arrays, each value and each form once.

        The chunk is sorted on its own and inserted where it belongs, so a merge costs a copy of the arrays, never
        a sort of all of them: the peak is the index, one chunk and the arrays' copy while one is inserted."""
        if not self._new_flags:
            return
        to_global = self._merge_values()
        keys = np.frombuffer(self._new_keys, np.uint64)
        vids = to_global[np.frombuffer(self._new_vids, np.uint32)]
        bits = np.frombuffer(self._new_bits, np.uint8)
        self._merge_forms(keys, vids, bits)
        firsts = np.unique(np.frombuffer(self._new_firsts, np.uint64))
        at = np.searchsorted(self._firsts, firsts)
        known = at < len(self._firsts)
        known[known] = self._firsts[at[known]] == firsts[known]
        self._firsts = np.insert(self._firsts, at[~known], firsts[~known])
        self._new_keys, self._new_vids, self._new_bits = array("Q"), array("I"), array("B")
        self._new_firsts, self._new_flags = array("Q"), array("B")
        self._new_prefix, self._new_check = array("Q"), array("I")
        if len(self._keys) >= _CHUNK:
            heap.give_back()

    def _merge_values(self) -> np.ndarray:
        """The values added since into :attr:`_prefix` (sorted, each once), :attr:`_check` and :attr:`_flags`; the
        stored forms' value ids moved to match. Returns each added value's id (by its order of adding)."""
        prefix = np.frombuffer(self._new_prefix, np.uint64)
        check = np.frombuffer(self._new_check, np.uint32)
        flags = np.frombuffer(self._new_flags, np.uint8)
        unique, first, inverse = np.unique(prefix, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        merged = np.zeros(len(unique), np.uint8)
        np.bitwise_or.at(merged, inverse, flags)
        check_unique = check[first]
        if not np.array_equal(check_unique[inverse], check):
            raise ValueError("two identifying values share the first 64 bits of their SHA-256")
        stored = self._prefix
        at = np.searchsorted(stored, unique)
        known = at < len(stored)
        known[known] = stored[at[known]] == unique[known]
        if known.any():
            if not np.array_equal(self._check[at[known]], check_unique[known]):
                raise ValueError("two identifying values share the first 64 bits of their SHA-256")
            np.bitwise_or.at(self._flags, at[known], merged[known])
        fresh = ~known
        where = at[fresh]  # nondecreasing: ``unique`` is sorted
        ids = np.empty(len(unique), np.int64)
        ids[known] = at[known] + np.searchsorted(where, at[known], "right")
        ids[fresh] = where + np.arange(len(where))
        if len(where):
            self._prefix = np.insert(self._prefix, where, unique[fresh])
            self._check = np.insert(self._check, where, check_unique[fresh])
            self._flags = np.insert(self._flags, where, merged[fresh])
            for lo in range(0, len(self._vids), _CHUNK):  # an old id moves up by the values inserted before it
                part = self._vids[lo : lo + _CHUNK]
                part += np.searchsorted(where, part, "right").astype(np.uint32)
        return ids[inverse].astype(np.uint32)

    def _merge_forms(self, keys: np.ndarray, vids: np.ndarray, bits: np.ndarray) -> None:
        """Forms (hash, value id, bits) into the arrays sorted by (hash, value id): one entry per value and form,
        with the bits of both when it is there already."""
        order = np.lexsort((vids, keys))
        keys, vids, bits = keys[order], vids[order], bits[order]
        same = (keys[1:] == keys[:-1]) & (vids[1:] == vids[:-1])
        if same.any():  # one value's form twice: one entry, the bits of both
            keep = np.concatenate([[True], ~same])
            group = np.cumsum(keep) - 1
            merged = np.zeros(int(keep.sum()), np.uint8)
            np.bitwise_or.at(merged, group, bits)
            keys, vids, bits = keys[keep], vids[keep], merged
        lo = np.searchsorted(self._keys, keys, "left")
        hi = np.searchsorted(self._keys, keys, "right")
        at, stored = lo.copy(), np.zeros(len(keys), bool)
        for j in np.flatnonzero(hi > lo).tolist():  # a hash stored already: its place among that hash's value ids
            start, stop = int(lo[j]), int(hi[j])
            k = start + int(np.searchsorted(self._vids[start:stop], vids[j]))
            at[j] = k
            stored[j] = k < stop and self._vids[k] == vids[j]
        if stored.any():
            np.bitwise_or.at(self._bits, at[stored], bits[stored])
        fresh = ~stored
        if fresh.any():
            where = at[fresh]
            self._keys = np.insert(self._keys, where, keys[fresh])
            self._vids = np.insert(self._vids, where, vids[fresh])
            self._bits = np.insert(self._bits, where, bits[fresh])

    # -- size ------------------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Distinct values added."""
        self._freeze()
        return len(self._flags)

    def __len__(self) -> int:
        return self.count

    @property
    def forms(self) -> int:
        """Spellings stored (one per value and form)."""
        self._freeze()
        return len(self._keys) if self._spilled is None else self._spilled.forms

    @property
    def nbytes(self) -> int:
        """Bytes the frozen arrays take (in memory)."""
        self._freeze()
        arrays = (self._keys, self._vids, self._bits, self._firsts, self._prefix, self._check, self._flags, self._high)
        return sum(a.nbytes for a in arrays)

    def searched(self, *, builder: bool = False) -> int:
        """Values the leak scan searches for (in the builder's own files: ``builder=True``)."""
        self._freeze()
        skip = KEPT | (BUILDER_NUMBER if builder else 0)
        return int(np.count_nonzero((self._flags & _SEARCHED).astype(bool) & ~(self._flags & skip).astype(bool)))

    def sha256(self, vid: int) -> str:
        """What a leak-scan hit reports of value ``vid`` (as :meth:`leaks` returns it): the first 64 bits of its
        SHA-256, 16 hex digits (the index keeps no more of it; 64 bits name one value of a build)."""
        prefix = int(self._prefix[vid]) if self._spilled is None else self._spilled.prefix(vid)
        return f"{prefix:016x}"

    def spill(self, folder: Path) -> None:
        """Move the stored forms and the values' digests off the heap, into a file in ``folder`` (:class:`_Spilled`,
        gone with the index), once every value is added: 4 bytes a form and 4 a first word stay in memory (their
        hashes' high halves, which say where a form may be), 1 a value (what the leak scan skips); 13 bytes a form
        and 12 a value less. Searches give the same answers, reading the file where a high half matches (a stored
        form, or by chance one text word in about 4,000 at 10⁶ forms). No value can be added afterwards."""
        self._freeze()
        if self._spilled is not None or not hasattr(os, "pread"):  # pread: POSIX
            return
        self._spilled = _Spilled(folder, self._keys, self._vids, self._bits, self._prefix)
        self._high = (self._keys >> np.uint64(32)).astype(np.uint32)
        self._firsts = (self._firsts >> np.uint64(32)).astype(np.uint32)
        self._keys, self._vids, self._bits = np.zeros(0, np.uint64), np.zeros(0, np.uint32), np.zeros(0, np.uint8)
        self._prefix, self._check = np.zeros(0, np.uint64), np.zeros(0, np.uint32)
        heap.give_back()

    # -- searching -------------------------------------------------------------------------------------

    def _starts(self, words: list[str]) -> list[int]:
        """Indices of the words that open a stored form. Whether a (folded) word does is remembered per word until
        the index changes: a report's words repeat from text to text, so most texts need no array search at all."""
        if self._opens[0] is not self._firsts or len(self._opens[1]) > 4 * _RECENT:
            self._opens = (self._firsts, {})
        opens = self._opens[1]
        new = [w for w in dict.fromkeys(words) if w not in opens]
        if new:
            heads = np.fromiter(map(_word_hash, new), np.uint64, len(new))
            if self._spilled is not None:  # the high halves only: a candidate (see :meth:`spill`)
                heads = (heads >> np.uint64(32)).astype(np.uint32)
            at = np.searchsorted(self._firsts, heads)
            at[at >= len(self._firsts)] = 0
            opens.update(zip(new, (self._firsts[at] == heads).tolist(), strict=True))
        return [i for i, w in enumerate(words) if opens[w]]

    def _lookup(self, text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int, list[int], list[int]]]]:
        """Token bounds of ``text`` and (start token, tokens, value ids, their bits) of every stored form found."""
        if not self.forms or not text:
            return [], []
        folded = fold_chars(text)
        pieces = _PIECES.split(folded)  # gap, word, gap, word, ..., gap
        words, gaps = pieces[1::2], pieces[2:-1:2]  # gaps[k - 1] stands between words[k - 1] and words[k]
        if not words:
            return [], []
        ends = list(accumulate(map(len, pieces)))
        bounds = list(zip(ends[0::2], ends[1::2], strict=False))  # (start, end) of each word
        starts = self._starts(words)
        if not starts:
            return bounds, []
        where: list[tuple[int, int]] = []
        hashes: list[int] = []
        last = len(words)
        for i in starts:
            where.append((i, 1))
            hashes.append(_word_hash(words[i]))
            if self._exact_words and words[i].isalpha():
                word = text[slice(*bounds[i])]
                where += [(i, 1), (i, 1)]
                hashes += [_hash("l" + lower_chars(word)), _hash("e" + word)]
            key = "f" + words[i]
            for k in range(i + 1, min(i + self._longest, last)):
                key += _gap_of(gaps[k - 1]) + words[k]
                where.append((i, k - i + 1))
                hashes.append(_hash(key))
        query = np.array(hashes, np.uint64)
        if self._spilled is not None:
            return bounds, self._spilled_hits(query, where)
        lo = np.searchsorted(self._keys, query, "left")
        found = np.flatnonzero(self._keys[np.minimum(lo, len(self._keys) - 1)] == query).tolist()
        if not found:
            return bounds, []
        hi = np.searchsorted(self._keys, query[found], "right").tolist()
        lo_found = lo[found].tolist()
        vids, bits = self._vids, self._bits
        return bounds, [
            (*where[j], vids[lo_found[n] : hi[n]].tolist(), bits[lo_found[n] : hi[n]].tolist())
            for n, j in enumerate(found)
        ]

    def _spilled_hits(
        self, query: np.ndarray, where: list[tuple[int, int]]
    ) -> list[tuple[int, int, list[int], list[int]]]:
        """:meth:`_lookup`'s hits in the spilled table: the forms whose hashes' high halves match, read and compared."""
        assert self._spilled is not None
        high = (query >> np.uint64(32)).astype(np.uint32)
        lo = np.searchsorted(self._high, high, "left")
        maybe = np.flatnonzero(self._high[np.minimum(lo, len(self._high) - 1)] == high).tolist()
        if not maybe:
            return []
        hi = np.searchsorted(self._high, high[maybe], "right").tolist()
        keys, lo_maybe = query[maybe].tolist(), lo[maybe].tolist()
        hits = []
        for n, j in enumerate(maybe):
            vids, bits = self._spilled.values_of(keys[n], lo_maybe[n], hi[n])
            if vids:
                hits.append((*where[j], vids, bits))
        return hits

    def find(self, text: str) -> list[Span]:
        """Spans of ``text`` where a listed value occurs in a scrub spelling, token-bounded (the longest at each
        token)."""
        bounds, hits = self._lookup(text)
        longest: dict[int, int] = {}
        for i, n, _, bits in hits:
            if n > longest.get(i, 0) and any(b & SCRUB for b in bits):
                longest[i] = n
        return [Span(bounds[i][0], bounds[i + n - 1][1], VALUE) for i, n in sorted(longest.items())]

    def leaks(self, text: str, *, builder: bool = False) -> set[int]:
        """Ids of the values occurring in ``text`` in a leak-scan spelling (values the scrub keeps by design not;
        in the builder's own files, ``builder=True``, no number of under six digits either); see :meth:`sha256`."""
        _, hits = self._lookup(unicodedata.normalize("NFC", text))
        skip = KEPT | (BUILDER_NUMBER if builder else 0)
        found: set[int] = set()
        for _, _, vids, all_bits in hits:
            for vid, bits in zip(vids, all_bits, strict=True):
                if bits & LEAK and not self._flags[vid] & skip:
                    found.add(vid)
        return found

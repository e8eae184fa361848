"""A PNG's pixels are read from its one inflate: rows filtered with None, Sub or Up are unfiltered by the copy itself,
any other filter by Pillow, and either way the pixels, their digest and the bytes written are what Pillow reads.

The fixtures are encoded here from the PNG specification (section 9, filter types 0-4), row by row with the filter
the test names, so every filter reaches the reader whatever an encoder would have chosen."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from vixray_data.errors import RecordError
from vixray_data.sources import imagefile
from vixray_data.sources.imagefile import ImageFile, PngCopy

NONE, SUB, UP, AVERAGE, PAETH = range(5)
#: mode -> (colour type, bit depth, bytes per pixel, numpy dtype of a sample)
MODES = {"L": (0, 8, 1, np.uint8), "I;16": (0, 16, 2, np.uint16), "RGB": (2, 8, 3, np.uint8)}


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filtered(line: bytes, prior: bytes, kind: int, bpp: int) -> bytes:
    out = bytearray([kind])
    for i, x in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) % 256)
    return bytes(out)


def encode(pixels: np.ndarray, mode: str, filters: list[int]) -> bytes:
    """A PNG of ``pixels`` whose row ``r`` is filtered with ``filters[r % len(filters)]``."""
    colour, depth, bpp, _ = MODES[mode]
    height, width = pixels.shape[:2]
    samples = pixels.astype(">u2") if depth == 16 else pixels
    lines = [samples[r].tobytes() for r in range(height)]
    prior = bytes(len(lines[0]))
    raw = b""
    for r, line in enumerate(lines):
        raw += filtered(line, prior, filters[r % len(filters)], bpp)
        prior = line
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pixels_of(mode: str, seed: int = 5) -> np.ndarray:
    _, _, _, dtype = MODES[mode]
    shape = (9, 13, 3) if mode == "RGB" else (9, 13)
    top = np.iinfo(dtype).max
    return np.random.default_rng(seed).integers(0, top, shape, dtype=np.int64).astype(dtype)


def copied(tmp_path, data: bytes):
    path = tmp_path / "x.png"
    path.write_bytes(data)
    return ImageFile(path=str(path), ref="row 3", fmt="png")()


FILTERS = {
    "none": [NONE],
    "sub": [SUB],
    "up": [UP],
    "none-sub-up": [UP, NONE, UP, UP, SUB, UP, SUB, SUB],
    "with-average": [SUB, AVERAGE, UP],
    "with-paeth": [UP, PAETH, NONE],
}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("rows", list(FILTERS))
def test_the_pixels_and_their_digest_are_pillows_whichever_filters_the_rows_use(tmp_path, mode, rows):
    pixels = pixels_of(mode)
    data = encode(pixels, mode, FILTERS[rows])
    with Image.open(io.BytesIO(data)) as pillow:
        pillow.load()
        assert pillow.mode == mode and np.array_equal(np.asarray(pillow), pixels)  # the fixture is what it says
        expected = hashlib.sha256(f"{mode}:{pillow.size}:".encode() + pillow.tobytes()).hexdigest()
    out = copied(tmp_path, data)
    assert out.pixel_sha256 == expected
    assert np.array_equal(np.asarray(out.pixels), pixels)
    assert out.data == data  # a clean file is copied byte for byte, filters and all


@pytest.mark.parametrize(
    ("rows", "read_here"),
    [
        ("none", True),
        ("sub", True),
        ("up", True),
        ("none-sub-up", True),
        ("with-average", False),
        ("with-paeth", False),
    ],
)
def test_only_none_sub_and_up_rows_are_unfiltered_without_pillow(rows, read_here):
    copy = PngCopy.read(encode(pixels_of("L"), "L", FILTERS[rows]))
    assert (copy.unfiltered() is not None) is read_here


def test_an_unknown_row_filter_is_an_undecodable_image(tmp_path):
    data = bytearray(encode(pixels_of("L"), "L", [UP]))
    start = data.index(b"IDAT") + 4
    raw = bytearray(zlib.decompress(data[start : data.index(b"IEND") - 8]))
    raw[14 * 4] = 5  # the fifth row's filter byte: there is no filter type 5
    body = zlib.compress(bytes(raw))
    data = data[: start - 8] + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    with pytest.raises(RecordError) as caught:
        copied(tmp_path, bytes(data))
    assert caught.value.reason == "undecodable_image" and caught.value.ref == "row 3"


@pytest.mark.parametrize("rows", ["none-sub-up", "with-paeth"])
def test_zlib_and_isa_l_read_the_same_pixels_into_the_same_bytes(tmp_path, monkeypatch, rows):
    data = encode(pixels_of("RGB"), "RGB", FILTERS[rows])
    fast = copied(tmp_path, data)
    monkeypatch.setattr(imagefile, "_inflating", zlib)
    plain = copied(tmp_path, data)
    assert (fast.data, fast.pixel_sha256, fast.file_sha256) == (plain.data, plain.pixel_sha256, plain.file_sha256)


@pytest.mark.parametrize("library", ["default", "zlib"])
def test_a_broken_zlib_stream_is_named_the_same_way_by_either_inflater(tmp_path, monkeypatch, library):
    """The reject's detail is the error's type, which must not depend on the library that inflated."""
    if library == "zlib":
        monkeypatch.setattr(imagefile, "_inflating", zlib)
    good = encode(pixels_of("L"), "L", [UP])
    start = good.index(b"IDAT") + 4
    stream = bytearray(good[start : good.index(b"IEND") - 8])
    stream[-1] ^= 0xFF  # the stream's Adler-32 no longer matches its data; the chunk's CRC is made to match
    data = good[: start - 8] + chunk(b"IDAT", bytes(stream)) + chunk(b"IEND", b"")
    with pytest.raises(RecordError) as caught:
        copied(tmp_path, data)
    assert (caught.value.reason, caught.value.detail) == ("undecodable_image", "png: error")

"""Covert bytes inside a PNG's own pixel chunks: a decoder reads no further than the image needs, so bytes after
the zlib stream in IDAT, scanlines beyond the image and palette entries no pixel uses could carry anything.
After the build the written PNG holds none of them, and its pixels are the exported ones."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pyarrow.parquet as pq
from PIL import Image
from test_export import config
from test_hostile_output import write_table
from test_hostile_tables import image_rows

from vixray_data import schema
from vixray_data.build import build
from vixray_data.sources.imagefile import ImageFile, png_chunks

SECRET = b"BN24001234 Nguyen Van An 0912345678"


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_chunks(data: bytes, change) -> bytes:
    """``data`` with each chunk's body replaced by ``change(kind, body)`` (CRCs recomputed)."""
    return data[:8] + b"".join(
        chunk(kind, change(kind, bytes(data[start + 8 : end - 4]))) for kind, start, end in png_chunks(data)
    )


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


GREY = np.random.default_rng(5).integers(0, 256, (24, 32), dtype=np.uint8)
OTHER = np.random.default_rng(7).integers(0, 256, (24, 32), dtype=np.uint8)
INDICES = np.random.default_rng(6).integers(0, 4, (24, 32), dtype=np.uint8)
#: Four grey levels the pixels use, then 40 entries no pixel uses, holding ASCII.
PALETTE = [0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255] + list(SECRET.ljust(120, b" "))


def after_the_stream() -> bytes:
    """A grey PNG whose last IDAT holds the zlib stream and then ``SECRET``."""
    return with_chunks(png_bytes(Image.fromarray(GREY)), lambda kind, body: body + SECRET if kind == b"IDAT" else body)


def beyond_the_image(grey: np.ndarray = GREY) -> bytes:
    """A grey PNG whose zlib stream inflates to the image's scanlines and then ``SECRET``."""
    scanlines = b"".join(b"\0" + row.tobytes() for row in grey) + SECRET
    return with_chunks(
        png_bytes(Image.fromarray(grey)), lambda kind, body: zlib.compress(scanlines) if kind == b"IDAT" else body
    )


def unused_palette_entries() -> bytes:
    image = Image.fromarray(INDICES, mode="P")
    image.putpalette(PALETTE)
    return png_bytes(image)


def test_the_fixtures_hide_the_secret_from_a_decoder():
    for data in (after_the_stream(), beyond_the_image(), unused_palette_entries()):
        with Image.open(io.BytesIO(data)) as image:
            assert SECRET not in image.tobytes()
    assert SECRET in after_the_stream() and SECRET in unused_palette_entries()
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(after_the_stream()))), GREY)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(beyond_the_image()))), GREY)


def idat_stream(data: bytes) -> bytes:
    return b"".join(bytes(data[start + 8 : end - 4]) for kind, start, end in png_chunks(data) if kind == b"IDAT")


def test_the_png_copy_keeps_the_zlib_stream_alone_and_only_the_image_scanlines(tmp_path):
    for name, data in (("after", after_the_stream()), ("beyond", beyond_the_image())):
        path = tmp_path / f"{name}.png"
        path.write_bytes(data)
        written = ImageFile(path=str(path), ref="file x", fmt="png")().data
        inflater = zlib.decompressobj()
        scanlines = inflater.decompress(idat_stream(written))
        assert inflater.eof and inflater.unused_data == b"" and SECRET not in written
        assert len(scanlines) == 24 * (1 + 32)  # 24 rows of a filter byte and 32 samples: nothing after them
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(written))), GREY)


def test_a_clean_png_is_copied_byte_for_byte(tmp_path):
    path = tmp_path / "clean.png"
    path.write_bytes(png_bytes(Image.fromarray(GREY)))
    assert ImageFile(path=str(path), ref="file x", fmt="png")().data == path.read_bytes()


def test_the_palette_keeps_only_the_entries_the_pixels_use(tmp_path):
    path = tmp_path / "palette.png"
    path.write_bytes(unused_palette_entries())
    written = ImageFile(path=str(path), ref="file x", fmt="png")().data
    plte = [bytes(written[start + 8 : end - 4]) for kind, start, end in png_chunks(written) if kind == b"PLTE"]
    assert plte == [bytes(PALETTE[:12])]
    with Image.open(io.BytesIO(written)) as image:
        assert image.mode == "P" and np.array_equal(np.asarray(image), INDICES)
        colours = np.asarray(PALETTE[:12], np.uint8).reshape(4, 3)
        assert np.array_equal(np.asarray(image.convert("RGB")), colours[INDICES])


def test_a_colour_png_loses_its_suggested_palette(tmp_path):
    rgb = np.stack([GREY, GREY[::-1], 255 - GREY], axis=2)
    data = png_bytes(Image.fromarray(rgb))
    head = 8 + 25  # after the signature and IHDR
    path = tmp_path / "rgb.png"
    path.write_bytes(data[:head] + chunk(b"PLTE", SECRET[:33]) + data[head:])
    written = ImageFile(path=str(path), ref="file x", fmt="png")().data
    assert b"PLTE" not in [kind for kind, _, _ in png_chunks(written)] and SECRET[:33] not in written
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(written))), rgb)


def test_after_the_build_the_covert_bytes_are_gone_and_the_pixels_are_the_exported_ones(tmp_path):
    root = tmp_path / "export"
    (root / "images").mkdir(parents=True)
    covert = [after_the_stream(), beyond_the_image(OTHER), unused_palette_entries()]
    for i, data in enumerate(covert):
        (root / "images" / f"img{i}.png").write_bytes(data)
    write_table(root, image_rows(len(covert)))
    result = build(config(root, tmp_path / "out"))
    assert result.counts.written == 3
    images = [
        row[schema.IMAGE]["bytes"]
        for path in sorted((result.out / "data").glob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]
    assert len(images) == 3
    everything = b"".join(p.read_bytes() for p in result.out.rglob("*") if p.is_file())
    assert SECRET not in everything and all(SECRET not in data for data in images)
    for data in images:
        inflater = zlib.decompressobj()
        inflater.decompress(idat_stream(data))
        assert inflater.eof and inflater.unused_data == b""
    decoded = sorted(np.asarray(Image.open(io.BytesIO(data))).tobytes() for data in images)
    assert decoded == sorted([GREY.tobytes(), OTHER.tobytes(), INDICES.tobytes()])

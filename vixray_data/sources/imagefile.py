"""PNG/JPEG files of an image-folder export: metadata dropped by copying, pixels decoded once, texts read cheaply.

A PNG is copied chunk by chunk, keeping only the chunks that say how to read the pixels (:data:`PNG_KEEP`);
a JPEG loses its APPn/COM segments. Neither is re-encoded, so the bytes written are the pixels the hospital
exported, at the cost of a file copy instead of a deflate. Re-encoding happens only where the pixels must
change: an alpha channel (dropped, as a radiograph has no transparency) or an EXIF rotation that stripping
EXIF would lose.

:class:`ImageFile` runs in the builder's workers. A PNG is walked once (every CRC checked) and its pixel data
inflated once (:class:`PngCopy`: the inflated size must be the header's, and nothing may follow the stream); by
default the pixels are then unfiltered from that inflate (no second one), which proves the written bytes read,
gives the pixel digest the builder's duplicate check needs and the pixels ``--ocr`` reads. ``--verify structure``
(:meth:`ImageFile.structure`) stops before the pixels and digests the compressed data instead.
:func:`embedded_texts` runs in the main process before de-identification (its values are scrubbed from report
text and leak-scanned); it walks PNG chunks and parses JPEG headers only, never decoding pixels.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..errors import RecordError
from ..records import EncodedImage
from ..text import bytes_text

try:  # ISA-L's inflate and CRC: the same results as zlib's, in about half the time (a PNG's largest cost here)
    from isal import isal_zlib as _inflating
except ImportError:  # a platform without its wheel: zlib's
    _inflating = zlib  # type: ignore[misc]
#: What the inflating library raises for a broken stream (isal's stub declares it as an instance, not a class).
_INFLATE_ERROR = cast("type[Exception]", _inflating.error)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Chunks a PNG copy keeps: the header, palette, pixel data and end, plus how to display the samples (gamma,
#: chromaticities, sRGB intent, significant bits: numbers, no text). Everything else goes: tEXt/zTXt/iTXt,
#: eXIf, iCCP (a named profile), tIME, pHYs, private chunks, and tRNS (transparency: a colour key would make
#: one grey level of a radiograph see-through; earlier builds dropped it too).
PNG_KEEP = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB", b"sBIT"})
#: PNG colour types with an alpha channel (grey+alpha, RGBA): re-encoded without it.
_ALPHA_TYPES = (4, 6)
#: Inflated text chunks are cut here (a zTXt bomb must not exhaust memory; identifying values are short).
_MAX_TEXT = 1 << 20


def png_chunks(data: bytes | memoryview) -> Iterator[tuple[bytes, int, int]]:
    """``(type, start, end)`` of each chunk (length, type, body and CRC included); checks CRCs, stops at IEND.

    Raises ValueError for a file that is not a PNG, a truncated chunk or a CRC mismatch.
    """
    view = memoryview(data)
    if bytes(view[:8]) != PNG_SIGNATURE:
        raise ValueError("not a PNG (bad signature)")
    i, n = 8, len(view)
    while True:
        if i + 12 > n:
            raise ValueError("PNG ends without IEND")
        length, kind = struct.unpack_from(">I4s", view, i)
        end = i + 12 + length
        if end > n:
            raise ValueError(f"PNG chunk {kind!r} is truncated")
        (crc,) = struct.unpack_from(">I", view, end - 4)
        if _inflating.crc32(view[i + 4 : end - 4]) != crc:
            raise ValueError(f"PNG chunk {kind!r} has a bad CRC")
        yield kind, i, end
        if kind == b"IEND":
            return
        i = end


def strip_png_metadata(data: bytes) -> bytes:
    """The PNG with only :data:`PNG_KEEP` chunks, copied byte for byte (no re-encoding)."""
    view = memoryview(data)
    return b"".join([PNG_SIGNATURE, *(view[start:end] for kind, start, end in png_chunks(view) if kind in PNG_KEEP)])


#: PNG colour type -> samples per pixel (grey, RGB, palette index, grey+alpha, RGBA).
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: Adam7 interlacing: (first column, first row, column step, row step) of each of the seven passes.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _scanline_bytes(width: int, height: int, depth: int, colour: int, interlace: int) -> int:
    """Bytes the inflated IDAT stream holds for this header: each row of each pass, with its filter byte."""
    bits = depth * _CHANNELS[colour]
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns > 0 and rows > 0:
            total += rows * (1 + -(-columns * bits // 8))
    return total


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@dataclass
class PngCopy:
    """A PNG read once: its kept chunks (one walk, every CRC checked) and its pixel data inflated once.

    The inflate is the size check: the zlib stream must hold exactly the scanlines the header declares (a decoder
    reads no further than the image needs, so bytes beyond that could carry anything unseen). ``idat`` is the zlib
    stream to write instead of the file's when it holds more: the stream alone when bytes follow it, the image's
    scanlines compressed again when it inflates to more. Raises ValueError for a file that is not a PNG, a bad CRC,
    a missing header or a stream that ends before the image does.
    """

    data: bytes | memoryview
    spans: list[tuple[bytes, int, int]]  # (type, start, end) of each kept chunk, header first
    width: int
    height: int
    depth: int
    colour: int
    interlace: int
    scanlines: bytes
    idat: bytes | None
    methods: tuple[int, int] = (0, 0)  # the header's compression and filter methods (0 is the only one defined)

    @classmethod
    def read(cls, data: bytes | memoryview) -> PngCopy:
        view = memoryview(data)
        spans = [(kind, start, end) for kind, start, end in png_chunks(view) if kind in PNG_KEEP]
        if spans[0][0] != b"IHDR" or spans[0][2] - spans[0][1] != 25:
            raise ValueError("PNG does not start with its header")
        width, height, depth, colour, compression, filtering, interlace = struct.unpack_from(
            ">IIBBBBB", view, spans[0][1] + 8
        )
        if colour not in _CHANNELS:
            raise ValueError("PNG colour type unknown")
        stream = b"".join(view[start + 8 : end - 4] for kind, start, end in spans if kind == b"IDAT")
        needed = _scanline_bytes(width, height, depth, colour, interlace)
        inflater = _inflating.decompressobj()
        try:
            raw = inflater.decompress(stream, needed + 1)  # one byte more than the image tells a longer stream
        except _INFLATE_ERROR as exc:  # zlib's error whichever library inflated (a reject names its type)
            raise zlib.error(str(exc)) from None
        if len(raw) < needed:
            raise ValueError("PNG pixel data ends before the image does")
        idat = None
        if len(raw) > needed or not inflater.eof:  # more scanlines than the image: compress the image's alone
            raw = raw[:needed]
            idat = zlib.compress(raw, 6)
        elif inflater.unused_data:  # bytes after the stream
            idat = stream[: len(stream) - len(inflater.unused_data)]
        return cls(view, spans, width, height, depth, colour, interlace, raw, idat, (compression, filtering))

    def body(self, kind: bytes) -> bytes | None:
        """The body of the first kept chunk of this type, or None."""
        for k, start, end in self.spans:
            if k == kind:
                return bytes(self.data[start + 8 : end - 4])
        return None

    def stream(self) -> bytes:
        """The zlib stream the copy holds (what :meth:`bytes` writes as IDAT)."""
        if self.idat is not None:
            return self.idat
        return b"".join(self.data[start + 8 : end - 4] for kind, start, end in self.spans if kind == b"IDAT")

    def unfiltered(self) -> tuple[str, object] | None:
        """(Pillow's mode, the pixels as a numpy array) unfiltered here from the scanlines already inflated, for the
        common case: one pass, 8-bit grey, 16-bit grey or 8-bit RGB, every row filtered with None, Sub or Up (what
        Pillow and fast encoders write). None for anything else (Average or Paeth rows, palettes, other depths,
        interlacing, huge images), which :meth:`decode` reads instead. Both give the same pixels, so the same
        :func:`pixel_digest`. Here a noisy 1024² grey image takes ≈ 1 ms; copying its scanlines into a stored stream for
        Pillow and reading them back took ≈ 3 ms."""
        mode = _FAST_MODES.get((self.colour, self.depth))
        pixels = self.width * self.height
        if mode is None or self.interlace or self.methods != (0, 0) or not 0 < pixels <= _max_pixels():
            return None
        rows = _unfilter(self.scanlines, self.height, self.depth * _CHANNELS[self.colour] // 8)
        if rows is None:
            return None
        if mode == "I;16":  # PNG samples are big-endian; Pillow's I;16 (and its tobytes) little-endian
            return mode, rows.view(">u2").astype("<u2")
        return mode, rows.reshape(self.height, self.width, 3) if mode == "RGB" else rows

    def decode(self):
        """The pixels, as a loaded Pillow image, unfiltered from the scanlines already inflated: Pillow reads them
        from a stored (uncompressed) zlib stream, so the image is not inflated a second time. Pixel for pixel
        what decoding the copy gives, since the copy's stream inflates to these scanlines."""
        from PIL import Image

        parts: list[bytes | memoryview] = [PNG_SIGNATURE]
        stored = False
        for kind, start, end in self.spans:
            if kind != b"IDAT":
                parts.append(self.data[start:end])
            elif not stored:
                parts.append(_chunk(b"IDAT", zlib.compress(self.scanlines, 0)))
                stored = True
        return _decode(b"".join(parts), Image)

    def bytes(self, pixels=None) -> bytes:
        """The copy: the kept chunks byte for byte, IDAT replaced by :attr:`idat` when set, and for a palette image
        (``pixels``: its decoded pixels) the palette cut to the entries up to the highest index the pixels use,
        unused ones zeroed (an image without a palette loses its suggested one)."""
        palette = None
        body = self.body(b"PLTE")
        if body is not None:
            palette = b""
            if self.colour == 3:
                import numpy as np

                used = np.unique(np.asarray(pixels))
                kept = bytearray(3 * (int(used.max()) + 1) if used.size else 0)
                for index in used.tolist():
                    kept[3 * index : 3 * index + 3] = body[3 * index : 3 * index + 3]
                palette = bytes(kept)
            if palette == body:
                palette = None
        out: list[bytes | memoryview] = [PNG_SIGNATURE]
        wrote_idat = False
        for kind, start, end in self.spans:
            if kind == b"IDAT" and self.idat is not None:
                if not wrote_idat:
                    out.append(_chunk(kind, self.idat))
                wrote_idat = True
            elif kind == b"PLTE" and palette is not None:
                if palette:
                    out.append(_chunk(kind, palette))
            else:
                out.append(self.data[start:end])
        return b"".join(out)


#: (colour type, bit depth) -> Pillow's mode, for the images :meth:`PngCopy.unfiltered` reads.
_FAST_MODES = {(0, 8): "L", (0, 16): "I;16", (2, 8): "RGB"}


def _max_pixels() -> int:
    """Pillow's decompression-bomb threshold: larger images go through Pillow, which warns or refuses as before."""
    from PIL import Image

    return int(Image.MAX_IMAGE_PIXELS or 0) or 1 << 62


def _unfilter(scanlines: bytes, height: int, bpp: int):
    """The rows of bytes of non-interlaced scanlines whose rows are filtered with None (0), Sub (1) or Up (2), as a
    numpy array; None when a row uses another filter. ``bpp``: bytes per pixel, the distance Sub looks back. Sub is a
    running sum along the row, mod 256 per byte (summed by doubling: log2(width) vectorised adds for every Sub row at
    once); Up adds the row above, in row order."""
    import numpy as np

    table = np.frombuffer(scanlines, np.uint8).reshape(height, -1)
    stride = table.shape[1] - 1
    filters = table[:, 0]
    if int(filters.max()) > 2:
        return None
    rows = table[:, 1:].copy()
    sub = np.flatnonzero(filters == 1)
    if sub.size:
        part, step = rows[sub], bpp
        while step < stride:
            part[:, step:] += part[:, :-step]  # numpy reads the overlapping operand before it writes
            step *= 2
        rows[sub] = part
    lines, add = list(rows), np.add
    for r in np.flatnonzero(filters == 2).tolist():
        if r:
            add(lines[r], lines[r - 1], lines[r])
    return rows


def array_digest(mode: str, pixels) -> str:
    """:func:`pixel_digest` of pixels held as a numpy array in Pillow's layout for ``mode`` (rows of samples, 16-bit
    little-endian): the digest a Pillow image of these pixels gets."""
    height, width = pixels.shape[:2]
    digest = hashlib.sha256(f"{mode}:{(width, height)}:".encode())
    digest.update(memoryview(pixels).cast("B"))
    return digest.hexdigest()


def clean_png(data: bytes, pixels) -> bytes:
    """The PNG copy with nothing but its pixels, which stay identical (``pixels``: the decoded Pillow image, read
    for a palette's used entries): see :class:`PngCopy`. Raises ValueError for a stream that ends early."""
    return PngCopy.read(data).bytes(pixels)


def strip_jpeg_metadata(data: bytes) -> bytes:
    """The JPEG without APPn (EXIF, XMP, ICC, JFIF thumbnails, ...) and COM segments; no re-encoding.

    Adobe APP14 (14 bytes of colour-transform flags, no text) is kept because decoders need it.
    """
    return _strip_jpeg(data)[0]


def _strip_jpeg(data: bytes) -> tuple[bytes, int]:
    """:func:`strip_jpeg_metadata`, and where in the copy the first scan (SOS) starts: from there on the copy is
    the image's entropy-coded data (with the scan headers, and the tables of later scans)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG (no SOI marker)")
    out = bytearray(b"\xff\xd8")
    i, n, scans = 2, len(data), 0
    while i < n:
        if data[i] != 0xFF:
            raise ValueError(f"JPEG marker expected at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # EOI
            out += b"\xff\xd9"
            if not scans:
                raise ValueError("JPEG has no scan")
            return bytes(out), scans
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[i : i + 2]
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        end = i + 2 + length
        segment = data[i:end]
        if marker == 0xDA and not scans:
            scans = len(out)
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE)
        if marker == 0xEE and length == 14 and segment[4:9] == b"Adobe":
            keep = True
        if keep:
            out += segment
        i = end
        if marker == 0xDA:  # start of scan: copy entropy-coded data up to the next real marker
            j = i
            while j < n - 1:
                if data[j] == 0xFF and data[j + 1] != 0x00 and not 0xD0 <= data[j + 1] <= 0xD7 and data[j + 1] != 0xFF:
                    break
                j += 1
            out += data[i:j]
            i = j
    raise ValueError("JPEG ends without EOI marker")


#: Modes whose pixel storage is byte for byte what ``tobytes()`` returns (one band, no padding, no bit packing).
_PLAIN_MODES = ("L", "P", "I;16")


def pixel_digest(image) -> str:
    """SHA-256 of a decoded Pillow image's mode, size and pixels (``tobytes()``): equal for pixel-identical files.

    Single-band images are hashed through Pillow's zero-copy Arrow export (Pillow >= 11.2) instead of a 1 MiB
    ``tobytes()`` copy per 1024² image; same bytes, same digest. Other modes, images Pillow stores in several
    memory blocks and older Pillow take ``tobytes()``.
    """
    digest = hashlib.sha256(f"{image.mode}:{image.size}:".encode())
    if image.mode in _PLAIN_MODES and hasattr(image, "__arrow_c_array__"):
        import pyarrow as pa

        try:
            pixels = pa.array(image)
        except (ValueError, TypeError):  # e.g. rows not contiguous (large images): copy instead
            pixels = None
        if pixels is not None and pixels.offset == 0 and pixels.null_count == 0:
            digest.update(pixels.buffers()[1])
            return digest.hexdigest()
    digest.update(image.tobytes())
    return digest.hexdigest()


def _clean_pixels(image):
    """A fresh Pillow image holding only the pixels (no info dict: no text, EXIF or ICC), alpha dropped."""
    import numpy as np
    from PIL import Image

    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        image = image.convert("RGB" if image.mode != "LA" else "L")
    if image.mode in ("1", "CMYK", "YCbCr"):
        image = image.convert("L" if image.mode == "1" else "RGB")
    if image.mode in ("I", "I;16"):
        arr = np.asarray(image)
        if arr.min() >= 0 and arr.max() <= 65535:
            return Image.fromarray(arr.astype(np.uint16))
    return Image.fromarray(np.asarray(image))


def _encode_png(image):
    """PNG bytes of the image's clean pixels, and those pixels (what the bytes decode to)."""
    clean = _clean_pixels(image)
    buffer = io.BytesIO()
    clean.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue(), clean


def _decode(data: bytes, Image):
    """A Pillow image with its pixels loaded. Left open (it reads from memory, no file is held) because closing
    it frees the pixels, which the builder's worker still reads (``--ocr``) before dropping the image."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@dataclass(frozen=True)
class ImageFile:
    """Lazy image of one PNG/JPEG file: picklable for the builder's worker processes (see the module docstring).

    Calling it returns the metadata-free bytes with the file's SHA-256, the pixel digest (for the duplicate check)
    and the decoded pixels of the bytes written (for ``--ocr``: the one decode serves every check).
    :meth:`structure` returns the same bytes without decoding the pixels (``--verify structure``).
    """

    path: str
    ref: str
    fmt: str  # "png" | "jpeg"
    #: Producing the image is a file copy (reads, checksums and one decode, all of which release the GIL), not
    #: rendering or conversion: the builder produces these in threads, not worker processes (see build/images.py).
    light = True
    #: The bytes returned were checked here (every PNG chunk's CRC, the zlib stream's length; JPEG markers, and
    #: the decode unless :meth:`structure`): the builder does not check them again.
    checked = True

    def __call__(self) -> EncodedImage:
        return self._produce(decode=True)

    def structure(self) -> EncodedImage:
        """The image checked without decoding its pixels: PNG chunks, CRCs and the inflated size against the
        header; JPEG markers and headers. Its digest is of the image data (the IDAT stream, or the JPEG's
        entropy-coded scans) instead of the pixels, so a duplicate re-encoded with other settings goes unseen.
        Images whose pixels must change or be read (alpha, an EXIF rotation, a palette to trim) are decoded
        anyway."""
        return self._produce(decode=False)

    def _produce(self, *, decode: bool) -> EncodedImage:
        from PIL import Image

        try:
            data = Path(self.path).read_bytes()
            if self.fmt == "png":
                out, ext, digest, pixels = self._png(data, Image, decode)
            else:
                out, ext, digest, pixels = self._jpeg(data, Image, decode)
        except RecordError:
            raise
        except Exception as exc:  # PIL and the chunk walkers raise many types for corrupt data
            raise RecordError(self.ref, "undecodable_image", f"{self.fmt}: {type(exc).__name__}") from exc
        return EncodedImage(
            data=out, ext=ext, file_sha256=hashlib.sha256(data).hexdigest(), pixel_sha256=digest, pixels=pixels
        )

    @staticmethod
    def _png(data: bytes, Image, decode: bool) -> tuple[bytes, str, str, object]:
        if len(data) > 25 and data[25] in _ALPHA_TYPES:  # IHDR colour type: the pixels must change
            image = _decode(data, Image)
            encoded, clean = _encode_png(image)
            return encoded, "png", pixel_digest(image), clean
        copy = PngCopy.read(data)  # one walk, one inflate
        fast = copy.unfiltered() if decode else None
        if fast is not None:  # unfiltered here: the copy reads (every row's filter known), its pixels hashed
            mode, array = fast
            return copy.bytes(), "png", array_digest(mode, array), array
        if decode or copy.colour == 3:  # the one decode: the copy reads, and its pixels are hashed
            image = copy.decode()
            return copy.bytes(image), "png", pixel_digest(image), image
        header = copy.body(b"IHDR") or b""
        return copy.bytes(), "png", data_digest("png", header, copy.stream()), None

    @staticmethod
    def _jpeg(data: bytes, Image, decode: bool) -> tuple[bytes, str, str, object]:
        from PIL import ImageOps

        with Image.open(io.BytesIO(data)) as original:  # headers only until load()
            orientation = original.getexif().get(0x0112, 1)
            if orientation not in (1, None):  # stripping EXIF would lose the rotation: re-encode upright
                original.load()
                encoded, upright = _encode_png(ImageOps.exif_transpose(original))
                return encoded, "png", pixel_digest(original), upright
            if original.format != "JPEG":
                raise ValueError("not a JPEG")
        stripped, scans = _strip_jpeg(data)
        if not decode:
            return stripped, "jpg", data_digest("jpeg", b"", memoryview(stripped)[scans:]), None
        image = _decode(stripped, Image)
        return stripped, "jpg", pixel_digest(image), image


def data_digest(kind: str, header: bytes, data: bytes | memoryview) -> str:
    """SHA-256 of an image's compressed data (``--verify structure``'s digest in place of the pixels'): equal for
    files that differ only in metadata; prefixed so it never equals a pixel digest."""
    digest = hashlib.sha256(f"{kind}-data:".encode())
    digest.update(header)
    digest.update(data)
    return digest.hexdigest()


# --------------------------------------------------------------------------- embedded texts, without decoding


def _inflate(data: bytes) -> bytes:
    return zlib.decompressobj().decompress(data, _MAX_TEXT)


def _exif_texts(exif, texts: dict[str, str]) -> None:
    for tag, value in exif.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "ignore")
        if isinstance(value, str):
            texts[f"exif.{tag}"] = value.strip("\x00 ")


def _png_texts(path: Path, texts: dict[str, str]) -> None:
    """tEXt/zTXt/iTXt and eXIf strings, reading chunk headers and seeking past everything else (IDAT)."""
    from PIL import Image

    with open(path, "rb") as handle:
        if handle.read(8) != PNG_SIGNATURE:
            return
        while len(head := handle.read(8)) == 8:
            length, kind = struct.unpack(">I4s", head)
            if kind not in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
                handle.seek(length + 4, io.SEEK_CUR)
                if kind == b"IEND":
                    return
                continue
            body = handle.read(length)
            handle.seek(4, io.SEEK_CUR)
            try:
                keyword, _, rest = body.partition(b"\0")
                if kind == b"tEXt":
                    value = bytes_text(rest)
                elif kind == b"zTXt":
                    value = bytes_text(_inflate(rest[1:]))
                elif kind == b"iTXt":
                    compressed, rest = rest[:1] == b"\1", rest[2:]
                    _language, _, rest = rest.partition(b"\0")
                    _translated, _, payload = rest.partition(b"\0")
                    value = bytes_text(_inflate(payload) if compressed else payload)
                else:
                    exif = Image.Exif()
                    exif.load(body)
                    _exif_texts(exif, texts)
                    continue
            except (zlib.error, ValueError, SyntaxError, struct.error):
                continue  # a damaged text chunk: the worker's decode decides whether the file is usable
            texts[f"png.text.{bytes_text(keyword)}"] = value


def embedded_texts(path: Path, fmt: str) -> dict[str, str]:
    """Identifying-value candidates the file carries (PNG text chunks, EXIF strings, JPEG comments), by where.

    Cheap: no pixel decoding. Values shorter than 3 characters are left out (too short to scrub or scan).
    """
    texts: dict[str, str] = {}
    if fmt == "png":
        _png_texts(path, texts)
    else:
        from PIL import Image

        with Image.open(path) as image:  # parses the headers up to the scan; pixels are not decoded
            comment = image.info.get("comment")
            if isinstance(comment, bytes | str):
                texts["jpeg.comment"] = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else comment
            _exif_texts(image.getexif(), texts)
    return {k: v for k, v in texts.items() if len(v.strip()) >= 3}

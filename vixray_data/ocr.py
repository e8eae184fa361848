"""Burned-in text in pixels: find text boxes with OCR, keep those that say more than a radiographic marker.

A header flag (``BurnedInAnnotation``) is only as honest as the modality that wrote it; names, dates and
phone numbers drawn into the pixels leak whatever the header says. DICOM PS3.15 Annex E asks for the
Clean Pixel Data option whenever pixels may carry text, so ``vixray build --ocr`` reads every image
before it is written and rejects those with text beyond an allow-list of markers (``L``, ``R``, ``PA``,
``ĐỨNG``, ...).

The engine is RapidOCR (PP-OCRv4 detection and recognition on ONNX Runtime, models inside its wheel:
``pip install 'vixray-data[ocr]'``). Measured against Tesseract 5 with the Vietnamese model on
synthetic radiographs (BENCHMARKS.md), Tesseract read words into the noise of every image and missed
the drawn lines; RapidOCR found every drawn line and nothing on clean images, at a similar speed.
Its recogniser has no Vietnamese diacritics ("ĐỨNG" reads "DUNG"), so words are compared folded.

Recognised text stays in memory: callers get box locations only.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from . import schema
from .errors import RecordError, SourceError
from .text import fold

#: Words a radiograph may carry: side markers, projections and positions (Vietnamese and English), and
#: the schema's own view codes. Compared lowercase and without diacritics.
DEFAULT_MARKERS: tuple[str, ...] = (
    "L",
    "R",
    "T",
    "P",
    "PA",
    "AP",
    *schema.VIEW_VALUES,
    "LATERAL",
    "LEFT",
    "RIGHT",
    "SUPINE",
    "ERECT",
    "UPRIGHT",
    "PORTABLE",
    "STANDING",
    "TRÁI",
    "PHẢI",
    "ĐỨNG",
    "NẰM",
    "NGỒI",
    "THẲNG",
    "NGHIÊNG",
)
#: Recognition confidence below which a box is not text: rib and vessel edges overlapping the heart read as "3"
#: or "e3" at 0.27-0.41 on clean demo radiographs; drawn words, small or inverted, score well above this.
MIN_TEXT_SCORE = 0.5
#: A word of recognised text; punctuation around a marker ("R.", "(L)") is not part of it.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class TextBox:
    """Where text is in the image (pixels, axis-aligned); ``text`` never leaves the process."""

    x: int
    y: int
    width: int
    height: int
    text: str

    def location(self, height: int, width: int) -> str:
        """Where the box is in words (``top left``, ``middle``, ``bottom right``): a reject's detail carries no
        number read from the data (a coordinate could equal an identifying value and fail the leak scan)."""
        row = ("top", "", "bottom")[min(2, 3 * (self.y + self.height // 2) // max(height, 1))]
        col = ("left", "", "right")[min(2, 3 * (self.x + self.width // 2) // max(width, 1))]
        return " ".join(word for word in (row, col) if word) or "middle"


class OcrEngine(Protocol):
    """What the screen calls (RapidOCR's ``__call__``): (boxes as (corner points, text, score), or None; timings)."""

    def __call__(self, image: np.ndarray, *, text_score: float) -> tuple[list[tuple[Any, str, float]] | None, Any]: ...


class TextScreen:
    """OCR engine plus allow-list; one per process (ONNX Runtime sessions are not fork-safe)."""

    def __init__(self, allowed: Iterable[str] = DEFAULT_MARKERS, *, threads: int = 1) -> None:
        self.words = tuple(dict.fromkeys(allowed))  # as given, for the card
        self.allowed = frozenset(fold(w) for w in self.words)
        self.threads = threads
        self._engine: OcrEngine | None = None
        self._pid: int | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_engine": None, "_pid": None}

    def _ocr(self) -> OcrEngine:
        if self._engine is None or self._pid != os.getpid():
            self._engine, self._pid = load_engine(self.threads), os.getpid()
        return self._engine

    def boxes(self, pixels: np.ndarray) -> list[TextBox]:
        """Every text box found in ``pixels`` (2-D grey or H×W×3, any integer depth)."""
        result, _ = self._ocr()(to_uint8(pixels), text_score=MIN_TEXT_SCORE)
        out = []
        for points, text, _score in result or ():
            xs, ys = [int(p[0]) for p in points], [int(p[1]) for p in points]
            out.append(TextBox(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), str(text)))
        return out

    def unexpected(self, pixels: np.ndarray) -> list[TextBox]:
        """The boxes holding a word that is not on the allow-list."""
        return [
            box for box in self.boxes(pixels) if any(fold(word) not in self.allowed for word in _WORD.findall(box.text))
        ]

    def check(self, data: bytes, ref: str) -> None:
        """Raise ``RecordError(burned_in_text)`` naming the boxes' locations when the encoded image carries text."""
        from PIL import Image

        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except Exception as exc:  # an image the engine cannot read is not written unscreened
            raise RecordError(ref, "unscreened_image", f"OCR failed ({type(exc).__name__})") from exc
        self.check_pixels(image, ref)

    def check_pixels(self, pixels, ref: str) -> None:
        """:meth:`check` for pixels already decoded (a Pillow image or a numpy array): the builder's workers pass
        the pixels of the decode that checked the image, so an image is decoded once whatever screens it."""
        try:
            array = as_array(pixels)
            found = self.unexpected(array)
        except Exception as exc:  # an image the engine cannot read is not written unscreened
            raise RecordError(ref, "unscreened_image", f"OCR failed ({type(exc).__name__})") from exc
        if found:
            where = ", ".join(dict.fromkeys(box.location(*array.shape[:2]) for box in found))
            raise RecordError(ref, "burned_in_text", f"text beyond the allowed marker words at {where}")


def as_array(pixels) -> np.ndarray:
    """A numpy array of a Pillow image (palette, bilevel, CMYK and YCbCr as RGB: palette indices are not grey
    levels) or the array itself."""
    if isinstance(pixels, np.ndarray):
        return pixels
    if pixels.mode in ("P", "PA", "1", "LA", "CMYK", "YCbCr"):
        pixels = pixels.convert("RGB")
    return np.asarray(pixels)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """8-bit pixels for the detector: 16-bit images scaled by their own range, RGBA without alpha."""
    arr = np.asarray(pixels)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    lo, hi = float(arr.min()), float(arr.max())
    scaled = (arr.astype(np.float64) - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros(arr.shape)
    return scaled.round().astype(np.uint8)


def require() -> None:
    """SourceError with the install line when the ``ocr`` extra is missing (checked before a build starts)."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError as exc:
        raise SourceError("--ocr needs the OCR engine: pip install 'vixray-data[ocr]'") from exc


def load_engine(threads: int = 1) -> OcrEngine:
    """A RapidOCR instance (one ONNX Runtime thread by default: the builder runs one per worker process)."""
    require()
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)


def parse_allow(text: str | None) -> tuple[str, ...]:
    """``--ocr-allow L,R,PA,ĐỨNG``: the allow-list, replacing :data:`DEFAULT_MARKERS`; None keeps the default."""
    if text is None:
        return DEFAULT_MARKERS
    return tuple(word.strip() for word in text.split(",") if word.strip())

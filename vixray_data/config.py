"""Build settings as one keyword-only dataclass: the CLI fills it, the library reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import schema

#: Pixels (rows x columns x frames x samples) a DICOM file may declare: the largest radiography detectors are
#: about 4300 x 4300 (18.5 million); above this a file is rejected from its header, before decoding.
DEFAULT_MAX_PIXELS = 50_000_000


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    source: Path | None = None  # None: the embedded synthetic demo corpus
    out: Path = Path(schema.DEFAULT_OUT)
    seed: int = 175
    split_sizes: tuple[int, ...] | None = None  # explicit counts per split, else SPLIT_RATIOS
    split_ratios: tuple[float, ...] = schema.SPLIT_RATIOS
    num_proc: int | None = None  # image conversion workers; None: all cores
    strict: bool = False  # any reject fails the build
    row_group_bytes: int = schema.DEFAULT_ROW_GROUP_BYTES
    shard_bytes: int = schema.DEFAULT_SHARD_BYTES
    progress: bool = True
    # demo corpus
    demo_size: int = 5400
    demo_image_size: int = 1024
    # hospital exports (issue: raw exports in, de-identified out)
    table: Path | None = None  # the report/metadata table, when not the single one at SOURCE's top level
    key_column: str | None = None  # join key column
    columns: dict[str, str] = field(default_factory=dict)  # schema field -> source column
    deid_key_file: Path | None = None  # else $VIXRAY_DEID_KEY; refused for real sources without one
    bit_depth: int = 8  # DICOM: 8 (windowed) or 16 (full depth PNG)
    allow_burned_in: bool = False  # images flagged BurnedInAnnotation were reviewed by a person
    report_residual: Path | None = None  # write the residual-PHI scan's hits (locations, no values) here
    # hostile exports
    ocr: bool = False  # read every image with OCR; reject those with text beyond ocr_allow (needs the ocr extra)
    ocr_allow: tuple[str, ...] | None = None  # allowed marker words; None: vixray_data.ocr.DEFAULT_MARKERS
    max_pixels: int = DEFAULT_MAX_PIXELS  # DICOM: rows x columns x frames above this is rejected unread

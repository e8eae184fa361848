"""Build settings as one keyword-only dataclass: the library reads it, and each field declares its own CLI flag.

``vixray build``'s options are generated from these fields (:mod:`vixray_data.flags`): a field's flag name, help,
metavar, parser and group are written here once, beside its type and default.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from . import schema
from .flags import flag

#: Pixels (rows x columns x frames x samples) a DICOM file may declare: the largest radiography detectors are
#: about 4300 x 4300 (18.5 million); above this a file is rejected from its header, before decoding.
DEFAULT_MAX_PIXELS = 50_000_000
_MIB = 2**20

# Parsers of the flags' text: an ArgumentTypeError's message is what argparse prints after the flag's name.


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--split-sizes wants {len(schema.SPLITS)} counts like 4320,540,540") from None
    if len(sizes) != len(schema.SPLITS) or min(sizes) < 0:
        raise argparse.ArgumentTypeError(
            f"--split-sizes wants {len(schema.SPLITS)} non-negative counts ({','.join(schema.SPLITS)}), got {text!r}"
        )
    return sizes


def _positive(text: str, *, minimum: int = 1) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a number of at least {minimum}, got {text}")
    return value


def _megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size in MiB, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive size in MiB, got {text}")
    return value


def _pixels(text: str) -> int:
    return _positive(text, minimum=16)


def _bytes(mebibytes: float) -> int:
    return int(mebibytes * _MIB)


def _not(value: bool) -> bool:
    return not value


def _columns(text: str | None) -> dict[str, str]:
    from .sources.table import parse_columns_option  # the sources import this module

    return parse_columns_option(text)


def _ocr_allow(text: str | None) -> tuple[str, ...]:
    from .ocr import parse_allow  # numpy: only when the options are read

    return parse_allow(text)


_EXPORTS, _HOSTILE = "hospital exports", "hostile exports"


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    source: Path | None = field(
        default=None,
        metadata=flag(  # None: the embedded synthetic demo corpus
            "source", nargs="?", help="hospital export folder (or table file); omit for the synthetic demo corpus"
        ),
    )
    out: Path = field(
        default=Path(schema.DEFAULT_OUT),
        metadata=flag(
            "--out", help=f"output folder (default ./{schema.DEFAULT_OUT}, which load_dataset('vixray') finds)"
        ),
    )
    seed: int = field(default=175, metadata=flag("--seed", help="split and demo seed"))
    split_sizes: tuple[int, ...] | None = field(
        default=None,
        metadata=flag(  # explicit counts, else split_ratios
            "--split-sizes",
            type=_sizes,
            metavar="TRAIN,VAL,TEST",
            help="explicit records per split (default: 8:1:1 of what is accepted)",
        ),
    )
    split_ratios: tuple[float, ...] = schema.SPLIT_RATIOS
    num_proc: int | None = field(
        default=None,
        metadata=flag(  # image conversion workers; None: all cores
            "--num-proc", type=_positive, help="image workers (default: all cores)"
        ),
    )
    verify: str = field(
        default="pixels",
        metadata=flag(
            "--verify",
            choices=("pixels", "structure"),
            help="how PNG/JPEG copies are checked: pixels decodes each image once (it reads, and re-encoded "
            "duplicates are caught by their pixels); structure checks chunks, CRCs and sizes without decoding and "
            "catches duplicates by their compressed data only (faster; --ocr and DICOM decode either way)",
        ),
    )
    strict: bool = field(
        default=False,
        metadata=flag(  # any reject fails the build
            "--strict", action="store_true", help="fail on the first rejected record"
        ),
    )
    # demo corpus
    demo_size: int = field(default=5400, metadata=flag("--demo-size", type=_positive, help="demo corpus records"))
    demo_image_size: int = field(
        default=1024, metadata=flag("--image-size", type=_pixels, help="demo image width/height in pixels")
    )
    # shards and output
    row_group_bytes: int = field(
        default=schema.DEFAULT_ROW_GROUP_BYTES,
        metadata=flag(
            "--row-group-mb",
            type=_megabytes,
            default=schema.DEFAULT_ROW_GROUP_BYTES / _MIB,
            convert=_bytes,
            help="row group size limit in MiB (hub viewer: keep under ~100)",
        ),
    )
    shard_bytes: int = field(
        default=schema.DEFAULT_SHARD_BYTES,
        metadata=flag(
            "--shard-mb",
            type=_megabytes,
            default=schema.DEFAULT_SHARD_BYTES / _MIB,
            convert=_bytes,
            help="shard size limit in MiB",
        ),
    )
    progress: bool = field(
        default=True,
        metadata=flag("--no-progress", action="store_true", default=False, convert=_not, help="no progress bar"),
    )
    report_residual: Path | None = field(
        default=None,
        metadata=flag(  # the residual-PHI scan's hits, no values
            "--report-residual",
            metavar="PATH",
            help="write every residual-PHI hit (the records the screen quarantined, then the post-write scan's) as "
            "JSON Lines: file, split, id, ref, column, category, detector; never the value",
        ),
    )
    # hospital exports (issue: raw exports in, de-identified out)
    table: Path | None = field(
        default=None,
        metadata=flag(  # when not the single one at SOURCE's top level
            "--table",
            group=_EXPORTS,
            help="report/metadata table: CSV, TSV, XLSX or JSONL (default: the one at SOURCE's top level)",
        ),
    )
    key_column: str | None = field(
        default=None,
        metadata=flag(  # join key column
            "--key",
            metavar="KEY_COLUMN",
            group=_EXPORTS,
            help="column joining the table to the images (default: whichever of accession number, study UID, "
            "patient ID or file name matches)",
        ),
    )
    columns: dict[str, str] = field(
        default_factory=dict,
        metadata=flag(  # schema field -> source column
            "--columns",
            default=None,
            convert=_columns,
            group=_EXPORTS,
            help='schema field -> source column, e.g. findings="Mô tả",impressions="Kết luận", '
            "or a YAML/TOML file (default: recognised Vietnamese/English headers)",
        ),
    )
    deid_key_file: Path | None = field(
        default=None,
        metadata=flag(  # refused for real sources without a key
            "--key-file",
            metavar="DEID_KEY_FILE",
            group=_EXPORTS,
            help="secret de-identification key file (else $VIXRAY_DEID_KEY)",
        ),
    )
    bit_depth: int = field(
        default=8,
        metadata=flag("--bit-depth", choices=(8, 16), group=_EXPORTS, help="DICOM: 8-bit windowed or 16-bit PNG"),
    )
    allow_burned_in: bool = field(
        default=False,
        metadata=flag(  # flagged images were reviewed by a person
            "--allow-burned-in",
            action="store_true",
            group=_EXPORTS,
            help="write images flagged with burned-in annotations (a person reviewed them)",
        ),
    )
    # hostile exports
    ocr: bool = field(
        default=False,
        metadata=flag(  # needs the ocr extra
            "--ocr",
            action="store_true",
            group=_HOSTILE,
            help="read every image with OCR and reject those carrying text beyond radiographic markers "
            "(pip install 'vixray-data[ocr]')",
        ),
    )
    ocr_allow: tuple[str, ...] | None = field(
        default=None,
        metadata=flag(  # None: ocr.DEFAULT_MARKERS
            "--ocr-allow",
            metavar="WORDS",
            convert=_ocr_allow,
            group=_HOSTILE,
            help="comma-separated marker words images may carry (default: L,R,PA,AP,ĐỨNG,NẰM,...)",
        ),
    )
    max_pixels: int = field(
        default=DEFAULT_MAX_PIXELS,
        metadata=flag(  # rows x columns x frames, else unread
            "--max-pixels",
            type=_positive,
            group=_HOSTILE,
            help=f"DICOM: reject files declaring more pixels than this, before decoding "
            f"(default {DEFAULT_MAX_PIXELS:,})",
        ),
    )

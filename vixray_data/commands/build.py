"""``vixray build [SOURCE]``: build the dataset folder (the demo corpus when no SOURCE is given)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import schema
from ..config import DEFAULT_MAX_PIXELS, BuildConfig
from ..ocr import parse_allow
from ..sources.table import parse_columns_option

NAME = "build"
HELP = "build a hub-ready dataset folder (parquet shards, README card, manifest) from an export or the demo corpus"


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--split-sizes wants {len(schema.SPLITS)} counts like 4320,540,540") from None
    if len(sizes) != len(schema.SPLITS) or min(sizes) < 0:
        raise argparse.ArgumentTypeError(f"--split-sizes wants {len(schema.SPLITS)} non-negative counts "
                                         f"({','.join(schema.SPLITS)}), got {text!r}")
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", type=Path, default=None,
                        help="hospital export folder (or table file); omit for the synthetic demo corpus")
    parser.add_argument("--out", type=Path, default=Path(schema.DEFAULT_OUT),
                        help=f"output folder (default ./{schema.DEFAULT_OUT}, which load_dataset('vixray') finds)")
    parser.add_argument("--seed", type=int, default=BuildConfig.seed, help="split and demo seed")
    parser.add_argument("--split-sizes", type=_sizes, default=None, metavar="TRAIN,VAL,TEST",
                        help="explicit records per split (default: 8:1:1 of what is accepted)")
    parser.add_argument("--num-proc", type=_positive, default=None, help="image workers (default: all cores)")
    parser.add_argument("--strict", action="store_true", help="fail on the first rejected record")
    parser.add_argument("--demo-size", type=_positive, default=BuildConfig.demo_size, help="demo corpus records")
    parser.add_argument("--image-size", type=_pixels, default=BuildConfig.demo_image_size,
                        help="demo image width/height in pixels")
    parser.add_argument("--row-group-mb", type=_megabytes, default=schema.DEFAULT_ROW_GROUP_BYTES / 2**20,
                        help="row group size limit in MiB (hub viewer: keep under ~100)")
    parser.add_argument("--shard-mb", type=_megabytes, default=schema.DEFAULT_SHARD_BYTES / 2**20,
                        help="shard size limit in MiB")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--report-residual", type=Path, default=None, metavar="PATH",
                        help="write where the residual-PHI scan found PHI kinds (JSON Lines: file, split, id, "
                             "column, category; never the value) for review")
    export = parser.add_argument_group("hospital exports")
    export.add_argument("--table", type=Path, default=None,
                        help="report/metadata table: CSV, TSV, XLSX or JSONL (default: the one at SOURCE's top level)")
    export.add_argument("--key", dest="key_column", default=None,
                        help="column joining the table to the images (default: whichever of accession number, study "
                             "UID, patient ID or file name matches)")
    export.add_argument("--columns", default=None,
                        help='schema field -> source column, e.g. findings="Mô tả",impressions="Kết luận", '
                             "or a YAML/TOML file (default: recognised Vietnamese/English headers)")
    export.add_argument("--key-file", dest="deid_key_file", type=Path, default=None,
                        help="secret de-identification key file (else $VIXRAY_DEID_KEY)")
    export.add_argument("--bit-depth", type=int, choices=(8, 16), default=8, help="DICOM: 8-bit windowed or 16-bit PNG")
    export.add_argument("--allow-burned-in", action="store_true",
                        help="write images flagged with burned-in annotations (a person reviewed them)")
    screen = parser.add_argument_group("hostile exports")
    screen.add_argument("--ocr", action="store_true",
                        help="read every image with OCR and reject those carrying text beyond radiographic markers "
                             "(pip install 'vixray-data[ocr]')")
    screen.add_argument("--ocr-allow", default=None, metavar="WORDS",
                        help="comma-separated marker words images may carry (default: L,R,PA,AP,ĐỨNG,NẰM,...)")
    screen.add_argument("--max-pixels", type=lambda t: _positive(t, minimum=1), default=DEFAULT_MAX_PIXELS,
                        help=f"DICOM: reject files declaring more pixels than this, before decoding "
                             f"(default {DEFAULT_MAX_PIXELS:,})")


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    """The BuildConfig the parsed arguments describe."""
    return BuildConfig(
        source=args.source, out=args.out, seed=args.seed, split_sizes=args.split_sizes, num_proc=args.num_proc,
        strict=args.strict, row_group_bytes=int(args.row_group_mb * 2**20), shard_bytes=int(args.shard_mb * 2**20),
        progress=not args.no_progress, demo_size=args.demo_size, demo_image_size=args.image_size,
        table=args.table, key_column=args.key_column, columns=parse_columns_option(args.columns),
        deid_key_file=args.deid_key_file, bit_depth=args.bit_depth, allow_burned_in=args.allow_burned_in,
        report_residual=args.report_residual,
        ocr=args.ocr, ocr_allow=parse_allow(args.ocr_allow), max_pixels=args.max_pixels,
    )


def run(args: argparse.Namespace) -> int:
    from ..build import build  # heavy imports only when building

    result = build(config_from_args(args))
    print(result.summary_line())
    return 0

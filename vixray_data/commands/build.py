"""``vixray build [SOURCE]``: build the dataset folder (the demo corpus when no SOURCE is given)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import yaml

from .. import schema
from ..config import BuildConfig
from ..errors import SchemaError

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


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def parse_columns(text: str | None) -> dict[str, str]:
    """``findings="Mô tả",impressions=Kết luận`` or a YAML/TOML file mapping schema field -> source column."""
    if not text:
        return {}
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml", ".toml") or path.is_file():
        if not path.is_file():
            raise SchemaError(f"--columns file {path} does not exist")
        raw = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            import tomllib  # Python 3.11+

            data = tomllib.loads(raw)
        else:
            data = yaml.safe_load(raw)
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            data = data["columns"]
        if not isinstance(data, dict):
            raise SchemaError(f"--columns file {path} must map schema fields to source column names")
        mapping = {str(k): str(v) for k, v in data.items()}
    else:
        mapping = {}
        for item in next(csv.reader([text], skipinitialspace=True)):
            field, sep, column = item.partition("=")
            if not sep or not field.strip() or not column.strip():
                raise SchemaError(f"--columns entry {item!r} is not field=column")
            mapping[field.strip()] = column.strip().strip('"').strip("'")
    unknown = sorted(set(mapping) - set(schema.FIELDS))
    if unknown:
        raise SchemaError(f"--columns names unknown schema field(s) {', '.join(unknown)}; "
                          f"fields are {', '.join(schema.FIELDS)}")
    return mapping


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
    parser.add_argument("--demo-size", type=int, default=BuildConfig.demo_size, help="demo corpus records")
    parser.add_argument("--image-size", type=_positive, default=BuildConfig.demo_image_size,
                        help="demo image width/height in pixels")
    parser.add_argument("--row-group-mb", type=float, default=schema.DEFAULT_ROW_GROUP_BYTES / 2**20,
                        help="row group size limit in MiB (hub viewer: keep under ~100)")
    parser.add_argument("--shard-mb", type=float, default=schema.DEFAULT_SHARD_BYTES / 2**20,
                        help="shard size limit in MiB")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    export = parser.add_argument_group("hospital exports")
    export.add_argument("--table", type=Path, default=None, help="report/metadata table (CSV/XLSX), if not found")
    export.add_argument("--key", dest="key_column", default=None, help="column joining the table to the images")
    export.add_argument("--columns", default=None,
                        help='schema field -> source column, e.g. findings="Mô tả",impressions="Kết luận", '
                             "or a YAML/TOML file")
    export.add_argument("--key-file", dest="deid_key_file", type=Path, default=None,
                        help="secret de-identification key file (else $VIXRAY_DEID_KEY)")
    export.add_argument("--bit-depth", type=int, choices=(8, 16), default=8, help="DICOM: 8-bit windowed or 16-bit PNG")
    export.add_argument("--allow-burned-in", action="store_true",
                        help="write images flagged with burned-in annotations (a person reviewed them)")


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    """The BuildConfig the parsed arguments describe."""
    return BuildConfig(
        source=args.source, out=args.out, seed=args.seed, split_sizes=args.split_sizes, num_proc=args.num_proc,
        strict=args.strict, row_group_bytes=int(args.row_group_mb * 2**20), shard_bytes=int(args.shard_mb * 2**20),
        progress=not args.no_progress, demo_size=args.demo_size, demo_image_size=args.image_size,
        table=args.table, key_column=args.key_column, columns=parse_columns(args.columns),
        deid_key_file=args.deid_key_file, bit_depth=args.bit_depth, allow_burned_in=args.allow_burned_in,
    )


def run(args: argparse.Namespace) -> int:
    from ..build import build  # heavy imports only when building

    result = build(config_from_args(args))
    print(result.summary_line())
    return 0

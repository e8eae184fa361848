"""Check a built folder before anyone uploads it: every problem found, each naming its file and row.

Checks, in order: manifest present and readable; the card's YAML (``configs``, ``dataset_info`` features and
``num_examples``) against the schema, the manifest and the rows actually in the shards; the card's manifest
hash; split names; each shard's sha256, size, row count and row-group sizes against the manifest and the
hub's limits; the columns (names, order, types) of every shard; empty findings/impressions; ids and patients in
two splits; any kind of PHI left in the shards' text, rejects.jsonl or the manifest (the residual-PHI
scan); images that do not decode (all, or a seeded sample, in worker processes); the recorded leak scan present
and clean (and, given identifying values, a fresh one).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image

from . import card, schema
from .build import leak_scan, residual_scan
from .errors import ManifestError, ValidationError
from .manifest import Manifest, ShardInfo
from .pool import process_pool
from .progress import bar
from .writer import sha256_file

log = logging.getLogger(__name__)


@dataclass
class ValidationReport:
    """What was checked; ``problems`` is empty when the folder may be published."""

    folder: Path
    problems: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    shards: int = 0
    images_checked: int = 0
    manifest_hash: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        per = ", ".join(f"{s} {n}" for s, n in self.rows.items())
        return (
            f"OK {self.folder}: {sum(self.rows.values())} rows ({per}) in {self.shards} shard(s), "
            f"{self.images_checked} image(s) decoded, manifest {self.manifest_hash[:16]}"
        )


def validate(
    folder: Path,
    *,
    sample: int | None = None,
    seed: int = 0,
    phi_values: list[str] | None = None,
    progress: bool = False,
    num_proc: int | None = None,
) -> ValidationReport:
    """Validate ``folder``; raises :class:`~vixray_data.errors.ValidationError` listing every problem.

    ``sample`` decodes that many images (chosen with ``seed``) instead of all, in ``num_proc`` worker processes
    (default: every core); ``phi_values`` re-runs the leak scan with those identifying values on top of checking
    the recorded one; ``progress`` shows bars on a terminal's stderr.
    """
    report = check(folder, sample=sample, seed=seed, phi_values=phi_values, progress=progress, num_proc=num_proc)
    if report.problems:
        raise ValidationError(report.problems)
    return report


def check(
    folder: Path,
    *,
    sample: int | None = None,
    seed: int = 0,
    phi_values: list[str] | None = None,
    progress: bool = False,
    num_proc: int | None = None,
) -> ValidationReport:
    """Like :func:`validate` but returns the report with its problems instead of raising."""
    folder = Path(folder)
    report = ValidationReport(folder=folder)
    problems = report.problems
    try:
        manifest = Manifest.read(folder)
    except ManifestError as exc:
        problems.append(str(exc))
        return report
    report.manifest_hash = sha256_file(folder / schema.MANIFEST)

    splits = manifest.splits
    if not splits or list(splits) != [s for s in schema.SPLITS if s in splits]:  # empty splits are left out
        problems.append(
            f"{schema.MANIFEST}: splits are {list(splits)}, expected {list(schema.SPLITS)} "
            "or the non-empty ones among them"
        )
    row_group_limit = min(manifest.limits.row_group_bytes, schema.DEFAULT_ROW_GROUP_BYTES)
    shard_limit = min(manifest.limits.shard_bytes, schema.DEFAULT_SHARD_BYTES)

    ids: dict[str, tuple[str, int]] = {}
    images: list[tuple[str, int, int]] = []  # (shard path, row group, row within the group)
    shards = bar(total=len(manifest.shards()), enabled=progress, desc="checking shards", unit="shard")
    for split, info in splits.items():
        rows = 0
        for shard in info.shards:
            shards.update()
            rows += _check_shard(folder, split, shard, row_group_limit, shard_limit, ids, images, problems)
            report.shards += 1
        report.rows[split] = rows
        if rows != info.num_examples:
            problems.append(
                f"{schema.MANIFEST}: split {split} says num_examples {info.num_examples}, its shards hold {rows} rows"
            )
        counted = manifest.counts.per_split.get(split)
        if counted is not None and counted.written != rows:
            problems.append(
                f"{schema.MANIFEST}: counts.per_split.{split}.written is {counted.written}, shards hold {rows}"
            )
    shards.close()
    _check_extra_shards(folder, manifest, problems)
    _check_card(folder, manifest, report, problems)
    _check_patients(manifest, problems)
    report.images_checked = _check_images(folder, images, sample, seed, problems, progress=progress, num_proc=num_proc)
    _check_leak_scan(folder, manifest, phi_values, problems)
    problems += [f"residual PHI: {residual_scan.describe_residual(hit)}" for hit in residual_scan.residual_scan(folder)]
    return report


def _check_shard(
    folder: Path,
    split: str,
    shard: ShardInfo,
    row_group_limit: int,
    shard_limit: int,
    ids: dict[str, tuple[str, int]],
    images: list,
    problems: list[str],
) -> int:
    """Checks one shard; returns its row count (0 when unreadable)."""
    rel = shard.path
    path = folder / rel
    if not path.is_file():
        problems.append(f"{rel}: listed in {schema.MANIFEST} but missing")
        return 0
    _check_shard_file(path, split, shard, shard_limit, problems)
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        problems.append(f"{rel}: not readable as parquet ({type(exc).__name__}: {exc})")
        return 0
    meta = parquet.metadata
    if meta.num_rows != shard.num_rows:
        problems.append(f"{rel}: {meta.num_rows} rows, the manifest says {shard.num_rows}")
    for group in range(meta.num_row_groups):
        group_bytes = meta.row_group(group).total_byte_size
        if group_bytes > row_group_limit:
            problems.append(
                f"{rel}: row group {group} is {group_bytes} bytes, over the limit of {row_group_limit} "
                "(the hub viewer cannot read it)"
            )
    if _check_columns(rel, parquet, problems):
        _check_rows(rel, parquet, ids, images, problems)
    return meta.num_rows


def _check_shard_file(path: Path, split: str, shard: ShardInfo, shard_limit: int, problems: list[str]) -> None:
    """The shard's name, bytes (sha256) and size against the manifest and the hub's limit."""
    rel = shard.path
    if not path.name.startswith(f"{split}-"):
        problems.append(f"{rel}: listed under split {split} but named for another split")
    digest = sha256_file(path)
    if digest != shard.sha256:
        problems.append(f"{rel}: sha256 {digest[:16]}… does not match the manifest's {shard.sha256[:16]}…")
    size = path.stat().st_size
    if size > shard_limit:
        problems.append(f"{rel}: {size} bytes, over the shard limit of {shard_limit}")


def _check_columns(rel: str, parquet: pq.ParquetFile, problems: list[str]) -> bool:
    """The shard's columns against the schema; False when their names or order differ (rows are not read then)."""
    expected = schema.FEATURES.arrow_schema
    actual = parquet.schema_arrow
    if actual.names != expected.names:
        problems.append(f"{rel}: columns {actual.names}, expected {expected.names} (names and order)")
        return False
    for name in expected.names:
        if not actual.field(name).type.equals(expected.field(name).type):
            problems.append(
                f"{rel}: column {name} has type {actual.field(name).type}, expected {expected.field(name).type}"
            )
    return True


def _check_rows(
    rel: str, parquet: pq.ParquetFile, ids: dict[str, tuple[str, int]], images: list, problems: list[str]
) -> None:
    """Ids (present, unique across the build) and required text of every row; each row's image listed to decode."""
    columns = [n for n in schema.FIELDS if n != schema.IMAGE]
    offset = 0
    for group in range(parquet.metadata.num_row_groups):
        table = parquet.read_row_group(group, columns=columns)
        values = {n: table.column(n).to_pylist() for n in columns}
        for i in range(table.num_rows):
            row = offset + i
            record_id = values[schema.ID][i]
            where = f"{rel} row {row} (id {record_id})"
            if not record_id:
                problems.append(f"{rel} row {row}: empty id")
            elif record_id in ids:
                other_rel, other_row = ids[record_id]
                problems.append(f"{where}: duplicate id, also in {other_rel} row {other_row}")
            else:
                ids[record_id] = (rel, row)
            problems.extend(
                f"{where}: empty {name}" for name in schema.REQUIRED_TEXT if not (values[name][i] or "").strip()
            )
            images.append((rel, group, i))
        offset += table.num_rows


def _check_extra_shards(folder: Path, manifest: Manifest, problems: list[str]) -> None:
    listed = {shard.path for shard in manifest.shards()}
    for path in sorted((folder / "data").glob("*.parquet")):
        rel = path.relative_to(folder).as_posix()
        if rel not in listed:
            problems.append(f"{rel}: parquet file not listed in {schema.MANIFEST} (would be loaded as data)")


def _check_card(folder: Path, manifest: Manifest, report: ValidationReport, problems: list[str]) -> None:
    path = folder / schema.CARD
    if not path.is_file():
        problems.append(f"{schema.CARD}: missing (the dataset card)")
        return
    try:
        header, body = card.split_card(path.read_text(encoding="utf-8"))
    except Exception as exc:  # yaml raises several types
        problems.append(f"{schema.CARD}: YAML header does not parse ({type(exc).__name__}: {exc})")
        return
    info = header.get("dataset_info") or {}
    if info.get("features") != card.features_yaml():
        problems.append(f"{schema.CARD}: dataset_info.features differ from the schema")
    yaml_splits = {s.get("name"): s for s in info.get("splits") or []}
    if list(yaml_splits) != list(manifest.splits):
        problems.append(
            f"{schema.CARD}: dataset_info.splits {list(yaml_splits)} differ from the manifest's {list(manifest.splits)}"
        )
    for split, rows in report.rows.items():
        n = yaml_splits.get(split, {}).get("num_examples")
        if split in yaml_splits and n != rows:
            problems.append(
                f"{schema.CARD}: num_examples of {split} is {n}, its shards hold {rows} rows "
                "(datasets.load_dataset would fail)"
            )
    configs = header.get("configs") or []
    declared = [d.get("split") for c in configs for d in c.get("data_files") or []]
    if declared != list(manifest.splits):
        problems.append(f"{schema.CARD}: configs declare splits {declared}, the manifest has {list(manifest.splits)}")
    if report.manifest_hash not in body:
        problems.append(
            f"{schema.CARD}: does not show the manifest hash {report.manifest_hash[:16]}… "
            "(card and manifest.json are from different builds)"
        )


def _check_patients(manifest: Manifest, problems: list[str]) -> None:
    patients = manifest.patients
    if patients is None:
        problems.append(f"{schema.MANIFEST}: no patients section (cannot check patient-level splits)")
        return
    seen: dict[str, str] = {}
    for split, keys in patients.items():
        for key in keys:
            if key in seen and seen[key] != split:
                problems.append(f"{schema.MANIFEST}: patient {key} is in both {seen[key]} and {split}")
            seen.setdefault(key, split)


def _check_images(
    folder: Path,
    images: list[tuple[str, int, int]],
    sample: int | None,
    seed: int,
    problems: list[str],
    *,
    progress: bool = False,
    num_proc: int | None = None,
) -> int:
    """Decodes the images (all, or ``sample`` of them chosen with ``seed``), one row group per task, in ``num_proc``
    worker processes (default: every core); the problems come back in shard and row order whatever the workers."""
    chosen = images if sample is None or sample >= len(images) else random.Random(seed).sample(images, sample)
    decoding = bar(total=len(chosen), enabled=progress, desc="decoding images", unit="img")
    by_group: dict[tuple[str, int], list[int]] = {}
    for rel, group, i in chosen:
        by_group.setdefault((rel, group), []).append(i)
    tasks = [(str(folder), rel, group, sorted(rows)) for (rel, group), rows in sorted(by_group.items())]
    processes = min(len(tasks), max(1, num_proc if num_proc is not None else (os.cpu_count() or 1)))
    checked = 0
    results: Iterator[tuple[int, list[str]]]
    with contextlib.ExitStack() as stack:
        if processes > 1:
            pool = stack.enter_context(process_pool(processes))
            results = pool.imap(_decode_group, tasks)
        else:
            results = map(_decode_group, tasks)
        for count, found in results:
            problems.extend(found)
            checked += count
            decoding.update(count)
    decoding.close()
    return checked


def _decode_group(task: tuple[str, str, int, list[int]]) -> tuple[int, list[str]]:
    """Decodes the images of ``rows`` of one row group (in a worker): how many, and a problem per failure."""
    folder, rel, group, rows = task
    parquet = pq.ParquetFile(Path(folder) / rel)
    offset = sum(parquet.metadata.row_group(g).num_rows for g in range(group))
    column = parquet.read_row_group(group, columns=[schema.IMAGE, schema.ID])
    images_col = column.column(schema.IMAGE)
    ids = column.column(schema.ID)
    problems = []
    for i in rows:
        value = images_col[i].as_py() or {}
        try:
            with Image.open(io.BytesIO(value.get("bytes") or b"")) as image:
                image.load()
        except Exception as exc:  # PIL raises many types for corrupt data
            problems.append(
                f"{rel} row {offset + i} (id {ids[i].as_py()}): image does not decode ({type(exc).__name__}: {exc})"
            )
    return len(rows), problems


def _check_leak_scan(folder: Path, manifest: Manifest, phi_values: list[str] | None, problems: list[str]) -> None:
    scan = manifest.leak_scan
    if scan is None:
        problems.append(f"{schema.MANIFEST}: no leak-scan result recorded")
    elif not scan.clean or scan.hits:
        files = sorted({h.get("file", "?") for h in scan.hit_details})
        problems.append(
            f"{schema.MANIFEST}: the recorded leak scan is not clean ({scan.hits} hit(s)"
            + (f" in {', '.join(files)}" if files else "")
            + ")"
        )
    if phi_values:
        result = leak_scan.scan_folder(folder, phi_values)
        for hit in result.hits:
            problems.append(
                f"{hit['file']}: leak scan hit in {hit['where']} (value sha256 {hit['value_sha256'][:16]}…)"
            )

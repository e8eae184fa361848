"""Render the dataset card (a build's README.md) from the card template and the build's own figures.

The template (``vixray_data/templates/dataset_card.md``, shipped in the package; the repository's top-level
``DATASET_CARD.md`` is the same file, which a test checks) is prose written by people; everything the build knows is
filled in here, into blocks marked ``<!-- vixray:NAME -->...<!-- /vixray:NAME -->``: the YAML
``configs``/``dataset_info``/size category, the field table (from :mod:`vixray_data.schema`), split sizes, field
statistics (:class:`FieldStats`, gathered as the builder writes the rows, or from the text columns of the shards;
images are never decoded), the de-identification audit, the leak scan and the manifest hash. So the card cannot
drift from the data, and ``vixray validate`` checks it did not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .manifest import Manifest

#: The card template, inside the package (an installed wheel has no repository around it).
CARD_TEMPLATE = resources.files("vixray_data") / "templates" / "dataset_card.md"
_BLOCK = re.compile(r"(<!-- vixray:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /vixray:(?P=name) -->)", re.S)

#: What each field means (the card's structure table). Keys are the schema's names, never retyped strings.
FIELD_MEANINGS: dict[str, str] = {
    schema.ID: "pseudonymous study id: HMAC-SHA256 under the hospital's secret key (the demo uses a public key)",
    schema.IMAGE: "the radiograph (PNG or JPEG bytes; file name is the pseudonymous id)",
    schema.AGE: f"age in years at the examination, capped at {schema.AGE_CAP} (every age above "
    f"{schema.AGE_CAP - 1} is written as {schema.AGE_CAP}); empty when unknown",
    schema.SEX: f"sex as recorded: {' / '.join(schema.SEX_VALUES)}",
    schema.VIEW: f"projection: one of {', '.join(schema.VIEW_VALUES)}",
    schema.NOTE: "clinical note of the request (Ghi chú), scrubbed of identifying values; often empty",
    schema.TECHNIQUE: "acquisition technique (Kỹ thuật), scrubbed; often empty",
    schema.FINDINGS: "radiologist's findings (mô tả), scrubbed; never empty",
    schema.IMPRESSIONS: "radiologist's impressions / conclusion (kết luận), scrubbed; never empty",
}


def template_text(template: Path | None = None) -> str:
    """The card template's text: ``template`` when given, else the packaged one."""
    return (Path(template) if template is not None else CARD_TEMPLATE).read_text(encoding="utf-8")


# -- figures -------------------------------------------------------------------------------------------
def size_category(n: int) -> str:
    """The hub's ``size_categories`` value for ``n`` examples."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"


def features_yaml() -> list[dict[str, str]]:
    """``dataset_info.features`` as the hub writes it, from :data:`schema.DTYPES`."""
    return [{"name": name, "dtype": dtype} for name, dtype in schema.DTYPES.items()]


@dataclass
class _Running:
    """min / mean / max of whole numbers, kept as they arrive (the mean as fmean would give it: sum over count)."""

    count: int = 0
    total: int = 0
    low: int | None = None
    high: int | None = None

    def add(self, value: int) -> None:
        self.count += 1
        self.total += value
        self.low = value if self.low is None else min(self.low, value)
        self.high = value if self.high is None else max(self.high, value)

    def summary(self, *, digits: int) -> dict[str, Any] | None:
        if not self.count:
            return None
        return {"min": self.low, "mean": round(self.total / self.count, digits), "max": self.high}


@dataclass
class _SplitStats:
    rows: int = 0
    age: _Running = field(default_factory=_Running)
    sex: Counter = field(default_factory=Counter)
    view: Counter = field(default_factory=Counter)
    non_empty: Counter = field(default_factory=Counter)
    words: dict[str, _Running] = field(default_factory=lambda: {name: _Running() for name in schema.TEXT_FIELDS})


class FieldStats:
    """The card's field statistics, gathered row by row: per split, rows, age, sex and view counts, and word counts
    of the report fields. The builder feeds every row it writes, so the card needs no second read of the shards;
    :func:`field_stats` feeds it from a built folder's shards."""

    def __init__(self) -> None:
        self._splits: dict[str, _SplitStats] = {}

    def add(self, split: str, row: Mapping[str, Any]) -> None:
        """One row of ``split`` (the schema's fields; the image is not looked at)."""
        stats = self._splits.setdefault(split, _SplitStats())
        stats.rows += 1
        if row.get(schema.AGE) is not None:
            stats.age.add(row[schema.AGE])
        for name, counter in ((schema.SEX, stats.sex), (schema.VIEW, stats.view)):
            if row.get(name):
                counter[row[name]] += 1
        for name in schema.TEXT_FIELDS:
            text = row.get(name)
            if text and text.strip():
                stats.non_empty[name] += 1
                stats.words[name].add(len(text.split()))

    def result(self) -> dict[str, dict[str, Any]]:
        """Per split (in the order first seen): ``rows``, ``age``, ``sex``, ``view`` and, per text field, ``non_empty``
        and ``words`` (min / mean / max, or None when there is none)."""
        out: dict[str, dict[str, Any]] = {}
        for split, stats in self._splits.items():
            out[split] = {
                "rows": stats.rows,
                "age": stats.age.summary(digits=1),
                "sex": dict(sorted(stats.sex.items())),
                "view": dict(sorted(stats.view.items())),
            }
            for name in schema.TEXT_FIELDS:
                out[split][name] = {"non_empty": stats.non_empty[name], "words": stats.words[name].summary(digits=1)}
        return out


def field_stats(folder: Path, manifest: Manifest | None = None) -> dict[str, dict[str, Any]]:
    """:class:`FieldStats` of a built folder, from its shards' text and number columns (never the image column)."""
    from .shards import read_columns

    columns = [name for name in schema.FIELDS if name != schema.IMAGE]
    stats = FieldStats()
    for split, values in read_columns(folder, columns, manifest=manifest).items():
        for i in range(len(values[schema.ID])):
            stats.add(split, {name: values[name][i] for name in columns})
    return stats.result()


# -- blocks --------------------------------------------------------------------------------------------
def _table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def fields_block() -> str:
    """The structure table: every schema field, its type, its meaning."""
    rows = [
        [f"`{name}`", "image" if dtype == "image" else f"`{dtype}`", FIELD_MEANINGS[name]]
        for name, dtype in schema.DTYPES.items()
    ]
    return _table(["field", "type", "meaning"], rows)


def _splits_block(manifest: Manifest) -> str:
    total = manifest.num_examples
    patients = manifest.patients or {}
    rows = []
    for split, info in manifest.splits.items():
        n = info.num_examples
        rows.append(
            [
                f"`{split}`",
                n,
                f"{100 * n / total:.1f}%" if total else "–",
                len(patients.get(split, ())),
                len(info.shards),
                f"{info.bytes / 1e6:.2f}",
            ]
        )
    rows.append(
        [
            "**total**",
            total,
            "100%" if total else "–",
            sum(len(v) for v in patients.values()),
            len(manifest.shards()),
            f"{sum(s.bytes for s in manifest.shards()) / 1e6:.2f}",
        ]
    )
    return _table(["split", "examples", "share", "patients", "shards", "MB"], rows)


def _fmt(summary: dict | None) -> str:
    return "–" if not summary else f"{summary['min']} / {summary['mean']} / {summary['max']}"


def _stats_block(stats: dict[str, dict[str, Any]]) -> str:
    splits = list(stats)
    rows = [
        ["examples", *(stats[s]["rows"] for s in splits)],
        ["age (min / mean / max)", *(_fmt(stats[s]["age"]) for s in splits)],
    ]
    for value in schema.SEX_VALUES:
        rows.append([f"sex = {value}", *(stats[s]["sex"].get(value, 0) for s in splits)])
    views = sorted({v for s in splits for v in stats[s]["view"]})
    rows.append(
        ["views", *(", ".join(f"{v} {stats[s]['view'][v]}" for v in views if v in stats[s]["view"]) for s in splits)]
    )
    for name in schema.TEXT_FIELDS:
        rows.append([f"`{name}` words (min / mean / max)", *(_fmt(stats[s][name]["words"]) for s in splits)])
        rows.append([f"`{name}` non-empty", *(stats[s][name]["non_empty"] for s in splits)])
    return (
        _table(["", *(f"`{s}`" for s in splits)], rows)
        + "\nWords are whitespace-separated syllables (Vietnamese writes one syllable per token); the paper's\n"
        "Table 3 counts VnCoreNLP words, so its figures are smaller.\n"
    )


def _deid_block(manifest: Manifest) -> str:
    rows = []
    for key, value in manifest.deid.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        rows.append([key.replace("_", " "), value])
    scan, counts = manifest.leak_scan, manifest.counts
    reasons = ", ".join(f"{r} {n}" for r, n in counts.rejected_by_reason.items()) or "none"
    verdict = "**clean**" if scan and scan.clean else f"**{scan.hits if scan else '?'} hit(s): not publishable**"
    return (
        "De-identification audit of this build:\n\n"
        + _table(["", "count"], rows)
        + f"\nLeak scan: {verdict} ({scan.values_checked if scan else 0} identifying value(s) searched for in "
        f"{scan.files_scanned if scan else 0} file(s)).\n"
        + _residual_line(manifest)
        + f"\nRecords read {counts.read}, written {counts.written}, rejected "
        f"{counts.rejected} ({reasons}); every reject and its reason is in `{schema.REJECTS}`.\n"
        + _screening_line(manifest)
        + _empty_splits_line(manifest)
    )


def _residual_line(manifest: Manifest) -> str:
    """The residual-PHI screen (records quarantined, by detector) and scan: the kinds looked for, where, and what
    it found (a build with hits is not written)."""
    residual = manifest.residual_scan
    if residual is None:
        return ""
    screen = ""
    if residual.quarantined is not None:
        by = ", ".join(f"{d} {n}" for d, n in (residual.quarantined_by_detector or {}).items())
        screen = (
            f"\nResidual-PHI screen ({', '.join(residual.detectors or ())}): **{residual.quarantined} "
            f"record(s) quarantined**" + (f" ({by})" if by else "") + f", listed in `{schema.REJECTS}` as "
            "`residual_phi` and not written."
        )
    return (
        screen + f"\nResidual-PHI scan: **{residual.hits} hit(s)** for {', '.join(residual.categories)} "
        f"in {residual.scanned}.\n"
    )


def _screening_line(manifest: Manifest) -> str:
    """Whether the pixels were read for burned-in text; said plainly either way."""
    screening = manifest.pixel_screening
    if screening is None:
        return ""
    if screening.ocr:
        return (
            f"\nPixel text: every image was read with OCR ({screening.engine}); images carrying words "
            f"beyond the radiographic markers {', '.join(screening.allowed_words or ())} were rejected "
            "(`burned_in_text`).\n"
        )
    return (
        "\n**Pixel text: the pixels of this build were not screened for burned-in text** (built without "
        "`--ocr`); only images whose header flags burned-in annotation were removed.\n"
    )


def _empty_splits_line(manifest: Manifest) -> str:
    counts = manifest.counts
    empty = [s for s, c in counts.per_split.items() if not c.written]
    if not empty:
        return ""
    groups = counts.split_groups
    return (
        f"\nSplit(s) {', '.join(f'`{s}`' for s in empty)} hold no records ({counts.written} record(s)"
        + (f" of {groups} patient(s) in all, no patient in two splits" if groups is not None else " in all")
        + ") and are left out of this card's configs.\n"
    )


def _build_block(manifest: Manifest) -> str:
    return _table(
        ["", ""],
        [
            ["builder", f"{manifest.builder.name} {manifest.builder.version}"],
            ["source", manifest.source.get("kind", "?")],
            ["seed", manifest.seed],
            ["manifest hash (sha256 of `manifest.json`)", f"`{manifest.sha256()}`"],
            ["row-group / shard limits (bytes)", f"{manifest.limits.row_group_bytes} / {manifest.limits.shard_bytes}"],
            *([["image checks", IMAGE_CHECKS[manifest.image_checks]]] if manifest.image_checks in IMAGE_CHECKS else []),
        ],
    )


#: What each ``image_checks`` of the manifest means, as the card's build table says it.
IMAGE_CHECKS = {
    "pixels": "every image decoded once (it reads; duplicates found by their pixels)",
    "structure": "`--verify structure`: chunks, CRCs and sizes, not decoded (duplicates found by compressed data)",
}


def _synthetic_block(manifest: Manifest) -> str:
    if not manifest.synthetic:
        return ""
    return (
        "> [!WARNING]\n> **This build is the synthetic demo corpus, not patient data.** Its reports are composed "
        "from the\n> lexicon and its images are generated; it exists to test the tools offline. The figures below "
        "describe\n> this synthetic build, not the ViX-Ray release.\n"
    )


#: Header keys of the data-use agreement: a synthetic build holds no patient data and is not gated.
GATING_KEYS = ("extra_gated_heading", "extra_gated_prompt", "extra_gated_fields", "extra_gated_button_content")


def _synthetic_prose(manifest: Manifest) -> dict[str, str]:
    """For a synthetic build, the card's privacy and access prose says what it is; a real build keeps the template's."""
    if not manifest.synthetic:
        return {}
    return {
        "privacy": "This synthetic build describes no person: its records are generated. The release built from "
        "the hospital's export\n"
        "is pseudonymous, not anonymous, and its data-use agreement forbids "
        "re-identification.\n",
        "access": "This synthetic build holds no patient data and is not gated. The release built from the "
        "hospital's export is:\n"
        "access requests ask for the fields of a data-use agreement and are "
        "reviewed by the maintainers.\n",
    }


def fill(text: str, blocks: dict[str, str]) -> str:
    """Replace the body of each marked block named in ``blocks``; other blocks are left as they are."""

    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in blocks:
            return match.group(0)
        return match.group(1) + blocks[name] + match.group(4)

    return _BLOCK.sub(replace, text)


def blocks_of(text: str) -> dict[str, str]:
    """The marked blocks of a card: name -> body."""
    return {m.group("name"): m.group("body") for m in _BLOCK.finditer(text)}


def split_card(text: str) -> tuple[dict, str]:
    """(YAML header as a dict, body) of a card; an empty header when there is none."""
    if text.startswith("---\n"):
        _, header, body = text.split("---\n", 2)
        return yaml.safe_load(header) or {}, body
    return {}, text


# -- the card ------------------------------------------------------------------------------------------
def header(manifest: Manifest, template_header: dict) -> dict:
    """The YAML header: the template's (licence, tags, gating) with the build's configs and dataset_info."""
    splits = manifest.splits
    out = {k: v for k, v in template_header.items() if not (manifest.synthetic and k in GATING_KEYS)}
    out["size_categories"] = [size_category(manifest.num_examples)]
    out["configs"] = [
        {"config_name": "default", "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in splits]}
    ]
    out["dataset_info"] = {
        "features": features_yaml(),
        # num_bytes also keys the `datasets` cache: without it a rebuilt folder of the same name and split
        # sizes loads the previous build's cached Arrow files (the local cache key ignores file contents)
        "splits": [
            {"name": s, "num_bytes": info.bytes, "num_examples": info.num_examples} for s, info in splits.items()
        ],
    }
    return out


def analysis_block(folder: Path) -> str | None:
    """The paper's Table 3 from the ``analysis`` package, and links to figures in ``folder/analysis``.

    None when the analysis package is not installed. Segmenting every report takes seconds per thousand,
    which is why the builder does not do it on every build.
    """
    try:
        from .statistics.corpus import load_corpus
        from .statistics.table3 import table3
    except ImportError:
        return None
    folder = Path(folder)
    result = table3(load_corpus(str(folder), streaming=False))
    text = result.to_markdown().rstrip("\n") + f"\n\nLengths: {result.method}.\n"
    figures = sorted((folder / "analysis").glob("*.png")) if (folder / "analysis").is_dir() else []
    if figures:
        text += "\n" + "".join(f"![{p.stem}]({p.relative_to(folder).as_posix()})\n" for p in figures)
    return text


def refresh_card(folder: Path, *, analysis: bool = True, template: Path | None = None) -> str:
    """Re-render a build's README.md from its manifest.json (and, with ``analysis``, Table 3); returns the text.

    The manifest is not touched, so the manifest hash on the card stays that of the build.
    """
    folder = Path(folder)
    manifest = Manifest.read(folder)
    text = render_card(manifest, folder=folder, template=template, analysis=analysis)
    (folder / schema.CARD).write_text(text, encoding="utf-8")
    return text


def render_card(
    manifest: Manifest,
    *,
    folder: Path | None = None,
    stats: FieldStats | None = None,
    template: Path | None = None,
    analysis: bool = False,
) -> str:
    """README.md text for a built folder described by ``manifest``.

    The field statistics come from ``stats`` (gathered as the rows were written), else from the shards of
    ``folder``; with neither, that block says it was not computed. ``folder`` with ``analysis`` adds the
    analysis package's Table 3.
    """
    template_header, body = split_card(template_text(template))
    blocks = {
        "synthetic": _synthetic_block(manifest),
        "build": _build_block(manifest),
        "fields": fields_block(),
        "splits": _splits_block(manifest),
        "deid": _deid_block(manifest),
        **_synthetic_prose(manifest),
    }
    if stats is not None:
        blocks["stats"] = _stats_block(stats.result())
    elif folder is not None:
        blocks["stats"] = _stats_block(field_stats(folder, manifest))
    else:
        blocks["stats"] = "Not computed for this card (rendered without the shards).\n"
    if folder is not None and analysis and (table := analysis_block(folder)) is not None:
        blocks["analysis"] = table
    return (
        "---\n"
        + yaml.safe_dump(header(manifest, template_header), allow_unicode=True, sort_keys=False, width=120)
        + "---\n"
        + fill(body, blocks)
    )

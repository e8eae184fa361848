"""Render the dataset card (a build's README.md) from DATASET_CARD.md and the build's own figures.

The template's prose is written by people; everything the build knows is filled in here, into blocks
marked ``<!-- vixray:NAME -->...<!-- /vixray:NAME -->``: the YAML ``configs``/``dataset_info``/size category,
the field table (from :mod:`vixray_data.schema`), split sizes, field statistics (text columns of the
written shards; images are never decoded), the de-identification audit, the leak scan and the manifest
hash. So the card cannot drift from the data, and ``vixray validate`` checks it did not.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .writer import manifest_text

CARD_TEMPLATE = Path(__file__).resolve().parent.parent / "DATASET_CARD.md"
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


# -- figures -------------------------------------------------------------------------------------------
def manifest_hash(manifest: dict) -> str:
    """sha256 of the manifest.json bytes the builder writes for ``manifest`` (its exact text)."""
    return hashlib.sha256(manifest_text(manifest).encode("utf-8")).hexdigest()


def size_category(n: int) -> str:
    """The hub's ``size_categories`` value for ``n`` examples."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"


def features_yaml() -> list[dict[str, str]]:
    """``dataset_info.features`` as the hub writes it, from :data:`schema.DTYPES`."""
    return [{"name": name, "dtype": dtype} for name, dtype in schema.DTYPES.items()]


def field_stats(folder: Path, manifest: dict) -> dict[str, dict[str, Any]]:
    """Per split: rows, age, sex and view counts, and word counts of the report fields, from the shards.

    Reads only the text and number columns (never the image column), so it is cheap on any build size.
    """
    from .shards import read_columns

    columns = [name for name in schema.FIELDS if name != schema.IMAGE]
    out: dict[str, dict[str, Any]] = {}
    for split, rows in read_columns(folder, columns, manifest=manifest).items():
        ages = [a for a in rows[schema.AGE] if a is not None]
        stats: dict[str, Any] = {"rows": len(rows[schema.ID]),
                                 "age": _summary(ages, digits=1),
                                 "sex": dict(sorted(Counter(s for s in rows[schema.SEX] if s).items())),
                                 "view": dict(sorted(Counter(v for v in rows[schema.VIEW] if v).items()))}
        for name in schema.TEXT_FIELDS:
            texts = rows[name]
            stats[name] = {"non_empty": sum(1 for t in texts if t and t.strip()),
                           "words": _summary([len(t.split()) for t in texts if t and t.strip()], digits=1)}
        out[split] = stats
    return out


def _summary(values: list[float], *, digits: int) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": min(values), "mean": round(statistics.fmean(values), digits), "max": max(values)}


# -- blocks --------------------------------------------------------------------------------------------
def _table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def fields_block() -> str:
    """The structure table: every schema field, its type, its meaning."""
    rows = [[f"`{name}`", "image" if dtype == "image" else f"`{dtype}`", FIELD_MEANINGS[name]]
            for name, dtype in schema.DTYPES.items()]
    return _table(["field", "type", "meaning"], rows)


def _splits_block(manifest: dict) -> str:
    splits = manifest["splits"]
    total = sum(info["num_examples"] for info in splits.values())
    rows = []
    for split, info in splits.items():
        n = info["num_examples"]
        shards = info.get("shards", ())
        rows.append([f"`{split}`", n, f"{100 * n / total:.1f}%" if total else "–",
                     len(manifest.get("patients", {}).get(split, ())), len(shards),
                     f"{sum(s['bytes'] for s in shards) / 1e6:.2f}"])
    rows.append(["**total**", total, "100%" if total else "–",
                 sum(len(v) for v in manifest.get("patients", {}).values()),
                 sum(len(i.get("shards", ())) for i in splits.values()),
                 f"{sum(s['bytes'] for i in splits.values() for s in i.get('shards', ())) / 1e6:.2f}"])
    return _table(["split", "examples", "share", "patients", "shards", "MB"], rows)


def _fmt(summary: dict | None) -> str:
    return "–" if not summary else f"{summary['min']} / {summary['mean']} / {summary['max']}"


def _stats_block(stats: dict[str, dict[str, Any]]) -> str:
    splits = list(stats)
    rows = [["examples", *(stats[s]["rows"] for s in splits)],
            ["age (min / mean / max)", *(_fmt(stats[s]["age"]) for s in splits)]]
    for value in schema.SEX_VALUES:
        rows.append([f"sex = {value}", *(stats[s]["sex"].get(value, 0) for s in splits)])
    views = sorted({v for s in splits for v in stats[s]["view"]})
    rows.append(["views", *(", ".join(f"{v} {stats[s]['view'][v]}" for v in views if v in stats[s]["view"])
                            for s in splits)])
    for name in schema.TEXT_FIELDS:
        rows.append([f"`{name}` words (min / mean / max)", *(_fmt(stats[s][name]["words"]) for s in splits)])
        rows.append([f"`{name}` non-empty", *(stats[s][name]["non_empty"] for s in splits)])
    return (_table(["", *(f"`{s}`" for s in splits)], rows)
            + "\nWords are whitespace-separated syllables (Vietnamese writes one syllable per token); the paper's\n"
              "Table 3 counts VnCoreNLP words, so its figures are smaller.\n")


def _deid_block(manifest: dict) -> str:
    audit = manifest.get("deid") or {}
    rows = []
    for key, value in audit.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        rows.append([key.replace("_", " "), value])
    scan = manifest.get("leak_scan") or {}
    counts = manifest.get("counts", {})
    reasons = ", ".join(f"{r} {n}" for r, n in counts.get("rejected_by_reason", {}).items()) or "none"
    verdict = "**clean**" if scan.get("clean") else f"**{scan.get('hits', '?')} hit(s): not publishable**"
    return ("De-identification audit of this build:\n\n" + _table(["", "count"], rows)
            + f"\nLeak scan: {verdict} ({scan.get('values_checked', 0)} identifying value(s) searched for in "
              f"{scan.get('files_scanned', 0)} file(s)).\n"
            + _residual_line(manifest)
            + f"\nRecords read {counts.get('read', 0)}, written {counts.get('written', 0)}, rejected "
              f"{counts.get('rejected', 0)} ({reasons}); every reject and its reason is in `{schema.REJECTS}`.\n"
            + _screening_line(manifest) + _empty_splits_line(manifest))


def _residual_line(manifest: dict) -> str:
    """The residual-PHI scan: the kinds looked for, where, and what it found (a build with hits is not written)."""
    residual = manifest.get("residual_scan")
    if residual is None:
        return ""
    kinds = ", ".join(residual.get("categories", ()))
    return (f"\nResidual-PHI scan: **{residual.get('hits', 0)} hit(s)** for {kinds} "
            f"in {residual.get('scanned', 'the output')}.\n")


def _screening_line(manifest: dict) -> str:
    """Whether the pixels were read for burned-in text; said plainly either way."""
    screening = manifest.get("pixel_screening")
    if screening is None:
        return ""
    if screening.get("ocr"):
        return (f"\nPixel text: every image was read with OCR ({screening.get('engine')}); images carrying words "
                f"beyond the radiographic markers {', '.join(screening.get('allowed_words', ()))} were rejected "
                "(`burned_in_text`).\n")
    return ("\n**Pixel text: the pixels of this build were not screened for burned-in text** (built without "
            "`--ocr`); only images whose header flags burned-in annotation were removed.\n")


def _empty_splits_line(manifest: dict) -> str:
    per_split = manifest.get("counts", {}).get("per_split", {})
    empty = [s for s, v in per_split.items() if not v.get("written")]
    if not empty:
        return ""
    counts = manifest.get("counts", {})
    groups = counts.get("split_groups")
    return (f"\nSplit(s) {', '.join(f'`{s}`' for s in empty)} hold no records ({counts.get('written', 0)} record(s)"
            + (f" of {groups} patient(s) in all, no patient in two splits" if groups is not None else " in all")
            + ") and are left out of this card's configs.\n")


def _build_block(manifest: dict) -> str:
    builder = manifest.get("builder", {})
    source = manifest.get("source", {})
    return _table(["", ""], [
        ["builder", f"{builder.get('name', '?')} {builder.get('version', '?')}"],
        ["source", source.get("kind", "?")],
        ["seed", manifest.get("seed")],
        ["manifest hash (sha256 of `manifest.json`)", f"`{manifest_hash(manifest)}`"],
        ["row-group / shard limits (bytes)",
         f"{manifest.get('limits', {}).get('row_group_bytes')} / {manifest.get('limits', {}).get('shard_bytes')}"],
    ])


def _synthetic_block(manifest: dict) -> str:
    if not manifest.get("synthetic"):
        return ""
    return ("> [!WARNING]\n> **This build is the synthetic demo corpus, not patient data.** Its reports are composed "
            "from the\n> lexicon and its images are generated; it exists to test the tools offline. The figures below "
            "describe\n> this synthetic build, not the ViX-Ray release.\n")


#: Header keys of the data-use agreement: a synthetic build holds no patient data and is not gated.
GATING_KEYS = ("extra_gated_heading", "extra_gated_prompt", "extra_gated_fields", "extra_gated_button_content")


def _synthetic_prose(manifest: dict) -> dict[str, str]:
    """For a synthetic build, the card's privacy and access prose says what it is; a real build keeps the template's."""
    if not manifest.get("synthetic"):
        return {}
    return {"privacy": "This synthetic build describes no person: its records are generated. The release built from "
                       "the hospital's export\n"
                       "is pseudonymous, not anonymous, and its data-use agreement forbids "
                       "re-identification.\n",
            "access": "This synthetic build holds no patient data and is not gated. The release built from the "
                      "hospital's export is:\n"
                      "access requests ask for the fields of a data-use agreement and are "
                      "reviewed by the maintainers.\n"}


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
def header(manifest: dict, template_header: dict) -> dict:
    """The YAML header: the template's (licence, tags, gating) with the build's configs and dataset_info."""
    splits = manifest["splits"]
    out = {k: v for k, v in template_header.items() if not (manifest.get("synthetic") and k in GATING_KEYS)}
    out["size_categories"] = [size_category(sum(i["num_examples"] for i in splits.values()))]
    out["configs"] = [{"config_name": "default",
                       "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in splits]}]
    out["dataset_info"] = {
        "features": features_yaml(),
        # num_bytes also keys the `datasets` cache: without it a rebuilt folder of the same name and split
        # sizes loads the previous build's cached Arrow files (the local cache key ignores file contents)
        "splits": [{"name": s, "num_bytes": sum(x["bytes"] for x in info.get("shards", ())),
                    "num_examples": info["num_examples"]} for s, info in splits.items()],
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
    import json

    folder = Path(folder)
    manifest = json.loads((folder / schema.MANIFEST).read_text(encoding="utf-8"))
    text = render_card(manifest, folder=folder, template=template, analysis=analysis)
    (folder / schema.CARD).write_text(text, encoding="utf-8")
    return text


def render_card(manifest: dict, *, folder: Path | None = None, template: Path | None = None,
                analysis: bool = False) -> str:
    """README.md text for a built folder described by ``manifest``.

    ``folder`` (the folder holding the shards) adds the field statistics (and, with ``analysis``, the
    analysis package's Table 3); without it those blocks keep the template's text.
    """
    text = Path(template or CARD_TEMPLATE).read_text(encoding="utf-8")
    template_header, body = split_card(text)
    blocks = {"synthetic": _synthetic_block(manifest), "build": _build_block(manifest), "fields": fields_block(),
              "splits": _splits_block(manifest), "deid": _deid_block(manifest), **_synthetic_prose(manifest)}
    if folder is not None:
        blocks["stats"] = _stats_block(field_stats(folder, manifest))
        if analysis and (table := analysis_block(folder)) is not None:
            blocks["analysis"] = table
    else:
        blocks["stats"] = "Not computed for this card (rendered without the shards).\n"
    return ("---\n" + yaml.safe_dump(header(manifest, template_header), allow_unicode=True, sort_keys=False, width=120)
            + "---\n" + fill(body, blocks))

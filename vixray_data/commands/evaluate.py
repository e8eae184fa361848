"""``vixray evaluate PREDICTIONS.jsonl``: lexical, fact and label scores with intervals and signatures."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..errors import EvaluationError

NAME = "evaluate"
HELP = "score generated findings/impressions (ROUGE, BLEU, chrF, atomic facts, clinical labels)"

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", type=Path, help="JSONL: id, stage, field, prediction, reference[, split]")
    parser.add_argument(
        "--out", type=Path, default=None, help="write evaluation.json, evaluation.md, records.jsonl here"
    )
    parser.add_argument("--against", type=Path, default=None, help="a second system's JSONL: paired randomisation test")
    parser.add_argument("--references", default=None, metavar="DATASET",
                        help="a built folder or hub id whose split ids the predictions must cover (default: the ids "
                             "the file names, each stage/field checked against the others)")
    parser.add_argument("--skip-invalid", action="store_true", help="skip malformed lines (listed) instead of failing")
    parser.add_argument(
        "--compat-ascii",
        action="store_true",
        help="also report rouge-score's default ASCII-tokenizer ROUGE (compatibility only)",
    )
    parser.add_argument("--no-words", action="store_true", help="leave out word-level (segmenter) ROUGE")
    parser.add_argument(
        "--uncertain",
        choices=("positive", "negative"),
        default="positive",
        help="clinical labels: how uncertain findings count (default: positive)",
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95%% intervals")
    parser.add_argument("--trials", type=int, default=10000, help="approximate-randomisation trials (--against)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and randomisation draws")
    parser.add_argument("--workers", type=int, default=None, help="processes for tokenising/facts (default: cores)")
    judge = parser.add_argument_group("LLM judge (the paper's fact protocol)")
    judge.add_argument("--judge-url", default=None, help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1")
    judge.add_argument("--judge-model", default=None)
    judge.add_argument("--judge-key-env", default="VIXRAY_JUDGE_API_KEY", help="environment variable with the API key")
    judge.add_argument("--judge-cache", type=Path, default=None, help="cache folder (default: OUT/judge-cache)")
    judge.add_argument("--judge-retries", type=int, default=4)
    judge.add_argument("--compare-judges", action="store_true", help="agreement between offline and LLM backends")


def run(args: argparse.Namespace) -> int:
    from ..evaluation import (
        EvaluationOptions,
        check_ids,
        compare,
        evaluate,
        pair_with,
        read_predictions,
        render_markdown,
    )
    from ..evaluation.judge import JudgeConfig, LLMJudge

    if bool(args.judge_url) != bool(args.judge_model):
        raise EvaluationError("--judge-url and --judge-model go together")
    if args.compare_judges and not args.judge_url:
        raise EvaluationError("--compare-judges needs --judge-url and --judge-model")
    out = args.out
    judge = None
    if args.judge_url:
        cache = args.judge_cache or (out / "judge-cache" if out else Path(".vixray-judge-cache"))
        judge = LLMJudge(
            JudgeConfig(
                url=args.judge_url,
                model=args.judge_model,
                cache_dir=cache,
                api_key_env=args.judge_key_env,
                retries=args.judge_retries,
            )
        )
    options = EvaluationOptions(
        words=False if args.no_words else None,
        compat_ascii=args.compat_ascii,
        resamples=args.bootstrap,
        trials=args.trials,
        seed=args.seed,
        uncertain=args.uncertain,
        judge=judge,
        compare_judges=args.compare_judges,
        progress=True,
        workers=args.workers,
    )
    predictions = read_predictions(args.predictions, skip_invalid=args.skip_invalid)
    ids = check_ids(predictions, _reference_ids(args.references) if args.references else None,
                    reference=args.references or "")
    print(ids.summary(), file=sys.stderr)
    for group, found in ids.groups.items():
        for kind in ("missing", "extra"):
            if found[kind]:
                print(f"  {group}: {len(found[kind])} {kind}, e.g. {', '.join(found[kind][:3])}", file=sys.stderr)
    try:
        result = evaluate(predictions.records, options=options)
    finally:
        if judge is not None and out is not None:
            _write_judge_outputs(out, judge)
    result["input"] = str(args.predictions)
    result["skipped_lines"] = predictions.skipped
    result["ids"] = ids.as_dict()
    comparison = None
    if args.against:
        other = read_predictions(args.against, skip_invalid=args.skip_invalid)
        comparison = compare(pair_with(predictions, other), options=options)
        comparison["a"], comparison["b"] = str(args.predictions), str(args.against)
        result["comparison"] = comparison
    records = result.pop("_records")
    markdown = render_markdown(result, comparison=comparison)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        (out / "evaluation.md").write_text(markdown, encoding="utf-8")
        with (out / "records.jsonl").open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        log.info("wrote %s", out)
    print(markdown)
    return 0


def _reference_ids(source: str) -> dict[str, set[str]]:
    """Split -> ids of a built folder (its id column only) or of any dataset the loader reads."""
    from .. import schema
    from ..load import SPLIT_ALIASES, load_vixray

    ds = load_vixray(source)  # canonical split names; a predictions file may use an alias (val, dev)
    ids = {name: set(part.select_columns([schema.ID])[schema.ID]) for name, part in ds.items()}
    return ids | {alias: ids[name] for alias, name in SPLIT_ALIASES.items() if name in ids}


def _write_judge_outputs(out: Path, judge) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "judge_outputs.jsonl").open("w", encoding="utf-8") as fh:
        for entry in judge.outputs:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

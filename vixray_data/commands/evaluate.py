"""``vixray evaluate PREDICTIONS.jsonl``: lexical, fact and label scores with intervals and signatures."""

from __future__ import annotations

import argparse
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
    parser.add_argument(
        "--references",
        default=None,
        metavar="DATASET",
        help="a built folder or hub id whose split ids the predictions must cover (default: the ids "
        "the file names, each stage/field checked against the others)",
    )
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
    parser.add_argument(
        "--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples for the 95%% intervals"
    )
    parser.add_argument(
        "--trials", type=int, default=10000, metavar="N", help="approximate-randomisation trials (--against)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and randomisation draws")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes for tokenising and fact extraction (default: the usable cores, at most 8)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (none when stderr is not a TTY)")
    judge = parser.add_argument_group("LLM judge (the paper's fact protocol)")
    judge.add_argument(
        "--judge-url",
        default=None,
        metavar="URL",
        help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1 (with --judge-model)",
    )
    judge.add_argument(
        "--judge-model",
        default=None,
        metavar="NAME",
        help="model name the endpoint serves, e.g. gpt-4o (with --judge-url)",
    )
    judge.add_argument(
        "--judge-key-env", default="VIXRAY_JUDGE_API_KEY", metavar="VAR", help="environment variable with the API key"
    )
    judge.add_argument(
        "--judge-cache", type=Path, default=None, metavar="DIR", help="cache folder (default: OUT/judge-cache)"
    )
    judge.add_argument(
        "--judge-retries",
        type=int,
        default=4,
        metavar="N",
        help="retries of a failed or malformed reply, with exponential backoff",
    )
    judge.add_argument("--compare-judges", action="store_true", help="agreement between offline and LLM backends")


def _options(args: argparse.Namespace):
    """The scoring options (and the LLM judge, when asked for) that the arguments describe."""
    from ..evaluation import EvaluationOptions
    from ..evaluation.judge import JudgeConfig, LLMJudge

    if bool(args.judge_url) != bool(args.judge_model):
        raise EvaluationError("--judge-url and --judge-model go together")
    if args.compare_judges and not args.judge_url:
        raise EvaluationError("--compare-judges needs --judge-url and --judge-model")
    judge = None
    if args.judge_url:
        cache = args.judge_cache or (args.out / "judge-cache" if args.out else Path(".vixray-judge-cache"))
        judge = LLMJudge(
            JudgeConfig(
                url=args.judge_url,
                model=args.judge_model,
                cache_dir=cache,
                api_key_env=args.judge_key_env,
                retries=args.judge_retries,
            )
        )
    return EvaluationOptions(
        words=False if args.no_words else None,
        compat_ascii=args.compat_ascii,
        resamples=args.bootstrap,
        trials=args.trials,
        seed=args.seed,
        uncertain=args.uncertain,
        judge=judge,
        compare_judges=args.compare_judges,
        progress=not args.no_progress,
        workers=args.workers,
    )


def run(args: argparse.Namespace) -> int:
    from ..evaluation import check_ids, compare, evaluate, pair_with, read_predictions, reference_ids

    options = _options(args)
    predictions = read_predictions(args.predictions, skip_invalid=args.skip_invalid)
    ids = check_ids(
        predictions, reference_ids(args.references) if args.references else None, reference=args.references or ""
    )
    print(ids.report(), file=sys.stderr)
    try:
        result = evaluate(predictions, options=options, ids=ids)
    finally:  # the judge's replies are kept even when scoring stops half-way
        if options.judge is not None and args.out is not None:
            options.judge.write_outputs(args.out)
    if args.against:
        other = read_predictions(args.against, skip_invalid=args.skip_invalid)
        result.comparison = compare(
            pair_with(predictions, other), options=options, names=(predictions.path, other.path)
        )
    if args.out is not None:
        result.write(args.out)
        log.info("wrote %s", args.out)
    print(result.markdown())
    return 0

"""Clinical NLP: the labeler's per-label figures and the extractor's fact agreement on the hand-annotated
gold set (tests/data/clinical_gold.yaml), and the stats / evaluate timings against their targets.

    .venv/bin/python benchmarks/bench_clinical.py                  # gold figures + both timings (median of 3)
    .venv/bin/python benchmarks/bench_clinical.py --runs 1 --no-timings
    .venv/bin/python benchmarks/bench_clinical.py --blind tests/data/clinical_blind.yaml --no-timings

Prints a markdown table (label, support, precision, recall, F1) under the default uncertainty policy
(a hedged finding counts), the fact agreement (gold facts supported by the extracted ones and the reverse,
on subject group, finding, polarity and side), the extractor's speed on the gold sentences, then:

- ``vixray stats`` (the whole run with figures) on 5,400 demo reports, target < 30 s, and on the same
  reports with every sentence made distinct (bench_stats.py's stress case, reported for comparison);
- ``evaluate`` of 3 × 520 perturbed predictions with 1,000 bootstrap resamples on one worker
  (bench_evaluate.py's run), target < 10 s.

With ``--blind PATH`` (a set written without reading the gold set, the lexicon or the rules; see
tests/clinical_gold.py for its format) it also prints, on that set: per-label precision, recall, F1 and
support, micro and macro F1, sentence accuracy per tag (labels, state and sides as annotated, no polarity
flip), the polarity flips (a label the text negates read as present, or the reverse), side agreement on the
labels annotated with a side, and the report state read (normal / abnormal / unrecognised) against the
annotated one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks"), str(ROOT)]

from clinical_gold import load_blind, load_gold, score_blind, score_gold  # noqa: E402

from vixray_data.clinical import extract_facts  # noqa: E402

TARGETS = {"stats": 30.0, "evaluate": 10.0}


def gold_figures() -> None:
    items = load_gold()
    start = time.perf_counter()
    scored = score_gold(items)
    seconds = time.perf_counter() - start
    print(f"gold set: {len(items)} items; uncertainty policy: {scored.labels.uncertain_policy}\n")
    print("| label | support | precision | recall | F1 |\n|---|---:|---:|---:|---:|")
    for label, c in scored.labels.per_label.items():
        print(f"| {label} | {c.support} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} |")
    print(
        f"\nmicro F1 {scored.labels.micro_f1:.3f}, macro F1 {scored.labels.macro_f1:.3f}; lowest F1 "
        f"{min(c.f1 for c in scored.labels.per_label.values()):.3f}"
    )
    print(
        f"facts: {scored.matched} of {scored.fact_pairs} gold facts supported by the {scored.extracted} extracted, "
        f"{scored.supported} of these by the gold ones (precision {scored.fact_precision:.3f}, recall "
        f"{scored.fact_recall:.3f}); "
        f"{scored.items_exact}/{len(items)} items exact"
    )
    for text, missed, extra in scored.disagreements:
        print(f"  disagreement: {text!r} missed {missed} extra {extra}")
    texts = [item.text for item in items]
    start = time.perf_counter()
    for _ in range(5):
        for text in texts:
            extract_facts(text)
    per = (time.perf_counter() - start) / (5 * len(texts))
    print(f"extractor: {per * 1e6:.0f} µs per gold item (warm); whole gold scoring {seconds:.2f} s\n")


def blind_figures(path: Path, *, show: bool) -> None:
    items = load_blind(path)
    scored = score_blind(items)
    labels = scored.labels
    print(f"blind set {path}: {len(items)} sentences; uncertainty policy: {labels.uncertain_policy}\n")
    print("| label | support | precision | recall | F1 |\n|---|---:|---:|---:|---:|")
    for label, c in labels.per_label.items():
        if c.tp + c.fp + c.fn:
            print(f"| {label} | {c.support} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} |")
    right = sum(r.right for r in scored.results)
    exact = sum(r.labels_right for r in scored.results)
    print(
        f"\nmicro F1 {labels.micro_f1:.3f}, macro F1 {labels.macro_f1:.3f}; sentences right {right}/{len(items)} "
        f"(label sets exact {exact}/{len(items)})"
    )
    if scored.unknown_labels:
        print(f"annotated labels the lexicon lacks (scored as misses): {', '.join(sorted(scored.unknown_labels))}")
    print("\n| tag | right | sentences | accuracy |\n|---|---:|---:|---:|")
    for tag, (ok, total) in scored.by_tag().items():
        print(f"| {tag} | {ok} | {total} | {ok / total:.3f} |")
    print(f"\npolarity flips: {len(scored.flips)}")
    for text, flip in scored.flips:
        print(f"  {flip}: {text!r}")
    checks = [(r.item.text, *check) for r in scored.results for check in r.side_checks]
    agree = sum(gold == read for _, _, gold, read in checks)
    print(f"side agreement: {agree}/{len(checks)} labels annotated with a side")
    confusion = scored.state_confusion()
    print("\n| annotated \\ read | normal | abnormal | unrecognised |\n|---|---:|---:|---:|")
    for gold in ("normal", "abnormal"):
        cells = " | ".join(str(confusion.get((gold, read), 0)) for read in ("normal", "abnormal", "unrecognised"))
        print(f"| {gold} | {cells} |")
    if show:
        print("\nsentences not right:")
        for r in scored.results:
            if not r.right:
                sides = [f"{label} {gold}->{read}" for label, gold, read in r.side_checks if gold != read]
                print(
                    f"  {r.item.text!r}: labels {sorted(r.item.labels)} read {sorted(r.labels)}; state "
                    f"{r.item.state} read {r.state}"
                    + (f"; sides {sides}" if sides else "")
                    + (f"; flips {list(r.flips)}" if r.flips else "")
                )
    print()


def time_stats(runs: int, unique: str = "") -> float:
    from bench_stats import clear_caches, demo_dict

    from vixray_data.statistics import StatsConfig, run_statistics

    dataset = demo_dict(5400, unique=unique)
    times = []
    for _ in range(runs):
        clear_caches()
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            run_statistics(dataset, StatsConfig(out=Path(out)))
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_evaluate(runs: int) -> float:
    from bench_evaluate import make_records, run_vixray

    records = make_records(520, 175)
    return statistics.median(run_vixray(records, 1000, 1)[0] for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-timings", action="store_true", help="gold figures only")
    parser.add_argument("--blind", type=Path, help="also score this blind set (format: tests/clinical_gold.py)")
    parser.add_argument("--show", action="store_true", help="with --blind: list the sentences not right")
    args = parser.parse_args()
    gold_figures()
    if args.blind:
        blind_figures(args.blind, show=args.show)
    if args.no_timings:
        return
    for name, seconds in (("stats", time_stats(args.runs)), ("evaluate", time_evaluate(args.runs))):
        verdict = "within" if seconds < TARGETS[name] else "OVER"
        print(f"{name}: {seconds:.1f} s (median of {args.runs}); target < {TARGETS[name]:.0f} s: {verdict}")
    print(f"stats, every sentence distinct (stress case, no target): {time_stats(args.runs, 'sentences'):.1f} s")


if __name__ == "__main__":
    main()

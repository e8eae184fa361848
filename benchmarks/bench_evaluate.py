"""Offline scoring speed: 3 stages × 520 predictions, every metric except the LLM judge.

    .venv/bin/python benchmarks/bench_evaluate.py                  # 520 per stage, 3 runs, median
    .venv/bin/python benchmarks/bench_evaluate.py --records 520 --runs 3 --bootstrap 1000 --workers 1 2

Input: references are the demo generator's findings and impressions (stage 1 findings, stage 2
impressions, stage 3 findings then impressions of the multi-turn run: 3 × 520 records), predictions are
those references perturbed as models err (a statement dropped, one from another report added, a negation
or a side flipped, spelling variants, NFD), seeded. Two routes are timed in the same process:

* vixray: ``vixray_data.evaluation.evaluate`` with syllable ROUGE, word ROUGE (shared segmenter),
  ASCII-compat ROUGE, corpus BLEU and chrF (sacrebleu), offline facts, clinical labels, bootstrap
  intervals for every metric (``--bootstrap`` resamples);
* plain: rouge-score's ``RougeScorer`` (default tokenizer) per record plus sacrebleu corpus BLEU —
  what a user gets from the usual libraries, without facts, labels or intervals.

Prints the median wall time of ``--runs`` runs of each and their ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time
import unicodedata

from vixray_data import schema
from vixray_data.evaluation import EvaluationOptions, evaluate
from vixray_data.evaluation.predictions import Prediction
from vixray_data.sources.demo import DemoSource

STAGES = (("1", schema.FINDINGS), ("2", schema.IMPRESSIONS), ("3", schema.FINDINGS))


def _sentences(text: str) -> list[str]:
    return [s.strip() + "." for s in text.split(".") if s.strip()]


def perturb(reference: str, other: str, rng: random.Random) -> str:
    """A plausible model output for ``reference``: usually close, sometimes wrong in a clinical way."""
    sentences = _sentences(reference)
    roll = rng.random()
    if roll < 0.25:
        pass  # verbatim
    elif roll < 0.45 and len(sentences) > 1:
        sentences.pop(rng.randrange(len(sentences)))  # omission
    elif roll < 0.60:
        extra = _sentences(other)
        if extra:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(extra))  # hallucination
    elif roll < 0.75:
        sentences = [
            s.replace("không to", "to") if "không to" in s else s.replace(" to", " không to") for s in sentences
        ]
    elif roll < 0.90:
        sentences = [s.replace("phải", "TMP").replace("trái", "phải").replace("TMP", "trái") for s in sentences]
    text = " ".join(sentences)
    if rng.random() < 0.2:
        text = text.replace("hóa", "hoá")
    if rng.random() < 0.2:
        text = unicodedata.normalize("NFD", text)
    return text


def make_records(per_stage: int, seed: int) -> list[Prediction]:
    source = DemoSource(size=per_stage, seed=seed, image_size=16)
    truths = [source.ground_truth(i) for i in range(per_stage)]
    rng = random.Random(seed)
    records = []
    for stage, field in STAGES:
        for i, truth in enumerate(truths):
            text = truth.findings_text if field == schema.FINDINGS else truth.impressions_text
            other = truths[(i + 7) % per_stage]
            other_text = other.findings_text if field == schema.FINDINGS else other.impressions_text
            records.append(
                Prediction(
                    id=f"r{i}",
                    stage=stage,
                    field=field,
                    split=schema.TEST,
                    prediction=perturb(text, other_text, rng),
                    reference=text,
                )
            )
    return records


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_vixray(records: list[Prediction], bootstrap: int, workers: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process and its workers: less sensitive to a busy machine)."""
    start, cpu = time.perf_counter(), _cpu()
    evaluate(records, options=EvaluationOptions(compat_ascii=True, resamples=bootstrap, seed=0, workers=workers))
    return time.perf_counter() - start, _cpu() - cpu


def run_plain(records: list[Prediction]) -> float:
    from rouge_score import rouge_scorer
    from sacrebleu.metrics import BLEU

    start = time.perf_counter()
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
    groups: dict[str, list[Prediction]] = {}
    for rec in records:
        groups.setdefault(rec.stage, []).append(rec)
    for recs in groups.values():
        for rec in recs:
            scorer.score(rec.reference, rec.prediction)
        BLEU().corpus_score([r.prediction for r in recs], [[r.reference for r in recs]])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=520, help="records per stage")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=175)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker processes to time")
    args = parser.parse_args()
    records = make_records(args.records, args.seed)
    evaluate(records[:5], options=EvaluationOptions(resamples=10))  # warm caches: lexicon index, segmenter model
    ours = {w: [run_vixray(records, args.bootstrap, w) for _ in range(args.runs)] for w in args.workers}
    plain = [run_plain(records) for _ in range(args.runs)]
    mp = statistics.median(plain)
    print(
        f"records: {len(records)} ({len(STAGES)} stages x {args.records}); runs: {args.runs}; "
        f"bootstrap: {args.bootstrap}; load average at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for w, runs in ours.items():
        times = [t for t, _ in runs]
        mo, cpu = statistics.median(times), statistics.median(c for _, c in runs)
        print(
            f"vixray evaluate, {w} worker(s) (all offline metrics + intervals): median {mo:.2f} s wall, "
            f"{cpu:.2f} s CPU; runs {[round(t, 2) for t in times]}; ratio to plain {mo / mp:.1f}x"
        )
    print(
        f"plain rouge-score + sacrebleu BLEU (no facts/labels/intervals): median {mp:.2f} s "
        f"runs {[round(t, 2) for t in plain]}"
    )


if __name__ == "__main__":
    main()

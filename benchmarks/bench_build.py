"""Builder throughput against the plain ``datasets`` route and a raw read of the files; peak RSS at two sizes.

    .venv/bin/python benchmarks/bench_build.py                 # 300 and 1200 images, 512 px, 3 runs each
    .venv/bin/python benchmarks/bench_build.py --sizes 300 1200 --image-size 512 --runs 3 --workdir /tmp/vxbench

All three routes read the same folder of demo PNGs (rendered once, first, with the page cache warm):

* builder: ``vixray_data.build.build`` from that folder (a folder source handing over the PNG bytes as they
  are, the demo's report text, de-identification, split, worker pool, parquet shards, manifest, card,
  leak scan, atomic swap), all cores;
* datasets: ``Dataset.from_dict`` with an ``Image`` feature on the paths, bytes embedded with
  ``embed_table_storage`` (what ``push_to_hub`` does), ``to_parquet``;
* raw read: ``Path.read_bytes`` of every file.

Each builder/datasets run is a fresh subprocess; its work is timed inside (imports excluded) and its peak
RSS (``ru_maxrss``, main process; workers reported apart) is read at exit. Medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from vixray_data import schema
from vixray_data.records import EncodedImage, RawRecord
from vixray_data.sources.demo import DemoSource

TEXT = [f for f in schema.FIELDS if f not in (schema.ID, schema.IMAGE)]


# -- the shared input -------------------------------------------------------------------------------
def _render(args: tuple[int, int, int, str]) -> None:
    i, size, seed, folder = args
    record = DemoSource(size=i + 1, seed=seed, image_size=size).record(i)
    (Path(folder) / f"{i:06d}.png").write_bytes(record.image().data)


def prepare(folder: Path, count: int, size: int, seed: int) -> None:
    """``count`` demo PNGs and their report text (records.jsonl), unless already there."""
    marker = folder / f"ready-{count}-{size}-{seed}"
    if marker.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    source = DemoSource(size=count, seed=seed, image_size=size)
    with open(folder / "records.jsonl", "w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(json.dumps(source.record(i).fields, ensure_ascii=False) + "\n")
    with multiprocessing.Pool() as pool:
        pool.map(_render, [(i, size, seed, str(folder)) for i in range(count)], chunksize=16)
    marker.touch()


def _records(folder: Path, count: int) -> list[dict]:
    with open(folder / "records.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(count), handle, strict=False)]


# -- the three routes (children) ----------------------------------------------------------------------
def _read_png(path: str) -> EncodedImage:
    return EncodedImage(Path(path).read_bytes(), "png")


class FolderSource:
    """PNG files + report text, handed over as they are (what an export source does with PNG input)."""

    is_demo = True  # the demo's public pseudonym key: this is synthetic data

    def __init__(self, folder: Path, count: int) -> None:
        self.folder, self.count = folder, count

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        for i, fields in enumerate(_records(self.folder, self.count)):
            path = self.folder / f"{i:06d}.png"
            yield RawRecord(ref=str(path), study_key=f"study-{i}", patient_key=f"patient-{i // 2}", fields=fields,
                            image=functools.partial(_read_png, str(path)))

    def summary(self) -> dict:
        return {"kind": "benchmark-folder", "records": self.count}


def route_builder(folder: Path, count: int, out: Path) -> None:
    from vixray_data import sources
    from vixray_data.build import build
    from vixray_data.config import BuildConfig

    sources.open_source = lambda config: FolderSource(folder, count)
    build(BuildConfig(out=out, progress=False))


def route_datasets(folder: Path, count: int, out: Path) -> None:
    import datasets
    from datasets.table import embed_table_storage

    records = _records(folder, count)
    columns = {schema.ID: [str(i) for i in range(count)],
               schema.IMAGE: [str(folder / f"{i:06d}.png") for i in range(count)],
               **{f: [r[f] for r in records] for f in TEXT}}
    ds = datasets.Dataset.from_dict(columns, features=schema.FEATURES)
    ds = ds.with_format("arrow").map(embed_table_storage, batched=True).with_format(None)
    out.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out / "train.parquet"))


def route_raw(folder: Path, count: int) -> int:
    return sum(len((folder / f"{i:06d}.png").read_bytes()) for i in range(count))


def child(route: str, folder: Path, count: int, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    {"builder": route_builder, "datasets": route_datasets}[route](folder, count, out)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
    shutil.rmtree(out, ignore_errors=True)


def _run_child(route: str, folder: Path, count: int, out: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", route, "--folder", str(folder),
                           "--count", str(count), "--out", str(out)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1200])
    parser.add_argument("--image-size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=175)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vixray-bench"))
    parser.add_argument("--child", choices=("builder", "datasets"))
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--count", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.folder, args.count, args.out)
        return

    folder = args.workdir / "images"
    prepare(folder, max(args.sizes), args.image_size, args.seed)
    route_raw(folder, max(args.sizes))  # warm the page cache for every route alike
    mb = sum(p.stat().st_size for p in folder.glob("*.png")) / 2**20
    print(f"{max(args.sizes)} demo PNGs at {args.image_size}px, {mb:.0f} MiB, in {folder}; "
          f"{multiprocessing.cpu_count()} cores; {args.runs} runs each\n")
    rows = []
    for count in args.sizes:
        times: dict[str, list[float]] = {"builder": [], "datasets": [], "raw": []}
        rss: dict[str, list[float]] = {"builder": [], "builder_workers": [], "datasets": []}
        for _ in range(args.runs):
            start = time.perf_counter()
            route_raw(folder, count)
            times["raw"].append(time.perf_counter() - start)
            for route in ("builder", "datasets"):
                result = _run_child(route, folder, count, args.workdir / f"out-{route}")
                times[route].append(result["seconds"])
                rss[route].append(result["rss_mb"])
                if route == "builder":
                    rss["builder_workers"].append(result["children_rss_mb"])
        speed = {k: count / statistics.median(v) for k, v in times.items()}
        rows.append((count, speed, {k: statistics.median(v) for k, v in rss.items()}))

    print("| images | builder img/s | datasets img/s | raw read img/s | builder ÷ datasets | raw ÷ builder "
          "| builder peak RSS (main / worker) MiB | datasets peak RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, speed, mem in rows:
        print(f"| {count} | {speed['builder']:.0f} | {speed['datasets']:.0f} | {speed['raw']:.0f} "
              f"| {speed['builder'] / speed['datasets']:.2f}× | {speed['raw'] / speed['builder']:.1f}× "
              f"| {mem['builder']:.0f} / {mem['builder_workers']:.0f} | {mem['datasets']:.0f} |")


if __name__ == "__main__":
    main()

"""`vixray build EXPORT` on a real image-folder export, against the plain routes, as whole processes.

    .venv/bin/python benchmarks/bench_build.py                       # PNG: 200 and 600 images, 3 paired runs
    .venv/bin/python benchmarks/bench_build.py --dicom-sizes 100 300 # + the DICOM table
    .venv/bin/python benchmarks/bench_build.py --sizes --demo        # the demo build (5,400 images), CPU-s
    .venv/bin/python benchmarks/bench_build.py --before /tmp/main-src # + the same builds by another checkout

The export is what a hospital hands over: noisy 1024² grey PNGs (each with tEXt/tIME chunks naming the
patient) and one CSV sheet with Vietnamese headers and identifying columns (name, birth date, phone), built
once under ``--workdir`` and page-cached before timing. With a real key in ``VIXRAY_DEID_KEY``, every run
times these whole processes back to back (a paired run), wall clock from start to exit, imports included:

* ``vixray build EXPORT --out X`` (the CLI: table read and mapping, de-identification, split, PNG copy
  without metadata in worker threads (rendering, DICOM and OCR use processes), each image's pixels read once from
  its one inflate for the pixel digest, duplicate check, parquet, card, leak scan, atomic swap);
* ``vixray build --verify structure``: the same, each PNG checked (chunks, CRCs, the inflated size) and digested
  by its IDAT stream without being decoded;
* ``vixray build (before)``, with ``--before SRC``: ``vixray build`` of the checkout at SRC (``PYTHONPATH=SRC``,
  the same interpreter), for a before/after comparison paired like the rest;
* ``datasets``: ``Dataset.from_dict`` (text columns + file paths) with an ``Image()`` feature, bytes embedded
  with ``embed_table_storage`` (what ``push_to_hub`` does), ``to_parquet``;
* ``pyarrow``: file bytes and text columns into one table, ``pq.write_table`` (row groups of 100);
* ``cat``: ``cat`` of every image file to /dev/null.

The DICOM table does the same for an export of 1024² 12-bit DICOM files; its plain routes convert each file
(pydicom ``pixel_array``, min-max to 8 bits, Pillow PNG at compress level 1) in one process. CPU is the
process tree's user + system time (what the command costs on a busy machine, where wall clock also measures the
neighbours); every route runs once per paired run, in the same order, so routes alternate (A B A B). Peak RSS
is the largest sum of RSS over the process and its children, sampled every 20 ms with psutil (installed with the
``train`` extra; ``pip install psutil`` otherwise).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import statistics
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import numpy as np

HEADERS = [
    "Số phiếu",
    "Mã BN",
    "Họ tên",
    "Ngày sinh",
    "Tuổi",
    "Giới tính",
    "Tư thế",
    "Ghi chú",
    "Kỹ thuật",
    "Mô tả",
    "Kết luận",
    "Số điện thoại",
    "Tên file",
]
FINDINGS = [
    "Bóng tim không to. Hai phổi sáng đều, không thấy tổn thương khu trú.",
    "Bóng tim to, chỉ số tim ngực khoảng 0,58. Rốn phổi hai bên đậm.",
    "Mờ góc sườn hoành bên phải. Gãy cung bên xương sườn 6 bên phải.",
]
IMPRESSIONS = ["Chưa thấy bất thường trên phim.", "Bóng tim to.", "Tràn dịch màng phổi phải. Gãy xương sườn 6 phải."]
KEY = "bench-" + "5f" * 16
PLAIN_COLUMNS = {
    "id": "Số phiếu",
    "age": "Tuổi",
    "sex": "Giới tính",
    "view": "Tư thế",
    "note": "Ghi chú",
    "technique": "Kỹ thuật",
    "findings": "Mô tả",
    "impressions": "Kết luận",
}


# --------------------------------------------------------------------------- the export
def _chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def _rows(count: int, files: list[str]) -> list[dict[str, str]]:
    rows = []
    for i in range(count):
        rows.append(
            {
                "Số phiếu": f"ACC{i:07d}",
                "Mã BN": f"BN{24000000 + i // 2}",
                "Họ tên": f"Nguyễn Văn An {i}",
                "Ngày sinh": f"{1 + i % 28:02d}/03/19{40 + i % 50}",
                "Tuổi": str(30 + i % 60),
                "Giới tính": "Nam" if i % 3 else "Nữ",
                "Tư thế": "PA",
                "Ghi chú": "Chụp Xquang ngực thẳng",
                "Kỹ thuật": "Chụp Xquang tim phổi thẳng",
                "Mô tả": FINDINGS[i % 3],
                "Kết luận": IMPRESSIONS[i % 3],
                "Số điện thoại": f"09{i:08d}",
                "Tên file": files[i],
            }
        )
    return rows


def _write_table(root: Path, rows: list[dict[str, str]]) -> None:
    with open(root / "phieu_chup.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS)
        writer.writeheader()
        writer.writerows(rows)


def png_export(root: Path, count: int, size: int, noise: float = 2.6) -> Path:
    """``count`` noisy ``size``² PNGs (about 555 KiB at 1024²) with identifying text chunks, and the sheet. Pillow
    filters the rows of these noisy images with Sub and Up only; a smoother image (``noise`` near 0) gets Paeth rows,
    which the builder unfilters through Pillow."""
    from PIL import Image

    if (root / "phieu_chup.csv").exists() and len(list((root / "img").glob("*.png"))) == count:
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "img").mkdir(parents=True)
    rng = np.random.default_rng(175)
    y, x = np.mgrid[0:size, 0:size]
    base = 60 + 120 * np.exp(-(((x - size / 2) / (size / 3)) ** 2 + ((y - size / 2) / (size / 2.2)) ** 2))
    files = []
    for i in range(count):
        arr = np.clip(base + rng.normal(0, noise, (size, size)), 0, 255).astype(np.uint8)
        arr[i // size, i % size] ^= 0x80  # no two images share their pixels
        path = root / "img" / f"IM{i:06d}.png"
        Image.fromarray(arr).save(path, compress_level=1)
        data = path.read_bytes()
        tags = _chunk(b"tEXt", f"Patient\0Nguyen Van An {i}".encode())
        tags += _chunk(b"tIME", bytes([7, 232, 3, 14, 9, 30, 0]))  # 2024-03-14 09:30:00
        path.write_bytes(data[:33] + tags + data[33:])  # after IHDR, as scanners write them
        files.append(f"img/{path.name}")
    _write_table(root, _rows(count, files))
    return root


def dicom_export(root: Path, count: int, size: int) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_dicom import write_dicoms
    from pydicom.uid import ExplicitVRLittleEndian

    if (root / "phieu_chup.csv").exists() and len(list((root / "dcm").glob("*.dcm"))) == count:
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "dcm").mkdir(parents=True)
    paths = write_dicoms(root / "dcm", count=count, size=size, syntax=ExplicitVRLittleEndian)
    _write_table(root, _rows(count, [f"dcm/{p.name}" for p in paths]))
    return root


def subset(root: Path, count: int, kind: str) -> Path:
    """A folder with the first ``count`` images (hard links) and their rows: one export per corpus size."""
    folder = root.parent / f"{root.name}-{count}"
    if (folder / "phieu_chup.csv").exists():
        return folder
    with open(root / "phieu_chup.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:count]
    (folder / kind).mkdir(parents=True)
    for row in rows:
        os.link(root / row["Tên file"], folder / row["Tên file"])
    _write_table(folder, rows)
    return folder


# --------------------------------------------------------------------------- the plain routes (run as children)
PLAIN = (
    textwrap.dedent("""
    import csv, io, sys
    from pathlib import Path
    export, out, route, dicom = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
    columns = %r
    with open(export / "phieu_chup.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def image(row):
        path = export / row["Tên file"]
        if not dicom:
            return {"bytes": path.read_bytes(), "path": path.name}
        import numpy as np, pydicom
        from PIL import Image
        arr = pydicom.dcmread(path).pixel_array.astype(np.float32)
        arr = ((arr - arr.min()) / max(float(arr.max() - arr.min()), 1.0) * 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(arr).save(buffer, format="PNG", compress_level=1)
        return {"bytes": buffer.getvalue(), "path": path.stem + ".png"}

    text = {name: [r[col] for r in rows] for name, col in columns.items()}
    text["age"] = [int(a) for a in text["age"]]
    out.mkdir(parents=True, exist_ok=True)
    if route == "datasets":
        import datasets
        from datasets.table import embed_table_storage
        features = datasets.Features({"image": datasets.Image(), "age": datasets.Value("int32"),
                                      **{n: datasets.Value("string") for n in columns if n != "age"}})
        images = [str(export / r["Tên file"]) for r in rows] if not dicom else [image(r) for r in rows]
        ds = datasets.Dataset.from_dict({"image": images, **text}, features=features)
        ds = ds.with_format("arrow").map(embed_table_storage, batched=True).with_format(None)
        ds.to_parquet(str(out / "train.parquet"))
    else:
        import pyarrow as pa, pyarrow.parquet as pq
        images = [image(r) for r in rows]
        table = pa.table({"image": pa.array(images, pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
                          **{n: pa.array(v) for n, v in text.items()}})
        pq.write_table(table, out / "train.parquet", row_group_size=100)
""")
    % PLAIN_COLUMNS
)


REPO = Path(__file__).resolve().parent.parent
#: checkout whose ``vixray build`` the ``(before)`` routes run (``--before``)
BEFORE: Path | None = None


def command(route: str, export: Path | None, out: Path, kind: str) -> list[str]:
    """The command line of ``route``; ``export`` None: the demo corpus."""
    python = sys.executable
    if route.startswith("vixray build"):
        source = [] if export is None else [str(export)]
        verify = ["--verify", "structure"] if "--verify structure" in route else []
        return [python, "-m", "vixray_data.cli", "build", *source, "--out", str(out), "--no-progress", *verify]
    assert export is not None
    if route == "cat":
        files = sorted(str(p) for p in (export / kind).iterdir())
        return ["sh", "-c", 'cat "$@" > /dev/null', "cat", *files]
    return [python, "-c", PLAIN, str(export), str(out), route, "1" if kind == "dcm" else "0"]


# --------------------------------------------------------------------------- timing a process tree
def env_of(route: str, env: dict[str, str]) -> dict[str, str]:
    """The environment of ``route``: ``vixray_data`` imported from this checkout, or from ``--before``'s."""
    source = BEFORE if route.endswith("(before)") else REPO
    return {**env, "PYTHONPATH": str(source)}


def run(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds, CPU seconds (tree) and peak RSS MiB (sum over the tree, sampled) of one process, run from
    the filesystem root so that ``python -m`` imports ``vixray_data`` from ``PYTHONPATH``, not the directory."""
    import psutil

    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            process = psutil.Process(child.pid)
            while not done.is_set():
                total = 0
                for p in [process, *process.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                peak = max(peak, total)
                done.wait(0.02)
        except psutil.Error:
            pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{cmd[:6]} failed ({child.returncode}): {err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": peak / 2**20}


def _ratio(mine: dict[str, float], other: dict[str, float], key: str = "wall") -> str:
    """``mine`` against ``other``: how many times faster or slower (wall clock, or ``key``)."""
    if mine[key] <= other[key]:
        return f"{other[key] / mine[key]:.2f}× faster"
    return f"{mine[key] / other[key]:.2f}× slower"


def table(title: str, routes: list[str], export_of, sizes: list[int], runs: int, workdir: Path, kind: str) -> str:
    env = {**os.environ, "VIXRAY_DEID_KEY": KEY}
    lines = [
        f"{title}\n",
        "| images | route | median wall s | median CPU s | peak RSS MiB | wall vs `datasets` | CPU vs `datasets` "
        "| wall vs `pyarrow` |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for count in sizes:
        export = export_of(count)
        subprocess.run(command("cat", export, workdir, kind), check=True)  # page cache warm for every route
        results: dict[str, list[dict]] = {route: [] for route in routes}
        for _ in range(runs):  # a paired run: every route back to back, so background load hits all alike
            for route in routes:
                out = workdir / f"out-{route.replace(' ', '-')}"
                shutil.rmtree(out, ignore_errors=True)
                results[route].append(run(command(route, export, out, kind), env_of(route, env)))
                shutil.rmtree(out, ignore_errors=True)
        med = {
            route: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss")}
            for route, rs in results.items()
        }
        for route in routes:
            m = med[route]
            lines.append(
                f"| {count} | `{route}` | {m['wall']:.2f} | {m['cpu']:.2f} | {m['rss']:.0f} "
                f"| {'' if route == 'datasets' or 'datasets' not in med else _ratio(m, med['datasets'])} "
                f"| {'' if route == 'datasets' or 'datasets' not in med else _ratio(m, med['datasets'], 'cpu')} "
                f"| {'' if route in ('pyarrow', 'datasets') or 'pyarrow' not in med else _ratio(m, med['pyarrow'])} |"
            )
        print("\n".join(lines[-len(routes) :]), flush=True)
    return "\n".join(lines)


def demo_table(routes: list[str], runs: int, workdir: Path) -> str:
    """The demo build (``vixray build --out X --no-progress``, 5,400 rendered 1024² images) per route."""
    env = {**os.environ}
    results: dict[str, list[dict]] = {route: [] for route in routes}
    for _ in range(runs):
        for route in routes:
            out = workdir / f"out-demo-{route.replace(' ', '-')}"
            shutil.rmtree(out, ignore_errors=True)
            results[route].append(run(command(route, None, out, "demo"), env_of(route, env)))
            shutil.rmtree(out, ignore_errors=True)
    lines = [
        f"Demo build (`vixray build --out X --no-progress`, 5,400 images), {os.cpu_count()} cores, median of {runs} "
        "paired runs:\n",
        "| route | median wall s | median CPU s | peak RSS MiB | CPU runs |",
        "|---|---:|---:|---:|---|",
    ]
    for route, rs in results.items():
        m = {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss")}
        cpus = ", ".join(f"{r['cpu']:.1f}" for r in rs)
        lines.append(f"| `{route}` | {m['wall']:.1f} | {m['cpu']:.1f} | {m['rss']:.0f} | {cpus} |")
    print("\n".join(lines), flush=True)
    return "\n".join(lines)


#: One child's loop for ``--per-image``: ``ImageFile()`` and ``.structure()`` over the export's first N images.
_PER_IMAGE = """
import sys, time
from pathlib import Path
from vixray_data.sources.imagefile import ImageFile
files = sorted(Path(sys.argv[1]).glob("*.png"))[: int(sys.argv[2])]
for f in files[:5]:
    ImageFile(path=str(f), ref="r", fmt="png")()
for name in ("default", "structure"):
    start = time.process_time()
    for f in files:
        image = ImageFile(path=str(f), ref="r", fmt="png")
        image() if name == "default" else image.structure()
    print(name, (time.process_time() - start) / len(files) * 1000)
"""


_FILTERS = ("None", "Sub", "Up", "Average", "Paeth")


def per_image(folder: Path, count: int, runs: int) -> str:
    """CPU ms per image of the PNG copy in the builder's worker (``ImageFile()`` and ``--verify structure``'s
    ``.structure()``), in-process, this checkout and ``--before`` in alternate child processes; medians."""
    checkouts = {"this checkout": str(Path(__file__).resolve().parents[1])}
    if BEFORE is not None:
        checkouts["before"] = str(BEFORE)
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):
        for label, path in checkouts.items():
            env = {**os.environ, "PYTHONPATH": path}
            out = subprocess.run(
                [sys.executable, "-c", _PER_IMAGE, str(folder), str(count)],
                env=env,
                cwd="/",
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            for line in out.splitlines():
                name, ms = line.split()
                times.setdefault((label, name), []).append(float(ms))
    from vixray_data.sources.imagefile import png_chunks

    filters = [0] * 5
    for path in sorted(folder.glob("*.png"))[:count]:
        data = path.read_bytes()
        height = struct.unpack_from(">I", data, 20)[0]
        raw = zlib.decompress(b"".join(data[s + 8 : e - 4] for k, s, e in png_chunks(data) if k == b"IDAT"))
        stride = len(raw) // height
        for row in range(height):
            filters[raw[row * stride]] += 1
    rows = ", ".join(f"{name} {n / sum(filters):.0%}" for name, n in zip(_FILTERS, filters, strict=True) if n)
    lines = [
        f"PNG copy per image ({count} images; rows filtered {rows}; CPU ms, median of {runs} alternating runs):",
        "",
        "| checkout | `ImageFile()` | `.structure()` |",
        "|---|---:|---:|",
    ]
    for label in checkouts:
        default, structure = (statistics.median(times[(label, n)]) for n in ("default", "structure"))
        lines.append(f"| {label} | {default:.2f} | {structure:.2f} |")
    print("\n".join(lines), flush=True)
    return "\n".join(lines)


def _png_folder(args: argparse.Namespace) -> Path:
    return args.workdir / ("png-export" if args.noise == 2.6 else f"png-export-noise{args.noise:g}")


def main() -> None:
    global BEFORE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[200, 600])
    parser.add_argument("--dicom-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a checkout whose vixray build runs too, as '(before)' routes")
    parser.add_argument("--demo", action="store_true", help="time the demo build (5,400 images) too")
    parser.add_argument("--routes", nargs="+", help="only these routes (default: all)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vixray-bench-build"))
    parser.add_argument("--per-image", type=int, metavar="N", help="time the PNG copy of N images in-process too")
    parser.add_argument("--noise", type=float, default=2.6, help="noise of the PNG export (near 0: Paeth rows)")
    args = parser.parse_args()
    BEFORE = args.before
    builds = ["vixray build", "vixray build --verify structure"]
    if BEFORE is not None:
        builds = [builds[0], "vixray build (before)", *builds[1:]]
    routes = [*builds, "datasets", "pyarrow", "cat"]
    if args.routes:
        routes = [r for r in routes if r in args.routes]
    out = []
    if args.sizes:
        root = png_export(_png_folder(args), max(args.sizes), args.image_size, args.noise)
        mib = sum(p.stat().st_size for p in (root / "img").iterdir()) / 2**20 / max(args.sizes)
        out.append(
            table(
                f"PNG export ({args.image_size}² grey, {mib * 1024:.0f} KiB each), {os.cpu_count()} cores, "
                f"median of {args.runs} paired runs:",
                routes,
                lambda n: subset(root, n, "img"),
                args.sizes,
                args.runs,
                args.workdir,
                "img",
            )
        )
    if args.per_image:
        root = png_export(_png_folder(args), max([*args.sizes, args.per_image]), args.image_size, args.noise)
        out.append(per_image(root / "img", args.per_image, args.runs))
    if args.dicom_sizes:
        root = dicom_export(args.workdir / "dicom-export", max(args.dicom_sizes), args.image_size)
        out.append(
            table(
                f"DICOM export ({args.image_size}² 12-bit, explicit VR little endian), median of "
                f"{args.runs} paired runs:",
                routes,
                lambda n: subset(root, n, "dcm"),
                args.dicom_sizes,
                args.runs,
                args.workdir,
                "dcm",
            )
        )
    if args.demo:
        out.append(demo_table([r for r in builds if "--verify" not in r], args.runs, args.workdir))
    print("\n\n".join(out))


if __name__ == "__main__":
    main()

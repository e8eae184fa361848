"""Hostile exports: the cost of ``--ocr``, the OCR engines compared, and the memory of a rejected DICOM bomb.

    .venv/bin/python benchmarks/bench_hostile.py                 # all three parts
    .venv/bin/python benchmarks/bench_hostile.py --part build --count 24 --image-size 1024

* **build**: demo builds of ``--count`` images, without and with ``--ocr``, runs interleaved, median of
  ``--repeats``; images/s over the whole build (rendering, checks, shards, leak scan), all cores.
* **engines**: the synthetic radiographs of ``tests/test_hostile_pixels.py`` (five with drawn text, two with
  markers, one clean) read by RapidOCR and, when the ``tesseract`` binary is installed (Debian
  ``tesseract-ocr tesseract-ocr-vie``), by Tesseract 5 (``-l vie --psm 11``, all words, then confidence >= 60):
  seconds per image, drawn lines found, words reported on images without text beyond markers.
* **bomb**: ``read_info`` of the deflated 20000 x 20000 16-bit file of ``tests/test_hostile_dicom.py``
  (778 KB on disk, 800 MB inflated) in a fresh process: seconds, peak RSS, and the peak RSS of the same
  process after imports only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fixtures' generators: the benchmark reads what the tests read


def bench_build(count: int, image_size: int, repeats: int) -> None:
    from vixray_data.build import build
    from vixray_data.config import BuildConfig

    rates: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for ocr in (False, True):
                config = BuildConfig(
                    out=Path(tmp) / f"ocr{ocr}", demo_size=count, demo_image_size=image_size, progress=False, ocr=ocr
                )
                start = time.perf_counter()
                result = build(config)
                rates[ocr].append(result.counts.written / (time.perf_counter() - start))
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print(
        f"build {count} x {image_size} px: without --ocr {off:.1f} img/s, with --ocr {on:.2f} img/s "
        f"({off / on:.0f}x slower)"
    )


def _tesseract_words(path: Path, min_conf: float) -> list[str]:
    tsv = subprocess.run(
        ["tesseract", str(path), "-", "-l", "vie", "--psm", "11", "tsv"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    words = []
    for line in tsv[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[11].strip() and float(cells[10]) >= min_conf:
            words.append(cells[11].strip())
    return words


def bench_engines() -> None:
    from test_hostile_pixels import draw, radiograph

    from vixray_data.ocr import TextScreen, fold

    cases = {  # name -> (pixels, drawn text or None for images that must pass)
        "vietnamese-name": (draw(radiograph(1), "NGUYỄN VĂN ĐỨC", (20, 20), 28), "NGUYỄN VĂN ĐỨC"),
        "digits": (draw(radiograph(2), "0912 345 678", (250, 460), 26), "0912 345 678"),
        "small-font": (draw(radiograph(3), "Trần Thị Bình 12/03/1952", (280, 480), 12), "Trần Thị Bình"),
        "large-font": (draw(radiograph(4), "BN 20240001", (30, 380), 72), "BN 20240001"),
        "inverted": (255 - draw(radiograph(5), "Lê Văn Hoà", (30, 440), 28), "Lê Văn Hoà"),
        "marker-R": (draw(radiograph(7), "R", (460, 20), 36), None),
        "marker-PA-DUNG": (draw(radiograph(7), "PA ĐỨNG", (20, 20), 36), None),
        "clean": (radiograph(8), None),
    }
    screen = TextScreen()
    screen.boxes(radiograph(0))  # load the models outside the timing
    engines = {"rapidocr": lambda arr, path: [b.text for b in screen.unexpected(arr)]}
    if shutil.which("tesseract"):
        allowed = screen.allowed
        for conf in (0, 60):
            engines[f"tesseract conf>={conf}"] = lambda arr, path, conf=conf: [
                w for w in _tesseract_words(path, conf) if fold(w) not in allowed
            ]
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        for engine, read in engines.items():
            seconds, found, false_words = [], 0, 0
            for name, (arr, drawn) in cases.items():
                path = Path(tmp) / f"{name}.png"
                Image.fromarray(arr).save(path)
                start = time.perf_counter()
                words = read(arr, path)
                seconds.append(time.perf_counter() - start)
                text = fold(" ".join(words)).replace(" ", "")
                if drawn is None:
                    false_words += len(words)
                elif any(fold(part) in text for part in drawn.split() if len(part) >= 2):
                    found += 1
            print(
                f"{engine}: {statistics.median(seconds):.2f} s/image (median of {len(cases)}), drawn lines found "
                f"{found}/5, words reported on the 3 images without text beyond markers: {false_words}"
            )


_BOMB = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_hostile_dicom import deflated_bomb
from vixray_data.errors import RecordError
from vixray_data.sources import dicom
path = deflated_bomb(Path({path!r}))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    dicom.read_info(path, relpath="bomb")
except RecordError as exc:
    reason = exc.reason
seconds = time.perf_counter() - start
print({{"bytes": path.stat().st_size, "seconds": seconds, "reason": reason, "rss_before_mib": base / 1024,
       "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}})
"""


def bench_bomb() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        code = _BOMB.format(tests=str(ROOT / "tests"), path=str(Path(tmp) / "bomb.dcm"))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    figures = eval(out.strip().splitlines()[-1])  # our own dict literal, printed just above
    print("bomb: " + json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("build", "engines", "bomb", "all"), default="all")
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--image-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.part in ("engines", "all"):
        bench_engines()
    if args.part in ("bomb", "all"):
        bench_bomb()
    if args.part in ("build", "all"):
        bench_build(args.count, args.image_size, args.repeats)


if __name__ == "__main__":
    main()

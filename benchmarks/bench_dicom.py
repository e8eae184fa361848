"""DICOM -> PNG throughput with every core busy: the toolkit's route vs the plain-library route.

    .venv/bin/python benchmarks/bench_dicom.py                      # 200 x 512x512 16-bit, 2 workers
    .venv/bin/python benchmarks/bench_dicom.py --syntax rle --count 100

Toolkit route: ``vixray_data.sources.dicom.DicomImage`` (dcmread, modality LUT, VOI window, MONOCHROME1
handling, 8-bit PNG at compress level 3). Plain route, measured in the same run: dcmread, pixel_array,
min-max to 8 bits, Pillow PNG at its default compress level (6). Both in a process pool of
``--workers`` processes, runs interleaved; figures are images/s, the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, RLELossless, generate_uid

from vixray_data.sources.dicom import DicomImage, read_info

SYNTAXES = {"explicit": ExplicitVRLittleEndian, "rle": RLELossless, "j2k": JPEG2000Lossless}


def write_dicoms(folder: Path, *, count: int, size: int, syntax) -> list[Path]:
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 4095, size * size).reshape(size, size)
    paths = []
    for n in range(count):
        arr = np.clip(ramp + rng.normal(0, 200, (size, size)), 0, 4095).astype(np.uint16)
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
        ds.SOPInstanceUID = generate_uid(entropy_srcs=[str(n)])
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.Rows = ds.Columns = size
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME1" if n % 2 else "MONOCHROME2"
        ds.WindowCenter, ds.WindowWidth = 2048, 3000
        ds.PixelData = arr.tobytes()
        if syntax != ExplicitVRLittleEndian:
            ds.compress(syntax, arr)
        path = folder / f"{n:05d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def toolkit(path: str) -> int:
    return len(DicomImage(path=path, ref="bench")().data)


def plain(path: str) -> int:
    import pydicom

    arr = pydicom.dcmread(path).pixel_array.astype(np.float64)
    arr = ((arr - arr.min()) / max(arr.max() - arr.min(), 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(arr).save(buffer, format="PNG")
    return len(buffer.getvalue())


def rate(func, paths: list[str], pool) -> float:
    start = time.perf_counter()
    pool.map(func, paths, chunksize=4)
    return len(paths) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--syntax", choices=sorted(SYNTAXES), default="explicit")
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [
            str(p) for p in write_dicoms(Path(tmp), count=args.count, size=args.size, syntax=SYNTAXES[args.syntax])
        ]
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            pool.map(toolkit, paths[: args.workers * 2])  # warm the workers' imports
            ours, base = [], []
            for _ in range(args.repeats):  # interleaved, so background load hits both routes alike
                ours.append(rate(toolkit, paths, pool))
                base.append(rate(plain, paths, pool))
            header = []
            for _ in range(args.repeats):  # the reader's pass in the main process (keys, PHI, digests)
                start = time.perf_counter()
                for path in paths:
                    read_info(Path(path), relpath="bench")
                header.append(len(paths) / (time.perf_counter() - start))
    ours_m, base_m = statistics.median(ours), statistics.median(base)
    print(
        f"DICOM -> PNG ({args.count} x {args.size}x{args.size} 16-bit, {SYNTAXES[args.syntax].name}, "
        f"{args.workers} workers, median of {args.repeats}): toolkit {ours_m:.1f} images/s, "
        f"plain pydicom+Pillow {base_m:.1f} images/s, ratio {ours_m / base_m:.2f}; "
        f"header pass (main process) {statistics.median(header):.0f} files/s"
    )


if __name__ == "__main__":
    main()

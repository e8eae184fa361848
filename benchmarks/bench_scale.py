"""How `vixray build` scales with the number of records on a text-heavy export, as whole processes.

    .venv/bin/python benchmarks/bench_scale.py --sizes 1000 10000            # builds: CPU, wall, peak RSS, fit
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000 10000 --vixray /work/main/.venv/bin/vixray  # another
    .venv/bin/python benchmarks/bench_scale.py --profile-scan --values-of 1000 50000  # the index alone, per text

The export is what makes identifying values expensive: every record has its own patient name (surnames drawn
from the Vietnamese distribution: Nguyễn 38 %, Trần 11 %, Lê 9.5 % ...; middle and given names so that no two
records share one), accession number, patient id, birth date and phone, and one report in five names another
record's patient and a date. Images are 8×8 grey PNGs (distinct pixels, a ``tEXt`` chunk naming the patient), so
the build's time is its text work. The sheet has the Vietnamese headers of ``bench_build.py``'s export, whose
table writer and process-tree timer (CPU user+sys of the tree, peak RSS of the tree sampled with psutil) this
script imports.

Each size is one ``vixray build EXPORT --out X --no-progress`` process; the table gives CPU ms per record, wall
and peak RSS, then a least-squares fit CPU-s = a + b·N + c·N² (three sizes or more; a + b·N with two) and the
ratios CPU/record and peak RSS of the largest size to the smallest.

``--profile-scan`` times the library alone: the index of the values of 1k and 50k records, then the leak scan and
the scrub's value search over the same report texts (µs per text: flat when the search does not depend on the
number of values) and the bytes the index keeps per stored form. It runs on this checkout's ``vixray_data``, the
old matcher included (run it with another checkout's Python for the figures before a change).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_build import FINDINGS, IMPRESSIONS, KEY, _chunk, _write_table, run  # noqa: E402


def _words(text: str) -> list[str]:
    return text.split()


#: Vietnamese surnames by share of the population (the rest spread over OTHER_SURNAMES).
SURNAMES = {
    "Nguyễn": 38.0,
    "Trần": 11.0,
    "Lê": 9.5,
    "Phạm": 7.0,
    "Hoàng": 2.5,
    "Huỳnh": 2.5,
    "Phan": 4.5,
    "Vũ": 1.95,
    "Võ": 1.95,
    "Đặng": 2.1,
    "Bùi": 2.0,
    "Đỗ": 1.4,
    "Hồ": 1.3,
    "Ngô": 1.3,
    "Dương": 1.0,
    "Lý": 0.5,
}
OTHER_SURNAMES = _words("Đào Đoàn Vương Trịnh Trương Lâm Mai Tô Hà Tạ Lưu Cao Châu Quách Kiều Thái La Tăng Lương Triệu")
MIDDLE = _words("Văn Thị Hữu Đức Minh Ngọc Thanh Quốc Xuân Hoàng Kim Thu Gia Bảo Công Đình Quang Mạnh Anh Phương")
GIVEN = _words(
    "An Bình Cường Dũng Giang Hà Hải Hạnh Hiếu Hòa Hùng Hương Khánh Khoa Lan Linh Long Mai Minh Nam Nga "
    "Ngân Nhung Phong Phúc Phương Quân Quang Sơn Tâm Thảo Thắng Thành Thủy Trang Trí Trung Tuấn Tú Vân "
    "Việt Yến Huy Hưng Đạt Duy Lộc Tài Thịnh Vinh Châu Diệp Hằng Loan Oanh Quyên Thư Tiến Toàn Trinh Uyên "
    "Vy Xuân"
)
#: Report words that share their first letters with folded surnames (bên phải / Phan, ngực / Nguyễn, tràn / Trần).
NEAR_MISSES = [
    "Tràn dịch màng phổi bên phải lượng ít.",
    "Phân bố mạch máu phổi bình thường. Ngực cân đối.",
    "Trung thất không lệch. Hoành phải vồng cao.",
    "Nhu mô phổi hai bên không thấy tổn thương. Lệch trục nhẹ.",
]


def names(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct full names, surname by population share."""
    surnames = [*SURNAMES, *OTHER_SURNAMES]
    share = (100 - sum(SURNAMES.values())) / len(OTHER_SURNAMES)
    weights = np.array([*SURNAMES.values(), *[share] * len(OTHER_SURNAMES)])
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        family = surnames[rng.choice(len(surnames), p=weights / weights.sum())]
        parts = [family, MIDDLE[rng.integers(len(MIDDLE))], GIVEN[rng.integers(len(GIVEN))]]
        if rng.random() < 0.5:
            parts.insert(2, GIVEN[rng.integers(len(GIVEN))])
        name = " ".join(parts)
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _date(day: int) -> str:
    d = np.datetime64("1930-01-01") + np.timedelta64(int(day), "D")
    y, m, dd = str(d).split("-")
    return f"{dd}/{m}/{y}"


def records(count: int, seed: int = 21) -> list[dict[str, str]]:
    """The sheet's rows: every identifying value distinct per record (names, ids, phones; dates mostly)."""
    rng = np.random.default_rng(seed)
    people = names(count, rng)
    days = rng.permutation(80 * 365)[:count] if count <= 80 * 365 else rng.integers(0, 80 * 365, count)
    phones = rng.permutation(10**8)[:count] if count <= 10**6 else rng.integers(0, 10**8, count)
    rows = []
    for i in range(count):
        findings = FINDINGS[i % 3] + " " + NEAR_MISSES[i % len(NEAR_MISSES)]
        if i % 5 == 4:  # another record's patient and date, as a comparison note names them
            j = int(rng.integers(count))
            findings += f" So sánh phim cũ của BN {people[j]} ngày {_date(days[j])}."
        rows.append(
            {
                "Số phiếu": f"ACC{i:08d}",
                "Mã BN": f"BN{30000000 + i}",
                "Họ tên": people[i],
                "Ngày sinh": _date(days[i]),
                "Tuổi": str(20 + i % 70),
                "Giới tính": "Nam" if i % 2 else "Nữ",
                "Tư thế": "PA",
                "Ghi chú": "Chụp Xquang ngực thẳng",
                "Kỹ thuật": "Chụp Xquang tim phổi thẳng",
                "Mô tả": findings,
                "Kết luận": IMPRESSIONS[i % 3],
                "Số điện thoại": f"09{int(phones[i]):08d}",
                "Tên file": f"img/IM{i:07d}.png",
            }
        )
    return rows


def tiny_png(i: int, patient: str) -> bytes:
    """An 8×8 grey PNG whose pixels spell ``i`` (no two alike), with a ``tEXt`` chunk naming the patient."""
    pixels = bytearray(np.full(64, 128, np.uint8).tobytes())
    pixels[:8] = i.to_bytes(8, "little")
    raw = b"".join(b"\x00" + bytes(pixels[r * 8 : r * 8 + 8]) for r in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", (8).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0]))
        + _chunk(b"tEXt", b"Patient\0" + patient.encode("utf-8"))
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def export(root: Path, count: int) -> Path:
    """The export of ``count`` records under ``root`` (kept between runs)."""
    folder = root / f"export-{count}"
    if (folder / "phieu_chup.csv").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "img").mkdir(parents=True)
    rows = records(count)
    for i, row in enumerate(rows):
        (folder / row["Tên file"]).write_bytes(tiny_png(i, row["Họ tên"]))
    _write_table(folder, rows)
    return folder


def fit(sizes: list[int], cpu: list[float]) -> str:
    n = np.array(sizes, float)
    if len(sizes) >= 3:
        (a, b, c), *_ = np.linalg.lstsq(np.stack([np.ones_like(n), n, n**2], 1), np.array(cpu), rcond=None)
        return f"CPU-s ≈ {a:.2f} + {b * 1e3:.2f} ms·N + {c * 1e9:.2f} ns·N²"
    if len(sizes) == 2:
        (a, b), *_ = np.linalg.lstsq(np.stack([np.ones_like(n), n], 1), np.array(cpu), rcond=None)
        return f"CPU-s ≈ {a:.2f} + {b * 1e3:.2f} ms·N (two sizes: no N² term)"
    return ""


def builds(args: argparse.Namespace) -> None:
    vixray = [args.vixray] if args.vixray else [sys.executable, "-m", "vixray_data.cli"]
    env = {**os.environ, "VIXRAY_DEID_KEY": KEY}
    lines = ["| records | CPU s | CPU ms/record | wall s | peak RSS MiB |", "|---:|---:|---:|---:|---:|"]
    results = []
    for count in sorted(args.sizes):
        folder = export(args.workdir, count)
        out = args.workdir / f"out-{count}"
        shutil.rmtree(out, ignore_errors=True)
        result = run([*vixray, "build", str(folder), "--out", str(out), "--no-progress"], env)
        results.append(result)
        lines.append(
            f"| {count} | {result['cpu']:.1f} | {result['cpu'] / count * 1e3:.2f} | {result['wall']:.1f} "
            f"| {result['rss']:.0f} |"
        )
        shutil.rmtree(out, ignore_errors=True)
    sizes = sorted(args.sizes)
    print(f"`{' '.join(vixray)} build EXPORT --out X --no-progress`, {os.cpu_count()} cores:\n")
    print("\n".join(lines) + "\n")
    print(fit(sizes, [r["cpu"] for r in results]))
    if len(sizes) >= 2:
        per = [r["cpu"] / n for r, n in zip(results, sizes, strict=True)]
        print(
            f"CPU/record {sizes[-1]} ÷ {sizes[0]}: {per[-1] / per[0]:.2f}; "
            f"peak RSS {sizes[-1]} ÷ {sizes[0]}: {results[-1]['rss'] / results[0]['rss']:.2f}"
        )


# --------------------------------------------------------------------------- the index alone
def _values(rows: list[dict[str, str]]) -> list[str]:
    keys = ("Số phiếu", "Mã BN", "Họ tên", "Ngày sinh", "Số điện thoại", "Tên file")
    return [row[k] for row in rows for k in keys]


def _per_text(search, texts: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            search(text)
        best = min(best, time.perf_counter() - start)
    return best / len(texts) * 1e6


def profile_scan(args: argparse.Namespace) -> None:
    from vixray_data import phi
    from vixray_data.build import kept_values, leak_scan

    texts = [row["Mô tả"] for row in records(2000, seed=7)]  # other people's names: mostly misses, some hits
    old = hasattr(leak_scan, "_Matcher")
    print(f"{'old _Matcher' if old else 'ValueIndex'} ({leak_scan.__file__}), {len(texts)} report texts:\n")
    print("| records | values | build index s | leak scan µs/text | scrub values µs/text | bytes/form | forms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for count in args.values_of:
        values = _values(records(count))
        start = time.perf_counter()
        if old:
            matcher = leak_scan._Matcher(kept_values.searched(values))
            leaks = matcher.find
        else:
            index = leak_scan.index(values)
            leaks = index.leaks
        built = time.perf_counter() - start
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        scrub = phi.ValueIndex(values)
        scrub.find("")
        kept = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        forms = (
            scrub.forms
            if hasattr(scrub, "forms")
            else sum(len(s) for s in scrub._by_first.values()) + len(scrub._exact_words)
        )
        arrays = f" ({scrub.nbytes / forms:.0f} in its arrays)" if hasattr(scrub, "nbytes") else ""
        print(
            f"| {count} | {len(values)} | {built:.2f} | {_per_text(leaks, texts):.1f} "
            f"| {_per_text(scrub.find, texts):.1f} | {kept / forms:.0f}{arrays} | {forms} |"
        )
        del scrub
    print("\nbytes/form: what the scrub's index keeps (tracemalloc, after building) per stored form")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000, 200000])
    parser.add_argument("--vixray", default=None, help="the vixray executable to time (default: this checkout's)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vixray-bench-scale"))
    parser.add_argument("--profile-scan", action="store_true", help="time the value index alone, per text")
    parser.add_argument("--values-of", type=int, nargs="+", default=[1000, 50000])
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.profile_scan:
        profile_scan(args)
    else:
        builds(args)


if __name__ == "__main__":
    main()

"""The README's timing table, measured: each README command run as a whole process, as a user would run it.

For each command: wall time, CPU time (user + system, the command's worker processes included: what ``wait4``
reports, like ``/usr/bin/time``), peak resident memory (the largest single process), and the load average just
before it started. The table says on what machine (cores usable, CPU model) and when it was measured.

    .venv/bin/python benchmarks/readme_timings.py                   # prints it, writes benchmarks/readme_timings.md
    .venv/bin/python benchmarks/readme_timings.py --update-readme   # and replaces the table in README.md
    .venv/bin/python benchmarks/readme_timings.py --skip pytest     # leave out the test suite (minutes)
    .venv/bin/python benchmarks/readme_timings.py --with-ci         # add .ci/run from a fresh clone (reinstalls: long)

The dataset commands run in a scratch folder with an empty Hugging Face cache (a first load converts the shards,
as on a fresh machine); the test suite runs from the repository. ``pip install`` steps depend on the network and
the wheel cache and are not measured (``--with-ci`` includes them).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BEGIN, END = "<!-- readme_timings:begin -->", "<!-- readme_timings:end -->"


@dataclass
class Timing:
    label: str
    wall: float
    cpu: float
    peak_rss: int  # bytes
    load: float  # 1-minute load average when it started
    code: int
    note: str = ""


def run(label: str, command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[Timing, str]:
    """Run ``command`` to its end; its wall time and the resource use ``wait4`` reports for it and its children."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    timing = Timing(label, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, load, child.returncode)
    text = output.decode("utf-8", "replace")
    print(f"{label}: {wall:.1f} s wall, {timing.cpu:.1f} s CPU, exit {timing.code}", file=sys.stderr)
    if timing.code:
        print(text[-3000:], file=sys.stderr)
    return timing, text


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {round(seconds % 60):02d} s"


def machine() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = platform.processor() or platform.machine()
    try:
        names = re.findall(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        model = names[0].strip() if names else model
    except OSError:
        pass
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f", {kib / 2**20:.0f} GiB memory"
    except (OSError, AttributeError):
        pass
    return f"{usable} usable core{'s' if usable != 1 else ''} ({os.cpu_count()} online), {model}{memory}"


def table(timings: list[Timing], started: datetime.datetime) -> str:
    loads = [t.load for t in timings]
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC by `benchmarks/readme_timings.py` on {machine()}, Python "
        f"{platform.python_version()}; 1-minute load average {min(loads):.1f}–{max(loads):.1f} as the commands "
        "started (the machine is shared: on an idle one the wall times are shorter). CPU is user + system time of "
        "the command and its worker processes; memory is the largest single process.",
        "",
        "| command | wall | CPU | peak memory | load at start |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in timings:
        failed = "" if t.code == 0 else f" **(exit {t.code})**"
        lines.append(
            f"| {t.label}{failed}{t.note} | {_duration(t.wall)} | {_duration(t.cpu)} | "
            f"{t.peak_rss / 2**20:.0f} MiB | {t.load:.1f} |"
        )
    return "\n".join(lines) + "\n"


def update_readme(text: str, readme: Path = REPO / "README.md") -> None:
    content = readme.read_text(encoding="utf-8")
    if BEGIN not in content or END not in content:
        raise SystemExit(f"{readme}: no {BEGIN} ... {END} block to replace")
    head, rest = content.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{text}{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "benchmarks" / "readme_timings.md",
        help="where to write the table (default: benchmarks/readme_timings.md)",
    )
    parser.add_argument("--update-readme", action="store_true", help="replace the table in README.md too")
    parser.add_argument(
        "--skip",
        default="",
        metavar="NAMES",
        help="comma-separated commands to leave out: build, load, pytest, validate, stats, review",
    )
    parser.add_argument("--with-ci", action="store_true", help="also time .ci/run from a fresh clone")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (printed)")
    args = parser.parse_args(argv)
    skip = {name.strip() for name in args.skip.split(",") if name.strip()}
    scratch = Path(tempfile.mkdtemp(prefix="vixray-timings-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env |= {"HF_HOME": str(scratch / "hf"), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    started = datetime.datetime.now(datetime.timezone.utc)
    vixray, python = str(BIN / "vixray"), sys.executable
    steps = [
        (
            "build",
            "`vixray build --no-progress` (5,400 demo records, 1024 px)",
            [vixray, "build", "--no-progress"],
            scratch,
        ),
        (
            "load",
            "`python -c \"import datasets; datasets.load_dataset('vixray')\"` (first load: converts the shards)",
            [python, "-c", "import datasets; print(datasets.load_dataset('vixray'))"],
            scratch,
        ),
        ("pytest", "`python -m pytest`", [python, "-m", "pytest", "-p", "no:cacheprovider"], REPO),  # -q: addopts
        (
            "validate",
            "`vixray validate vixray --no-progress` (decodes all 5,400 images)",
            [vixray, "validate", "vixray", "--no-progress"],
            scratch,
        ),
        (
            "stats",
            "`vixray stats vixray --out stats --no-progress`",
            [vixray, "stats", "vixray", "--out", "stats", "--no-progress"],
            scratch,
        ),
        (
            "review",
            "`vixray review vixray --out review.html`",
            [vixray, "review", "vixray", "--out", "review.html"],
            scratch,
        ),
    ]
    timings: list[Timing] = []
    try:
        for name, label, command, cwd in steps:
            if name in skip:
                continue
            if name in ("load", "validate", "stats", "review") and not (scratch / "vixray").is_dir():
                print(f"{name}: skipped, no build to read", file=sys.stderr)
                continue
            timing, output = run(label, command, cwd=cwd, env=env if cwd == scratch else dict(os.environ))
            if name == "pytest":
                passed = re.findall(r"(\d+) passed", output)  # the summary line is the last
                timing.label = f"`python -m pytest` ({passed[-1]} tests)" if passed else timing.label
            timings.append(timing)
        if args.with_ci:
            clone = scratch / "clone"
            subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
            ci_env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"CI": "true"}
            timing, _ = run(
                "`.ci/run` from a fresh clone (venv, install, ruff, pytest, wheel check)",
                ["bash", ".ci/run"],
                cwd=clone,
                env=ci_env,
            )
            timings.append(timing)
    finally:
        if args.keep:
            print(f"scratch folder kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    text = table(timings, started)
    print(text)
    args.out.write_text(text, encoding="utf-8")
    if args.update_readme:
        update_readme(text)
    return 0 if all(t.code == 0 for t in timings) else 1


if __name__ == "__main__":
    sys.exit(main())

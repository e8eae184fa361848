"""`vixray stats` as a process: one Ctrl-C stops it cleanly, it leaves nothing in the temp folder, and its figures
are the same bytes every run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import demo_config

from vixray_data.build import build
from vixray_data.statistics import StatsConfig, run_statistics


@pytest.fixture(scope="module")
def many_reports(tmp_path_factory) -> Path:
    """3,000 records (tiny images: the statistics never read them): enough distinct texts for worker processes."""
    return build(
        demo_config(tmp_path_factory.mktemp("stats") / "vixray", demo_size=3000, demo_image_size=16, num_proc=2)
    ).out


def _stats(folder: Path, out: Path, *options: str, **popen) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "vixray_data.cli",
        *options,
        "stats",
        str(folder),
        "--out",
        str(out),
        "--num-proc",
        "2",
    ]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_as_in_a_terminal, **popen
    )


def _as_in_a_terminal() -> None:
    """Ctrl-C handled as in a terminal, though pytest may run in the background, where a shell ignores it and
    every child inherits that (a command started with Ctrl-C ignored keeps ignoring it, as it should)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _children(pid: int) -> set[int]:
    try:
        return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads worker processes from /proc (Linux)")
def test_one_ctrl_c_stops_stats_with_one_line_exit_130_and_no_worker_left(many_reports, tmp_path):
    # a terminal's Ctrl-C goes to the whole process group: the command and its workers
    child = _stats(many_reports, tmp_path / "stats", start_new_session=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while len(workers) < 2 and child.poll() is None and time.monotonic() < deadline:
        workers |= _children(child.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the workers never started"
    time.sleep(0.5)  # into the analysis
    os.killpg(child.pid, signal.SIGINT)
    try:
        out, err = child.communicate(timeout=30)  # a second Ctrl-C is never needed
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        pytest.fail("vixray stats still running 30 s after one Ctrl-C")
    assert child.returncode == 130
    assert err.strip() == "vixray stats: interrupted" and "Traceback" not in err
    time.sleep(0.5)
    assert [pid for pid in workers if _running(pid)] == []


def test_stats_leaves_nothing_in_the_temp_folder(many_reports, tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    child = _stats(many_reports, tmp_path / "stats", "-v", env=os.environ | {"TMPDIR": str(temp)})
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0, err
    assert "with 2 process(es)" in err  # workers too loaded pyvi's models, which unpack into the temp folder
    assert sorted(p.name for p in temp.iterdir()) == []


def test_figures_are_the_same_bytes_in_two_runs(demo_dir, tmp_path):
    config = {"backend": "lexicon", "noun_phrases": None, "num_proc": 1}
    first = run_statistics(demo_dir, StatsConfig(out=tmp_path / "a", **config))
    second = run_statistics(demo_dir, StatsConfig(out=tmp_path / "b", **config))
    figures = sorted(p.name for p in first.files if p.suffix in (".svg", ".png"))
    assert len(figures) == 10 and figures == sorted(p.name for p in second.files if p.suffix in (".svg", ".png"))
    for name in figures:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert b'clip-path="url(#' in (tmp_path / "a" / "views.svg").read_bytes()  # the ids that used to be random

"""The command line a new user meets: --version, defaults in --help, one summary, progress only on a terminal,
and no third-party log noise."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from vixray_data import __version__, cli
from vixray_data.progress import bar


def _help(*command: str) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([*command, "--help"])
    assert done.value.code == 0


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"vixray {__version__}"


def test_build_help_shows_every_default_and_every_table_format(capsys):
    _help("build")
    text = " ".join(capsys.readouterr().out.split())
    for shown in (
        "split and demo seed (default: 175)",
        "demo corpus records (default: 5400)",
        "demo image width/height in pixels (default: 1024)",
        "(default: 100.0)",
        "(default: 500.0)",
        "(default: all cores)",
        "(default ./vixray",
        "(default: 8)",
        "report/metadata table: CSV, TSV, XLSX or JSONL",
    ):
        assert shown in text, shown


def _option_blocks(text: str) -> list[str]:
    """Each option's entry in a --help text (its flags, metavar and help), whitespace collapsed."""
    return [" ".join(block.split()) for block in re.split(r"\n(?=  -)|\n(?=\S)", text) if block.startswith("  -")]


def _block(blocks: list[str], action) -> str:
    flag = action.option_strings[-1]
    return next(b for b in blocks if re.match(rf"(-\S+, )*{re.escape(flag)}([ ,]|$)", b))


@pytest.mark.parametrize("command", [None, *cli.COMMANDS])
def test_every_option_has_help_and_every_value_default_is_shown(command, capsys):
    parser = cli._parser()
    sub = parser if command is None else next(a for a in parser._actions if a.dest == "command").choices[command]
    _help(*([command] if command else []))
    blocks = _option_blocks(capsys.readouterr().out)
    for action in sub._actions:
        if not action.option_strings or action.dest in ("help", "version"):
            continue
        assert action.help and action.help.strip(), f"{command} {action.option_strings[-1]} has no help"
        block = _block(blocks, action)
        if action.nargs == 0:  # a flag: "(default: True)" beside --no-figures would read as if it were on
            assert "(default: True)" not in block and "(default: False)" not in block, block
        elif action.default is not None:  # 0 included (--seed)
            assert f"(default: {action.default})" in block or "default" in action.help, block


@pytest.mark.parametrize("command", ["validate", "review", "evaluate"])
def test_seed_shows_its_default_of_zero(command, capsys):
    _help(command)
    assert any(
        b.startswith("--seed SEED") and b.endswith("(default: 0)") for b in _option_blocks(capsys.readouterr().out)
    )


def test_verbose_shows_vixrays_debug_lines_but_not_the_image_librarys_chunk_dumps(tmp_path):
    import logging

    from PIL import Image

    Image.new("L", (4, 4)).save(tmp_path / "x.png")
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("vixray_data").level
    stream = io.StringIO()
    root.handlers = [logging.StreamHandler(stream)]
    try:
        cli._log_levels(verbose=True)
        logging.getLogger("vixray_data.test").debug("our own debug line")
        Image.open(tmp_path / "x.png").load()  # PIL logs a DEBUG "STREAM b'IHDR'" line per chunk
    finally:
        root.handlers, root.level = saved[0], saved[1]
        logging.getLogger("vixray_data").setLevel(saved[2])
    assert "our own debug line" in stream.getvalue() and "STREAM" not in stream.getvalue()


def test_stats_prints_its_summary_once(demo_dir, tmp_path, capsys):
    assert (
        cli.main(
            [
                "stats",
                str(demo_dir),
                "--out",
                str(tmp_path / "stats"),
                "--segmenter",
                "lexicon",
                "--noun-phrases",
                "none",
                "--no-figures",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    summaries = [line for line in (captured.out + captured.err).splitlines() if " reports from " in line]
    assert len(summaries) == 1


def test_validate_prints_one_summary_line(demo_dir, capsys):
    assert cli.main(["validate", str(demo_dir), "--sample", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"OK {demo_dir}: ")


def test_a_folder_without_data_gives_one_line_and_no_library_warnings(tmp_path):
    folder = tmp_path / "examples"  # like the repository's examples/: a README without card metadata, no data
    folder.mkdir()
    (folder / "README.md").write_text("# Examples\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")} | {"HF_HOME": str(tmp_path / "hf")}
    result = subprocess.run(
        [sys.executable, "-m", "vixray_data.cli", "stats", str(folder), "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("vixray stats: error: ") and "metadata block" not in result.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_show_only_on_a_terminal_and_when_asked(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a log file
    assert bar(range(3), enabled=True).disable
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert not bar(range(3), enabled=True).disable
    assert bar(range(3), enabled=False).disable  # --no-progress


@pytest.mark.parametrize(
    "command", [["validate", "x"], ["publish", "x", "--repo", "a/b"], ["stats", "x", "--out", "o"]]
)
def test_long_commands_take_no_progress(command):
    args = cli._parser().parse_args([*command, "--no-progress"])
    assert args.no_progress is True


def test_build_draws_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, capsys):
    assert cli.main(["build", "--out", str(tmp_path / "vixray"), "--demo-size", "6", "--image-size", "32"]) == 0
    err = capsys.readouterr().err
    assert "reading" not in err and "writing" not in err and "\r" not in err


def test_evaluate_draws_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, capsys):
    import json

    rows = [
        {
            "id": f"r{i}",
            "stage": "1",
            "field": "findings",
            "prediction": "Bóng tim to.",
            "reference": "Bóng tim không to.",
        }
        for i in range(3)
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert cli.main(["evaluate", str(path), "--bootstrap", "10", "--no-words", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "scoring" not in err and "\r" not in err and "it/s" not in err


def test_evaluate_shows_its_bar_on_a_terminal_unless_no_progress(monkeypatch):
    from vixray_data.commands import evaluate

    for argv, shown in ((["p.jsonl"], True), (["p.jsonl", "--no-progress"], False)):
        args = cli._parser().parse_args(["evaluate", *argv])
        assert evaluate._options(args).progress is shown


def _run_python(code: str) -> str:
    """``code`` in a fresh interpreter importing this checkout's vixray_data; its stdout's last line."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {k: v for k, v in os.environ.items() if k not in cli.QUIET_ENV} | {"PYTHONPATH": root}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True, cwd=root
    )
    return result.stdout.strip().splitlines()[-1]


def test_build_and_validate_import_neither_datasets_nor_huggingface_hub():
    code = (
        "import contextlib, io, sys\n"
        "from vixray_data import cli\n"
        "for command in ('build', 'validate'):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        cli.main([command, '--help'])\n"
        "print(sorted(name for name in ('datasets', 'huggingface_hub') if name in sys.modules))"
    )
    assert _run_python(code) == "[]"


def test_datasets_and_huggingface_hub_imported_after_the_cli_started_are_quiet():
    code = (
        "import logging\n"
        "from vixray_data import cli\n"
        "cli._quiet_libraries()\n"
        "import datasets, huggingface_hub.utils.logging as hub\n"
        "print(datasets.logging.get_verbosity() == logging.ERROR, hub.get_verbosity() == logging.ERROR,\n"
        "      datasets.is_progress_bar_enabled())"
    )
    assert _run_python(code) == "True True False"  # stderr is a pipe here: no progress bars either

"""Command-line flags generated from a settings dataclass: each field's flag, help, default and metavar come from it."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vixray_data import flags
from vixray_data.cli import DefaultsFormatter
from vixray_data.config import BuildConfig


def _even(text: str) -> int:
    if int(text) % 2:
        raise argparse.ArgumentTypeError(f"expected an even number, got {text}")
    return int(text)


@dataclass(frozen=True, kw_only=True)
class Settings:
    source: Path | None = field(default=None, metadata=flags.flag("source", nargs="?", help="where to read"))
    rounds: int = field(default=3, metadata=flags.flag("--rounds", help="how many rounds"))
    pairs: int = field(default=2, metadata=flags.flag("--pairs", type=_even, metavar="N", help="pairs to draw"))
    limit_bytes: int = field(
        default=2 * 2**20,
        metadata=flags.flag(
            "--limit-mb", type=float, default=2.0, convert=lambda mib: int(mib * 2**20), help="limit in MiB"
        ),
    )
    quiet: bool = field(default=False, metadata=flags.flag("--quiet", action="store_true", help="say nothing"))
    colour: bool = field(
        default=True,
        metadata=flags.flag(
            "--no-colour",
            action="store_true",
            default=False,
            convert=lambda off: not off,
            help="plain text",
            group="display",
        ),
    )
    label: str | None = field(default=None, metadata=flags.flag("--label", group="display", help="a title"))
    ratios: tuple[float, ...] = (0.5, 0.5)  # no flag: not on the command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tool", formatter_class=DefaultsFormatter)
    flags.add_arguments(parser, Settings)
    return parser


def test_each_fields_flag_help_default_and_metavar_appear_in_the_help():
    text = " ".join(_parser().format_help().split())  # line wrapping aside
    assert "--rounds ROUNDS how many rounds (default: 3)" in text  # metavar from the flag, default from the field
    assert "--pairs N pairs to draw (default: 2)" in text  # the declared metavar
    assert "--limit-mb LIMIT_MB limit in MiB (default: 2.0)" in text  # the command line's own default
    assert "--quiet say nothing" in text and "--no-colour plain text" in text
    assert "display: --no-colour plain text --label LABEL a title" in text  # the group, in field order
    assert "source where to read" in text
    assert "ratios" not in text.lower()


def test_the_parsed_flags_fill_the_dataclass_through_each_conversion():
    parsed = flags.from_arguments(
        Settings,
        _parser().parse_args(
            ["in.csv", "--rounds", "5", "--pairs", "4", "--limit-mb", "0.5", "--quiet", "--no-colour", "--label", "x"]
        ),
    )
    assert parsed == Settings(
        source=Path("in.csv"), rounds=5, pairs=4, limit_bytes=2**19, quiet=True, colour=False, label="x"
    )
    assert flags.from_arguments(Settings, _parser().parse_args([])) == Settings()  # no flags: the field defaults


def test_a_flags_parser_rejects_bad_text_with_its_own_message(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["--pairs", "3"])
    assert "argument --pairs: expected an even number, got 3" in capsys.readouterr().err


def test_a_field_whose_type_the_command_line_cannot_parse_must_name_a_parser():
    @dataclass
    class Bad:
        mapping: dict[str, str] = field(default_factory=dict, metadata=flags.flag("--mapping", help="pairs"))

    with pytest.raises(TypeError, match="field mapping: its flag needs a type="):
        flags.add_arguments(argparse.ArgumentParser(), Bad)


def test_vixray_build_offers_every_flagged_build_setting_and_its_defaults_are_the_configs():
    from vixray_data.cli import _parser as vixray_parser
    from vixray_data.commands.build import config_from_args
    from vixray_data.ocr import DEFAULT_MARKERS

    parser = argparse.ArgumentParser(formatter_class=DefaultsFormatter)
    flags.add_arguments(parser, BuildConfig)
    text = parser.format_help()
    unflagged = {f.name for f in dataclasses.fields(BuildConfig)} - {f.name for f, _ in flags.flags_of(BuildConfig)}
    assert unflagged == {"split_ratios"}
    for _, spec in flags.flags_of(BuildConfig):
        assert spec.names[0] in text
    parsed = config_from_args(vixray_parser().parse_args(["build"]))
    # a build with no flags is the default build (None markers mean the default markers)
    assert parsed == dataclasses.replace(BuildConfig(), ocr_allow=DEFAULT_MARKERS)

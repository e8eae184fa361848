"""Command-line flags declared on a settings dataclass's own fields, as ``transformers.HfArgumentParser`` does.

A field is an option when its metadata carries a :class:`Flag` (made with :func:`flag`)::

    seed: int = field(default=175, metadata=flag("--seed", help="split and demo seed"))

:func:`add_arguments` adds one argument per such field, in field order, to the parser or to the field's named
argument group; :func:`from_arguments` builds the dataclass from what was parsed. The field's type gives the
argument's type (``int``, ``float``, ``Path``, ``str``) unless the flag names a parser. When the command line speaks
in other units than the field (MiB for bytes, ``--no-progress`` for ``progress``), ``convert`` maps the parsed value
onto the field and ``default`` is the command line's own default. Fields without a flag keep their default.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_KEY = "vixray_flag"
_PLAIN_TYPES = (int, float, Path)
#: ``Flag.default`` when the command line's default is the field's own.
FIELD_DEFAULT: Any = object()


@dataclass(frozen=True, kw_only=True)
class Flag:
    """How one field appears on the command line."""

    names: tuple[str, ...]  # ("--seed",) or ("source",) for a positional argument named like its field
    help: str
    metavar: str | None = None
    type: Callable[[str], Any] | None = None  # parser/validator of the text; raises argparse.ArgumentTypeError
    action: str | None = None  # "store_true"
    choices: tuple[Any, ...] | None = None
    nargs: str | None = None
    group: str | None = None  # title of the argument group it is listed under
    default: Any = FIELD_DEFAULT  # the command line's default when it is not the field's
    convert: Callable[[Any], Any] | None = None  # parsed value -> field value


def flag(*names: str, help: str, **settings: Any) -> dict[str, Flag]:
    """Field metadata declaring the field's command-line flag (see :class:`Flag`)."""
    return {_KEY: Flag(names=names, help=help, **settings)}


def flags_of(config_type: type) -> list[tuple[dataclasses.Field, Flag]]:
    """The fields of ``config_type`` that have a flag, with it, in field order."""
    return [(f, f.metadata[_KEY]) for f in dataclasses.fields(config_type) if _KEY in f.metadata]


def _field_default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _type_of(f: dataclasses.Field, hint: Any) -> Callable[[str], Any] | None:
    """``int``/``float``/``Path`` from the annotation (``X | None`` included); ``None`` (plain text) for ``str``."""
    options = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    if len(options) == 1 and options[0] in _PLAIN_TYPES:
        return options[0]
    if len(options) == 1 and options[0] is str:
        return None
    raise TypeError(f"field {f.name}: its flag needs a type= (or convert=) for {hint}")


def _metavar(names: tuple[str, ...]) -> str:
    """What argparse would show had ``dest`` not been set: the first long option, in capitals."""
    long = next((n for n in names if n.startswith("--")), names[0])
    return long.lstrip("-").replace("-", "_").upper()


def add_arguments(parser: argparse.ArgumentParser, config_type: type) -> None:
    """One argument per flagged field of ``config_type``; the namespace holds each under the field's name."""
    hints = typing.get_type_hints(config_type)
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f, spec in flags_of(config_type):
        target: Any = parser
        if spec.group is not None:
            if spec.group not in groups:
                groups[spec.group] = parser.add_argument_group(spec.group)
            target = groups[spec.group]
        default = _field_default(f) if spec.default is FIELD_DEFAULT else spec.default
        kwargs: dict[str, Any] = {"default": default, "help": spec.help}
        if spec.action is not None:
            kwargs["action"] = spec.action
        else:
            kwargs["type"] = spec.type if spec.type or spec.convert else _type_of(f, hints[f.name])
        for name in ("metavar", "choices", "nargs"):
            if getattr(spec, name) is not None:
                kwargs[name] = getattr(spec, name)
        if spec.names[0].startswith("-"):
            kwargs["dest"] = f.name
            if "metavar" not in kwargs and spec.action is None and spec.choices is None:
                kwargs["metavar"] = _metavar(spec.names)
        elif spec.names != (f.name,):
            raise ValueError(f"field {f.name}: a positional argument is named like its field, not {spec.names}")
        target.add_argument(*spec.names, **kwargs)


def from_arguments(config_type: type, args: argparse.Namespace) -> Any:
    """``config_type`` filled from a namespace parsed with :func:`add_arguments` (each ``convert`` applied)."""
    values = {}
    for f, spec in flags_of(config_type):
        value = getattr(args, f.name)
        values[f.name] = spec.convert(value) if spec.convert is not None else value
    return config_type(**values)

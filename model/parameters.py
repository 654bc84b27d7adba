"""How a parameter is declared: a dataclass field with its default, allowed values and meaning.

Each concern declares its parameters as a frozen dataclass, a group (`LeadershipParams` in
`model/rules/leadership.py`, say); `model.config.Config` inherits every group, so a
configuration is one flat, typed set of parameters while each parameter is declared beside the
rule that reads it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import Field, field
from typing import Any, ClassVar


class Params:
    """Base of a parameter group (a frozen dataclass); `group` names it in listings."""

    group: ClassVar[str] = ""
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None,
          choices: tuple[str, ...] | None = None) -> Any:
    """A numeric (within [lo, hi]), boolean or text (one of `choices`) parameter."""
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi,
                                            "choices": choices})


def text(default: str, help: str, parse: Callable[[Any], str], allowed: str) -> Any:
    """A parameter written as text in a small language of its own (a schedule, say): `parse`
    checks a value (text, or the structured form it stands for) and returns its canonical
    text, or raises ValueError saying what is wrong; `allowed` says what is allowed, in a few
    words."""
    return field(default=default, metadata={"help": help, "lo": None, "hi": None,
                                            "choices": None, "parse": parse,
                                            "allowed": allowed})


def policy(kind: str, default: str, help: str) -> Any:
    """The name of the policy of `kind` (one of the registered policies of that kind)."""
    return field(default=default, metadata={"help": help, "lo": None, "hi": None,
                                            "choices": None, "policy": kind})


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the closest of `names`, or "" if none is close."""
    hint = difflib.get_close_matches(name, sorted(names), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""

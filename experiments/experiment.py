"""What an experiment is once its file has been checked: `Experiment`, its numeric `Range`s,
the `ExperimentError` every refusal raises, and the upper bounds of every count.

This module imports nothing else from the package, so that every other module of it can import
it (the file parser, the designs, the store, the analysis) without an import loop.
"""

from __future__ import annotations

import dataclasses
import reprlib
from dataclasses import dataclass, field
from typing import Any

# Upper bounds of the counts an experiment file (or the command line) may ask for. They keep a
# mistyped or hostile file from allocating more memory than a machine has, or from running for
# ever before the first run: each refusal gives the count and the limit.
MAX_STEPS = 1_000_000          # steps of one run
MAX_REPLICATES = 10_000        # replicate seeds
MAX_CONDITIONS = 100_000       # parameter settings (checked one by one before anything runs)
MAX_RUNS = 1_000_000           # conditions x replicates
MAX_FILE_BYTES = 10_000_000    # size of an experiment file
MAX_DEPTH = 5                  # nesting of tables and arrays ([[settings]] values are at 3)
MAX_TEXT = 10_000              # characters of a name, description, baseline or string value


class ExperimentError(ValueError):
    """A malformed experiment file, or a results folder or Dask cluster that cannot be used;
    the message is one line naming the file, key or path."""


@dataclass(frozen=True)
class Range:
    """A numeric factor sampled between `low` and `high`."""

    low: float
    high: float


@dataclass(frozen=True)
class Experiment:
    """A validated experiment."""

    name: str
    path: str
    sha256: str
    preset: str
    steps: int
    replicates: int
    seed: int
    design: str
    samples: int
    outputs: str
    keep_every: int
    warmup: float | None  # share of steps left out; None: MSER-5 finds the window per run
    baseline: str | None
    description: str = ""
    report: tuple[str, ...] = ()  # metrics summarize prints beside its headline ones
    base: dict[str, Any] = field(default_factory=dict)
    levels: dict[str, list[Any]] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)
    settings: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""  # the experiment file as read (kept in the results' manifest)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for the manifest)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Experiment:
        """The experiment a manifest recorded."""
        data = dict(data)
        data["ranges"] = {k: Range(**v) for k, v in data.get("ranges", {}).items()}
        data["report"] = tuple(data.get("report", ()))
        return cls(**data)


def shown(value: Any) -> str:
    """`repr(value)` for a one-line message, shortened (`reprlib`) so that a huge or deeply
    nested value neither floods the message nor is walked whole; a shortened string says how
    long it was."""
    text = _SHORT.repr(value)
    if isinstance(value, str) and len(value) > _SHORT.maxstring:
        text += f" ({len(value):,} characters)"
    return text


def named(key: Any, limit: int = 60) -> str:
    """A key, level or path as a message names it: as written when it is printable text of at
    most `limit` characters, else `shown`."""
    if isinstance(key, str) and key.isprintable() and 0 < len(key) <= limit:
        return key
    return shown(key)


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()  # attributes, not keywords: Python 3.11 has no keywords here
    short.maxlevel, short.maxstring, short.maxother, short.maxlong = 3, 60, 60, 40
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    return short


_SHORT = _short_repr()

"""Experiment files: TOML data describing a sweep, checked completely before anything runs.

An experiment file is data: it is parsed with `tomllib` and nothing in it is evaluated. Every
value (base, levels, list settings) takes its parameter's declared type, as the model would
convert it: `outside_option = [0, 0.5]` gives the levels 0.0 and 0.5. Every count is bounded
(`experiments.experiment`: steps, replicates, conditions, runs, file size, nesting).

    [experiment]
    name = "governance"
    preset = "purposeful"      # base preset (a factor named "preset" overrides it per condition)
    steps = 300
    replicates = 20
    seed = 20261121            # master seed: replicate seeds are spawned from it
    design = "grid"            # grid | lhs | sobol | morris | list
    samples = 16               # points for lhs; base samples N for sobol (a power of two);
                               # trajectories for morris
    outputs = "summary"        # summary | steps (also keep the step table every `keep_every`)
    keep_every = 10
    warmup = 0.5               # share of steps left out of the run summaries (default: each
                               # run's window starts after its transient, found by MSER-5)
    baseline = "hierarchy"     # condition label for paired differences (default: the first)
    report = ["served", "utilization"]  # metrics summarize prints beside the headline ones
                               # (every declared metric is summarized and written anyway)

    [base]                     # parameters for every run
    people = 300

    [factors]                  # levels (lists) are crossed; ranges are sampled (lhs, sobol)
    preset = ["hierarchy", "matrix", "purposeful", "holacracy"]
    outside_option = { low = 0.2, high = 0.6 }

    [[settings]]               # design = "list": one table per condition
    preset = "hierarchy"

    [[shocks]]                 # shocks in every run (the parameter `shocks`; kinds: surge,
    step = 300                 # slump, layoff, freeze, collapse, boom; duration in steps,
    kind = "layoff"            # 1 by default; see model.rules.pressure)
    size = 0.2
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments import designs
from experiments.experiment import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_REPLICATES,
    MAX_RUNS,
    MAX_STEPS,
    MAX_TEXT,
    Experiment,
    ExperimentError,
    Range,
    named,
    shown,
)
from model import PRESETS, Config, ConfigError
from model.config import unknown_parameter
from model.metrics import BY_NAME as _METRICS
from model.rules.pressure import parse_shocks

METRIC_NAMES = tuple(_METRICS)

DESIGNS = ("grid", "lhs", "sobol", "morris", "list")
OUTPUTS = ("summary", "steps")
_TOP_KEYS = ("experiment", "base", "factors", "settings", "shocks")
_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
               list: "an array"}

Fail = Callable[[str, str], ExperimentError]


_REQUIRED = object()


@dataclass(frozen=True)
class _Key:
    """One key of the [experiment] table: its type, default and bounds."""

    kind: type
    default: Any = _REQUIRED
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None


_HEAD: dict[str, _Key] = {
    "name": _Key(str, None),  # default: the file's name
    "description": _Key(str, ""),
    "preset": _Key(str, "purposeful", choices=tuple(sorted(PRESETS))),
    "steps": _Key(int, low=1, high=MAX_STEPS),
    "replicates": _Key(int, low=1, high=MAX_REPLICATES),
    "seed": _Key(int, low=0),
    "design": _Key(str, "grid", choices=DESIGNS),
    "samples": _Key(int, 8, low=1, high=MAX_CONDITIONS),
    "outputs": _Key(str, "summary", choices=OUTPUTS),
    "keep_every": _Key(int, 1, low=1, high=MAX_STEPS),
    "warmup": _Key(float, None, low=0.0, high=1.0),  # below `high`: see _head
    "baseline": _Key(str, None),
    "report": _Key(list, []),  # names of declared metrics: see _report
}


def load_experiment(path: str | Path, experiment: dict[str, Any] | None = None,
                    base: dict[str, Any] | None = None) -> Experiment:
    """Read, parse and check an experiment file, optionally changing some of its values.

    Every condition must be a valid configuration and the baseline must name conditions as
    `summarize` reads it.

    Args:
        path: the TOML file.
        experiment: values replacing those of its [experiment] table (e.g. replicates, steps).
        base: values replacing those of its [base] table (e.g. people).

    Raises:
        ExperimentError: the file is missing, not a readable file of at most `MAX_FILE_BYTES`,
            not valid TOML, or describes an impossible or oversized sweep.
    """
    where = str(path)
    raw = _read_file(Path(path))
    data = _parse_toml(raw, where)
    digest = hashlib.sha256(raw)
    changes = {"experiment": experiment or {}, "base": base or {}}
    if experiment or base:  # a changed experiment is another experiment: another hash
        digest.update(json.dumps(changes, sort_keys=True, default=str).encode())
        for table, values in changes.items():
            if not isinstance(data.get(table, {}), dict):
                raise ExperimentError(f"{named(where, 300)}: [{table}] must be a table")
            data[table] = {**data.get(table, {}), **values}
    result = dataclasses.replace(parse_experiment(data, where, digest.hexdigest()),
                                 text=raw.decode("utf-8"))
    conds = designs.conditions(result)  # every combination must be a valid configuration
    if result.baseline is not None:  # the baseline must name conditions, as summarize reads it
        try:
            designs.baselines(designs.conditions_table(conds), result.baseline)
        except ExperimentError as error:
            raise ExperimentError(f"{named(where, 300)}: experiment.{error}") from None
    return result


def _read_file(path: Path) -> bytes:
    """The file's bytes: only a regular file's (opening a FIFO could block and a device could
    never end), and at most `MAX_FILE_BYTES`."""
    where = named(str(path), 300)
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        raise ExperimentError(f"{where}: cannot read the experiment file "
                              f"({getattr(error, 'strerror', None) or error})") from None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise ExperimentError(f"{where}: not a regular file; allowed: an experiment file "
                                  "(TOML)")
        with os.fdopen(handle, "rb", closefd=False) as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ExperimentError(f"{where}: cannot read the experiment file "
                              f"({error.strerror or error})") from None
    finally:
        os.close(handle)
    if len(raw) > MAX_FILE_BYTES:
        raise ExperimentError(f"{where}: the experiment file is larger than "
                              f"{MAX_FILE_BYTES:,} bytes; allowed: at most {MAX_FILE_BYTES:,}")
    return raw


def _parse_toml(raw: bytes, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ExperimentError(f"{named(where, 300)}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ExperimentError(f"{named(where, 300)}: not valid TOML here: nested too deeply; "
                              f"allowed: at most {MAX_DEPTH} levels") from None


def parse_experiment(data: dict[str, Any], where: str = "<experiment>",
                     sha256: str = "") -> Experiment:
    """Check parsed TOML data and build an `Experiment`. Without `sha256`, the experiment's
    identity is the hash of its data (as canonical JSON).

    The checks go from the cheap to the costly: the shape of the data (nesting, tables and
    keys), the [experiment] table, then the number of conditions and runs against their
    bounds, and only then every value against its parameter.

    Raises:
        ExperimentError: one line naming the file, the key, the value and what is allowed.
    """
    def fail(key: str, message: str) -> ExperimentError:
        return ExperimentError(f"{named(where, 300)}: {key}: {message}")

    _check_shape(data, fail)
    if not sha256:
        sha256 = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()
                                ).hexdigest()
    head = _head(data["experiment"], Path(where).stem, fail)
    preset = head["preset"]
    base = _with_shocks(data, fail)
    factors = data.get("factors", {})
    settings = data.get("settings", [])
    _check_design(head, base, factors, settings, fail)
    _check_size(head, factors, settings, fail)
    base = _typed_settings(base, preset, "base", fail)
    levels, ranges = _typed_factors(factors, base, preset, fail)
    return Experiment(
        **head, path=where, sha256=sha256, base=base, levels=levels, ranges=ranges,
        settings=[_only(_typed_settings({**base, **entry}, preset, f"settings[{k}]", fail),
                        entry)
                  for k, entry in enumerate(settings)])


def _with_shocks(data: dict[str, Any], fail: Fail) -> dict[str, Any]:
    """The [base] table, with the [[shocks]] tables as its parameter `shocks` (their canonical
    text)."""
    base: dict[str, Any] = data.get("base", {})
    if "shocks" not in data:
        return base
    for table in ("base", "factors"):
        if "shocks" in data.get(table, {}):
            raise fail(f"{table}.shocks", "shocks are also given as [[shocks]] tables; set "
                       "them in one place")
    try:
        text = parse_shocks(data["shocks"])
    except ValueError as error:
        raise fail("[[shocks]]", f"{error}; allowed: tables with step, kind, size (and "
                   "duration)") from None
    return {**base, "shocks": text}


def _check_shape(data: dict[str, Any], fail: Fail) -> None:
    """Tables where tables belong, known top-level tables and [experiment] keys, bounded
    nesting."""
    depth = _depth(data)
    if depth > MAX_DEPTH:
        raise fail("<file>", f"nested {depth} levels deep; allowed: at most {MAX_DEPTH}")
    for key in data:
        if key not in _TOP_KEYS:
            raise fail(named(key), f"unknown table; allowed: {', '.join(sorted(_TOP_KEYS))}")
    if not isinstance(data.get("experiment"), dict):
        raise fail("[experiment]", "missing table")
    for key in data["experiment"]:
        if key not in _HEAD:
            raise fail(f"experiment.{named(key)}", f"unknown key; allowed: "
                       f"{', '.join(sorted(_HEAD))}")
    for table in ("base", "factors"):
        if not isinstance(data.get(table, {}), dict):
            raise fail(f"[{table}]", "must be a table of parameter = value"
                       if table == "base" else "must be a table of factor = levels or range")
    settings = data.get("settings", [])
    if not isinstance(settings, list):
        raise fail("[[settings]]", "must be an array of tables ([[settings]])")
    for k, entry in enumerate(settings):
        if not isinstance(entry, dict):
            raise fail(f"settings[{k}]", "must be a table")
    shocks = data.get("shocks", [])
    if not isinstance(shocks, list) or not all(isinstance(entry, dict) for entry in shocks):
        raise fail("[[shocks]]", "must be an array of tables ([[shocks]]) with step, kind, "
                   "size (and duration)")


def _depth(data: Any) -> int:
    """How deeply tables and arrays nest in `data` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children
                     if isinstance(child, dict | list))
    return deepest


def _head(table: dict[str, Any], default_name: str, fail: Fail) -> dict[str, Any]:
    """The [experiment] table's values, typed and within their bounds."""
    head = {key: _head_value(table, key, spec, default_name, fail)
            for key, spec in _HEAD.items()}
    head["report"] = _report(head["report"], fail)
    if head["warmup"] is not None and head["warmup"] >= 1.0:  # the window must hold a step
        raise fail("experiment.warmup", f"{head['warmup']!r} is out of range; allowed: [0, 1)")
    samples = head["samples"]
    if head["design"] == "sobol" and (samples < 2 or samples & (samples - 1)):
        below = 1 << (samples.bit_length() - 1)
        nearest = " or ".join(map(str, sorted({max(below, 2), 2 * below})))
        raise fail("experiment.samples", f"{samples} is not a power of two, which design "
                   "'sobol' needs (Sobol' sequences keep their convergence properties only "
                   f"then); allowed: a power of two >= 2, e.g. {nearest}")
    return head


def _report(names: list[Any], fail: Fail) -> tuple[str, ...]:
    """`report`: names of declared metrics (`model.metrics`), each once."""
    for name in names:
        if not isinstance(name, str) or name not in METRIC_NAMES:
            raise fail("experiment.report", f"{shown(name)} is not a metric; allowed: "
                       f"{', '.join(METRIC_NAMES)}")
    if len(set(names)) < len(names):
        raise fail("experiment.report", f"{shown(names)} names a metric twice")
    return tuple(names)


def _head_value(table: dict[str, Any], key: str, spec: _Key, default_name: str,
                fail: Fail) -> Any:
    value: Any = table.get(key, default_name if key == "name" else spec.default)
    where = f"experiment.{key}"
    if value is _REQUIRED:
        raise fail(where, "missing")
    if value is None:  # optional, not given
        return None
    if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, spec.kind) or isinstance(value, bool) and spec.kind is not bool:
        raise fail(where, f"{shown(value)} is not {_TYPE_NAMES[spec.kind]}")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise fail(where, f"{shown(value)} is too long; allowed: at most {MAX_TEXT:,} "
                   "characters")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(where, f"{value!r} is not a finite number; allowed: {_bounds(spec)}")
    number = value if isinstance(value, int | float) else 0  # only numbers have bounds
    if spec.low is not None and number < spec.low or \
            spec.high is not None and number > spec.high:
        raise fail(where, f"{value!r} is out of range; allowed: {_bounds(spec)}")
    if spec.choices is not None and value not in spec.choices:
        raise fail(where, f"unknown value {shown(value)}; allowed: {', '.join(spec.choices)}")
    return value


def _bounds(spec: _Key) -> str:
    if spec.kind is float:
        return f"[{spec.low:g}, {spec.high:g})"
    if spec.high is None:
        return f">= {spec.low:g}"
    return f"{spec.low:g} to {spec.high:,}"


def _check_design(head: dict[str, Any], base: dict[str, Any], factors: dict[str, Any],
                  settings: list[Any], fail: Fail) -> None:
    """The tables the design takes, and the form of every factor (levels or a range)."""
    design = head["design"]
    if "preset" in base:
        raise fail("base.preset", "set the base preset as experiment.preset")
    for factor, spec in factors.items():
        key = f"factors.{named(factor)}"
        if factor != "preset" and factor not in _parameter_names():
            raise fail(key, unknown_parameter(factor))
        if factor in base:
            raise fail(f"base.{factor}", "is also a factor; set it in one place")
        if isinstance(spec, list):
            if not spec:
                raise fail(key, "an empty list of levels")
        elif isinstance(spec, dict):
            _check_range(factor, spec, key, fail)
        else:
            raise fail(key, f"{shown(spec)} is neither a list of levels nor a "
                       "{low, high} range")
    ranged = [factor for factor, spec in factors.items() if isinstance(spec, dict)]
    if design == "list":
        if not settings:
            raise fail("[[settings]]", "design 'list' needs one [[settings]] table per "
                       "condition")
        if factors:
            raise fail("[factors]", "design 'list' takes its conditions from [[settings]] only")
    elif settings:
        raise fail("[[settings]]", f"only design 'list' takes [[settings]]; design is "
                   f"{design!r}")
    elif design == "grid" and ranged:
        raise fail(f"factors.{ranged[0]}", "design 'grid' needs levels, not a range (use "
                   "design 'lhs' or 'sobol')")
    elif design in ("lhs", "sobol", "morris") and not ranged:
        raise fail("[factors]", f"design {design!r} needs at least one range "
                   "{ low = ..., high = ... }")


def _check_range(factor: str, spec: dict[str, Any], key: str, fail: Fail) -> None:
    if set(spec) != {"low", "high"}:
        raise fail(key, "a range is { low = ..., high = ... }")
    low, high = spec["low"], spec["high"]
    if factor == "preset" or designs.parameter_kind(factor) not in (int, float):
        raise fail(key, "only numeric parameters can be given a range")
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (low, high)):
        raise fail(key, f"low and high must be numbers, got {shown(low)} and {shown(high)}")
    if not low < high:  # also refuses NaN
        raise fail(key, f"low ({low!r}) must be below high ({high!r})")


def _check_size(head: dict[str, Any], factors: dict[str, Any], settings: list[Any],
                fail: Fail) -> None:
    """The numbers of conditions and runs, counted before any condition is made, within
    `MAX_CONDITIONS` and `MAX_RUNS`."""
    ranged = sum(isinstance(spec, dict) for spec in factors.values())
    points = designs.points_per_sample(head["design"], ranged) * head["samples"] \
        if ranged else 1
    combos = math.prod(len(spec) for spec in factors.values() if isinstance(spec, list))
    count = len(settings) if head["design"] == "list" else points * combos
    if count > MAX_CONDITIONS:
        if head["design"] == "list":
            key, how = "[[settings]]", "one per [[settings]] table"
        elif ranged:
            key, how = "experiment.samples", (f"{points:,} sampled points x {combos:,} "
                                              "combinations of levels")
        else:
            key, how = "[factors]", "the product of the numbers of levels"
        raise fail(key, f"the design has {count:,} conditions ({how}); allowed: at most "
                   f"{MAX_CONDITIONS:,}")
    runs = count * head["replicates"]
    if runs > MAX_RUNS:
        raise fail("experiment.replicates", f"{count:,} conditions x {head['replicates']:,} "
                   f"replicates are {runs:,} runs; allowed: at most {MAX_RUNS:,}")


def _typed_factors(factors: dict[str, Any], base: dict[str, Any], preset: str,
                   fail: Fail) -> tuple[dict[str, list[Any]], dict[str, Range]]:
    """Levels and ranges, every value checked and typed as its parameter declares."""
    levels: dict[str, list[Any]] = {}
    ranges: dict[str, Range] = {}
    for factor, spec in factors.items():
        key = f"factors.{factor}"
        if isinstance(spec, list):
            typed = [_typed_settings({**base, factor: level}, preset, key, fail)[factor]
                     for level in spec]
            if len(set(map(repr, typed))) != len(typed):
                raise fail(key, f"repeated levels in {shown(spec)}")
            levels[factor] = typed
        else:
            for bound in (spec["low"], spec["high"]):
                _typed_settings({**base, factor: bound}, preset, key, fail)
            ranges[factor] = Range(float(spec["low"]), float(spec["high"]))
    return levels, ranges


def _typed_settings(settings: dict[str, Any], preset: str, key: str,
                    fail: Fail) -> dict[str, Any]:
    """Every name must be a parameter (or `preset`) and every value allowed. Returns the
    settings with each value converted to its parameter's declared type, as the model converts
    it (e.g. a whole number given to a float parameter becomes a float)."""
    parameters = dict(settings)
    chosen = parameters.pop("preset", preset)
    if not isinstance(chosen, str) or chosen not in PRESETS:
        raise fail(f"{key}.preset" if key != "factors.preset" else key,
                   f"unknown preset {shown(chosen)}; allowed: {', '.join(sorted(PRESETS))}")
    for name, value in parameters.items():
        where = key if key.endswith(f".{name}") else f"{key}.{named(name)}"
        if name not in _parameter_names():
            raise fail(where, unknown_parameter(name))
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise fail(where, f"{shown(value)} is too long; allowed: at most {MAX_TEXT:,} "
                       "characters")
    try:
        config = Config.build(chosen, **parameters)
    except ConfigError as error:
        raise fail(key, str(error)) from None
    return {name: value if name == "preset" else getattr(config, name)
            for name, value in settings.items()}


def _only(settings: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    return {name: settings[name] for name in names}


def _parameter_names() -> set[str]:
    return {spec.name for spec in Config.parameters()}

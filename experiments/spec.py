"""Experiment files: TOML data describing a sweep, checked completely before anything runs.

An experiment file is data: it is parsed with `tomllib` and nothing in it is evaluated. Every
value (base, levels, list settings) takes its parameter's declared type, as the model would
convert it: `outside_option = [0, 0.5]` gives the levels 0.0 and 0.5.

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
    warmup = 0.5               # share of steps left out of the run summaries
    baseline = "hierarchy"     # condition label for paired differences (default: the first)

    [base]                     # parameters for every run
    people = 300

    [factors]                  # levels (lists) are crossed; ranges are sampled (lhs, sobol)
    preset = ["hierarchy", "matrix", "purposeful", "holacracy"]
    outside_option = { low = 0.2, high = 0.6 }

    [[settings]]               # design = "list": one table per condition
    preset = "hierarchy"
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import PRESETS, Config, ConfigError

DESIGNS = ("grid", "lhs", "sobol", "morris", "list")
OUTPUTS = ("summary", "steps")
_EXPERIMENT_KEYS = {"name", "description", "preset", "steps", "replicates", "seed", "design",
                    "samples", "outputs", "keep_every", "warmup", "baseline"}
_TOP_KEYS = {"experiment", "base", "factors", "settings"}
_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


class ExperimentError(ValueError):
    """A malformed experiment file; the message names the file and the key or line."""


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
    warmup: float
    baseline: str | None
    description: str = ""
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
        return cls(**data)


def load_experiment(path: str | Path, experiment: dict[str, Any] | None = None,
                    base: dict[str, Any] | None = None) -> Experiment:
    """Read, parse and check an experiment file, optionally changing some of its values.

    Args:
        path: the TOML file.
        experiment: values replacing those of its [experiment] table (e.g. replicates, steps).
        base: values replacing those of its [base] table (e.g. people).

    Raises:
        ExperimentError: the file is missing, not valid TOML, or describes an impossible sweep.
    """
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ExperimentError(f"{where}: cannot read the experiment file ({error.strerror})") \
            from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ExperimentError(f"{where}: not valid TOML: {error}") from None
    digest = hashlib.sha256(raw)
    changes = {"experiment": experiment or {}, "base": base or {}}
    if experiment or base:  # a changed experiment is another experiment: another hash
        digest.update(json.dumps(changes, sort_keys=True, default=str).encode())
        for table, values in changes.items():
            if not isinstance(data.get(table, {}), dict):
                raise ExperimentError(f"{where}: [{table}] must be a table")
            data[table] = {**data.get(table, {}), **values}
    result = dataclasses.replace(parse_experiment(data, where, digest.hexdigest()),
                                 text=raw.decode("utf-8"))
    from experiments.analysis import baselines
    from experiments.designs import conditions, conditions_table

    conds = conditions(result)  # every combination must be a valid configuration, too
    if result.baseline is not None:  # the baseline must name conditions, as summarize reads it
        try:
            baselines(conditions_table(conds), result.baseline)
        except ExperimentError as error:
            raise ExperimentError(f"{where}: experiment.{error}") from None
    return result


def parse_experiment(data: dict[str, Any], where: str = "<experiment>",
                     sha256: str = "") -> Experiment:
    """Check parsed TOML data and build an `Experiment`. Without `sha256`, the experiment's
    identity is the hash of its data (as canonical JSON)."""
    if not sha256:
        sha256 = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()
                                ).hexdigest()

    def fail(key: str, message: str) -> ExperimentError:
        return ExperimentError(f"{where}: {key}: {message}")

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(key, f"unknown table; allowed: {', '.join(sorted(_TOP_KEYS))}")
    head = data.get("experiment")
    if not isinstance(head, dict):
        raise fail("[experiment]", "missing table")
    for key in head:
        if key not in _EXPERIMENT_KEYS:
            raise fail(f"experiment.{key}", "unknown key; allowed: "
                       + ", ".join(sorted(_EXPERIMENT_KEYS)))

    def get(key: str, kind: type, default: Any = None, lo: float | None = None,
            choices: tuple[str, ...] | None = None) -> Any:
        value = head.get(key, default)
        if value is None:
            raise fail(f"experiment.{key}", "missing")
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise fail(f"experiment.{key}", f"{value!r} is not {_TYPE_NAMES[kind]}")
        if lo is not None and value < lo:
            raise fail(f"experiment.{key}", f"{value!r} is out of range; allowed: >= {lo}")
        if choices is not None and value not in choices:
            raise fail(f"experiment.{key}", f"unknown value {value!r}; allowed: "
                       + ", ".join(choices))
        return value

    name = get("name", str, Path(where).stem)
    preset = get("preset", str, "purposeful", choices=tuple(sorted(PRESETS)))
    steps = get("steps", int, lo=1)
    replicates = get("replicates", int, lo=1)
    seed = get("seed", int, lo=0)
    design = get("design", str, "grid", choices=DESIGNS)
    samples = get("samples", int, 8, lo=1)
    if design == "sobol" and (samples < 2 or samples & (samples - 1)):
        below = 1 << (samples.bit_length() - 1)
        nearest = " or ".join(map(str, sorted({max(below, 2), 2 * below})))
        raise fail("experiment.samples", f"{samples} is not a power of two, which design "
                   "'sobol' needs (Sobol' sequences keep their convergence properties only then); "
                   f"allowed: a power of two >= 2, e.g. {nearest}")
    outputs = get("outputs", str, "summary", choices=OUTPUTS)
    keep_every = get("keep_every", int, 1, lo=1)
    warmup = get("warmup", float, 0.5, lo=0.0)
    if warmup >= 1.0:
        raise fail("experiment.warmup", f"{warmup!r} is out of range; allowed: [0, 1)")
    baseline = head.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise fail("experiment.baseline", f"{baseline!r} is not a condition label (a string)")

    base = data.get("base", {})
    if not isinstance(base, dict):
        raise fail("[base]", "must be a table of parameter = value")
    if "preset" in base:
        raise fail("base.preset", "set the base preset as experiment.preset")
    base = _check_settings(base, preset, "base", fail)

    factors = data.get("factors", {})
    if not isinstance(factors, dict):
        raise fail("[factors]", "must be a table of factor = levels or range")
    levels: dict[str, list[Any]] = {}
    ranges: dict[str, Range] = {}
    for factor, spec in factors.items():
        key = f"factors.{factor}"
        if factor != "preset" and factor not in _parameter_names():
            raise fail(key, _unknown_parameter(factor))
        if isinstance(spec, list):
            if not spec:
                raise fail(key, "an empty list of levels")
            typed = [_check_settings({**base, factor: level}, preset, key, fail)[factor]
                     for level in spec]
            if len(set(map(repr, typed))) != len(typed):
                raise fail(key, f"repeated levels in {spec!r}")
            levels[factor] = typed
        elif isinstance(spec, dict):
            if set(spec) != {"low", "high"}:
                raise fail(key, "a range is { low = ..., high = ... }")
            low, high = spec["low"], spec["high"]
            if factor == "preset" or _kind(factor) not in (int, float):
                raise fail(key, "only numeric parameters can be given a range")
            if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (low, high)):
                raise fail(key, f"low and high must be numbers, got {low!r} and {high!r}")
            if not low < high:
                raise fail(key, f"low ({low!r}) must be below high ({high!r})")
            for bound in (low, high):
                _check_settings({**base, factor: bound}, preset, key, fail)
            ranges[factor] = Range(float(low), float(high))
        else:
            raise fail(key, f"{spec!r} is neither a list of levels nor a {{low, high}} range")
    if set(base) & set(factors):
        both = sorted(set(base) & set(factors))[0]
        raise fail(f"base.{both}", "is also a factor; set it in one place")

    settings = data.get("settings", [])
    if design == "list":
        if not settings or not isinstance(settings, list):
            raise fail("[[settings]]", "design 'list' needs one [[settings]] table per "
                       "condition")
        if factors:
            raise fail("[factors]", "design 'list' takes its conditions from [[settings]] only")
        typed_settings = []
        for k, entry in enumerate(settings):
            if not isinstance(entry, dict):
                raise fail(f"settings[{k}]", "must be a table")
            typed = _check_settings({**base, **entry}, preset, f"settings[{k}]", fail)
            typed_settings.append({name: typed[name] for name in entry})
        settings = typed_settings
    else:
        if settings:
            raise fail("[[settings]]", f"only design 'list' takes [[settings]]; design is "
                       f"{design!r}")
        if design == "grid" and ranges:
            raise fail(f"factors.{next(iter(ranges))}", "design 'grid' needs levels, not a "
                       "range (use design 'lhs' or 'sobol')")
        if design in ("lhs", "sobol", "morris") and not ranges:
            raise fail("[factors]", f"design {design!r} needs at least one range "
                       "{ low = ..., high = ... }")
    return Experiment(
        name=name, path=where, sha256=sha256, preset=preset, steps=steps,
        replicates=replicates, seed=seed, design=design, samples=samples, outputs=outputs,
        keep_every=keep_every, warmup=warmup, baseline=baseline,
        description=str(head.get("description", "")), base=dict(base), levels=levels,
        ranges=ranges, settings=[dict(s) for s in settings])


def _parameter_names() -> set[str]:
    return {spec.name for spec in Config.parameters()}


def _kind(name: str) -> type:
    annotation = Config.spec(name).type
    return {"int": int, "float": float, "str": str, "bool": bool}[annotation]


def _unknown_parameter(name: str) -> str:
    import difflib

    hint = difflib.get_close_matches(name, sorted(_parameter_names() | {"preset"}), n=1)
    return "no such parameter" + (f" (did you mean {hint[0]!r}?)" if hint else "")


def _check_settings(settings: dict[str, Any], preset: str, key: str, fail) -> dict[str, Any]:
    """Every name must be a parameter (or `preset`) and every value allowed. Returns the
    settings with each value converted to its parameter's declared type, as the model converts
    it (e.g. a whole number given to a float parameter becomes a float)."""
    given = dict(settings)
    settings = dict(settings)
    chosen = settings.pop("preset", preset)
    if chosen not in PRESETS:
        raise fail(f"{key}.preset" if key != "factors.preset" else key,
                   f"unknown preset {chosen!r}; allowed: {', '.join(sorted(PRESETS))}")
    for name in settings:
        if name not in _parameter_names():
            raise fail(f"{key}.{name}" if not key.endswith(name) else key,
                       _unknown_parameter(name))
    try:
        config = Config.build(chosen, **settings)
    except ConfigError as error:
        raise fail(key, str(error)) from None
    return {name: value if name == "preset" else getattr(config, name)
            for name, value in given.items()}

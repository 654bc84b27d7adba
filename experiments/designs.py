"""Designs: the conditions (parameter settings) of a sweep, and the seeds of its replicates.

Levels are crossed (full factorial); ranges are sampled with SALib (Latin hypercube; Sobol'
sequences in Saltelli's scheme, or Morris trajectories, for sensitivity analysis); each sampled
point is crossed with every combination of levels, so that comparisons between levels are
paired at every point.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import latin
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as saltelli

from experiments.experiment import Experiment, ExperimentError, named, shown
from model import Config, ConfigError


@dataclass(frozen=True)
class Condition:
    """One parameter setting of a sweep."""

    index: int
    label: str
    preset: str
    values: dict[str, Any]  # factor values of this condition (what varies)

    def config(self, experiment: Experiment) -> Config:
        """The full, validated configuration of this condition."""
        return Config.build(self.preset, **{**experiment.base, **self.values})


def sobol_problem(experiment: Experiment) -> dict[str, Any]:
    """The SALib problem definition of the experiment's ranges."""
    names = list(experiment.ranges)
    return {"num_vars": len(names), "names": names,
            "bounds": [[experiment.ranges[n].low, experiment.ranges[n].high] for n in names]}


def sample_matrix(experiment: Experiment) -> np.ndarray:
    """The design's points in the ranges, unrounded (rows in condition order)."""
    problem = sobol_problem(experiment)
    if experiment.design == "lhs":
        return latin.sample(problem, experiment.samples, seed=experiment.seed)
    if experiment.design == "morris":
        return morris_sample.sample(problem, experiment.samples, num_levels=4,
                                    seed=experiment.seed)
    return saltelli.sample(problem, experiment.samples, calc_second_order=False,
                           seed=experiment.seed)


def sampled_points(experiment: Experiment) -> list[dict[str, Any]]:
    """Points in the ranges (one empty point when there are no ranges)."""
    if not experiment.ranges:
        return [{}]
    problem = sobol_problem(experiment)
    values = sample_matrix(experiment)
    names = problem["names"]
    return [{name: _cast(name, value) for name, value in zip(names, row, strict=True)}
            for row in values]


def _cast(name: str, value: float) -> Any:
    return round(value) if parameter_kind(name) is int else float(value)


def parameter_kind(name: str) -> type:
    """The Python type a parameter's values take (int, float, str or bool)."""
    declared = Config.spec(name).type
    return {"int": int, "float": float, "str": str, "bool": bool}[
        declared if isinstance(declared, str) else declared.__name__]


def points_per_sample(design: str, ranges: int) -> int:
    """Points of the ranges' space a design draws per sample (`experiment.samples`), for
    `ranges` ranged factors: one for a Latin hypercube, D + 2 for Saltelli's Sobol' scheme
    without second-order indices, D + 1 for a Morris trajectory."""
    return {"lhs": 1, "sobol": ranges + 2, "morris": ranges + 1}.get(design, 1)


def conditions(experiment: Experiment) -> list[Condition]:
    """Every condition of the sweep, in a fixed order, each checked to be a valid
    configuration.

    Raises:
        ExperimentError: a condition is not a valid configuration (it names the condition).
    """
    key = _fingerprint(experiment)
    if key not in _CHECKED:  # checking costs a Config per condition: do it once per design
        _CHECKED[key] = _make_conditions(experiment)
        while len(_CHECKED) > 4:
            del _CHECKED[next(iter(_CHECKED))]
    return list(_CHECKED[key])


_CHECKED: dict[str, list[Condition]] = {}  # the last designs checked, by fingerprint


def _fingerprint(experiment: Experiment) -> str:
    """What determines an experiment's conditions (not its name, path or text)."""
    data = {k: v for k, v in experiment.to_dict().items()
            if k not in ("name", "path", "text", "description", "sha256")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=repr).encode()).hexdigest()


def _make_conditions(experiment: Experiment) -> list[Condition]:
    if experiment.design == "list":
        settings = [dict(entry) for entry in experiment.settings]
    else:
        names = list(experiment.levels)
        combos = [dict(zip(names, combo, strict=True))
                  for combo in itertools.product(*experiment.levels.values())]
        settings = [{**point, **combo} for point in sampled_points(experiment)
                    for combo in combos]
    result = []
    seen: set[str] = set()
    for index, values in enumerate(settings):
        preset = values.get("preset", experiment.preset)
        varying = {k: v for k, v in values.items() if k != "preset"}
        label = " ".join(f"{k}={_show(v)}" for k, v in values.items()) or experiment.preset
        if label in seen:  # sampled points can coincide once rounded for display
            label = f"{label} #{index}"
        seen.add(label)
        condition = Condition(index, label, preset, varying)
        try:
            condition.config(experiment)  # every condition is valid before anything runs
        except ConfigError as error:
            raise ExperimentError(f"{experiment.path}: condition {index} ({label}): {error}") \
                from None
        result.append(condition)
    return result


def conditions_table(conds: list[Condition]) -> pd.DataFrame:
    """One row per condition: index, label, preset and the factor values it sets (the sweep's
    `conditions.parquet`)."""
    return pd.DataFrame([{"condition": c.index, "label": c.label, "preset": c.preset,
                          **c.values} for c in conds])


def factor_names(experiment: Experiment) -> list[str]:
    """The parameters that vary between conditions (all of them, whether or not a condition
    sets them), in condition order: ranges, then levels; for design "list", in order of first
    appearance in [[settings]]. `preset` is not one: every condition has a preset."""
    if experiment.design == "list":
        names = dict.fromkeys(name for entry in experiment.settings for name in entry)
    else:
        names = dict.fromkeys([*experiment.ranges, *experiment.levels])
    return [name for name in names if name != "preset"]


def _show(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def replicate_seeds(experiment: Experiment) -> list[int]:
    """One seed per replicate, spawned from the master seed; the same under every condition
    (common random numbers), distinct across replicates."""
    children = np.random.SeedSequence(experiment.seed).spawn(experiment.replicates)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
            for child in children]


PARENT = "parent"


def parents(conditions: pd.DataFrame) -> dict[str, str]:
    """Each condition's parent: the condition whose settings (the factors it sets) are a proper
    subset of its own, with the same values, and the most of them; itself if there is none."""
    factors = [c for c in conditions.columns if c not in ("condition", "label")]
    ordered = conditions.sort_values("condition")
    settings = {row.label: {f: str(getattr(row, f)) for f in factors
                            if not pd.isna(getattr(row, f))}
                for row in ordered.itertuples(index=False)}
    found = {}
    for label, own in settings.items():
        candidates = [(len(other), other_label) for other_label, other in settings.items()
                      if len(other) < len(own) and other.items() <= own.items()]
        found[label] = max(candidates, key=lambda c: c[0])[1] if candidates else label
    return found


def baselines(conditions: pd.DataFrame, wanted: str | None) -> tuple[dict[str, str], str]:
    """The baseline condition of every condition, and a description of the choice.

    `wanted` may be a condition's label (one baseline for all), or a factor level ("hierarchy"
    or "preset=hierarchy"): then each condition is compared with the condition that differs
    only in that factor, set to that level (a factor a condition does not set matches only
    another condition that does not set it). `PARENT` ("parent", for ablations in a `list`
    design): each condition is compared with the condition that sets the most of its settings,
    to the same values, and nothing else (a condition without one is its own baseline). None:
    the first condition.

    Raises:
        ExperimentError: `wanted` names no condition or factor level, or a condition has no
            counterpart at that level.
    """
    labels = conditions.sort_values("condition")["label"].tolist()
    if wanted == PARENT and wanted not in labels:
        return parents(conditions), "each condition's parent (the same settings but one change)"
    if wanted is None or wanted in labels:
        base = labels[0] if wanted is None else wanted
        return dict.fromkeys(labels, base), base
    factors = [c for c in conditions.columns if c not in ("condition", "label")]
    factor, _, level = wanted.rpartition("=")
    candidates = [factor] if factor else [
        f for f in factors if level in set(conditions[f].astype(str))]
    if len(candidates) != 1 or candidates[0] not in factors:
        raise ExperimentError(f"baseline: {shown(wanted)} names no single condition or factor "
                              f"level; allowed: a label ({shown('; '.join(labels))}) or a "
                              f"level of {', '.join(factors)}")
    factor = candidates[0]
    others = [f for f in factors if f != factor]
    at_level = conditions[conditions[factor].astype(str) == level]
    if at_level.empty:
        raise ExperimentError(f"baseline: no condition has {factor}={named(level)}")
    if others:  # merge matches a missing value (a factor not set) with a missing value
        counterparts = at_level.drop_duplicates(others, keep="last")[["label", *others]]
        found = conditions[["label", *others]].merge(
            counterparts.rename(columns={"label": "baseline"}), on=others, how="left")
    else:
        found = conditions[["label"]].assign(baseline=at_level["label"].iloc[-1])
    missing = found[found["baseline"].isna()]
    if not missing.empty:
        raise ExperimentError(
            f"baseline: {shown(wanted)}: condition {shown(missing['label'].iloc[0])} has no "
            f"counterpart with {factor}={named(level)} and the same other settings; name one "
            "condition's label as the baseline instead")
    return dict(zip(found["label"], found["baseline"], strict=True)), f"{factor}={level}"

"""One run of a sweep: the task (plain data, so that it pickles to any worker), running it,
and what it returns."""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from experiments.designs import Condition, factor_names, replicate_seeds
from experiments.experiment import Experiment
from experiments.provenance import environment
from model.metrics import summarize_run

FAULT = "PURPOSEFUL_SWEEP_FAULT"  # environment variable of the fault injection for tests


@dataclass(frozen=True)
class Task:
    """One run: a condition under one replicate's seed. Plain data, so it pickles."""

    run_id: str
    condition: int
    label: str
    preset: str
    values: dict[str, Any]
    base: dict[str, Any]
    replicate: int
    seed: int
    steps: int
    warmup: float | None
    keep_every: int | None
    factors: tuple[str, ...] = ()  # the experiment's factors: every run has their columns


@dataclass
class Outcome:
    """What a run returns: its tables, or its error."""

    task: Task
    summary: pd.DataFrame | None = None
    steps: pd.DataFrame | None = None
    error: str | None = None
    trace: str | None = None


def tasks(experiment: Experiment, conds: list[Condition]) -> list[Task]:
    """Every run of the sweep, replicate-major so that early results cover all conditions."""
    seeds = replicate_seeds(experiment)
    keep = experiment.keep_every if experiment.outputs == "steps" else None
    factors = tuple(factor_names(experiment))
    return [Task(run_id=f"c{c.index:05d}-r{r:04d}", condition=c.index, label=c.label,
                 preset=c.preset, values=c.values, base=experiment.base, replicate=r,
                 seed=seed, steps=experiment.steps, warmup=experiment.warmup, keep_every=keep,
                 factors=factors)
            for r, seed in enumerate(seeds) for c in conds]


def column_types(experiment: Experiment, conds: list[Condition]) -> dict[str, pa.DataType]:
    """The Parquet type of every factor column (as pandas writes a condition's value), so that
    a run whose condition does not set a factor stores a null of the column's type."""
    types = {}
    for name in factor_names(experiment):
        value = next(c.values[name] for c in conds if name in c.values)
        frame = pd.DataFrame({name: [value]})
        types[name] = pa.Schema.from_pandas(frame, preserve_index=False).field(name).type
    return types


def run_task(task: Task) -> Outcome:
    """Run one task; an exception becomes a failed outcome with its traceback. The run's `code`
    is the code version of the process that ran it."""
    from model import Organization  # imported here so that workers import it themselves

    _inject_fault(task)
    try:
        model = Organization(preset=task.preset, rng=task.seed, **{**task.base, **task.values})
        table = model.run(task.steps)
    except Exception as error:  # noqa: BLE001  (a failed run is recorded; the sweep goes on)
        return Outcome(task, error=f"{type(error).__name__}: {error}",
                       trace=traceback.format_exc())
    row = {"run_id": task.run_id, "condition": task.condition, "label": task.label,
           "preset": task.preset, "replicate": task.replicate, "seed": task.seed,
           "code": environment()["label"],
           **{name: task.values.get(name) for name in task.factors},
           **summarize_run(table, task.warmup)}
    summary = pd.DataFrame([row])
    kept = None
    if task.keep_every:
        kept = table[table["step"] % task.keep_every == 0].copy()
        kept.insert(0, "run_id", task.run_id)
        kept.insert(1, "condition", task.condition)
        kept.insert(2, "replicate", task.replicate)
    return Outcome(task, summary=summary, steps=kept)


def _inject_fault(task: Task) -> None:
    """Fault injection for tests: with FAULT="crash:<run id>" in the environment, the process
    that runs that run exits at once, as a crashed or killed worker would."""
    fault = os.environ.get(FAULT)
    if not fault:
        return
    kind, _, run_id = fault.partition(":")
    if kind != "crash" or not run_id:
        raise ValueError(f"{FAULT}: {fault!r} is not a fault; allowed: crash:<run id>")
    if run_id == task.run_id:
        os._exit(70)

"""Mesa's batch_run gives seeded, reproducible runs of this model on the installed Mesa.

Mesa 3.5 takes the seeds as `batch_run(..., rng=[...])` (and replaces an `rng` given in
`parameters` with None, which would make the runs unseeded); Mesa 3.3 has no `rng=` and
passes `parameters={"rng": [...]}` to the model. The README shows both.
"""

from __future__ import annotations

import inspect

import mesa
import pytest

from model import Organization

SEEDS = [1, 2]
PARAMETERS = {"preset": "purposeful", "people": 40}
STEPS = 5


def seeded_batch_run(seeds: list[int]) -> list[dict]:
    """batch_run over `seeds`, in the way the installed Mesa takes them."""
    common = {"number_processes": 1, "data_collection_period": -1, "max_steps": STEPS,
              "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        return mesa.batch_run(Organization, parameters=PARAMETERS, rng=seeds, **common)
    return mesa.batch_run(Organization, parameters={**PARAMETERS, "rng": seeds}, **common)


def test_batch_run_runs_are_seeded_on_the_installed_mesa():
    runs = seeded_batch_run(SEEDS)
    assert len(runs) == len(SEEDS)
    for seed, run in zip(SEEDS, runs, strict=True):
        alone = Organization(rng=seed, **PARAMETERS).run(STEPS).iloc[-1]
        for metric in ("engagement", "headcount", "tribes", "wip"):
            assert run[metric] == pytest.approx(alone[metric], rel=0, abs=0), metric
    assert runs[0]["engagement"] != runs[1]["engagement"]
    again = seeded_batch_run(SEEDS)
    assert [r["engagement"] for r in again] == [r["engagement"] for r in runs]

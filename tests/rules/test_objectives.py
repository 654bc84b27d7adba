"""The formal units' objectives (model/rules/objectives.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import make, run_phase, set_step


def test_management_gives_each_unit_its_themes_on_a_planning_cadence():
    m = make(people=120, unit_size=20, objectives="planned", planning_every=10,
             objective_themes=3)
    chosen = m.rules.objectives
    set_step(m, 1)
    run_phase(m, "decide.objectives")
    plan = chosen.objective.copy()
    assert plan.shape == (6, m.cfg.themes)  # one row per formal unit
    assert ((plan > 0).sum(axis=1) == 3).all()
    assert np.allclose(np.linalg.norm(plan, axis=1), 1.0)
    set_step(m, 10)
    run_phase(m, "decide.objectives")
    assert np.array_equal(chosen.objective, plan)  # not due before 10 steps have passed
    set_step(m, 11)
    run_phase(m, "decide.objectives")
    assert not np.array_equal(chosen.objective, plan)


def test_units_are_accountable_for_themes_in_proportion_to_demand():
    m = make(people=400, unit_size=1, objectives="planned", planning_every=1,
             objective_themes=1)
    m.state.market.log_weights[:] = np.log(np.arange(1, m.cfg.themes + 1))
    shares = m.state.market.shares
    counts = np.zeros(m.cfg.themes)
    for step in range(1, 26):
        set_step(m, step)
        run_phase(m, "decide.objectives")
        counts += (m.rules.objectives.objective > 0).sum(axis=0)
    observed = counts / counts.sum()
    assert np.abs(observed - shares).max() < 0.02


def test_value_counts_against_objectives_on_the_units_themes_only():
    m = make(people=80, objectives="planned")
    chosen = m.rules.objectives
    set_step(m, 1)
    run_phase(m, "decide.objectives")
    tribe = int(m.tribes.living()[0])
    unit = m.people.unit[m.tribes.leader[tribe]]
    themes = np.flatnonzero(chosen.objective[unit] > 0)
    other = np.setdiff1d(np.arange(m.cfg.themes), themes)[0]
    before = m.board.items.n
    purposes = np.zeros((2, m.cfg.themes), dtype=np.float32)
    purposes[0, themes[0]] = 1.0
    purposes[1, other] = 1.0
    m.board.add(purposes, np.full((2, m.cfg.domains), 1 / m.cfg.domains), np.ones(2),
                np.ones(2), 0)
    rows = np.arange(before, m.board.items.n)
    chosen.credit(m.state, rows, np.full(2, tribe), np.array([3.0, 5.0]))
    assert chosen.value_step == 3.0
    # a tribe without a leader has no unit to answer to
    m.tribes.leader[tribe] = -1
    chosen.credit(m.state, rows, np.full(2, tribe), np.array([3.0, 5.0]))
    assert chosen.value_step == 0.0


def test_leaders_steer_intake_toward_objectives_as_strongly_as_the_rule_says():
    def share(weight, seed):
        m = make(preset="matrix", people=240, seed=seed, objectives="planned",
                 objective_weight=weight, arrival_rate=0.08)
        table = m.run(150)
        late = table[table["step"] > 50]
        return late["value_objective"].sum() / late["value"].sum()

    free = np.array([share(0.0, seed) for seed in (1, 2)])
    bound = np.array([share(2.0, seed) for seed in (1, 2)])
    assert (bound > free + 0.1).all()


def test_without_objectives_the_weight_changes_nothing():
    a = make(people=120, seed=3, objective_weight=0.0).run(40)
    b = make(people=120, seed=3, objective_weight=5.0).run(40)
    assert a.equals(b)
    assert (a["objective_share"] == 0).all()


@pytest.mark.parametrize("preset", ["hierarchy", "matrix", "purposeful", "holacracy"])
def test_each_preset_says_how_strongly_objectives_bind(preset):
    from model import Config

    weight = Config.build(preset).objective_weight
    assert weight == {"hierarchy": 1.0, "matrix": 0.5, "purposeful": 0.0,
                      "holacracy": 0.0}[preset]

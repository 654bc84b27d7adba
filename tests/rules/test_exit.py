"""Leaving the organization (model/rules/exit.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np

from model.rules.exit import exit_probability
from tests.helpers import (
    make,
    run_phase,
)


def test_exit_grows_with_the_outside_option():
    def exits(option):
        m = make(people=300, outside_option=option, exit_base=0.0, hiring="none", seed=5)
        m.people.commitment[: m.people.n] = 0.2
        m.run(20)
        return m.metrics["exits_total"]

    assert exits(0.0) == 0
    assert exits(1.0) > 20


def test_people_who_exit_leave_their_tribe_and_stay_gone():
    m = make(people=200, exit_base=0.05)
    m.run(20)
    gone = ~m.people.active[: m.people.n]
    assert gone.any()
    assert (m.people.tribe[: m.people.n][gone] == -1).all()
    assert (m.people.exit_step[: m.people.n][gone] > 0).all()


def test_people_with_low_commitment_leave_more_often():
    m = make(people=2000, exit_base=0.0, exit_sensitivity=0.5, outside_option=0.6,
             hiring="none")
    p = m.people
    n = p.n
    p.top_skill[:n] = 0.5  # everyone's outside option is 0.6 (0.5 + 0.5 * 0.5) = 0.45
    p.engagement[:n] = 0.5
    low = np.arange(n) % 2 == 0
    p.commitment[:n] = np.where(low, 0.1, 0.9)
    probability, _ = exit_probability(m.state)
    assert np.allclose(probability[low], 0.5 * (0.45 - 0.1))
    assert (probability[~low] == 0).all()
    run_phase(m, "decide.exit")
    gone = ~p.active[:n]
    assert not gone[~low].any()
    assert 0.12 < gone[low].mean() < 0.23  # 0.175 expected
    assert (p.exit_reason[:n][gone] == 2).all()  # disengaged

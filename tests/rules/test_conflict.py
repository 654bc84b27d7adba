"""Conflict within a tribe and its resolution (model/rules/conflict.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from numerics.rows import normalize_rows
from tests.helpers import make, members_of, observe, opposed_tribe, run_phase


def conflicted(conflict: str):
    m = make(conflict=conflict, conflict_threshold=0.3, consider_rate=0.0, split_division=1.0,
             leadership="appointed")
    members = members_of(m, 0)
    half = members[: len(members) // 2]
    opposed_tribe(m)
    m.people.passion[half] = m.tribes.purpose[0]
    observe(m)
    return m, members, half


def test_exit_rule_removes_dissenters():
    m, members, half = conflicted("exit")
    m.run(1)
    dissenters = np.setdiff1d(members, half)
    assert (m.people.tribe[dissenters] != 0).all()


def test_consent_integrates_passions_at_a_cost_in_effort():
    m, members, _ = conflicted("consent")
    m.run(1)
    shared = normalize_rows(m.people.passion[members].mean(axis=0, keepdims=True))[0]
    assert float(m.tribes.purpose[0] @ shared) > 0.99
    assert m.tribes.overhead[0] == pytest.approx(m.cfg.consent_overhead)


def test_arbitration_costs_overruled_members_engagement():
    m, members, _ = conflicted("arbitration")
    leader = m.tribes.leader[0]
    assert leader >= 0
    m.people.passion[leader] = m.tribes.purpose[0]
    before = m.people.engagement[members].copy()
    run_phase(m, "decide.conflict")
    overruled = m.people.alignment[members] < m.people.alignment[leader]
    assert overruled.any()
    assert (m.people.engagement[members][overruled] < before[overruled]).all()


def test_a_settled_conflict_costs_once_and_reopens_only_when_division_grows():
    m = make(conflict="arbitration", purpose="fixed", leadership="appointed",
             conflict_threshold=0.3, consider_rate=0.0, split_division=1.0,
             arbitration_cost=0.1, exit_base=0.0, quit_rate=0.0, passion_drift=0.0)
    opposed_tribe(m)
    engagement = []
    conflicts = []
    for _ in range(6):
        m.step()
        engagement.append(m.people.engagement[members_of(m, 0)].copy())
        conflicts.append(bool(m.rules.conflict.record.conflict[0]))
    # the fixed mandate cannot move, yet the conflict is settled once, not every step
    assert conflicts[0] and not any(conflicts[1:])
    record = m.rules.conflict.record
    assert record.settled[0] == pytest.approx(m.tribes.division[0], abs=0.05)
    # it reopens when the tribe grows more divided than when it was settled
    record.settled[0] = m.tribes.division[0] - 0.01
    m.step()
    assert record.conflict[0]


def test_an_unresolved_conflict_lowers_its_members_fit():
    def fit(w_conflict: float) -> float:
        # arbitration without a leader cannot resolve anything (distributed roles)
        m = make(conflict="arbitration", leadership="distributed", conflict_threshold=0.3,
                 consider_rate=0.0, split_division=1.0, w_conflict=w_conflict,
                 exit_base=0.0, quit_rate=0.0)
        members = opposed_tribe(m)
        aligned = members[: len(members) // 2]
        m.people.passion[aligned] = m.tribes.purpose[0]  # half agree: divided, not hopeless
        m.step()
        assert m.rules.conflict.record.unresolved[0]
        observe(m)
        return float(m.people.fit[aligned].mean())

    assert fit(0.2) == pytest.approx(fit(0.0) - 0.2, abs=0.02)

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
    m.tribes.count_members(m.people)
    run_phase(m, "decide.conflict")
    overruled = m.people.alignment[members] < m.people.alignment[leader]
    assert overruled.any()
    assert (m.people.engagement[members][overruled] < before[overruled]).all()

"""The fit function and what people perceive (model/rules/fit.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules.fit import fit_in
from tests.helpers import (
    make,
    members_of,
    observe,
    run_phase,
)


def test_fit_combines_belonging_and_overload_as_documented():
    m = make(w_alignment=0.0, w_skill=0.0, w_leader=0.0, w_belonging=1.0, w_workload=0.5,
             belonging_scale=2.0)
    p, t = m.people, m.tribes
    person = int(members_of(m, 0)[0])
    inside = p.tribe[p.tie_to[person]] == 0
    weight = float((p.tie_w[person] * inside).sum())
    t.overload[0] = 0.0
    fit = fit_in(m.state, m.rules, np.array([person]), np.array([0]))[0][0]
    assert fit == pytest.approx(1 - np.exp(-weight / 2.0), rel=1e-5)
    t.overload[0] = 0.4
    loaded = fit_in(m.state, m.rules, np.array([person]), np.array([0]))[0][0]
    assert loaded == pytest.approx(max(fit - 0.5 * 0.4, 0.0), rel=1e-5)


@pytest.mark.parametrize("w_leader", [0.2, 0.0])
def test_a_better_leader_raises_members_fit(w_leader):
    m = make(w_leader=w_leader)
    p, t, cfg = m.people, m.tribes, m.cfg
    observe(m)
    n = p.n
    before = p.fit[:n].copy()
    members = members_of(m, 0)
    assert t.leader_quality[0] == 0.0 and (before[members] < 0.8).all()
    t.leader_quality[0] = 0.5
    run_phase(m, "observe.fit")
    total = cfg.w_alignment + cfg.w_skill + cfg.w_belonging + cfg.w_leader
    assert np.allclose(p.fit[members] - before[members], w_leader * 0.5 / total, atol=1e-6)
    others = np.setdiff1d(np.arange(n), members)
    assert np.array_equal(p.fit[others], before[others])

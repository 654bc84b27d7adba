"""The organization every run starts from (model/initial.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np

from tests.helpers import (
    make,
)


def test_initial_ties_go_to_team_and_unit_colleagues():
    m = make(people=400, unit_size=40, team_size=8, initial_ties=4)
    p = m.people
    n = p.n
    source = np.repeat(np.arange(n), p.tie_to.shape[1])
    target = p.tie_to[:n].ravel()
    tied = target >= 0
    source, target = source[tied], target[tied]
    assert (p.unit[source] == p.unit[target]).all()
    same_team = np.mean(p.tribe[source] == p.tribe[target])
    assert 0.5 <= same_team < 1.0  # half the slots go to team-mates, the rest to the unit
    assert tied.sum() > 3 * n

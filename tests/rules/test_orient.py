"""Engagement, commitment, learning and passion drift (model/rules/orient.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np

from tests.helpers import make, members_of, observe, run_phase


def test_commitment_follows_engagement_which_follows_fit():
    m = make(engagement_rate=0.1, commitment_rate=0.03)
    p = m.people
    n = p.n
    p.fit[:n], p.engagement[:n], p.commitment[:n] = 0.9, 0.5, 0.2
    run_phase(m, "orient")
    engagement = 0.5 + 0.1 * (0.9 - 0.5)
    assert np.allclose(p.engagement[:n], engagement)
    assert np.allclose(p.commitment[:n], 0.2 + 0.03 * (engagement - 0.2))


def test_practice_communities_pull_skills_toward_stronger_peers():
    m = make(doing_learning=0.0, practice_learning=0.5, practice_threshold=0.3, exit_base=0.0,
             exit_sensitivity=0.0)
    p = m.people
    p.skill[: p.n, 0] = 0.2
    p.skill[:10, 0] = 0.9       # strong practitioners
    p.skill[10:20, 0] = 0.35    # weak practitioners
    m.run(3)
    assert (p.skill[10:20, 0] > 0.4).all()
    assert np.allclose(p.skill[20 : p.n, 0], 0.2)  # not in the community: no learning


def test_engagement_moves_toward_fit():
    m = make()
    p = m.people
    p.engagement[: p.n] = 1.0
    observe(m)
    run_phase(m, "orient")
    assert (p.engagement[: p.n] < 1.0).all()


def test_members_passions_drift_toward_the_purpose():
    m = make(passion_drift=0.2, purpose="fixed", consider_rate=0.0)
    members = members_of(m, 0)
    purpose = m.tribes.purpose[0].copy()
    before = m.people.passion[members] @ purpose
    m.run(5)
    stayed = members[m.people.tribe[members] == 0]
    after = m.people.passion[stayed] @ purpose
    assert (after > before[np.isin(members, stayed)]).all()

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
             quit_rate=0.0, skill_forgetting=0.0, skill_obsolescence=0.0)
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


def test_unused_skills_are_forgotten_and_every_skill_ages_with_the_market():
    def after(**settings: object) -> np.ndarray:
        m = make(people=60, doing_learning=0.0, practice_learning=0.0, hiring="none",
                 exit_base=0.0, quit_rate=0.0, **settings)
        p = m.people
        p.tribe[:30] = -1  # unaffiliated: no work uses their skills
        start = p.skill[: p.n].copy()
        run_phase(m, "orient")
        return p.skill[: p.n] / np.where(start > 0, start, 1)

    kept = after(skill_forgetting=0.0, skill_obsolescence=0.0)
    assert np.allclose(kept, 1.0)
    forgetting = after(skill_forgetting=0.1, skill_obsolescence=0.0)
    assert np.allclose(forgetting[:30], 0.9)  # unused: lose 10%
    assert (forgetting[30:] >= 0.9 - 1e-6).all() and (forgetting[30:] > 0.9 + 1e-3).any()
    # obsolescence: every skill loses skill_obsolescence * turbulence, used or not
    aging = after(skill_forgetting=0.0, skill_obsolescence=0.5, turbulence=0.2)
    assert np.allclose(aging, 0.9)
    calm = after(skill_forgetting=0.0, skill_obsolescence=0.5, turbulence=0.0)
    assert np.allclose(calm, 1.0)


def test_passions_do_not_drift_by_default_and_drift_is_bounded_when_on():
    still = make(people=60)
    start = still.people.passion[: still.people.n].copy()
    still.run(20)
    assert np.array_equal(still.people.passion[: 60], start[:60])
    # with drift on, passions settle between the original passion and the purpose
    m = make(people=60, passion_drift=0.2, passion_anchor=0.2, purpose="fixed",
             consider_rate=0.0, exit_base=0.0, quit_rate=0.0, conflict_threshold=1.0,
             split_division=1.0, merge_check_rate=0.0)
    members = members_of(m, 0)
    purpose = m.tribes.purpose[0].copy()
    origin = m.people.passion_origin[members].copy()
    m.run(200)
    passion = m.people.passion[members]
    target = origin + purpose  # equal rates: the midpoint direction
    target /= np.linalg.norm(target, axis=1, keepdims=True)
    assert np.allclose(passion, target, atol=1e-3)
    assert np.array_equal(m.people.passion_origin[members], origin)  # kept

"""How purposes change (model/rules/purpose.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np

from numerics.rows import normalize_rows
from tests.helpers import (
    make,
    members_of,
)


def test_purposes_are_reoriented_to_members_mean_passion_exactly_when_due():
    every = 5
    m = make(purpose="co_created", refine_rate=0.0, market_pull=0.0, reorient_every=every,
             passion_drift=0.0, consider_rate=0.0, exit_base=0.0, quit_rate=0.0,
             conflict_threshold=1.0, split_division=1.0, merge_check_rate=0.0)
    t = m.tribes
    living = t.living()
    for step in range(1, 2 * every + 1):
        before = t.purpose[living].copy()
        m.step()
        assert m.steps == step and np.array_equal(t.living(), living)
        shared = np.stack([m.people.passion[members_of(m, tribe)].mean(axis=0)
                           for tribe in living])
        shared = normalize_rows(shared.astype(np.float32))
        if step % every == 0:
            assert not np.allclose(before, shared, atol=1e-3)
            assert np.allclose(t.purpose[living], shared, atol=1e-6)
            # move the purposes away again, to see the next re-orientation
            t.purpose[living] = normalize_rows(t.purpose[living] + m.market.demand)
        else:
            assert np.allclose(t.purpose[living], before, atol=1e-6)


def test_co_created_purpose_moves_toward_members_passions():
    m = make(purpose="co_created", refine_rate=0.3, consider_rate=0.0, reorient_every=0,
             market_pull=0.0)
    members = members_of(m, 0)
    shared = normalize_rows(m.people.passion[members].mean(axis=0, keepdims=True))[0]
    before = float(m.tribes.purpose[0] @ shared)
    m.run(3)
    assert float(m.tribes.purpose[0] @ shared) > before


def test_fixed_purpose_never_changes():
    m = make("hierarchy")
    before = m.tribes.purpose[: m.tribes.n].copy()
    m.run(30)
    assert np.array_equal(m.tribes.purpose[: len(before)], before)


def test_tribes_pivot_after_a_run_of_poor_results():
    m = make(purpose="pivoting", pivot_patience=3, pivot_threshold=1e6)
    m.run(4)
    pivots = m.event_log().query("event == 'pivoted'")
    assert len(pivots) > 0
    assert (m.rules.purpose.record.pivots[: m.tribes.n] > 0).any()


def test_pull_grows_with_the_champions_attunement_and_needs_a_champion():
    m = make("purposeful", people=120, purpose="co_created", refine_rate=0.0, reorient_every=0,
             market_pull=0.5)
    m.run(2)
    tribes, p = m.tribes, m.people
    living = tribes.living()[:3]
    assert len(living) == 3
    demand = m.market.demand.astype(np.float32)
    least = np.zeros_like(demand)
    least[np.argmin(demand)] = 1.0
    start = least.copy()  # every tribe starts as far from demand as possible
    tribes.purpose[living] = start
    attuned, detached, _ = (int(np.flatnonzero(p.tribe[: p.n] == t)[0]) for t in living)
    p.passion[attuned] = demand              # attunement 1
    p.passion[detached] = least              # attunement = the smallest demand share
    tribes.value_champion[living] = [attuned, detached, -1]
    m.rules.purpose.update(m.state)
    moved = tribes.purpose[living] @ demand - start @ demand
    assert moved[0] > moved[1] > 0
    assert moved[2] == 0 and np.array_equal(tribes.purpose[living[2]], start)


def test_without_pull_the_champion_changes_nothing():
    m = make("purposeful", people=120, refine_rate=0.0, reorient_every=0, market_pull=0.0)
    m.run(2)
    before = m.tribes.purpose[: m.tribes.n].copy()
    m.rules.purpose.update(m.state)
    living = m.tribes.living()
    assert np.allclose(m.tribes.purpose[living], before[living], atol=1e-6)

"""The value champion pulls the tribe's purpose toward market demand, as hard as they are
attuned to it."""

from __future__ import annotations

import numpy as np

from tests.conftest import make


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
    m.purpose.update(m)
    moved = tribes.purpose[living] @ demand - start @ demand
    assert moved[0] > moved[1] > 0
    assert moved[2] == 0 and np.array_equal(tribes.purpose[living[2]], start)


def test_without_pull_the_champion_changes_nothing():
    m = make("purposeful", people=120, refine_rate=0.0, reorient_every=0, market_pull=0.0)
    m.run(2)
    before = m.tribes.purpose[: m.tribes.n].copy()
    m.purpose.update(m)
    living = m.tribes.living()
    assert np.allclose(m.tribes.purpose[living], before[living], atol=1e-6)

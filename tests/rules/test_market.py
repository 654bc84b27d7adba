"""Demand and arrivals (model/market.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import (
    make,
    run_phase,
)


def test_arrivals_are_poisson_in_the_active_headcount():
    m = make(people=200, arrival_rate=0.2, turbulence=0.0)
    m.people.active[100:200] = False  # only the 100 active people bring work: mean 20
    counts = np.empty(2000)
    for k in range(len(counts)):
        run_phase(m, "market.arrivals")
        counts[k] = m.state.arrived
    assert abs(counts.mean() - 20) < 0.5  # standard error 0.1
    assert abs(counts.var() - 20) < 4  # Poisson: variance = mean (standard error 0.64)


@pytest.mark.parametrize("dist", ["fixed", "exponential", "lognormal"])
def test_effort_distributions_have_the_configured_mean(dist):
    m = make(people=2000, effort_dist=dist, effort_mean=4.0, arrival_rate=1.0)
    m.run(1)
    items = m.board.items
    effort = items.effort[: items.n]
    assert abs(effort.mean() - 4.0) < 0.3
    if dist == "fixed":
        assert (effort == 4.0).all()


def test_market_drifts_only_with_turbulence():
    calm = make(turbulence=0.0)
    before = calm.market.shares.copy()
    calm.run(10)
    assert np.allclose(calm.market.shares, before)
    rough = make(turbulence=0.5)
    before = rough.market.shares.copy()
    rough.run(10)
    assert not np.allclose(rough.market.shares, before)

"""Queueing laws the Kanban flow must obey."""

import numpy as np

from model import Organization


def test_littles_law_holds_on_a_long_run():
    m = Organization(rng=4, people=400, turbulence=0.02)
    table = m.run(800).iloc[200:]  # leave out the warm-up
    mean_wip = table["wip"].mean()
    throughput = table["throughput"].mean()
    lead_time = (table["lead_time"] * table["throughput"]).sum() / table["throughput"].sum()
    assert mean_wip > 50 and throughput > 1
    assert abs(mean_wip - throughput * lead_time) / mean_wip < 0.05


def test_time_in_wip_adds_up_exactly():
    """Every step an item spends in WIP is counted once: the sum over steps of WIP equals the
    lead time of the items done plus the age of those still open."""
    m = Organization(rng=5, people=150, shelf_life=0, history_steps=0)
    table = m.run(200)
    items = m.board.items
    open_age = int(items.wip_age[: items.n][items.stage[: items.n] >= 0].sum())
    assert int(table["wip"].sum()) == m.board.lead_time_total + open_age
    assert np.isfinite(table["lead_time"].dropna()).all()

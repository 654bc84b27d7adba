"""Tribes dissolve, split and merge (model/rules/lifecycle.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.kanban import READY
from model.rules import lifecycle
from tests.helpers import (
    make,
    members_of,
    observe,
    opposed_tribe,
    unit,
)


def test_small_tribes_dissolve_after_grace_and_release_their_items():
    m = make(people=100, grace_period=0, min_tribe_size=5, consider_rate=0.0)
    tribe = int(m.tribes.living()[0])
    members = members_of(m, tribe)
    m.state.move(members[3:], np.full(len(members) - 3, -1, np.int32), "test")
    m.run(1)
    assert not m.tribes.alive[tribe]
    assert (m.people.tribe[members] != tribe).all()
    items = m.board.items
    assert not (items.tribe[: items.n][items.stage[: items.n] >= READY] == tribe).any()
    assert tribe in m.event_log().query("event == 'dissolved'")["tribe"].tolist()


def test_oversized_tribes_split():
    m = make(people=100, max_tribe_size=12, consider_rate=0.0)
    ids = m.tribes.living()
    m.state.move(np.arange(40), np.full(40, ids[0], np.int32), "test")
    m.run(1)
    assert m.tribes.size[ids[0]] <= 21
    assert (m.event_log()["event"] == "split").any()


def test_tribes_with_converged_purposes_merge():
    m = make(people=16, team_size=8, unit_size=16, merge_check_rate=1.0, merge_similarity=0.99,
             consider_rate=0.0, max_tribe_size=40, conflict_threshold=1.0, split_division=1.0)
    a, b = m.tribes.living()
    m.tribes.purpose[b] = m.tribes.purpose[a]
    m.run(1)
    merged = m.event_log().query("event == 'merged'")
    pair = {int(a), int(b)}
    assert any({t, o} == pair for t, o in merged[["tribe", "other"]].itertuples(index=False))
    assert m.tribes.alive[a] != m.tribes.alive[b]


@pytest.mark.parametrize("purpose", ["pivoting", "fixed"])
def test_a_merged_purpose_is_the_size_weighted_mean_of_the_two(purpose):
    m = make(people=16, team_size=8, unit_size=16, merge_check_rate=1.0, merge_similarity=0.0,
             max_tribe_size=40, purpose=purpose)
    a, b = m.tribes.living()
    m.state.move(members_of(m, b)[:2], np.full(2, a, np.int32), "test")  # sizes 10 and 6
    themes = m.cfg.themes
    m.tribes.purpose[a], m.tribes.purpose[b] = unit(themes, (0, 1.0)), unit(themes, (1, 1.0))
    lifecycle.merge(m.state, m.rules)
    assert m.tribes.alive[a] and not m.tribes.alive[b]  # the smaller joins the larger
    assert m.tribes.size[a] == 16
    if purpose == "fixed":  # a mandate stays the larger tribe's
        assert np.array_equal(m.tribes.purpose[a], unit(themes, (0, 1.0)))
    else:  # norm(10 e0 + 6 e1), neither the keeper's purpose nor the plain mean
        assert np.allclose(m.tribes.purpose[a], unit(themes, (0, 10.0), (1, 6.0)), atol=1e-6)


@pytest.mark.parametrize("split_division", [0.4, 1.0])
def test_a_divided_tribe_splits_below_its_maximum_size(split_division):
    m = make(split_division=split_division, max_tribe_size=25, min_tribe_size=3)
    members = opposed_tribe(m)  # passions e0, purpose e1
    half = members[: len(members) // 2]
    m.people.passion[half] = m.tribes.purpose[0]
    dissenters = np.setdiff1d(members, half)
    observe(m)
    assert m.tribes.division[0] == pytest.approx(0.5)
    assert 2 * m.cfg.min_tribe_size <= m.tribes.size[0] < m.cfg.max_tribe_size
    tribes_before = m.tribes.n
    lifecycle.split(m.state, m.rules)
    new = np.flatnonzero(m.tribes.parent[tribes_before : m.tribes.n] == 0) + tribes_before
    if split_division < 0.5:
        assert len(new) == 1  # the dissenters (who prefer their own passion) leave together
        assert (m.people.tribe[dissenters] == new[0]).all()
        assert (m.people.tribe[half] == 0).all()
        assert np.allclose(m.tribes.purpose[new[0]], m.people.passion[dissenters[0]])
    else:
        assert len(new) == 0
        assert (m.people.tribe[members] == 0).all()

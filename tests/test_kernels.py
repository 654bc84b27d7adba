"""The compiled kernels give the numpy versions' results bit for bit, kernel by kernel and over
whole runs of every preset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import PRESETS, Organization
from numerics import kernels

numba = pytest.importorskip("numba", reason="the compiled kernels need numba (extra 'fast')")
kernels_numba = pytest.importorskip("numerics.kernels_numba")

N, THEMES, DOMAINS, SLOTS, TRIBES = 5_000, 8, 6, 8, 120


@pytest.fixture
def state():
    rng = np.random.default_rng(7)
    tribe = rng.integers(-1, TRIBES, N).astype(np.int32)
    tie_to = rng.integers(-1, N, (N, SLOTS)).astype(np.int32)
    tie_w = rng.random((N, SLOTS), dtype=np.float32)
    tie_w[tie_to < 0] = 0.0
    return {
        "passion": rng.random((N, THEMES), dtype=np.float32),
        "purpose": rng.random((TRIBES, THEMES), dtype=np.float32),
        "skill": rng.random((N, DOMAINS), dtype=np.float32),
        "demand": rng.random((TRIBES, DOMAINS), dtype=np.float32),
        "engagement": rng.random(N, dtype=np.float32),
        "active": rng.random(N) < 0.9,
        "tribe": tribe, "tie_to": tie_to, "tie_w": tie_w,
        "members": np.flatnonzero(tribe >= 0),
        "rng": rng,
    }


def both(name, *args):
    """Run kernel `name` in its numpy and compiled versions on copies of `args`."""
    numpy_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    numba_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    return (getattr(kernels, f"_{name}_numpy")(*numpy_args), numpy_args,
            getattr(kernels_numba, name)(*numba_args), numba_args)


def assert_same(a, b):
    if isinstance(a, tuple | list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    else:
        assert a == b


def test_fit_terms(state):
    s = state
    result = both("fit_terms", s["members"], s["tribe"][s["members"]], s["passion"], s["purpose"],
                  s["skill"], s["demand"], s["tribe"][:, None], s["tie_to"], s["tie_w"])
    assert_same(result[0], result[2])
    alignment, skill_use, tie_weight = result[0]
    i, t = s["members"][3], s["tribe"][s["members"][3]]
    assert alignment[3] == pytest.approx(float(s["passion"][i] @ s["purpose"][t]), rel=1e-6)
    assert skill_use[3] == pytest.approx(float(s["skill"][i] @ s["demand"][t]), rel=1e-6)
    inside = (s["tie_to"][i] >= 0) & (s["tribe"][s["tie_to"][i]] == t)
    assert tie_weight[3] == pytest.approx(float(s["tie_w"][i][inside].sum()), rel=1e-6)


def test_fit_terms_count_ties_to_members_through_any_of_their_memberships(state):
    s = state
    memberships = np.full((N, 3), -1, dtype=np.int32)
    memberships[:, 0] = s["tribe"]
    second = s["rng"].integers(0, TRIBES, N).astype(np.int32)
    memberships[:, 1] = np.where((s["tribe"] >= 0) & (second != s["tribe"]), second, -1)
    persons = s["members"]
    tribes = memberships[persons, 1]
    tribes = np.where(tribes >= 0, tribes, s["tribe"][persons])
    result = both("fit_terms", persons, tribes, s["passion"], s["purpose"], s["skill"],
                  s["demand"], memberships, s["tie_to"], s["tie_w"])
    assert_same(result[0], result[2])
    tie_weight = result[0][2]
    for r in (0, 5, 11):
        i, t = persons[r], tribes[r]
        targets = s["tie_to"][i]
        inside = (targets >= 0) & (memberships[targets] == t).any(axis=1)
        assert tie_weight[r] == pytest.approx(float(s["tie_w"][i][inside].sum()), rel=1e-6)
    only_primary = both("fit_terms", persons, tribes, s["passion"], s["purpose"], s["skill"],
                        s["demand"], memberships[:, :1], s["tie_to"], s["tie_w"])[0][2]
    assert (tie_weight >= only_primary).all() and (tie_weight > only_primary).any()


@pytest.mark.parametrize(("doing_rate", "forgetting", "obsolescence"),
                         [(0.0, 0.0, 0.0), (0.02, 0.0, 0.0), (0.02, 0.01, 0.005)])
def test_learn(state, doing_rate, forgetting, obsolescence):
    s = state
    result = both("learn", s["skill"], s["active"], s["engagement"], s["tribe"], s["demand"],
                  np.float32(0.3), 0.05, doing_rate, forgetting, obsolescence)
    assert_same(result[0], result[2])  # top skill
    assert_same(result[1][0], result[3][0])  # the skills, changed in place
    changed = result[1][0]
    assert ((changed >= 0) & (changed <= 1)).all()
    if forgetting == obsolescence == 0:
        assert (changed >= s["skill"]).all() and (changed > s["skill"]).any()
    else:  # an active unaffiliated person loses every skill they do not practise
        idle = (((s["tribe"] < 0) & s["active"])[:, None] & (s["skill"] < 0.3)
                & (s["skill"] > 0))
        assert idle.any() and (changed[idle] < s["skill"][idle]).all()


def test_drift(state):
    s = state
    origin = s["rng"].random(s["passion"].shape, dtype=np.float32)
    result = both("drift", s["passion"], s["members"], s["purpose"], s["tribe"], 0.05, origin,
                  0.02)
    assert_same(result[1][0], result[3][0])
    moved = result[1][0]
    assert np.allclose(np.linalg.norm(moved[s["members"]], axis=1), 1.0, atol=1e-5)
    outside = s["tribe"] < 0
    assert np.array_equal(moved[outside], s["passion"][outside])


def test_group_weighted_sum(state):
    s = state
    weights = s["engagement"][s["members"]]
    result = both("group_weighted_sum", s["members"], s["tribe"][s["members"]], s["skill"],
                  weights, TRIBES)
    assert_same(result[0], result[2])
    t = 5
    inside = s["members"][s["tribe"][s["members"]] == t]
    expected = (s["skill"][inside] * s["engagement"][inside, None]).sum(axis=0)
    assert np.allclose(result[0][t], expected, rtol=1e-5)


def test_mixed_dot(state):
    s = state
    right = s["rng"].random((TRIBES, DOMAINS))
    rows, right_rows = s["members"], s["tribe"][s["members"]]
    result = both("mixed_dot", s["skill"], rows, right, right_rows)
    assert_same(result[0], result[2])
    assert result[0].dtype == np.float64


def test_strengthen_ties(state):
    s = state
    workers = s["rng"].choice(N, 2_000, replace=False)
    partners = np.where(s["rng"].random(2_000) < 0.5,
                        np.maximum(s["tie_to"][workers, 2], 0),  # half an existing tie
                        s["rng"].integers(0, N, 2_000)).astype(np.int32)
    result = both("strengthen_ties", s["tie_to"], s["tie_w"], workers, partners, 0.3)
    assert_same(result[1][:2], result[3][:2])
    tie_to, tie_w = result[1][0], result[1][1]
    match = s["tie_to"][workers] == partners[:, None]
    known = match.any(axis=1)
    first = match.argmax(axis=1)
    assert 500 < known.sum() < 1_500
    k = np.flatnonzero(known)
    assert (tie_w[workers[k], first[k]] > s["tie_w"][workers[k], first[k]]).all()
    new = np.flatnonzero(~known)
    weakest = s["tie_w"][workers[new]].argmin(axis=1)
    replaced = s["tie_w"][workers[new], weakest] < 0.3
    assert replaced.any() and (~replaced).any()
    assert np.array_equal(tie_to[workers[new], weakest] == partners[new], replaced)


def run_state(preset: str, compiled: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(kernels, "COMPILED", compiled)
    m = Organization(preset=preset, people=300, rng=11)
    for _ in range(120):
        m.step()
    p = m.people
    arrays = [getattr(p, name)[: p.n] for name in ("passion", "skill", "engagement", "tie_to",
                                                   "tie_w", "tribe", "reputation")]
    return m.step_table(), m.event_log(), arrays


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_a_run_is_the_same_bit_for_bit_with_and_without_numba(preset, monkeypatch):
    steps_a, events_a, arrays_a = run_state(preset, False, monkeypatch)
    steps_b, events_b, arrays_b = run_state(preset, True, monkeypatch)
    assert steps_a["done_total"].iloc[-1] > 0
    pd.testing.assert_frame_equal(steps_a, steps_b, check_exact=True)
    pd.testing.assert_frame_equal(events_a, events_b, check_exact=True)
    for a, b in zip(arrays_a, arrays_b, strict=True):
        assert np.array_equal(a, b)


def test_best_candidates(state):
    s = state
    rng = s["rng"]
    items = 3_000
    item_purpose = rng.random((items, THEMES), dtype=np.float32)
    item_needs = rng.random((items, DOMAINS), dtype=np.float32)
    slots = rng.integers(0, TRIBES, 1_000)
    seen = rng.integers(0, items, (1_000, 4))
    seen[:, 3] = seen[:, 1]  # a tie: the first of equal scores wins
    # parts handed off by a tribe: that tribe's slots do not take them
    previous = np.where(rng.random(items) < 0.3, rng.integers(0, TRIBES, items), -1)
    seen[:5] = seen[0]  # ...down to slots that see only parts their tribe handed off
    slots[:5] = 7
    previous[seen[0]] = 7
    result = both("best_candidates", seen, slots, item_purpose, s["purpose"], item_needs,
                  s["demand"], previous.astype(np.int32))
    assert_same(result[0], result[2])
    claimed, best = result[0]
    score = ((item_purpose[seen] * s["purpose"][slots][:, None]).sum(axis=2)
             + (item_needs[seen] * s["demand"][slots][:, None]).sum(axis=2))
    score[previous[seen] == slots[:, None]] = -np.inf
    assert np.isneginf(best[:5]).all()
    assert (previous[claimed[5:]] != slots[5:]).all()
    assert np.allclose(best[5:], score.max(axis=1)[5:], rtol=1e-5)
    assert (seen[np.arange(1_000), score.argmax(axis=1)] == claimed).mean() > 0.99


def test_group_argmax_rows(state):
    s = state
    score = np.round(s["engagement"] * 20).astype(np.float32)  # many ties
    members = s["members"]
    result = both("group_argmax_rows", members, s["tribe"][members], score, TRIBES + 2)
    assert_same(result[0], result[2])
    winner = result[0]
    assert (winner[TRIBES:] == -1).all()  # empty groups
    for t in (0, 7, 50):
        inside = members[s["tribe"][members] == t]
        assert winner[t] == inside[np.argmax(score[inside])]


def test_comembers(state):
    from numerics.groups import group_order

    s = state
    tribe = s["tribe"].copy()
    order, start, count = group_order(tribe + 1, TRIBES + 1)
    tribe[:50] = TRIBES  # a tribe founded after the index was built
    tribe[50:100] = (tribe[50:100] + 1) % TRIBES  # people who moved since
    persons = np.arange(N)
    uniform = s["rng"].random(N)
    result = both("comembers", persons, tribe, order, start, count, uniform)
    assert_same(result[0], result[2])
    peer = result[0]
    found = peer >= 0
    assert found.mean() > 0.7
    assert (tribe[peer[found]] == tribe[persons[found]]).all() and (peer != persons).all()
    assert (peer[:50] == -1).all() and (peer[tribe < 0] == -1).all()


@pytest.mark.parametrize("n_groups", [40, 1_500])  # large groups sort, small ones insert
def test_first_within(state, n_groups):
    rng = state["rng"]
    groups = rng.integers(0, n_groups, 3_000)
    keys = rng.integers(0, 30, 3_000)  # many equal keys: row order breaks the tie
    quota = rng.integers(0, 90 if n_groups == 40 else 3, n_groups)
    chosen = kernels_numba.first_within(groups, keys, quota)
    assert np.array_equal(chosen, kernels._first_within_numpy(groups, keys, quota))
    assert 0 < chosen.sum() < len(groups)
    from numerics.groups import rank_within

    assert np.array_equal(chosen, rank_within(groups, keys) < quota[groups])


@pytest.mark.parametrize("right", ["purpose", "passion"])
def test_dot_at(state, right):
    s = state
    rows = s["members"][::3]
    right_rows = (s["tribe"][rows] if right == "purpose"
                  else s["rng"].permutation(N)[: len(rows)])
    out = np.empty(len(rows), np.float32)
    result = both("dot_at", s["passion"], rows, s[right], right_rows, out)
    assert_same(result[0], result[2])
    assert np.allclose(result[0], (s["passion"][rows] * s[right][right_rows]).sum(axis=1),
                       rtol=1e-5)
    # float32 rows against float64 rows give float64 products, as numpy's promotion does
    wide = s[right].astype(np.float64)
    assert kernels.dot_at(s["passion"], rows, wide, right_rows).dtype == np.float64


def test_group_order(state):
    s = state
    groups = s["tribe"].astype(np.int64) + 1
    numpy_result = kernels._group_order_numpy(groups, TRIBES + 1)
    compiled = kernels_numba.group_order(groups, TRIBES + 1)
    assert_same(numpy_result, compiled)
    order, start, count = compiled
    # stable: within each group, rows in increasing order
    assert np.array_equal(order, np.argsort(groups, kind="stable"))
    assert np.array_equal(count, np.bincount(groups, minlength=TRIBES + 1))


def test_stage_counts(state):
    s = state
    stage = s["rng"].integers(-2, 4, N).astype(np.int8)
    tribe = np.where(stage >= 1, s["rng"].integers(0, TRIBES, N), -1).astype(np.int32)
    result = both("stage_counts", stage, tribe, 1, TRIBES, 4)
    assert_same(result[0], result[2])
    counts = result[2]
    assert counts.shape == (TRIBES, 4)
    assert counts[:, 0].sum() == 0  # nothing off the boards is counted
    assert counts.sum() == np.count_nonzero(stage >= 1)
    on = (stage == 2) & (tribe == 7)
    assert counts[7, 2] == np.count_nonzero(on)


def test_group_sums(state):
    s = state
    rows = s["members"]
    result = both("group_sums", rows, s["tribe"][rows], s["passion"], s["skill"], TRIBES)
    assert_same(result[0], result[2])
    first, second = result[2]
    ones = np.ones(len(rows), np.float32)
    assert np.array_equal(first, kernels._group_weighted_sum_numpy(rows, s["tribe"][rows],
                                                                     s["passion"], ones, TRIBES))
    inside = rows[s["tribe"][rows] == 4]
    assert np.allclose(second[4], s["skill"][inside].sum(axis=0), rtol=1e-5)


def test_matvec(state):
    s = state
    vector = s["purpose"][3]
    out = np.empty(N, np.float32)
    result = both("matvec", s["passion"], vector, out)
    assert_same(result[0], result[2])
    assert np.allclose(result[2], s["passion"] @ vector, rtol=1e-5)


@pytest.mark.parametrize("spread", [30, 10**7])
def test_rows_by_key(state, spread):
    """Rows stably by key: by a counting sort when the keys are close together (a backlog's
    ages), by a merge sort when they are not."""
    s = state
    rows = np.flatnonzero(s["rng"].random(N) < 0.5)
    key = s["rng"].integers(0, spread, N).astype(np.int32)
    result = both("rows_by_key", rows, key)
    assert_same(result[0], result[2])
    ordered = result[2]
    assert np.array_equal(np.sort(ordered), rows)
    assert np.all(np.diff(key[ordered]) >= 0)
    ties = np.diff(key[ordered]) == 0
    assert np.all(np.diff(ordered)[ties] > 0)  # in the given order on ties


def test_within_room(state):
    s = state
    teams = s["rng"].integers(0, TRIBES, 3_000)
    effort = s["rng"].gamma(2.0, 1.0, 3_000).astype(np.float32)
    room = s["rng"].random(TRIBES) * 40
    result = both("within_room", effort, teams, room, TRIBES)
    assert_same(result[0], result[2])
    for team in (0, 17, TRIBES - 1):
        mine = np.flatnonzero(teams == team)
        before = np.cumsum(effort[mine], dtype=np.float64) - effort[mine]
        assert np.array_equal(result[2][mine], before < room[team])


@pytest.mark.parametrize("shelf_life", [0, 12])
def test_age_items(state, shelf_life):
    s = state
    stage = s["rng"].integers(-2, 4, N).astype(np.int8)
    part = s["rng"].integers(0, 3, N).astype(np.int8)
    since = s["rng"].integers(0, 40, N).astype(np.int32)
    wip_age = s["rng"].integers(0, 9, N).astype(np.int32)
    result = both("age_items", stage, part, since, wip_age, 40, shelf_life, 0, 1)
    assert_same(result[0], result[2])
    assert_same(result[1][3], result[3][3])  # the ages, changed in place
    aged = result[3][3] - wip_age
    in_progress = (stage >= 1) | ((stage == 0) & (part > 0))
    assert np.array_equal(aged, in_progress.astype(np.int32))
    stale = result[2]
    if shelf_life == 0:
        assert not stale.any()
    else:
        assert np.array_equal(stale, (stage == 0) & (part == 0) & (40 - since >= shelf_life))
        assert stale.any()


@pytest.mark.parametrize("positive", [True, False])
def test_effort_by_tribe(state, positive):
    s = state
    stage = s["rng"].integers(-2, 4, N).astype(np.int8)
    tribe = np.where(stage >= 1, s["rng"].integers(0, TRIBES, N), -1).astype(np.int32)
    remaining = (s["rng"].random(N, dtype=np.float32) - 0.2).astype(np.float32)
    result = both("effort_by_tribe", stage, tribe, remaining, 1, 2, positive, TRIBES)
    assert_same(result[0], result[2])
    rows = (stage >= 1) & (stage <= 2) & (tribe == 5) & ((remaining > 0) | (not positive))
    assert np.isclose(result[2][5], remaining[rows].astype(np.float64).sum())

"""The group operations the vectorized rules are built from, against plain Python."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from numerics.groups import first_within, group_order, rank_within
from numerics.rows import matvec, row_argmax

groups_and_keys = st.integers(1, 12).flatmap(lambda g: st.lists(
    st.tuples(st.integers(0, g - 1), st.integers(0, 5)), min_size=1, max_size=60).map(
        lambda rows: (g, rows)))


def ranks_by_hand(rows):
    ranks = []
    for i, (group, key) in enumerate(rows):
        ranks.append(sum(1 for j, (g, k) in enumerate(rows)
                         if g == group and (k < key or (k == key and j < i))))
    return ranks


@given(groups_and_keys)
def test_rank_within_orders_each_group_by_key_then_position(case):
    _, rows = case
    groups = np.array([g for g, _ in rows])
    keys = np.array([k for _, k in rows])
    assert rank_within(groups, keys).tolist() == ranks_by_hand(rows)


@given(groups_and_keys, st.integers(0, 2**32 - 1))
def test_first_within_keeps_the_first_quota_rows_of_each_group(case, seed):
    n_groups, rows = case
    groups = np.array([g for g, _ in rows])
    keys = np.array([k for _, k in rows])
    quota = np.random.default_rng(seed).integers(0, 4, n_groups)
    expected = [r < quota[g] for r, (g, _) in zip(ranks_by_hand(rows), rows, strict=True)]
    assert first_within(groups, keys, quota).tolist() == expected


@given(groups_and_keys)
def test_group_order_sorts_rows_by_group_stably(case):
    n_groups, rows = case
    groups = np.array([g for g, _ in rows])
    order, start, count = group_order(groups, n_groups)
    assert order.tolist() == sorted(range(len(rows)), key=lambda i: groups[i])
    assert count.tolist() == [int((groups == g).sum()) for g in range(n_groups)]
    assert start.tolist() == [int((groups < g).sum()) for g in range(n_groups)]


@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_row_argmax_and_matvec_agree_with_numpy(rows, columns, seed):
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 4, (rows, columns)).astype(np.float32)  # many ties
    assert np.array_equal(row_argmax(matrix), matrix.argmax(axis=1))
    vector = rng.random(columns, dtype=np.float32)
    assert np.allclose(matvec(matrix, vector), matrix @ vector, rtol=1e-5)

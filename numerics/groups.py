"""Group operations: one call handles every group (tribe, board, unit) at once.

Each operation takes a group index per row (`groups`, in [0, n_groups)) and returns one value
per group, or a ranking of the rows within their group.
"""

from __future__ import annotations

import numpy as np


def group_order(groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort rows by group in O(n).

    Args:
        groups: group of each row, in [0, n_groups).
        n_groups: number of groups.

    Returns:
        (order, start, count): rows sorted by group (stable), and each group's first position in
        `order` and its size.
    """
    count = np.bincount(groups, minlength=n_groups)
    start = np.zeros(n_groups, dtype=np.int64)
    np.cumsum(count[:-1], out=start[1:])
    # numpy sorts 16-bit keys with a stable radix sort: two passes sort 32-bit keys in O(n).
    if n_groups <= 1 << 16:
        order = np.argsort(groups.astype(np.uint16), kind="stable")
    else:
        order = np.argsort((groups & 0xFFFF).astype(np.uint16), kind="stable")
        order = order[np.argsort((groups[order] >> 16).astype(np.uint16), kind="stable")]
    return order, start, count


def random_members(rng: np.random.Generator, order: np.ndarray, start: np.ndarray,
                   count: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """One uniformly drawn row of each given group, using `group_order`'s output (-1 if the
    group is empty)."""
    size = count[groups]
    pick = start[groups] + (rng.random(len(groups)) * size).astype(np.int64)
    return np.where(size > 0, order[np.minimum(pick, len(order) - 1)], -1)


def rank_within(groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Rank of each row among the rows of its group, ordered by `keys` ascending (0 = first).

    Ties in `keys` are broken by row position, so the ranking is deterministic.
    """
    order = np.lexsort((keys, groups))
    sorted_groups = groups[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_groups[1:] != sorted_groups[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - group_start
    return ranks


def first_within(groups: np.ndarray, keys: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Whether each row is among the first `quota[group]` rows of its group by `keys`
    (`rank_within`'s order); only groups with more rows than their quota are ranked."""
    count = np.bincount(groups, minlength=len(quota))
    crowded = (count[: len(quota)] > quota)[groups]
    chosen = np.ones(len(groups), dtype=bool)
    if crowded.any():
        rank = rank_within(groups[crowded], keys[crowded])
        chosen[crowded] = rank < quota[groups[crowded]]
    return chosen


def group_max(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Maximum of `values` per group (-inf for an empty group)."""
    values = np.asarray(values)
    if values.dtype.kind != "f":
        values = values.astype(np.float64)
    out = np.full(n_groups, -np.inf, dtype=values.dtype)  # same dtype: ufunc.at's fast path
    np.maximum.at(out, groups, values)
    return out


def group_argmax(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Row holding the largest value of each group (the lowest row on ties; -1 if empty)."""
    best = group_max(groups, values, n_groups)
    rows = np.arange(len(groups))
    winner = np.full(n_groups, len(groups), dtype=np.int64)
    at_max = values >= best[groups]
    np.minimum.at(winner, groups[at_max], rows[at_max])
    winner[winner == len(groups)] = -1
    return winner


def group_sum(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of `values` per group; `values` may be 1-D or 2-D (rows x columns)."""
    if values.ndim == 1:
        return np.bincount(groups, weights=values, minlength=n_groups)
    out = np.empty((n_groups, values.shape[1]), dtype=np.float64)
    for column in range(values.shape[1]):
        out[:, column] = np.bincount(groups, weights=values[:, column], minlength=n_groups)
    return out

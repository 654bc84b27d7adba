"""Columnar state and the vectorized group operations the rules are built from.

Every kind of agent keeps its state in a `Table`: one numpy array per attribute, one row per
individual, grown by doubling so that appending rows costs amortized O(1). Group operations
(sums, maxima, argmax, ranking within a group) work on a group index per row, so one call
handles every tribe at once.
"""

from __future__ import annotations

import numpy as np


class Table:
    """Struct-of-arrays storage with amortized growth.

    Subclasses declare `columns`: name -> (trailing shape, dtype, fill value). A trailing shape
    entry may be a string naming an attribute of the table (e.g. "themes").
    """

    columns: dict[str, tuple[tuple, type, object]] = {}

    def __init__(self, capacity: int = 16, **dims: int) -> None:
        self.dims = dims
        self.n = 0
        self.allocated = max(int(capacity), 1)
        for name, (tail, dtype, fill) in self.columns.items():
            setattr(self, name, np.full((self.allocated, *self._shape(tail)), fill, dtype=dtype))

    def _shape(self, tail: tuple) -> tuple:
        return tuple(self.dims[d] if isinstance(d, str) else d for d in tail)

    def append(self, count: int) -> np.ndarray:
        """Add `count` rows holding the fill values; return their indices."""
        needed = self.n + count
        if needed > self.allocated:
            capacity = max(needed, 2 * self.allocated)
            for name, (tail, dtype, fill) in self.columns.items():
                grown = np.full((capacity, *self._shape(tail)), fill, dtype=dtype)
                grown[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, grown)
            self.allocated = capacity
        rows = np.arange(self.n, needed)
        self.n = needed
        return rows

    def keep(self, mask: np.ndarray) -> None:
        """Drop the rows where `mask` (over the first n rows) is False, preserving order."""
        kept = int(mask.sum())
        for name in self.columns:
            column = getattr(self, name)
            column[:kept] = column[: self.n][mask]
        self.n = kept

    def view(self, name: str) -> np.ndarray:
        """The used part of column `name`."""
        return getattr(self, name)[: self.n]


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


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit Euclidean length in place (a zero row stays zero); return it."""
    norms = np.sqrt(row_dot(matrix, matrix))
    np.divide(matrix, norms[:, None], out=matrix, where=norms[:, None] > 0)
    return matrix


# numpy reduces a short trailing axis one row at a time, which is ten times slower than one
# vectorized pass per column; the state has few columns (themes, domains, tie slots).
def row_max(matrix: np.ndarray) -> np.ndarray:
    """Largest value of each row."""
    out = matrix[:, 0].copy()
    for column in range(1, matrix.shape[1]):
        np.maximum(out, matrix[:, column], out=out)
    return out


def row_argmax(matrix: np.ndarray) -> np.ndarray:
    """Column of the largest value of each row (the first on ties)."""
    best = matrix[:, 0].copy()
    out = np.zeros(len(matrix), dtype=np.int64)
    for column in range(1, matrix.shape[1]):
        larger = matrix[:, column] > best
        out[larger] = column
        np.maximum(best, matrix[:, column], out=best)
    return out


def matvec(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`matrix @ vector`, summed from the first column to the last (BLAS picks its own order,
    and is slow for a long matrix with few columns)."""
    out = matrix[:, 0] * vector[0]
    for column in range(1, matrix.shape[1]):
        out += matrix[:, column] * vector[column]
    return out


def row_any(matrix: np.ndarray) -> np.ndarray:
    """Whether each row of a boolean matrix has a True."""
    out = matrix[:, 0].copy()
    for column in range(1, matrix.shape[1]):
        out |= matrix[:, column]
    return out


def row_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dot product of matching rows of two (n, k) arrays, summed from the first column to the
    last (the order the compiled kernels in `agents.kernels` use)."""
    out = a[:, 0] * b[:, 0]
    for column in range(1, a.shape[1]):
        out += a[:, column] * b[:, column]
    return out


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, 1 = one holds all; 0 if all zero)."""
    n = len(values)
    total = float(values.sum(dtype=np.float64))
    if n == 0 or total <= 0:
        return 0.0
    ordered = np.sort(values).astype(np.float64)
    weights = 2 * np.arange(1, n + 1) - n - 1
    return float(weights @ ordered / (n * total))

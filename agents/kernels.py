"""The step's hot loops over people, written twice: vectorized numpy, and compiled with numba.

numba is optional (`pip install -e ".[fast]"`). When it is installed the compiled versions are
used; `PURPOSEFUL_NUMBA=0` in the environment turns them off. Both versions perform the same
floating-point operations in the same order, so a run gives the same results bit for bit with
and without numba (tested):

- a dot product of two rows runs over the trailing axis from first to last, in the arrays'
  dtype (float32 for people's state); `arrays.row_dot` is the numpy form;
- sums over rows (per column, or per group) accumulate in float64 in row order, as
  `np.bincount` does;
- Python floats enter as float32 where they meet float32 state (numpy's rule for scalars);
- transcendental functions (exp, log) stay in numpy, outside the kernels, because numpy's
  vectorized float32 exp is not the C library's.

A compiled kernel does in one pass over people what the numpy version does in several passes
over temporary arrays; that is the whole speed-up.
"""

from __future__ import annotations

import os

import numpy as np

from agents.arrays import first_within as _first_within_numpy
from agents.arrays import group_argmax, row_any, row_dot, row_max

try:
    import numba
except ImportError:  # optional: the numpy versions below are complete
    numba = None

COMPILED = numba is not None and os.environ.get("PURPOSEFUL_NUMBA", "1") != "0"

F32 = np.float32


# ---------------------------------------------------------------------------- numpy versions
def _fit_terms_numpy(persons, tribe_ids, passion, purpose, skill, demand, tribe, tie_to, tie_w):
    alignment = row_dot(passion[persons], purpose[tribe_ids])
    skill_use = row_dot(skill[persons], demand[tribe_ids])
    in_tribe = (tribe[tie_to[persons]] == tribe_ids[:, None]).astype(np.float32)
    tie_weight = row_dot(tie_w[persons], in_tribe)
    return alignment, skill_use, tie_weight


def _learn_numpy(skill, active, engagement, tribe, demand, threshold, practice_rate, doing_rate):
    # column by column: numpy broadcasting over a short trailing axis is slow
    domains = skill.shape[1]
    practising = [(skill[:, j] >= threshold) & active for j in range(domains)]
    expert = np.zeros(domains, dtype=F32)
    for j in range(domains):
        weight = skill[practising[j], j]
        mass = _sum_in_order(weight)
        if mass > 0:
            expert[j] = F32(_sum_in_order(weight * weight) / mass)
    push = F32(practice_rate) * engagement
    pull = F32(doing_rate) * engagement
    member, tribe = tribe >= 0, np.maximum(tribe, 0)
    for j in range(domains):
        level = skill[:, j]
        gain = np.where(practising[j], push * np.maximum(expert[j] - level, F32(0)), F32(0))
        if doing_rate > 0:
            gain += np.where(member, (pull * demand[tribe, j]) * (F32(1) - level), F32(0))
        skill[:, j] = np.minimum(level + gain, F32(1))
    return row_max(skill)


def _sum_in_order(values):
    # bincount adds its weights one after the other in float64, like the compiled loop
    # (sum() adds pairwise)
    if len(values) == 0:
        return 0.0
    return np.bincount(np.zeros(len(values), dtype=np.intp), weights=values, minlength=1)[0]


def _drift_numpy(passion, members, purpose, tribe, rate):
    # column by column: numpy broadcasting over a short trailing axis is slow
    rate, target = F32(rate), tribe[members]
    wearing = [passion[members, j] for j in range(passion.shape[1])]
    for j, column in enumerate(wearing):
        column += rate * (purpose[target, j] - column)
    square = wearing[0] * wearing[0]
    for column in wearing[1:]:
        square += column * column
    norm = np.sqrt(square)
    for j, column in enumerate(wearing):
        passion[members, j] = np.divide(column, norm, out=column, where=norm > 0)


def _group_weighted_sum_numpy(rows, groups, values, weights, n_groups):
    out = np.empty((n_groups, values.shape[1]), dtype=np.float64)
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(groups, weights=values[rows, j] * weights, minlength=n_groups)
    return out


def _mixed_dot_numpy(left, rows, right, right_rows):
    """Dot of float32 rows `left[rows]` with float64 rows `right[right_rows]`, in float64."""
    a, b = left[rows], right[right_rows]
    out = a[:, 0] * b[:, 0]
    for column in range(1, a.shape[1]):
        out += a[:, column] * b[:, column]
    return out


def _strengthen_ties_numpy(tie_to, tie_w, workers, partners, growth):
    growth = F32(growth)
    weights = tie_w[workers]
    match = tie_to[workers] == partners[:, None]
    known = row_any(match)
    slot = np.where(known, match.argmax(axis=1), weights.argmin(axis=1))
    current = weights[np.arange(len(workers)), slot]
    grown = np.where(known, current + growth * (F32(1) - current), growth)
    # a new tie replaces the weakest one only if that one is weaker than the new tie
    keep = known | (current < growth)
    tie_to[workers[keep], slot[keep]] = partners[keep]
    tie_w[workers[keep], slot[keep]] = grown[keep]


def _best_candidates_numpy(seen, slots, item_purpose, tribe_purpose, item_needs, tribe_profile):
    purpose, profile = tribe_purpose[slots], tribe_profile[slots]
    score = np.empty(seen.shape, dtype=np.float32)
    for j in range(seen.shape[1]):
        score[:, j] = (row_dot(item_purpose[seen[:, j]], purpose)
                       + row_dot(item_needs[seen[:, j]], profile))
    pick = score.argmax(axis=1)
    row = np.arange(len(slots))
    return seen[row, pick], score[row, pick]


def _group_argmax_rows_numpy(rows, groups, values, n_groups):
    if len(rows) == 0:
        return np.full(n_groups, -1, dtype=np.int64)
    winner = group_argmax(groups, values[rows], n_groups)
    return np.where(winner >= 0, rows[np.maximum(winner, 0)], -1)


def _comembers_numpy(persons, tribe, order, start, count, uniform):
    group = tribe[persons] + 1
    indexed = group < len(count)  # groups created since the index was built are not in it
    group = np.where(indexed, group, 0)
    size = count[group]
    pick = start[group] + (uniform * size).astype(np.int64)
    peer = np.where(size > 0, order[np.minimum(pick, len(order) - 1)], -1)
    ok = (peer >= 0) & (peer != persons) & (group > 0) & indexed
    ok &= tribe[np.maximum(peer, 0)] == tribe[persons]
    return np.where(ok, peer, -1)


# ---------------------------------------------------------------------------- compiled versions
if numba is not None:
    _jit = numba.njit(cache=True, nogil=True)

    @_jit
    def _fit_terms_numba(persons, tribe_ids, passion, purpose, skill, demand, tribe, tie_to,
                         tie_w):
        count = len(persons)
        alignment = np.empty(count, np.float32)
        skill_use = np.empty(count, np.float32)
        tie_weight = np.empty(count, np.float32)
        for r in range(count):
            i, t = persons[r], tribe_ids[r]
            s = passion[i, 0] * purpose[t, 0]
            for j in range(1, passion.shape[1]):
                s += passion[i, j] * purpose[t, j]
            alignment[r] = s
            s = skill[i, 0] * demand[t, 0]
            for j in range(1, skill.shape[1]):
                s += skill[i, j] * demand[t, j]
            skill_use[r] = s
            w = tie_w[i, 0] * np.float32(tribe[tie_to[i, 0]] == t)
            for j in range(1, tie_to.shape[1]):
                w += tie_w[i, j] * np.float32(tribe[tie_to[i, j]] == t)
            tie_weight[r] = w
        return alignment, skill_use, tie_weight

    @_jit
    def _learn_numba(skill, active, engagement, tribe, demand, threshold, practice_rate,
                     doing_rate):
        n, k = skill.shape
        zero, one = np.float32(0), np.float32(1)
        mass = np.zeros(k)
        weighted = np.zeros(k)
        for i in range(n):
            if active[i]:
                for j in range(k):
                    s = skill[i, j]
                    if s >= threshold:
                        mass[j] += np.float64(s)
                        weighted[j] += np.float64(s * s)
        expert = np.zeros(k, np.float32)
        for j in range(k):
            if mass[j] > 0:
                expert[j] = np.float32(weighted[j] / mass[j])
        top = np.empty(n, np.float32)
        push_rate, pull_rate = np.float32(practice_rate), np.float32(doing_rate)
        for i in range(n):
            push = push_rate * engagement[i]
            pull = pull_rate * engagement[i]
            t = tribe[i]
            best = zero
            for j in range(k):
                s = skill[i, j]
                gain = zero
                if active[i] and s >= threshold:
                    gain = push * max(expert[j] - s, zero)
                if doing_rate > 0 and t >= 0:
                    gain += (pull * demand[t, j]) * (one - s)
                s = min(s + gain, one)
                skill[i, j] = s
                best = s if j == 0 else max(best, s)
            top[i] = best
        return top

    @_jit
    def _drift_numba(passion, members, purpose, tribe, rate):
        rate = np.float32(rate)
        k = passion.shape[1]
        wearing = np.empty(k, np.float32)
        for i in members:
            t = tribe[i]
            for j in range(k):
                wearing[j] = passion[i, j] + rate * (purpose[t, j] - passion[i, j])
            square = wearing[0] * wearing[0]
            for j in range(1, k):
                square += wearing[j] * wearing[j]
            norm = np.sqrt(square)
            for j in range(k):
                passion[i, j] = wearing[j] / norm if norm > 0 else wearing[j]

    @_jit
    def _group_weighted_sum_numba(rows, groups, values, weights, n_groups):
        out = np.zeros((n_groups, values.shape[1]))
        for r in range(len(groups)):
            i, g, w = rows[r], groups[r], weights[r]
            for j in range(values.shape[1]):
                out[g, j] += np.float64(values[i, j] * w)
        return out

    @_jit
    def _mixed_dot_numba(left, rows, right, right_rows):
        out = np.empty(len(rows))
        for r in range(len(rows)):
            i, t = rows[r], right_rows[r]
            s = np.float64(left[i, 0]) * right[t, 0]
            for j in range(1, left.shape[1]):
                s += np.float64(left[i, j]) * right[t, j]
            out[r] = s
        return out


    @_jit
    def _strengthen_ties_numba(tie_to, tie_w, workers, partners, growth):
        growth = np.float32(growth)
        for r in range(len(workers)):
            i, partner = workers[r], partners[r]
            slot = -1
            for j in range(tie_to.shape[1]):
                if tie_to[i, j] == partner:
                    slot = j
                    break
            if slot >= 0:
                current = tie_w[i, slot]
                tie_w[i, slot] = current + growth * (np.float32(1) - current)
                continue
            slot = 0
            for j in range(1, tie_to.shape[1]):
                if tie_w[i, j] < tie_w[i, slot]:
                    slot = j
            if tie_w[i, slot] < growth:
                tie_to[i, slot] = partner
                tie_w[i, slot] = growth


    @_jit
    def _best_candidates_numba(seen, slots, item_purpose, tribe_purpose, item_needs,
                               tribe_profile):
        count = seen.shape[0]
        claimed = np.empty(count, seen.dtype)
        best = np.empty(count, np.float32)
        for r in range(count):
            t = slots[r]
            for c in range(seen.shape[1]):
                i = seen[r, c]
                a = item_purpose[i, 0] * tribe_purpose[t, 0]
                for j in range(1, item_purpose.shape[1]):
                    a += item_purpose[i, j] * tribe_purpose[t, j]
                b = item_needs[i, 0] * tribe_profile[t, 0]
                for j in range(1, item_needs.shape[1]):
                    b += item_needs[i, j] * tribe_profile[t, j]
                score = a + b
                if c == 0 or score > best[r]:
                    claimed[r], best[r] = i, score
        return claimed, best


    @_jit
    def _first_within_numba(groups, keys, quota):
        n_groups = len(quota)
        count = np.zeros(n_groups, np.int64)
        for g in groups:
            count[g] += 1
        start = np.zeros(n_groups + 1, np.int64)
        for g in range(n_groups):
            start[g + 1] = start[g] + count[g]
        order = np.empty(len(groups), np.int64)  # rows by group, in row order within a group
        fill = start[:-1].copy()
        for r in range(len(groups)):
            order[fill[groups[r]]] = r
            fill[groups[r]] += 1
        chosen = np.zeros(len(groups), np.bool_)
        for g in range(n_groups):
            rows = order[start[g]:start[g + 1]]
            if count[g] > 64:
                rows = rows[np.argsort(keys[rows], kind="mergesort")][: max(quota[g], 0)]
            elif count[g] > quota[g]:
                # stable sort of the group's rows by key (insertion sort: the group is small)
                rows = rows.copy()
                for i in range(1, len(rows)):
                    row = rows[i]
                    j = i - 1
                    while j >= 0 and keys[rows[j]] > keys[row]:
                        rows[j + 1] = rows[j]
                        j -= 1
                    rows[j + 1] = row
                rows = rows[: max(quota[g], 0)]
            for row in rows:
                chosen[row] = True
        return chosen

    @_jit
    def _group_argmax_rows_numba(rows, groups, values, n_groups):
        winner = np.full(n_groups, -1, np.int64)
        best = np.empty(n_groups, values.dtype)
        for r in range(len(rows)):
            g, v = groups[r], values[rows[r]]
            if winner[g] < 0 or v > best[g]:
                winner[g], best[g] = rows[r], v
        return winner

    @_jit
    def _comembers_numba(persons, tribe, order, start, count, uniform):
        peers = np.full(len(persons), -1, np.int64)
        for r in range(len(persons)):
            i = persons[r]
            group = tribe[i] + 1
            if group <= 0 or group >= len(count) or count[group] == 0:
                continue
            pick = min(start[group] + np.int64(uniform[r] * count[group]), len(order) - 1)
            peer = order[pick]
            if peer != i and tribe[peer] == tribe[i]:
                peers[r] = peer
        return peers


# ---------------------------------------------------------------------------- the interface
def fit_terms(persons: np.ndarray, tribe_ids: np.ndarray, passion: np.ndarray,
              purpose: np.ndarray, skill: np.ndarray, demand: np.ndarray, tribe: np.ndarray,
              tie_to: np.ndarray, tie_w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each person's alignment with a tribe's purpose, the use of their skills by its demand,
    and the weight of their ties into it.

    Returns:
        (alignment, skill_use, tie_weight), float32, one per person.
    """
    kernel = _fit_terms_numba if COMPILED else _fit_terms_numpy
    return kernel(persons, tribe_ids, passion, purpose, skill, demand, tribe, tie_to, tie_w)


def learn(skill: np.ndarray, active: np.ndarray, engagement: np.ndarray, tribe: np.ndarray,
          demand: np.ndarray, threshold: float, practice_rate: float,
          doing_rate: float) -> np.ndarray:
    """Grow `skill` in place (practice communities and tribe work); return each row's top skill.

    The expert level of domain k is the skill-weighted mean skill of the active people at or
    above `threshold` in k (float64 sums, then float32).
    """
    kernel = _learn_numba if COMPILED else _learn_numpy
    return kernel(skill, active, engagement, tribe, demand, F32(threshold), practice_rate,
                  doing_rate)


def drift(passion: np.ndarray, members: np.ndarray, purpose: np.ndarray, tribe: np.ndarray,
          rate: float) -> None:
    """Move each member's passion toward their tribe's purpose by `rate`, then renormalize it
    (in place)."""
    kernel = _drift_numba if COMPILED else _drift_numpy
    kernel(passion, members, purpose, tribe, rate)


def group_weighted_sum(rows: np.ndarray, groups: np.ndarray, values: np.ndarray,
                       weights: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the float64 sum of `values[rows[r]] * weights[r]` over the r in the group
    (products in the inputs' dtype), in the order of `rows`."""
    kernel = _group_weighted_sum_numba if COMPILED else _group_weighted_sum_numpy
    return kernel(rows, groups, values, weights, n_groups)


def mixed_dot(left: np.ndarray, rows: np.ndarray, right: np.ndarray,
              right_rows: np.ndarray) -> np.ndarray:
    """Float64 dot products of float32 rows `left[rows]` with float64 rows `right[right_rows]`."""
    kernel = _mixed_dot_numba if COMPILED else _mixed_dot_numpy
    return kernel(left, rows, right, right_rows)


def strengthen_ties(tie_to: np.ndarray, tie_w: np.ndarray, workers: np.ndarray,
                    partners: np.ndarray, growth: float) -> None:
    """Each worker's tie to their partner grows by `growth` toward 1; a new partner takes the
    weakest slot if that tie is weaker than `growth` (in place; `workers` are distinct)."""
    kernel = _strengthen_ties_numba if COMPILED else _strengthen_ties_numpy
    kernel(tie_to, tie_w, workers, partners, growth)


def best_candidates(seen: np.ndarray, slots: np.ndarray, item_purpose: np.ndarray,
                    tribe_purpose: np.ndarray, item_needs: np.ndarray,
                    tribe_profile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each free slot (a tribe) and its row of candidate items `seen`, the best candidate
    by purpose alignment plus skill match (the first on ties), and its score (float32)."""
    kernel = _best_candidates_numba if COMPILED else _best_candidates_numpy
    return kernel(seen, slots, item_purpose, tribe_purpose, item_needs, tribe_profile)


def group_argmax_rows(rows: np.ndarray, groups: np.ndarray, values: np.ndarray,
                      n_groups: int) -> np.ndarray:
    """Per group, the row of `rows` with the largest `values[row]` (the first on ties; -1 for
    an empty group)."""
    kernel = _group_argmax_rows_numba if COMPILED else _group_argmax_rows_numpy
    return kernel(rows, groups, values, n_groups)


def comembers(persons: np.ndarray, tribe: np.ndarray, order: np.ndarray, start: np.ndarray,
              count: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """A co-member of each person drawn with `uniform` (one U[0, 1) per person) from a
    membership index `group_order(tribe + 1)`: -1 if unaffiliated, alone, the draw is the
    person, the drawn person has moved since, or the tribe is newer than the index."""
    kernel = _comembers_numba if COMPILED else _comembers_numpy
    return kernel(persons, tribe, order, start, count, uniform)


def first_within(groups: np.ndarray, keys: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Whether each row is among the first `quota[group]` rows of its group, ordered by `keys`
    and then by row (`arrays.first_within` is the numpy version)."""
    if not COMPILED:
        return _first_within_numpy(groups, keys, quota)
    return _first_within_numba(groups, keys, np.asarray(quota, dtype=np.int64))

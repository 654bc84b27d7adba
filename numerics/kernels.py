"""The step's hot loops over people, written twice: vectorized numpy, and compiled with numba.

numba is optional (`pip install -e ".[fast]"`). When it is installed the compiled versions
(`numerics.kernels_numba`, imported at the first call, so that importing the model does not
load numba) are used; `PURPOSEFUL_NUMBA=0` in the environment turns them off. Both versions
perform the same floating-point operations in the same order, so a run gives the same results
bit for bit with and without numba (tested):

- a dot product of two rows runs over the trailing axis from first to last, in the arrays'
  dtype (float32 for people's state); `numerics.rows.row_dot` is the numpy form;
- sums over rows (per column, or per group) accumulate in float64 in row order, as
  `np.bincount` does;
- Python floats enter as float32 where they meet float32 state (numpy's rule for scalars);
- transcendental functions (exp, log) stay in numpy, outside the kernels, because numpy's
  vectorized float32 exp is not the C library's.

A compiled kernel does in one pass over people what the numpy version does in several passes
over temporary arrays; that is the whole speed-up.
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType
from typing import Any

import numpy as np

from numerics.groups import first_within as _first_within_numpy
from numerics.groups import group_argmax
from numerics.groups import group_order as _group_order_numpy
from numerics.rows import matvec as _matvec_rows
from numerics.rows import row_any, row_dot, row_max

A = np.ndarray  # the twins take and return plain arrays
Real = float | np.floating[Any]  # a rate given as a Python float or already as float32

# None until the first kernel call decides: numba is installed and PURPOSEFUL_NUMBA is not "0".
# Tests set it to True or False to run one twin or the other.
COMPILED: bool | None = None

F32 = np.float32


def numba_available() -> bool:
    """Whether numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def _use_compiled() -> bool:
    global COMPILED
    if COMPILED is None:
        COMPILED = os.environ.get("PURPOSEFUL_NUMBA", "1") != "0" and numba_available()
    return COMPILED


def _compiled() -> ModuleType:
    from numerics import kernels_numba

    return kernels_numba


# ---------------------------------------------------------------------------- numpy versions
def _fit_terms_numpy(persons: A, tribe_ids: A, passion: A, purpose: A, skill: A, demand: A,
    memberships: A, tie_to: A, tie_w: A) -> tuple[A, A, A]:
    alignment = row_dot(passion[persons], purpose[tribe_ids])
    skill_use = row_dot(skill[persons], demand[tribe_ids])
    # a slot without a colleague (-1) is in no tribe (an index of -1 would wrap around)
    targets = tie_to[persons]
    if memberships.shape[1] == 1:
        member = memberships[targets, 0] == tribe_ids[:, None]
    else:
        member = row_any_last(memberships[targets] == tribe_ids[:, None, None])
    in_tribe = ((targets >= 0) & member).astype(np.float32)
    tie_weight = row_dot(tie_w[persons], in_tribe)
    return alignment, skill_use, tie_weight


def _learn_numpy(skill: A, active: A, engagement: A, tribe: A, demand: A, threshold: Real,
    practice_rate: float, doing_rate: float, forgetting: float, obsolescence: float) -> A:
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
    forget, obsolete, width = F32(forgetting), F32(obsolescence), F32(domains)
    for j in range(domains):
        level = skill[:, j]
        gain = np.where(practising[j], push * np.maximum(expert[j] - level, F32(0)), F32(0))
        if doing_rate > 0:
            gain += np.where(member, (pull * demand[tribe, j]) * (F32(1) - level), F32(0))
        use = np.where(member, np.minimum(width * demand[tribe, j], F32(1)), F32(0))
        loss = np.where(active, level * (obsolete + forget * (F32(1) - use)), F32(0))
        skill[:, j] = np.minimum(np.maximum(level + gain - loss, F32(0)), F32(1))
    return row_max(skill)


def row_any_last(matrix: A) -> A:
    """Whether each (row, column) of a boolean (rows, columns, slots) array has a True."""
    out = matrix[..., 0].copy()
    for slot in range(1, matrix.shape[-1]):
        out |= matrix[..., slot]
    return out


def _sum_in_order(values: A) -> float:
    # bincount adds its weights one after the other in float64, like the compiled loop
    # (sum() adds pairwise)
    if len(values) == 0:
        return 0.0
    return np.bincount(np.zeros(len(values), dtype=np.intp), weights=values, minlength=1)[0]


def _drift_numpy(passion: A, members: A, purpose: A, tribe: A, rate: Real, origin: A,
    anchor: Real) -> None:
    # column by column: numpy broadcasting over a short trailing axis is slow
    rate, anchor, target = F32(rate), F32(anchor), tribe[members]
    wearing = [passion[members, j] for j in range(passion.shape[1])]
    for j, column in enumerate(wearing):
        column += (rate * (purpose[target, j] - column)
                   + anchor * (origin[members, j] - column))
    square = wearing[0] * wearing[0]
    for column in wearing[1:]:
        square += column * column
    norm = np.sqrt(square)
    for j, column in enumerate(wearing):
        passion[members, j] = np.divide(column, norm, out=column, where=norm > 0)


def _group_weighted_sum_numpy(rows: A, groups: A, values: A, weights: A, n_groups: int) -> A:
    out = np.empty((n_groups, values.shape[1]), dtype=np.float64)
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(groups, weights=values[rows, j] * weights, minlength=n_groups)
    return out


def _group_sums_numpy(rows: A, groups: A, first: A, second: A, n_groups: int
                      ) -> tuple[A, A]:
    ones = np.ones(len(rows), first.dtype)
    return (_group_weighted_sum_numpy(rows, groups, first, ones, n_groups),
            _group_weighted_sum_numpy(rows, groups, second, ones, n_groups))


def _matvec_numpy(matrix: A, vector: A, out: A) -> A:
    out[:] = _matvec_rows(matrix, vector)
    return out


def _mixed_dot_numpy(left: A, rows: A, right: A, right_rows: A) -> A:
    """Dot of float32 rows `left[rows]` with float64 rows `right[right_rows]`, in float64."""
    a, b = left[rows], right[right_rows]
    out = a[:, 0] * b[:, 0]
    for column in range(1, a.shape[1]):
        out += a[:, column] * b[:, column]
    return out


def _dot_at_numpy(left: A, rows: A, right: A, right_rows: A, out: A) -> A:
    out[:] = row_dot(left[rows], right[right_rows])
    return out


def _strengthen_ties_numpy(tie_to: A, tie_w: A, workers: A, partners: A, growth: Real) -> None:
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


def _best_candidates_numpy(seen: A, slots: A, item_purpose: A, tribe_purpose: A,
    item_needs: A, tribe_profile: A, previous: A) -> tuple[A, A]:
    purpose, profile = tribe_purpose[slots], tribe_profile[slots]
    score = np.empty(seen.shape, dtype=np.float32)
    for j in range(seen.shape[1]):
        score[:, j] = (row_dot(item_purpose[seen[:, j]], purpose)
                       + row_dot(item_needs[seen[:, j]], profile))
        score[previous[seen[:, j]] == slots, j] = -np.inf
    pick = score.argmax(axis=1)
    row = np.arange(len(slots))
    return seen[row, pick], score[row, pick]


def _group_argmax_rows_numpy(rows: A, groups: A, values: A, n_groups: int) -> A:
    if len(rows) == 0:
        return np.full(n_groups, -1, dtype=np.int64)
    winner = group_argmax(groups, values[rows], n_groups)
    return np.where(winner >= 0, rows[np.maximum(winner, 0)], -1)


def _comembers_numpy(persons: A, tribe: A, order: A, start: A, count: A, uniform: A) -> A:
    group = tribe[persons] + 1
    indexed = group < len(count)  # groups created since the index was built are not in it
    group = np.where(indexed, group, 0)
    size = count[group]
    pick = start[group] + (uniform * size).astype(np.int64)
    peer = np.where(size > 0, order[np.minimum(pick, len(order) - 1)], -1)
    ok = (peer >= 0) & (peer != persons) & (group > 0) & indexed
    ok &= tribe[np.maximum(peer, 0)] == tribe[persons]
    return np.where(ok, peer, -1)


# ---------------------------------------------------------------------------- the interface
def fit_terms(persons: np.ndarray, tribe_ids: np.ndarray, passion: np.ndarray,
              purpose: np.ndarray, skill: np.ndarray, demand: np.ndarray,
              memberships: np.ndarray, tie_to: np.ndarray, tie_w: np.ndarray
              ) -> tuple[np.ndarray, ...]:
    """Each person's alignment with a tribe's purpose, the use of their skills by its demand,
    and the weight of their ties into it (to colleagues with a membership, a slot of
    `memberships` (people x slots), in that tribe).

    Returns:
        (alignment, skill_use, tie_weight), float32, one per person.
    """
    kernel = _compiled().fit_terms if _use_compiled() else _fit_terms_numpy
    return kernel(persons, tribe_ids, passion, purpose, skill, demand, memberships, tie_to,
                  tie_w)


def learn(skill: np.ndarray, active: np.ndarray, engagement: np.ndarray, tribe: np.ndarray,
          demand: np.ndarray, threshold: Real, practice_rate: float, doing_rate: float,
          forgetting: float = 0.0, obsolescence: float = 0.0) -> np.ndarray:
    """Change `skill` in place (practice communities and tribe work teach; disuse and the
    market's turn erode); return each row's top skill.

    The expert level of domain k is the skill-weighted mean skill of the active people at or
    above `threshold` in k (float64 sums, then float32). An active person loses
    s (obsolescence + forgetting (1 - use)) of each skill, use = min(K delta_tk, 1) for a
    member of tribe t (0 for the unaffiliated).
    """
    kernel = _compiled().learn if _use_compiled() else _learn_numpy
    return kernel(skill, active, engagement, tribe, demand, F32(threshold), practice_rate,
                  doing_rate, forgetting, obsolescence)


def drift(passion: np.ndarray, members: np.ndarray, purpose: np.ndarray, tribe: np.ndarray,
          rate: Real, origin: np.ndarray, anchor: Real) -> None:
    """Move each member's passion toward their tribe's purpose by `rate` and back toward their
    original passion `origin` by `anchor`, then renormalize it (in place):
    p <- norm(p + rate (pi - p) + anchor (p0 - p))."""
    kernel = _compiled().drift if _use_compiled() else _drift_numpy
    kernel(passion, members, purpose, tribe, rate, origin, anchor)


def group_weighted_sum(rows: np.ndarray, groups: np.ndarray, values: np.ndarray,
                       weights: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the float64 sum of `values[rows[r]] * weights[r]` over the r in the group
    (products in the inputs' dtype), in the order of `rows`."""
    kernel = _compiled().group_weighted_sum if _use_compiled() else _group_weighted_sum_numpy
    return kernel(rows, groups, values, weights, n_groups)


def group_sums(rows: np.ndarray, groups: np.ndarray, first: np.ndarray, second: np.ndarray,
               n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the float64 sums of `first[rows[r]]` and of `second[rows[r]]` over the r in
    the group, in the order of `rows` (`group_weighted_sum` with weights 1, of two arrays in
    one pass)."""
    kernel = _compiled().group_sums if _use_compiled() else _group_sums_numpy
    return kernel(rows, groups, first, second, n_groups)


def matvec(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`matrix @ vector` summed from the first column to the last, in their result dtype
    (`numerics.rows.matvec`, its numpy version), in one pass over the matrix's rows."""
    out = np.empty(len(matrix), np.result_type(matrix.dtype, vector.dtype))
    kernel = _compiled().matvec if _use_compiled() else _matvec_numpy
    return kernel(matrix, vector, out)


def mixed_dot(left: np.ndarray, rows: np.ndarray, right: np.ndarray,
              right_rows: np.ndarray) -> np.ndarray:
    """Float64 dot products of float32 rows `left[rows]` with float64 rows `right[right_rows]`."""
    kernel = _compiled().mixed_dot if _use_compiled() else _mixed_dot_numpy
    return kernel(left, rows, right, right_rows)


def dot_at(left: np.ndarray, rows: np.ndarray, right: np.ndarray,
           right_rows: np.ndarray) -> np.ndarray:
    """Dot products of rows `left[rows]` with rows `right[right_rows]` (`row_dot` of the two
    gathered blocks, in their result dtype), without gathering the blocks."""
    out = np.empty(len(rows), np.result_type(left.dtype, right.dtype))
    if len(rows) == 0:
        return out
    kernel = _compiled().dot_at if _use_compiled() else _dot_at_numpy
    return kernel(left, rows, right, right_rows, out)


def strengthen_ties(tie_to: np.ndarray, tie_w: np.ndarray, workers: np.ndarray,
                    partners: np.ndarray, growth: Real) -> None:
    """Each worker's tie to their partner grows by `growth` toward 1; a new partner takes the
    weakest slot if that tie is weaker than `growth` (in place; `workers` are distinct)."""
    kernel = _compiled().strengthen_ties if _use_compiled() else _strengthen_ties_numpy
    kernel(tie_to, tie_w, workers, partners, growth)


def best_candidates(seen: np.ndarray, slots: np.ndarray, item_purpose: np.ndarray,
                    tribe_purpose: np.ndarray, item_needs: np.ndarray,
                    tribe_profile: np.ndarray, previous: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each free slot (a tribe) and its row of candidate items `seen`, the best candidate
    by purpose alignment plus skill match (the first on ties), and its score (float32). A
    candidate whose `previous` tribe is the slot's scores -inf (a tribe does not take the
    part it handed off); a slot with only such candidates returns its first with -inf."""
    kernel = _compiled().best_candidates if _use_compiled() else _best_candidates_numpy
    return kernel(seen, slots, item_purpose, tribe_purpose, item_needs, tribe_profile,
                  previous)


def group_argmax_rows(rows: np.ndarray, groups: np.ndarray, values: np.ndarray,
                      n_groups: int) -> np.ndarray:
    """Per group, the row of `rows` with the largest `values[row]` (the first on ties; -1 for
    an empty group)."""
    kernel = _compiled().group_argmax_rows if _use_compiled() else _group_argmax_rows_numpy
    return kernel(rows, groups, values, n_groups)


def comembers(persons: np.ndarray, tribe: np.ndarray, order: np.ndarray, start: np.ndarray,
              count: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """A co-member of each person drawn with `uniform` (one U[0, 1) per person) from a
    membership index `group_order(tribe + 1)`: -1 if unaffiliated, alone, the draw is the
    person, the drawn person has moved since, or the tribe is newer than the index."""
    kernel = _compiled().comembers if _use_compiled() else _comembers_numpy
    return kernel(persons, tribe, order, start, count, uniform)


def first_within(groups: np.ndarray, keys: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Whether each row is among the first `quota[group]` rows of its group, ordered by `keys`
    and then by row (`arrays.first_within` is the numpy version)."""
    if not _use_compiled():
        return _first_within_numpy(groups, keys, quota)
    return _compiled().first_within(groups, keys, np.asarray(quota, dtype=np.int64))


def group_order(groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows sorted by group, stably, in O(n): (order, start, count) as
    `numerics.groups.group_order` (its numpy version) returns them (a counting sort)."""
    if not _use_compiled():
        return _group_order_numpy(groups, n_groups)
    return _compiled().group_order(np.asarray(groups, dtype=np.int64), n_groups)


def _stage_counts_numpy(stage: A, tribe: A, first_stage: int, n_tribes: int,
                        n_stages: int) -> A:
    rows = np.flatnonzero(stage >= first_stage)
    key = tribe[rows].astype(np.int64) * n_stages + stage[rows]
    counts: np.ndarray = np.bincount(key, minlength=n_stages * n_tribes)[
        : n_stages * n_tribes].reshape(n_tribes, n_stages)
    return counts


def stage_counts(stage: np.ndarray, tribe: np.ndarray, first_stage: int, n_tribes: int,
                 n_stages: int) -> np.ndarray:
    """(n_tribes, n_stages) count of the rows in each tribe and stage, over the rows whose
    stage is `first_stage` or later (the others are on no tribe's board)."""
    kernel = _compiled().stage_counts if _use_compiled() else _stage_counts_numpy
    return kernel(stage, tribe, first_stage, n_tribes, n_stages)


def _rows_by_key_numpy(rows: A, key: A) -> A:
    ordered: np.ndarray = rows[np.argsort(key[rows], kind="stable")]
    return ordered


def rows_by_key(rows: np.ndarray, key: np.ndarray) -> np.ndarray:
    """`rows` sorted stably by their integer `key` (in the given order on ties): a counting
    sort when the keys are close together, as a backlog's ages are."""
    kernel = _compiled().rows_by_key if _use_compiled() else _rows_by_key_numpy
    return kernel(rows, key)


def _age_items_numpy(stage: A, part: A, since: A, wip_age: A, step: int, shelf_life: int,
                     backlog: int, ready: int) -> A:
    waiting = stage == backlog
    wip_age += (stage >= ready) | (waiting & (part > 0))
    stale: np.ndarray = waiting & (part == 0) & (shelf_life > 0) & (step - since >= shelf_life)
    return stale


def age_items(stage: np.ndarray, part: np.ndarray, since: np.ndarray, wip_age: np.ndarray,
              step: int, shelf_life: int, backlog: int, ready: int) -> np.ndarray:
    """Every item in progress (a part in stage `ready` or later, or a later part waiting in
    the `backlog` stage) ages by a step in `wip_age` (in place); return which first parts in
    the backlog are past their shelf life at `step` (none when `shelf_life` is 0)."""
    kernel = _compiled().age_items if _use_compiled() else _age_items_numpy
    return kernel(stage, part, since, wip_age, step, shelf_life, backlog, ready)


def _effort_by_tribe_numpy(stage: A, tribe: A, remaining: A, first: int, last: int,
                           positive: bool, n_tribes: int) -> A:
    on = (stage >= first) & (stage <= last)
    rows = np.flatnonzero(on & (remaining > 0) if positive else on)
    total: np.ndarray = np.bincount(tribe[rows], weights=remaining[rows],
                                    minlength=n_tribes)[:n_tribes]
    return total


def effort_by_tribe(stage: np.ndarray, tribe: np.ndarray, remaining: np.ndarray, first: int,
                    last: int, positive: bool, n_tribes: int) -> np.ndarray:
    """Per tribe, the float64 sum in row order of `remaining` over the rows whose stage is
    from `first` to `last` (and, if `positive`, whose remaining is above 0), as
    `np.bincount` sums them."""
    kernel = _compiled().effort_by_tribe if _use_compiled() else _effort_by_tribe_numpy
    return kernel(stage, tribe, remaining, first, last, positive, n_tribes)


def _within_room_numpy(effort: A, teams: A, room: A, n_teams: int) -> A:
    effort = effort.astype(np.float64)
    order = np.argsort(teams, kind="stable")
    taken = np.empty(len(teams))
    sorted_team, sorted_effort = teams[order], effort[order]
    total = np.cumsum(sorted_effort)
    new_team = np.empty(len(order), dtype=bool)
    new_team[:1] = True
    np.not_equal(sorted_team[1:], sorted_team[:-1], out=new_team[1:])
    first = np.flatnonzero(new_team)
    start = np.repeat(total[first] - sorted_effort[first], np.diff(first, append=len(order)))
    taken[order] = total - sorted_effort - start
    accept: np.ndarray = taken < room[teams]
    return accept


def within_room(effort: np.ndarray, teams: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Whether each item (in order) fits its team's room (`room`, one per team): within each
    team, in the given order, the effort taken before the item is below the room. The sums:
    a running sum over the items sorted stably by team, less its value before each team's
    first item."""
    if len(teams) == 0:
        return np.zeros(0, dtype=bool)
    kernel = _compiled().within_room if _use_compiled() else _within_room_numpy
    return kernel(effort, teams, room, len(room))

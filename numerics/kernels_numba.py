"""The compiled twins of `numerics.kernels`: the same loops, compiled with numba.

Imported only when a kernel is first called with numba in use (see `numerics.kernels`), so
that importing the model does not load numba. Each function performs the same floating-point
operations in the same order as its numpy twin, so results agree bit for bit.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

A = np.ndarray  # the twins take and return plain arrays
Real = float | np.floating[Any]  # a rate given as a Python float or already as float32

_jit = numba.njit(cache=True, nogil=True)

@_jit
def _member(memberships: A, person: int, tribe: int) -> bool:
    hit = False  # without branches: a tie's target is a member or not at random
    for m in range(memberships.shape[1]):
        hit |= memberships[person, m] == tribe
    return hit

@_jit
def fit_terms(persons: A, tribe_ids: A, passion: A, purpose: A, skill: A, demand: A,
    memberships: A, tie_to: A, tie_w: A) -> tuple[A, A, A]:
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
        # a slot without a colleague (-1) is in no tribe (an index of -1 would wrap around)
        target = tie_to[i, 0]
        w = tie_w[i, 0] * np.float32((target >= 0) & _member(memberships, max(target, 0), t))
        for j in range(1, tie_to.shape[1]):
            target = tie_to[i, j]
            w += tie_w[i, j] * np.float32((target >= 0)
                                          & _member(memberships, max(target, 0), t))
        tie_weight[r] = w
    return alignment, skill_use, tie_weight

@_jit
def learn(skill: A, active: A, engagement: A, tribe: A, demand: A, threshold: Real,
    practice_rate: float, doing_rate: float, forgetting: float, obsolescence: float) -> A:
    # without branches on a skill's level (adding 0.0 or 0 gain changes no bits), and with
    # the tribe's test taken per person: a random branch per skill costs more than the sums
    n, k = skill.shape
    zero, one = np.float32(0), np.float32(1)
    mass = np.zeros(k)
    weighted = np.zeros(k)
    for i in range(n):
        if active[i]:
            for j in range(k):
                s = skill[i, j]
                counted = np.float64(s >= threshold)
                mass[j] += np.float64(s) * counted
                weighted[j] += np.float64(s * s) * counted
    expert = np.zeros(k, np.float32)
    for j in range(k):
        if mass[j] > 0:
            expert[j] = np.float32(weighted[j] / mass[j])
    top = np.empty(n, np.float32)
    push_rate, pull_rate = np.float32(practice_rate), np.float32(doing_rate)
    forget, obsolete, width = np.float32(forgetting), np.float32(obsolescence), np.float32(k)
    pulling = doing_rate > 0
    for i in range(n):
        push = push_rate * engagement[i]
        pull = pull_rate * engagement[i]
        t = tribe[i]
        on = active[i]
        best = zero
        if t >= 0:
            for j in range(k):
                s = skill[i, j]
                gain = zero
                if on:
                    gain = push * max(expert[j] - s, zero) * np.float32(s >= threshold)
                if pulling:
                    gain += (pull * demand[t, j]) * (one - s)
                use = min(width * demand[t, j], one)
                loss = s * (obsolete + forget * (one - use)) if on else zero
                s = min(max(s + gain - loss, zero), one)
                skill[i, j] = s
                best = s if j == 0 else max(best, s)
        else:  # use 0
            for j in range(k):
                s = skill[i, j]
                gain = zero
                loss = zero
                if on:
                    gain = push * max(expert[j] - s, zero) * np.float32(s >= threshold)
                    loss = s * (obsolete + forget * one)
                s = min(max(s + gain - loss, zero), one)
                skill[i, j] = s
                best = s if j == 0 else max(best, s)
        top[i] = best
    return top

@_jit
def drift(passion: A, members: A, purpose: A, tribe: A, rate: Real, origin: A,
          anchor: Real) -> None:
    rate, anchor = np.float32(rate), np.float32(anchor)
    k = passion.shape[1]
    wearing = np.empty(k, np.float32)
    for i in members:
        t = tribe[i]
        for j in range(k):
            wearing[j] = passion[i, j] + (rate * (purpose[t, j] - passion[i, j])
                                          + anchor * (origin[i, j] - passion[i, j]))
        square = wearing[0] * wearing[0]
        for j in range(1, k):
            square += wearing[j] * wearing[j]
        norm = np.sqrt(square)
        for j in range(k):
            passion[i, j] = wearing[j] / norm if norm > 0 else wearing[j]

@_jit
def group_weighted_sum(rows: A, groups: A, values: A, weights: A, n_groups: int) -> A:
    out = np.zeros((n_groups, values.shape[1]))
    for r in range(len(groups)):
        i, g, w = rows[r], groups[r], weights[r]
        for j in range(values.shape[1]):
            out[g, j] += np.float64(values[i, j] * w)
    return out

@_jit
def group_sums(rows: A, groups: A, first: A, second: A, n_groups: int) -> tuple[A, A]:
    out_first = np.zeros((n_groups, first.shape[1]))
    out_second = np.zeros((n_groups, second.shape[1]))
    for r in range(len(groups)):
        i, g = rows[r], groups[r]
        for j in range(first.shape[1]):
            out_first[g, j] += np.float64(first[i, j])
        for j in range(second.shape[1]):
            out_second[g, j] += np.float64(second[i, j])
    return out_first, out_second

@_jit
def matvec(matrix: A, vector: A, out: A) -> A:
    for i in range(matrix.shape[0]):
        s = matrix[i, 0] * vector[0]
        for j in range(1, matrix.shape[1]):
            s += matrix[i, j] * vector[j]
        out[i] = s
    return out

@_jit
def mixed_dot(left: A, rows: A, right: A, right_rows: A) -> A:
    out = np.empty(len(rows))
    for r in range(len(rows)):
        i, t = rows[r], right_rows[r]
        s = np.float64(left[i, 0]) * right[t, 0]
        for j in range(1, left.shape[1]):
            s += np.float64(left[i, j]) * right[t, j]
        out[r] = s
    return out


@_jit
def dot_at(left: A, rows: A, right: A, right_rows: A, out: A) -> A:
    for r in range(len(rows)):
        i, t = rows[r], right_rows[r]
        s = left[i, 0] * right[t, 0]
        for j in range(1, left.shape[1]):
            s += left[i, j] * right[t, j]
        out[r] = s
    return out


@_jit
def strengthen_ties(tie_to: A, tie_w: A, workers: A, partners: A, growth: Real) -> None:
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
def best_candidates(seen: A, slots: A, item_purpose: A, tribe_purpose: A, item_needs: A,
    tribe_profile: A, previous: A) -> tuple[A, A]:
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
            if previous[i] == t:
                score = np.float32(-np.inf)
            if c == 0 or score > best[r]:
                claimed[r], best[r] = i, score
    return claimed, best


@_jit
def first_within(groups: A, keys: A, quota: A) -> A:
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
def group_argmax_rows(rows: A, groups: A, values: A, n_groups: int) -> A:
    winner = np.full(n_groups, -1, np.int64)
    best = np.empty(n_groups, values.dtype)
    for r in range(len(rows)):
        g, v = groups[r], values[rows[r]]
        if winner[g] < 0 or v > best[g]:
            winner[g], best[g] = rows[r], v
    return winner

@_jit
def comembers(persons: A, tribe: A, order: A, start: A, count: A, uniform: A) -> A:
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

@_jit
def group_order(groups: A, n_groups: int) -> tuple[A, A, A]:
    count = np.zeros(n_groups, np.int64)
    for g in groups:
        count[g] += 1
    start = np.zeros(n_groups, np.int64)
    for g in range(1, n_groups):
        start[g] = start[g - 1] + count[g - 1]
    order = np.empty(len(groups), np.int64)
    at = start.copy()
    for r in range(len(groups)):
        order[at[groups[r]]] = r
        at[groups[r]] += 1
    return order, start, count

@_jit
def stage_counts(stage: A, tribe: A, first_stage: int, n_tribes: int, n_stages: int) -> A:
    counts = np.zeros((n_tribes, n_stages), np.int64)
    for r in range(len(stage)):
        if stage[r] >= first_stage:
            counts[tribe[r], stage[r]] += 1
    return counts

@_jit
def rows_by_key(rows: A, key: A) -> A:
    count = len(rows)
    if count == 0:
        return rows.copy()
    low, high = key[rows[0]], key[rows[0]]
    for r in rows:
        low = min(low, key[r])
        high = max(high, key[r])
    span = np.int64(high) - np.int64(low) + 1
    if span > 4 * count + 1024:  # keys too spread for a counting sort
        return rows[np.argsort(key[rows], kind="mergesort")]
    start = np.zeros(span + 1, np.int64)
    for r in rows:
        start[np.int64(key[r]) - low + 1] += 1
    for k in range(span):
        start[k + 1] += start[k]
    ordered = np.empty(count, rows.dtype)
    for r in rows:
        k = np.int64(key[r]) - low
        ordered[start[k]] = r
        start[k] += 1
    return ordered

@_jit
def age_items(stage: A, part: A, since: A, wip_age: A, step: int, shelf_life: int,
              backlog: int, ready: int) -> A:
    stale = np.zeros(len(stage), np.bool_)
    for r in range(len(stage)):
        waiting = stage[r] == backlog
        wip_age[r] += (stage[r] >= ready) | (waiting & (part[r] > 0))
        stale[r] = waiting & (part[r] == 0) & (shelf_life > 0) & (step - since[r] >= shelf_life)
    return stale

@_jit
def effort_by_tribe(stage: A, tribe: A, remaining: A, first: int, last: int,
                    positive: bool, n_tribes: int) -> A:
    out = np.zeros(n_tribes)
    for r in range(len(stage)):
        if first <= stage[r] <= last and (remaining[r] > 0 or not positive):
            out[tribe[r]] += np.float64(remaining[r])
    return out

@_jit
def within_room(effort: A, teams: A, room: A, n_teams: int) -> A:
    # the numpy twin's sums, in its order: a running sum over the items sorted stably by team,
    # from which each team's sum before its first item is taken away
    count = np.zeros(n_teams + 1, np.int64)
    for t in teams:
        count[t + 1] += 1
    for t in range(n_teams):
        count[t + 1] += count[t]
    order = np.empty(len(teams), np.int64)
    for r in range(len(teams)):
        order[count[teams[r]]] = r
        count[teams[r]] += 1
    accept = np.empty(len(teams), np.bool_)
    total = 0.0
    base = 0.0
    for q in range(len(order)):
        r = order[q]
        e = np.float64(effort[r])
        total += e
        if q == 0 or teams[order[q - 1]] != teams[r]:
            base = total - e
        accept[r] = total - e - base < room[teams[r]]
    return accept

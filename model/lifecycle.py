"""The tribe life cycle: tribes dissolve when too small, split when too large or too divided,
and merge when their purposes converge. Applies under every governance rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.arrays import normalize_rows, rank_within, row_dot

if TYPE_CHECKING:
    from model.organization import Organization


def dissolve(m: Organization) -> None:
    """End empty tribes, and tribes below `min_tribe_size` once past their grace period."""
    tribes, cfg = m.tribes, m.cfg
    living = tribes.living()
    size = tribes.size[living]
    age = m.steps - tribes.founded[living]
    doomed = living[(size == 0) | ((size < cfg.min_tribe_size) & (age >= cfg.grace_period))]
    m.events.add(m.steps, "dissolved", tribes.leader[doomed], doomed, -1, "too small")
    m.end_tribes(doomed, "dissolved")


def split(m: Organization) -> None:
    """Split tribes above `max_tribe_size`, or, where membership is self-organizing (not
    assigned), above `split_division` with room for two tribes of minimum size.

    The member least aligned with the purpose seeds the new tribe's purpose (their passion).
    A divided tribe loses the members who prefer the new purpose; an oversized one loses the
    half that prefers it most.
    """
    p, tribes, cfg = m.people, m.tribes, m.cfg
    living = tribes.living()
    size = tribes.size[living]
    too_big = size > cfg.max_tribe_size
    divided = ((tribes.division[living] > cfg.split_division) & (size >= 2 * cfg.min_tribe_size)
               & m.membership.self_organizing)
    splitting = living[too_big | divided]
    if len(splitting) == 0:
        return
    is_splitting = np.zeros(tribes.n, dtype=bool)
    is_splitting[splitting] = True
    members = np.flatnonzero(p.tribe[: p.n] >= 0)
    members = members[is_splitting[p.tribe[members]]]
    seed = tribes.member_argmax(p, np.where(is_splitting[np.maximum(p.tribe[: p.n], 0)],
                                            -p.alignment[: p.n], -np.inf))[splitting]
    new_ids = m.tribes.create(p.passion[seed], m.steps, origin=2, parents=splitting,
                              overhead=m.leadership.overhead(cfg))
    new_of = np.full(tribes.n, -1, dtype=np.int64)
    new_of[splitting] = new_ids
    old = p.tribe[members]
    preference = (row_dot(p.passion[members], tribes.purpose[new_of[old]])
                  - row_dot(p.passion[members], tribes.purpose[old]))
    oversized = np.zeros(tribes.n, dtype=bool)
    oversized[living[too_big]] = True
    half_rank = rank_within(old, -preference)
    goes = np.where(oversized[old], half_rank < tribes.size[old] // 2, preference > 0)
    goes |= np.isin(members, seed)
    m.move(members[goes], new_of[old[goes]], "split")
    m.events.add(m.steps, "split", -1, new_ids, splitting, "too large or divided")


def merge(m: Organization) -> None:
    """Tribes whose purposes have converged merge: each tribe compares itself with one other
    random living tribe with probability `merge_check_rate`; at similarity `merge_similarity`
    or more, and a joint size within `max_tribe_size`, the smaller joins the larger (a tribe
    takes part in one merge per step). The merged purpose is the size-weighted mean of the two,
    unless purposes are fixed mandates (then the larger tribe's stays)."""
    p, tribes, cfg, rng = m.people, m.tribes, m.cfg, m.rng
    living = tribes.living()
    if len(living) < 2:
        return
    position = np.flatnonzero(rng.random(len(living)) < cfg.merge_check_rate)
    checking = living[position]
    partner = living[(position + rng.integers(1, len(living), size=len(position))) % len(living)]
    similarity = row_dot(tribes.purpose[checking], tribes.purpose[partner])
    fits = tribes.size[checking] + tribes.size[partner] <= cfg.max_tribe_size
    ok = (similarity >= cfg.merge_similarity) & fits
    low = np.minimum(checking[ok], partner[ok]).astype(np.int64)
    high = np.maximum(checking[ok], partner[ok]).astype(np.int64)
    pairs = np.unique(low * tribes.n + high)  # each pair once, in (low, high) order
    a, b = pairs // tribes.n, pairs % tribes.n
    involved = np.bincount(np.concatenate([a, b]), minlength=tribes.n)
    once = (involved[a] == 1) & (involved[b] == 1)
    a, b = a[once], b[once]
    if len(a) == 0:
        return
    a_larger = (tribes.size[a] > tribes.size[b]) | ((tribes.size[a] == tribes.size[b]) & (a < b))
    keeper, absorbed = np.where(a_larger, a, b), np.where(a_larger, b, a)
    weight_k = tribes.size[keeper][:, None].astype(np.float32)
    weight_a = tribes.size[absorbed][:, None].astype(np.float32)
    if m.purpose.mutable:
        tribes.purpose[keeper] = normalize_rows(weight_k * tribes.purpose[keeper]
                                                + weight_a * tribes.purpose[absorbed])
    into = np.full(tribes.n, -1, dtype=np.int64)
    into[absorbed] = keeper
    members = np.flatnonzero(p.tribe[: p.n] >= 0)
    members = members[into[p.tribe[members]] >= 0]
    m.move(members, into[p.tribe[members]], "merged")
    items = m.board.items
    on_board = np.flatnonzero(items.stage[: items.n] >= 1)
    moving = on_board[into[items.tribe[on_board]] >= 0]
    items.tribe[moving] = into[items.tribe[moving]]
    limits = m.work.limits(m)
    if limits is not None:
        m.board.enforce_limits(limits, m.steps)
    m.events.add(m.steps, "merged", -1, keeper, absorbed, "converged purposes")
    m.end_tribes(absorbed, "merged")

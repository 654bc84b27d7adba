"""The tribe life cycle: tribes dissolve when too small, split when too large or too divided,
and merge when their purposes converge. Applies under every governance rule; what the rules
allow (self-organized splits, a merged purpose, WIP limits on the joined board) is asked of
the policy that owns it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.person import NO_TRIBE
from agents.tribe import Origin
from model.kanban import READY
from model.parameters import Params, param
from numerics.groups import rank_within
from numerics.rows import normalize_rows, row_dot

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class LifecycleParams(Params):
    """When tribes dissolve, split and merge."""

    group = "lifecycle"

    min_tribe_size: int = param(3, "size below which a tribe dissolves after its grace "
                                "period", 1, 1_000_000)
    grace_period: int = param(8, "steps a new tribe has to reach the minimum size", 0,
                              1_000_000)
    max_tribe_size: int = param(25, "size above which a tribe splits", 2, 10_000_000)
    split_division: float = param(0.55, "division above which a tribe splits", 0, 1)
    merge_similarity: float = param(0.97, "purpose similarity at which two tribes merge", 0, 1)
    merge_check_rate: float = param(0.05, "probability a tribe compares itself with another",
                                    0, 1)


def dissolve(s: State) -> None:
    """End empty tribes, and tribes below `min_tribe_size` once past their grace period."""
    tribes, cfg = s.tribes, s.cfg
    living = tribes.living()
    size = tribes.size[living]
    age = s.clock - tribes.founded[living]
    doomed = living[(size == 0) | ((size < cfg.min_tribe_size) & (age >= cfg.grace_period))]
    s.events.add(s.clock, "dissolved", tribes.leader[doomed], doomed, -1, "too small")
    s.end_tribes(doomed, "dissolved")


def split(s: State, rules: Rules) -> None:
    """Split tribes above `max_tribe_size`, or, where membership self-organizes, above
    `split_division` with room for two tribes of minimum size.

    The member least aligned with the purpose seeds the new tribe's purpose (their passion).
    With preference D_i = p_i . pi_new - p_i . pi_old, a divided tribe loses the members with
    D_i > 0, an oversized one the half with the largest D_i (the seed always goes).
    """
    p, tribes, cfg = s.people, s.tribes, s.cfg
    living = tribes.living()
    size = tribes.size[living]
    too_big = size > cfg.max_tribe_size
    divided = ((tribes.division[living] > cfg.split_division) & (size >= 2 * cfg.min_tribe_size)
               & rules.membership.self_organizing())
    splitting = living[too_big | divided]
    if len(splitting) == 0:
        return
    is_splitting = np.zeros(tribes.n, dtype=bool)
    is_splitting[splitting] = True
    flat, members, old = p.pairs()
    score = np.full(p.n * p.width, -np.inf, dtype=np.float32)
    score[flat] = np.where(is_splitting[old], -p.flat("alignment_m")[flat], -np.inf)
    seed = tribes.member_argmax(p, score, per_membership=True)[splitting]
    inside = is_splitting[old]
    members, old = members[inside], old[inside]
    new_ids = s.create_tribes(p.passion[seed], Origin.SPLIT, parents=splitting,
                              overhead=rules.leadership.overhead())
    new_of = np.full(tribes.n, NO_TRIBE, dtype=np.int64)
    new_of[splitting] = new_ids
    preference = (row_dot(p.passion[members], tribes.purpose[new_of[old]])
                  - row_dot(p.passion[members], tribes.purpose[old]))
    oversized = np.zeros(tribes.n, dtype=bool)
    oversized[living[too_big]] = True
    half_rank = rank_within(old, -preference)
    goes = np.where(oversized[old], half_rank < tribes.size[old] // 2, preference > 0)
    seed_of = np.full(tribes.n, -1, dtype=np.int64)
    seed_of[splitting] = seed
    goes |= members == seed_of[old]
    s.move(members[goes], new_of[old[goes]], "split", leaving=old[goes])
    s.events.add(s.clock, "split", -1, new_ids, splitting, "too large or divided")


def merge(s: State, rules: Rules) -> None:
    """Tribes whose purposes have converged merge.

    Each tribe compares itself with one other random living tribe with probability
    `merge_check_rate`; at similarity `merge_similarity` or more, and a joint size within
    `max_tribe_size`, the smaller joins the larger (a tribe takes part in one merge per step).
    The merged purpose is the size-weighted mean of the two, which the purpose policy adopts
    (a fixed mandate keeps the larger tribe's); the absorbed tribe's items move to the
    keeper's board, within the work policy's WIP limits.
    """
    p, tribes, cfg, rng = s.people, s.tribes, s.cfg, s.rng
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
    rules.purpose.adopt(s, keeper, normalize_rows(weight_k * tribes.purpose[keeper]
                                                  + weight_a * tribes.purpose[absorbed]))
    into = np.full(tribes.n, NO_TRIBE, dtype=np.int64)
    into[absorbed] = keeper
    _, members, tribe = p.pairs()
    moving = into[tribe] >= 0
    s.move(members[moving], into[tribe[moving]], "merged", leaving=tribe[moving])
    items = s.board.items
    on_board = np.flatnonzero(items.stage[: items.n] >= READY)
    moving = on_board[into[items.tribe[on_board]] >= 0]
    items.tribe[moving] = into[items.tribe[moving]]
    limits = rules.work.limits()
    if limits is not None:
        s.board.enforce_limits(limits, s.clock)
    s.events.add(s.clock, "merged", -1, keeper, absorbed, "converged purposes")
    s.end_tribes(absorbed, "merged")


def decide(s: State, rules: Rules) -> None:
    """Tribes dissolve, split and merge."""
    dissolve(s)
    split(s, rules)
    merge(s, rules)

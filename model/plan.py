"""The step plan: the ordered, named phases of one observe-orient-decide-act cycle.

Each phase is a function of the model, vectorized over people, tribes or items. `PLAN` is the
order the model runs them in; `profile` times each phase.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents import kernels
from agents.arrays import group_order, row_dot
from model import lifecycle
from model.kanban import DOING, READY, REVIEW
from model.metrics import measure

if TYPE_CHECKING:
    import pandas as pd

    from model.organization import Organization


@dataclass(frozen=True)
class Phase:
    """One named phase of the step."""

    stage: str
    name: str
    function: Callable[[Organization], None]

    @property
    def label(self) -> str:
        """"stage.name", as shown by the profiler."""
        return f"{self.stage}.{self.name}"

    def run(self, m: Organization) -> None:
        """Run the phase on model `m`."""
        self.function(m)


# ---------------------------------------------------------------------- market
def arrivals(m: Organization) -> None:
    """The market's demand drifts and new items arrive in the backlog."""
    m.board.reset_step()
    m.market.drift(m.rng)
    m.arrived_step = m.market.arrive(m.rng, m.board, int(m.people.active[: m.people.n].sum()),
                                     m.steps)


# ---------------------------------------------------------------------- observe
def observe(m: Organization) -> None:
    """Each person perceives their fit; tribes perceive their load and division."""
    p, tribes, board = m.people, m.tribes, m.board
    items = board.items
    open_rows = np.flatnonzero((items.stage[: items.n] == READY)
                               | (items.stage[: items.n] == DOING))
    open_effort = np.bincount(items.tribe[open_rows], weights=items.remaining[open_rows],
                              minlength=tribes.n)[: tribes.n]
    tribes.observe(p, open_effort, m.cfg)
    p.observe(tribes, m.cfg)
    tribes.assess_division(p)
    tribes.overhead[: tribes.n] = m.leadership.overhead(m.cfg)
    active = p.active[: p.n]
    m.reputation_ref = float(p.reputation[: p.n][active].mean()) + 1e-6 if active.any() else 1.0
    m.membership_index = group_order(p.tribe[: p.n] + 1, tribes.n + 1)


# ---------------------------------------------------------------------- orient
def orient(m: Organization) -> None:
    """Engagement moves toward fit; practice spreads skills; passions drift to purposes."""
    m.people.orient(m.tribes, m.cfg)


# ---------------------------------------------------------------------- decide
def membership(m: Organization) -> None:
    """The membership policy: voluntary moves, then placement of the unaffiliated."""
    m.membership.decide(m)
    p = m.people
    m.membership.place(m, np.flatnonzero(p.active[: p.n] & (p.tribe[: p.n] < 0)))


def exits(m: Organization) -> None:
    """People leave the organization with a probability that grows with the gap between their
    outside option and their commitment."""
    p = m.people
    probability, disengaged = p.exit_probability(m.cfg)
    leavers = np.flatnonzero(m.rng.random(p.n) < probability)
    m.move(leavers, np.full(len(leavers), -1, dtype=np.int32), "exit")
    p.active[leavers] = False
    p.exit_step[leavers] = m.steps
    p.exit_reason[leavers] = np.where(disengaged[leavers], 2, 1)
    for code, reason in ((1, "attrition"), (2, "disengaged")):
        m.events.add(m.steps, "exited", leavers[p.exit_reason[leavers] == code], -1, -1, reason)
    m.leavers = leavers


def leadership(m: Organization) -> None:
    """Champions are picked, the leadership policy chooses leaders, and leadership quality is
    assessed."""
    p, tribes = m.people, m.tribes
    tribes.pick_champions(p, m.market.demand)
    m.leadership.select(m)
    m.leadership.quality(m)


def life_cycle(m: Organization) -> None:
    """Tribes dissolve, split and merge."""
    lifecycle.dissolve(m)
    lifecycle.split(m)
    lifecycle.merge(m)


def purpose(m: Organization) -> None:
    """The purpose policy refines, re-orients or pivots purposes."""
    m.purpose.update(m)


def conflict(m: Organization) -> None:
    """Tribes divided beyond `conflict_threshold` are in conflict; the conflict policy
    resolves it."""
    tribes = m.tribes
    living = tribes.living()
    in_conflict = (tribes.size[living] >= 2) & (tribes.division[living] > m.cfg.conflict_threshold)
    tribes.conflict[: tribes.n] = False
    tribes.conflict[living[in_conflict]] = True
    conflicted = living[in_conflict]
    m.events.add(m.steps, "conflict", -1, conflicted, -1, m.cfg.conflict)
    if len(conflicted):
        m.conflict.resolve(m, conflicted)


# ---------------------------------------------------------------------- act
def work(m: Organization) -> None:
    """Members put effort into their tribe's items in doing; contributions earn reputation;
    working together grows ties; champions raise effectiveness.

    effort e_i = engagement_i * (1 - overhead_t); a tribe's per-step capacity is
    C_t = E_t * eff_t / (1 + c (n_t - 1)) with E_t = sum of e_i; an item j in doing gets
    C_t * mu_t / d_t * (needs_j . S_t), where d_t items share the work, mu_t =
    1 / (1 + switch_cost max(d_t / n_t - 1, 0)) is lost to switching between items when members
    juggle more than one each, and S_t is the effort-weighted skill profile.
    """
    p, tribes, board, cfg = m.people, m.tribes, m.board, m.cfg
    n, nt = p.n, tribes.n
    members = np.flatnonzero(p.tribe[:n] >= 0)
    t = p.tribe[members]
    effort = p.engagement[members] * (1.0 - np.minimum(tribes.overhead[t], 1.0))
    total_effort = np.bincount(t, weights=effort, minlength=nt)
    size = tribes.size[:nt]
    per_capita = 1.0 / (1.0 + cfg.coordination_cost * np.maximum(size - 1, 0))
    capacity = total_effort * per_capita * tribes.effectiveness[:nt]
    tribes.capacity[:nt] = capacity
    profile = kernels.group_weighted_sum(members, t, p.skill, effort, nt)
    profile /= np.maximum(total_effort, 1e-12)[:, None]

    items = board.items
    doing = board.in_stage(DOING)
    doing = doing[items.remaining[doing] > 0]
    d = np.bincount(items.tribe[doing], minlength=nt)[:nt]
    per_member = np.divide(d, size, out=np.zeros(nt), where=size > 0)
    multitask = 1.0 / (1.0 + cfg.switch_cost * np.maximum(per_member - 1.0, 0.0))
    rate = np.divide(capacity * multitask, d, out=np.zeros(nt), where=d > 0)
    it = items.tribe[doing]
    match = kernels.mixed_dot(items.needs, doing, profile, it)
    items.remaining[doing] -= (rate[it] * match).astype(np.float32)

    # each member's share of that progress: e_i * (C_t / E_t) * mu_t * (s_i . mean needs_t)
    needs = kernels.group_weighted_sum(doing, it, items.needs, np.ones(len(doing), np.float32),
                                       nt)
    mean_needs = np.divide(needs, d[:, None],
                           out=np.zeros((nt, cfg.domains)), where=d[:, None] > 0)
    unit = np.divide(capacity * multitask, total_effort, out=np.zeros(nt),
                     where=total_effort > 0)
    contribution = np.zeros(n, dtype=np.float32)
    contribution[members] = effort * unit[t] * kernels.mixed_dot(p.skill, members, mean_needs, t)
    p.contribution[:n] = contribution
    p.contribution_total[:n] += contribution
    p.reputation[:n] += contribution - cfg.reputation_decay * p.reputation[:n]
    working = d > 0
    tribes.demand[:nt][working] = (0.8 * tribes.demand[:nt][working]
                                   + 0.2 * mean_needs[working]).astype(np.float32)
    tribes.innovate(p, cfg)

    worker = members[working[t]]
    peer = m.sample_comembers(worker)
    together = peer >= 0
    p.work_together(worker[together], peer[together], cfg)


def flow(m: Organization) -> None:
    """Items move right on the boards (review -> done, doing -> review, ready -> doing) within
    WIP limits, then tribes take in new work; backlog items past their shelf life expire."""
    tribes, board, cfg, rng = m.tribes, m.board, m.cfg, m.rng
    items = board.items
    nt = tribes.n
    limits = m.work.limits(m)

    # review -> done: each tribe of two or more confirms about review_rate * size items
    review = board.in_stage(REVIEW)
    size = tribes.size[:nt]
    quota = np.floor(cfg.review_rate * size + rng.random(nt)).astype(np.int64)
    quota[size < 2] = 0
    if len(review):
        done = review[kernels.first_within(items.tribe[review], items.since[review], quota)]
        t = items.tribe[done]
        lead = items.wip_age[done]
        alignment = row_dot(items.purpose[done], tribes.purpose[t])
        delivered = (items.value[done] * (0.5 + 0.5 * alignment)
                     * np.exp(-cfg.cost_of_delay * lead))
        board.finish(done, delivered)
        tribes.done_total[:nt] += np.bincount(t, minlength=nt)[:nt]
        value = np.bincount(t, weights=delivered, minlength=nt)[:nt]
        tribes.value_total[:nt] += value
        tribes.value_step[:nt] = value
    else:
        tribes.value_step[:nt] = 0.0

    counts = board.stage_counts(nt)
    finished = board.in_stage(DOING)
    finished = finished[items.remaining[finished] <= 0]
    room = None if limits is None else np.maximum(limits[REVIEW] - counts[:, REVIEW], 0)
    board.advance(REVIEW, finished, room, m.steps)
    counts = board.stage_counts(nt)
    room = None if limits is None else np.maximum(limits[DOING] - counts[:, DOING], 0)
    board.advance(DOING, board.in_stage(READY), room, m.steps)
    m.work.intake(m)
    board.age_and_expire(m.steps, cfg.shelf_life)


def hiring(m: Organization) -> None:
    """The hiring policy replaces (or not) the people who exited this step."""
    m.hiring.hire(m, m.leavers)


# ---------------------------------------------------------------------- record
def record(m: Organization) -> None:
    """Metrics, snapshots, and the Mesa agents of new people and tribes."""
    m.metrics = measure(m)
    m.datacollector.collect(m)
    if m.cfg.snapshot_every and m.steps % m.cfg.snapshot_every == 0:
        m.take_snapshot()
    m._sync_agents()


PLAN: tuple[Phase, ...] = (
    Phase("market", "arrivals", arrivals),
    Phase("observe", "fit", observe),
    Phase("orient", "engagement, learning, drift", orient),
    Phase("decide", "membership", membership),
    Phase("decide", "exit", exits),
    Phase("decide", "leadership", leadership),
    Phase("decide", "life cycle", life_cycle),
    Phase("decide", "purpose", purpose),
    Phase("decide", "conflict", conflict),
    Phase("act", "work", work),
    Phase("act", "flow", flow),
    Phase("act", "hiring", hiring),
    Phase("record", "metrics", record),
)


def profile(m: Organization, steps: int) -> pd.DataFrame:
    """Run `steps` steps timing every phase; one row per phase, in plan order."""
    import pandas as pd

    spent = np.zeros(len(m.plan))
    people = 0
    for _ in range(steps):
        m.steps += 1  # what mesa.Model's step wrapper does
        people += int(m.people.active[: m.people.n].sum())
        for k, phase in enumerate(m.plan):
            start = time.perf_counter()
            phase.run(m)
            spent[k] += time.perf_counter() - start
    return pd.DataFrame({
        "phase": [ph.label for ph in m.plan],
        "seconds": spent,
        "share": spent / spent.sum() if spent.sum() > 0 else spent,
        "ns_per_person_step": spent / max(people, 1) * 1e9,
    })

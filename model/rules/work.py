"""Work and flow: members put effort into the items on their tribe's board, items move across
the boards (Kanban), and the work policy decides how items get from the market backlog onto the
boards and under which WIP limits.

Work (act.work). Member effort e'_i = e_i (1 - min(overhead_t, 1)); E_t = sum e'_i; per-capita
coordination k_t = 1 / (1 + c (n_t - 1)); capacity C_t = E_t k_t eta_t with effectiveness
eta_t; the d_t items in doing share it, with switching loss
mu_t = 1 / (1 + switch_cost max(d_t / n_t - 1, 0)); item j progresses by
C_t mu_t / d_t (needs_j . S'_t), S'_t the effort-weighted skill profile.

Flow (act.flow), oldest first within a tribe's column: review -> done (a tribe of n >= 2
confirms floor(review_rate n + U) items), doing -> review, ready -> doing (within the WIP
limits, if the policy sets any), intake by the policy, then aging and expiry of backlog items.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.kanban import BACKLOG, DOING, READY, REVIEW
from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics import kernels
from numerics.groups import group_argmax
from numerics.rows import row_dot
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class WorkParams(Params):
    """How work flows and what it takes."""

    group = "work"

    work: str = policy("work", "pull", "how work reaches the tribes")
    wip_ready: int = param(4, "WIP limit of a tribe's ready column (pull)", 1, 1_000_000)
    wip_doing: int = param(3, "WIP limit of a tribe's doing column (pull)", 1, 1_000_000)
    wip_review: int = param(3, "WIP limit of a tribe's review column (pull)", 1, 1_000_000)
    pull_candidates: int = param(6, "backlog items a tribe looks at per free slot", 1, 1000)
    review_rate: float = param(0.3, "items a member can confirm per step", 0, 100)
    switch_cost: float = param(0.1, "efficiency lost per extra item per member in doing", 0,
                               10)
    coordination_cost: float = param(0.04, "per-member coordination cost: output = "
                                     "n/(1+c(n-1))", 0, 10)
    innovation_rate: float = param(0.01, "rate at which the innovation champion raises "
                                   "effectiveness", 0, 1)
    innovation_decay: float = param(0.005, "rate at which effectiveness falls back without a "
                                    "champion", 0, 1)
    max_effectiveness: float = param(2.0, "ceiling of a tribe's effectiveness", 1, 100)
    tie_growth: float = param(0.1, "tie weight gained by working together in a step", 0, 1)
    tie_decay: float = param(0.01, "per-step decay of every tie", 0, 1)
    reputation_decay: float = param(0.05, "per-step decay of reputation", 0, 1)


class Effectiveness(Table):
    """Per tribe: how well it turns effort into progress."""

    effectiveness = Column(np.float32, 1.0, doc="in [1, max_effectiveness]")


class WorkPolicy(Policy):
    """How work reaches the tribes (the contract of every work policy).

    Attributes:
        record: per tribe, its effectiveness.
    """

    kind = "work"

    def attach(self, s: State) -> None:
        """Effectiveness grows with the tribes."""
        self.record = Effectiveness(s.tribes.allocated)
        s.attach_to_tribes(self.record)

    @abstractmethod
    def limits(self) -> dict[int, int] | None:
        """WIP limit per board stage (READY, DOING, REVIEW), or None for no limits."""

    @abstractmethod
    def intake(self, s: State) -> None:
        """Move items from the market backlog onto the boards."""


@register("pull")
class Pull(WorkPolicy):
    """Kanban: tribes pull matching items into ready as far as their WIP limits allow."""

    params = ("wip_ready", "wip_doing", "wip_review", "pull_candidates")

    def limits(self) -> dict[int, int] | None:
        """WIP limit per stage."""
        cfg = self.cfg
        return {READY: cfg.wip_ready, DOING: cfg.wip_doing, REVIEW: cfg.wip_review}

    def intake(self, s: State) -> None:
        """Each free ready slot looks at `pull_candidates` random backlog items and claims the
        best match (purpose alignment plus skill match); an item claimed twice goes to the
        better match. When free slots outnumber twice the backlog, a random subset of that
        many slots looks this step."""
        board, tribes, cfg, rng = s.board, s.tribes, self.cfg, s.rng
        backlog = board.in_stage(BACKLOG)
        living = tribes.living()
        if len(backlog) == 0 or len(living) == 0:
            return
        counts = board.stage_counts(tribes.n)
        free = np.maximum(cfg.wip_ready - counts[living, READY], 0)
        slots = np.repeat(living, free)
        if len(slots) > 2 * len(backlog):
            # each item can fill one slot: a random subset of the slots is enough to compete
            slots = slots[np.sort(rng.choice(len(slots), 2 * len(backlog), replace=False))]
        if len(slots) == 0:
            return
        items = board.items
        seen = backlog[rng.integers(0, len(backlog), size=(len(slots), cfg.pull_candidates))]
        claimed, best = kernels.best_candidates(seen, slots, items.purpose, tribes.purpose,
                                                items.needs, tribes.skill_profile)
        winner = group_argmax(claimed, best, items.n)
        winner = winner[winner >= 0]
        board.move(claimed[winner], READY, s.clock, slots[winner])


@register("push")
class Push(WorkPolicy):
    """Management pushes every backlog item to a team at once (best skill match among
    `pull_candidates` random teams), straight into doing, with no WIP limits."""

    params = ("pull_candidates",)

    def limits(self) -> dict[int, int] | None:
        """No limits."""
        return None

    def intake(self, s: State) -> None:
        """Assign the whole backlog."""
        board, tribes, cfg, rng = s.board, s.tribes, self.cfg, s.rng
        backlog = board.in_stage(BACKLOG)
        living = tribes.living()
        if len(backlog) == 0 or len(living) == 0:
            return
        options = living[rng.integers(0, len(living), size=(len(backlog), cfg.pull_candidates))]
        match = np.einsum("ik,ijk->ij", board.items.needs[backlog], tribes.skill_profile[options])
        chosen = options[np.arange(len(backlog)), match.argmax(axis=1)]
        board.move(backlog, DOING, s.clock, chosen)


def innovate(s: State, rules: Rules) -> None:
    """A champion raises effectiveness toward its ceiling; without one it falls back to 1:
    eta <- eta + rho_i iota_c s_c (eta_max - eta), or eta <- eta - rho_d (eta - 1)."""
    p, tribes, cfg = s.people, s.tribes, s.cfg
    n = tribes.n
    champion = tribes.innovation_champion[:n]
    has = (champion >= 0) & tribes.alive[:n]
    c = np.maximum(champion, 0)
    drive = p.initiative[c] * p.top_skill[c]
    eff = rules.work.record.effectiveness[:n]
    up = cfg.innovation_rate * drive * (cfg.max_effectiveness - eff)
    down = cfg.innovation_decay * (eff - 1.0)
    eff += np.where(has, up, -down)


def work(s: State, rules: Rules) -> None:
    """Members put effort into their tribe's items in doing; contributions earn reputation;
    working together grows ties; champions raise effectiveness.

    Member i's share of the progress: e'_i (C_t / E_t) mu_t (s_i . mean needs_t).
    Reputation r <- r + contribution - reputation_decay r. A tribe with work updates its
    demand delta <- 0.8 delta + 0.2 mean needs.
    """
    p, tribes, board, cfg = s.people, s.tribes, s.board, s.cfg
    n, nt = p.n, tribes.n
    members = p.members()
    t = p.tribe[members]
    effort = p.engagement[members] * (1.0 - np.minimum(tribes.overhead[t], 1.0))
    total_effort = np.bincount(t, weights=effort, minlength=nt)
    size = tribes.size[:nt]
    per_capita = 1.0 / (1.0 + cfg.coordination_cost * np.maximum(size - 1, 0))
    capacity = total_effort * per_capita * rules.work.record.effectiveness[:nt]
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
    innovate(s, rules)

    worker = members[working[t]]
    peer = s.comembers(worker)
    together = peer >= 0
    p.work_together(worker[together], peer[together], cfg.tie_growth, cfg.tie_decay)


def flow(s: State, rules: Rules) -> None:
    """Items move right on the boards (review -> done, doing -> review, ready -> doing) within
    WIP limits, then tribes take in new work; backlog items past their shelf life expire.

    A done item delivers value (0.5 + 0.5 purpose_j . pi_t) exp(-cost_of_delay lead time).
    """
    tribes, board, cfg, rng = s.tribes, s.board, s.cfg, s.rng
    items = board.items
    nt = tribes.n
    limits = rules.work.limits()

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
    board.advance(REVIEW, finished, room, s.clock)
    counts = board.stage_counts(nt)
    room = None if limits is None else np.maximum(limits[DOING] - counts[:, DOING], 0)
    board.advance(DOING, board.in_stage(READY), room, s.clock)
    rules.work.intake(s)
    board.age_and_expire(s.clock, cfg.shelf_life)

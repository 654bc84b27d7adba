"""Work and flow: members put effort into the items on their tribe's board, peers review the
work and may send it back, items move across the boards (Kanban), and the work policy decides
how items get from the market backlog onto the boards and under which WIP limits.

Work (act.work). Member effort e'_i = e_i (1 - min(overhead_t, 1)); E_t = sum e'_i; per-capita
coordination k_t = 1 / (1 + c (n_t - 1)); capacity C_t = E_t k_t eta_t with effectiveness
eta_t. The d_t items being worked on (in doing, or sent back to rework in review) share it,
with a switching loss when members juggle more items than one each:

    mu_t = 1 - min(switch_cost x_t, switch_loss_max),   x_t = max(d_t / n_t - 1, 0)

(Weinberg 1992: each extra concurrent task costs about 20% of a person's time, up to about
75% with five); item j progresses by C_t mu_t / d_t (needs_j . S'_t), S'_t the effort-weighted
skill profile. The quality of the tribe's work is the care of those who did it, their
engagement weighted by their effort, Q_t = sum e'_i e_i / E_t (discretionary effort follows
engagement: Rich, LePine and Crawford 2010). Innovation needs slack: the share of the step's
capacity the items did not absorb, sigma_t = 1 - applied / offered (1 without work).

Flow (act.flow), oldest first within a tribe's column: review (a tribe of n >= 2 reviews
floor(review_rate n + U) finished items; each is sent back for rework with probability
rework_rate (1 - Q_t), else it is done), doing -> review, ready -> doing (within the WIP
limits, if the policy sets any), the hand-offs a constellation routes to its tribes
(`model.rules.federation`), intake by the policy, then aging and expiry of backlog items.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.kanban import BACKLOG, DOING, READY, REVIEW
from model.parameters import Params, param, policy
from model.policy import Policy, register
from model.rules import competence, intertribe, opportunism, passion, pressure
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
    review_rate: float = param(0.3, "items a member can review per step", 0, 100)
    rework_rate: float = param(0.5, "probability that work done without any care is sent back "
                               "at review (scaled by 1 - quality)", 0, 1)
    rework_effort: float = param(0.25, "share of an item's effort that rework takes", 0, 1)
    switch_cost: float = param(0.2, "share of effort lost per extra item per member being "
                               "worked on", 0, 10)
    switch_loss_max: float = param(0.75, "most of its effort a tribe can lose to switching "
                                   "between items", 0, 1)
    coordination_cost: float = param(0.04, "per-member coordination cost: output = "
                                     "n/(1+c(n-1))", 0, 10)
    innovation_rate: float = param(0.03, "rate at which the innovation champion raises "
                                   "effectiveness in the tribe's slack", 0, 1)
    innovation_decay: float = param(0.01, "rate at which effectiveness falls back toward 1 "
                                    "(innovations age)", 0, 1)
    max_effectiveness: float = param(2.0, "ceiling of a tribe's effectiveness", 1, 100)
    tie_growth: float = param(0.1, "tie weight gained by working together in a step", 0, 1)
    tie_decay: float = param(0.01, "per-step decay of every tie", 0, 1)
    reputation_decay: float = param(0.05, "per-step decay of reputation", 0, 1)


class Effectiveness(Table):
    """Per tribe: how well it turns effort into progress, and how it worked this step."""

    effectiveness = Column(np.float32, 1.0, doc="in [1, max_effectiveness]")
    quality = Column(np.float32, 0.0, doc="care in the step's work: effort-weighted engagement")
    slack = Column(np.float32, 1.0, doc="share of the step's capacity no item absorbed")


class WorkPolicy(Policy, ABC):
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
    def intake(self, s: State, rules: Rules) -> None:
        """Move items from the market backlog onto the boards."""

    @abstractmethod
    def admit(self, s: State, rows: np.ndarray, tribe_ids: np.ndarray) -> None:
        """Parts at `rows` of the backlog, routed to tribes `tribe_ids` (a constellation's
        hand-offs), enter those boards as far as the policy admits work (oldest hand-off
        first); the rest wait in the backlog."""


@register("pull")
class Pull(WorkPolicy):
    """Kanban: tribes pull matching items into ready as far as their WIP limits allow."""

    params = ("wip_ready", "wip_doing", "wip_review", "pull_candidates")

    def limits(self) -> dict[int, int] | None:
        """WIP limit per stage."""
        cfg = self.cfg
        return {READY: cfg.wip_ready, DOING: cfg.wip_doing, REVIEW: cfg.wip_review}

    def intake(self, s: State, rules: Rules) -> None:
        """Each free ready slot looks at `pull_candidates` random backlog items and claims the
        best match (purpose alignment, plus the pull of its unit's objective if any, plus
        skill match), never a part its own tribe handed off; an item claimed twice goes to the
        better match, or as the intertribe policy resolves a conflict over it. When free slots
        outnumber twice the backlog, a random subset of that many slots looks this step."""
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
        toward = rules.objectives.pull_toward(s)
        purpose = tribes.purpose if toward is None else tribes.purpose[: tribes.n] + toward
        claimed, best = kernels.best_candidates(seen, slots, items.purpose, purpose,
                                                items.needs, tribes.skill_profile,
                                                items.previous_tribe)
        valid = np.isfinite(best)  # a slot that saw only parts its tribe handed off
        claimed, best, slots = claimed[valid], best[valid], slots[valid]
        winner = group_argmax(claimed, best, items.n)
        winner = intertribe.contest_items(s, rules, claimed, slots, best, winner)
        winner = winner[winner >= 0]
        board.move(claimed[winner], READY, s.clock, slots[winner])

    def admit(self, s: State, rows: np.ndarray, tribe_ids: np.ndarray) -> None:
        """Into ready, within each tribe's free ready slots."""
        board, items = s.board, s.board.items
        counts = board.stage_counts(s.tribes.n)
        room = np.maximum(self.cfg.wip_ready - counts[:, READY], 0)
        accept = kernels.first_within(tribe_ids, items.handoff_since[rows].astype(np.int64),
                                      room)
        board.move(rows[accept], READY, s.clock, tribe_ids[accept])


@register("push")
class Push(WorkPolicy):
    """Management pushes backlog items to teams (best skill match among `pull_candidates`
    random teams with room), straight into doing, without WIP limits but up to each team's
    estimated capacity; the rest waits in the backlog (and may expire)."""

    params = ("pull_candidates",)

    def limits(self) -> dict[int, int] | None:
        """No limits."""
        return None

    def intake(self, s: State, rules: Rules) -> None:
        """Assign backlog items, oldest first, to teams whose open work is below
        `load_horizon` steps of their estimated capacity (the capacity they showed at this
        step's work); a team takes items while its room lasts (the last one may overrun it).
        Management looks at the oldest items up to the total room of all teams, and never
        gives a part back to the team that handed it off; formal objectives, if any, add
        omega o_u . purpose_j to a team's skill match."""
        board, tribes, cfg, rng = s.board, s.tribes, self.cfg, s.rng
        items = board.items
        backlog = kernels.rows_by_key(board.in_stage(BACKLOG), items.since)
        living = tribes.living()
        if len(backlog) == 0 or len(living) == 0:
            return
        room = self.room(s)
        backlog = backlog[: oldest_within(items.remaining, backlog, float(room.sum()))]
        if len(backlog) == 0:
            return
        options = living[rng.integers(0, len(living), size=(len(backlog), cfg.pull_candidates))]
        match = np.einsum("ik,ijk->ij", items.needs[backlog], tribes.skill_profile[options])
        toward = rules.objectives.pull_toward(s)
        if toward is not None:
            match += np.einsum("ik,ijk->ij", items.purpose[backlog], toward[options])
        match[room[options] <= 0] = -np.inf
        match[options == items.previous_tribe[backlog][:, None]] = -np.inf
        pick = match.argmax(axis=1)
        row = np.arange(len(backlog))
        ok = np.isfinite(match[row, pick])
        chosen = options[row, pick][ok]
        backlog = backlog[ok]
        if len(backlog) == 0:
            return
        accept = kernels.within_room(items.remaining[backlog], chosen, room)
        board.move(backlog[accept], DOING, s.clock, chosen[accept])

    def room(self, s: State) -> np.ndarray:
        """Per tribe, the effort it can still take: `load_horizon` steps of its estimated
        capacity less its open work (0 for an ended tribe)."""
        tribes = s.tribes
        room = np.maximum(tribes.capacity[: tribes.n] * self.cfg.load_horizon - open_effort(s),
                          0.0)
        room[~tribes.alive[: tribes.n]] = 0.0
        return room

    def admit(self, s: State, rows: np.ndarray, tribe_ids: np.ndarray) -> None:
        """Into doing, oldest hand-off first, while each team's room lasts."""
        items = s.board.items
        order = np.argsort(items.handoff_since[rows], kind="stable")
        rows, tribe_ids = rows[order], tribe_ids[order]  # each part keeps the tribe routed to
        accept = kernels.within_room(items.remaining[rows], tribe_ids, self.room(s))
        s.board.move(rows[accept], DOING, s.clock, tribe_ids[accept])


def oldest_within(effort: np.ndarray, rows: np.ndarray, room: float) -> int:
    """How many of `rows` (in order) start within `room`: the k with sum_{j<k} effort_j below
    it. The sums run only as far as they must (a prefix of a cumulative sum is the cumulative
    sum of the prefix), since the room is usually a small part of a long backlog."""
    length = 1024
    while True:
        head = effort[rows[:length]]
        total = np.cumsum(head, dtype=np.float64)
        # effort is not negative, so no row after a prefix whose total reaches the room is
        # within it
        if length >= len(rows) or total[-1] >= room:
            return int(np.count_nonzero(total - head < room))
        length *= 4


def member_effort(s: State, flat: np.ndarray, members: np.ndarray, tribe: np.ndarray
                  ) -> np.ndarray:
    """Effort each membership (`People.pairs`) puts into its tribe's work this step:
    e'_i = e_i (1 - min(overhead_t, 1)); a person in several tribes gives each its share of
    their effort, less what switching between the tribes costs:
    (1 - min(membership_cost (k_i - 1), switch_loss_max)) with k_i tribes."""
    p, tribes, cfg = s.people, s.tribes, s.cfg
    effort: np.ndarray = p.engagement[members] * (1.0 - np.minimum(tribes.overhead[tribe], 1.0))
    if p.width > 1:
        shares = p.effort_shares(flat, members, cfg.effort_split == "fit")
        assert shares is not None
        extra = p.count_memberships(members) - 1
        juggling = 1.0 - np.minimum(cfg.membership_cost * extra, cfg.switch_loss_max)
        effort = effort * (shares * juggling).astype(np.float32)
    return effort


def effort_left(s: State, rules: Rules, flat: np.ndarray, members: np.ndarray,
                tribe: np.ndarray) -> np.ndarray | None:
    """The share of each membership's effort that the person's other duties leave for the
    tribe's items this step (reviews and sanctions last step, training, work that does not
    carry their purpose) and that they do not withhold (neglect, `model.rules.pressure`); None
    when nothing takes any."""
    left = None
    for share in (opportunism.effort_load(s, rules, members),
                  competence.training_left(s, rules, members),
                  passion.meaning_left(s, rules, flat, members),
                  pressure.effort_kept(s, rules, members)):
        if share is not None:
            left = share if left is None else left * share
    return left


def attribute_work(s: State, tribe: np.ndarray, worked: np.ndarray, item_tribe: np.ndarray
                   ) -> np.ndarray:
    """Which item each membership (`People.pairs` order, tribe `tribe`) works on this step:
    members take their tribe's items being worked on (`worked`, on boards `item_tribe`) in
    turn, member k (in membership order) the ((k + step) mod d_t)-th in row order; -1 where the
    tribe has none. Deterministic: it draws nothing."""
    nt = s.tribes.n
    if len(tribe) == 0:
        return np.empty(0, dtype=np.int64)
    d = np.bincount(item_tribe, minlength=nt)[:nt]
    members_of = np.bincount(tribe, minlength=nt)[:nt]
    member_start = np.concatenate([[0], np.cumsum(members_of)[:-1]])
    order = np.argsort(tribe, kind="stable")
    rank = np.empty(len(tribe), dtype=np.int64)
    rank[order] = np.arange(len(tribe)) - member_start[tribe[order]]
    item_start = np.concatenate([[0], np.cumsum(d)[:-1]])
    item_order = np.argsort(item_tribe, kind="stable")
    has = d[tribe] > 0
    k = np.where(has, (rank + s.clock) % np.maximum(d[tribe], 1), 0)
    chosen: np.ndarray = np.where(
        has, worked[item_order[np.minimum(item_start[tribe] + k, max(len(worked) - 1, 0))]]
        if len(worked) else -1, -1)
    return chosen


def effort_capacity(s: State, policy: WorkPolicy, effort: np.ndarray | None = None,
                    tribe: np.ndarray | None = None) -> np.ndarray:
    """Each tribe's capacity in effort per step from its memberships' `effort` (by default
    `member_effort` at the members' current engagement): C_t = E_t k_t eta_t (0 for a tribe
    without members)."""
    tribes, cfg = s.tribes, s.cfg
    nt = tribes.n
    if effort is None or tribe is None:
        flat, members, tribe = s.people.pairs()
        effort = member_effort(s, flat, members, tribe)
    total_effort = np.bincount(tribe, weights=effort, minlength=nt)
    per_capita = 1.0 / (1.0 + cfg.coordination_cost * np.maximum(tribes.size[:nt] - 1, 0))
    capacity: np.ndarray = total_effort * per_capita * policy.record.effectiveness[:nt]
    return capacity


def open_effort(s: State) -> np.ndarray:
    """Effort still to put into the items on each tribe's board."""
    items = s.board.items
    opened: np.ndarray = kernels.effort_by_tribe(
        items.stage[: items.n], items.tribe[: items.n], items.remaining[: items.n], READY,
        REVIEW, True, s.tribes.n)
    return opened


def rework_chance(s: State, policy: WorkPolicy) -> np.ndarray:
    """Per tribe, the probability that a reviewed item is sent back: rework_rate (1 - Q_t)."""
    quality = policy.record.quality[: s.tribes.n]
    chance: np.ndarray = s.cfg.rework_rate * (1.0 - quality)
    return chance


def item_capacity(s: State, policy: WorkPolicy) -> np.ndarray:
    """Each tribe's capacity in items per step at the effort of this step's work, if it always
    had work: the lesser of its work capacity C_t (delta_t . S_t) / (effort_mean
    (1 + rework_effort r / (1 - r))) (the expected effort of an item, rework included) and its
    review capacity review_rate n_t (1 - r) (tribes of two or more)."""
    tribes, cfg = s.tribes, s.cfg
    nt = tribes.n
    chance = np.minimum(rework_chance(s, policy), 0.999)
    match = np.einsum("ij,ij->i", tribes.demand[:nt].astype(np.float64),
                      tribes.skill_profile[:nt].astype(np.float64))
    per_item = cfg.effort_mean * (1.0 + cfg.rework_effort * chance / (1.0 - chance))
    work_items = tribes.capacity[:nt] * match / per_item
    size = tribes.size[:nt]
    review_items = np.where(size >= 2, cfg.review_rate * size * (1.0 - chance), 0.0)
    capacity: np.ndarray = np.where(tribes.alive[:nt], np.minimum(work_items, review_items), 0.0)
    return capacity


def innovate(s: State, rules: Rules) -> None:
    """The innovation champion raises effectiveness, in the slack the work left, and every
    tribe's innovations age:

        eta <- eta + rho_i iota_c s_c sigma_t (eta_max - eta) - rho_d (eta - 1)

    rho_i = `innovation_rate`, iota_c s_c the champion's initiative times top skill (0 without
    a champion), sigma_t the tribe's slack this step, rho_d = `innovation_decay`. Innovation
    needs time not taken by delivery (organizational slack: Cyert and March 1963; Nohria and
    Gulati 1996), so an overloaded tribe does not improve, and improvements wear off unless
    renewed."""
    p, tribes, cfg = s.people, s.tribes, s.cfg
    record = rules.work.record
    living = tribes.living()  # an ended tribe keeps the effectiveness it ended with
    champion = tribes.innovation_champion[living]
    has = champion >= 0
    c = np.maximum(champion, 0)
    drive = np.where(has, p.initiative[c] * p.top_skill[c], np.float32(0))
    eff = record.effectiveness[living]
    up = cfg.innovation_rate * drive * record.slack[living] * (cfg.max_effectiveness - eff)
    down = cfg.innovation_decay * (eff - 1.0)
    record.effectiveness[living] = eff + (up - down)


def work(s: State, rules: Rules) -> None:
    """Members put effort into their tribe's items in doing and in rework; contributions earn
    reputation; working together grows ties; champions raise effectiveness.

    Member i's share of the progress: e'_i (C_t / E_t) mu_t (s_i . mean needs_t).
    Reputation r <- r + contribution - reputation_decay r. A tribe with work updates its
    demand delta <- 0.8 delta + 0.2 mean needs.
    """
    p, tribes, board, cfg = s.people, s.tribes, s.board, s.cfg
    record = rules.work.record
    n, nt = p.n, tribes.n
    flat, members, t = p.pairs()
    rules.sanction.counts = opportunism.ReviewCounts()
    effort = member_effort(s, flat, members, t)
    left = effort_left(s, rules, flat, members, t)
    if left is not None:
        effort = effort * left
    shirk = opportunism.shirking(s, rules, members)  # effort opportunists keep for themselves
    withheld = None
    if shirk is not None:
        withheld = effort * shirk
        effort = effort - withheld
        rules.sanction.counts.shirked = float(withheld.sum())
    total_effort = np.bincount(t, weights=effort, minlength=nt)
    size = tribes.size[:nt]
    capacity = effort_capacity(s, rules.work, effort, t)
    tribes.capacity[:nt] = capacity
    profile = kernels.group_weighted_sum(members, t, p.skill, effort, nt)
    profile /= np.maximum(total_effort, 1e-12)[:, None]
    care = np.bincount(t, weights=effort * p.engagement[members], minlength=nt)
    record.quality[:nt] = np.divide(care, total_effort, out=np.zeros(nt),
                                    where=total_effort > 0)

    items = board.items
    stage, remaining = items.stage[: items.n], items.remaining[: items.n]
    worked = np.flatnonzero(((stage == DOING) | (stage == REVIEW)) & (remaining > 0))
    d = np.bincount(items.tribe[worked], minlength=nt)[:nt]
    per_member = np.divide(d, size, out=np.zeros(nt), where=size > 0)
    multitask = 1.0 - np.minimum(cfg.switch_cost * np.maximum(per_member - 1.0, 0.0),
                                 cfg.switch_loss_max)
    rate = np.divide(capacity * multitask, d, out=np.zeros(nt), where=d > 0)
    it = items.tribe[worked]
    match = kernels.mixed_dot(items.needs, worked, profile, it)
    progress = (rate[it] * match).astype(np.float32)
    applied = np.minimum(progress, items.remaining[worked])
    offered = np.bincount(it, weights=progress, minlength=nt)[:nt]
    used = np.bincount(it, weights=applied, minlength=nt)[:nt]
    record.slack[:nt] = 1.0 - np.divide(used, offered, out=np.zeros(nt), where=offered > 0)
    items.remaining[worked] -= progress
    items.active_steps[worked[progress > 0]] += 1

    needs = kernels.group_weighted_sum(worked, it, items.needs, np.ones(len(worked), np.float32),
                                       nt)
    mean_needs = np.divide(needs, d[:, None],
                           out=np.zeros((nt, cfg.domains)), where=d[:, None] > 0)
    unit = np.divide(capacity * multitask, total_effort, out=np.zeros(nt),
                     where=total_effort > 0)
    skill_match = kernels.mixed_dot(p.skill, members, mean_needs, t)
    shared = effort * unit[t] * skill_match
    contribution = np.zeros(n, dtype=np.float32)
    if p.width == 1:
        contribution[members] = shared
    else:
        contribution[:] = np.bincount(members, weights=shared, minlength=n)[:n]
    p.contribution[:n] = contribution
    p.contribution_total[:n] += contribution
    active = p.active[:n]  # the reputation of people who left stays as they left it
    credit = contribution
    if withheld is not None:  # credit claimed for the effort kept back
        claimed = np.bincount(members, weights=withheld * unit[t] * skill_match, minlength=n)
        credit = (contribution + claimed[:n]).astype(np.float32)
    reputation = p.reputation[:n]
    np.copyto(reputation, reputation + (credit - cfg.reputation_decay * reputation),
              where=active)
    working = d > 0
    tribes.demand[:nt][working] = (0.8 * tribes.demand[:nt][working]
                                   + 0.2 * mean_needs[working]).astype(np.float32)
    innovate(s, rules)

    activity = s.activity
    if cfg.review_by == "peers" or activity is not None:  # who worked on which item
        working_on = attribute_work(s, t, worked, it)
        authored = np.flatnonzero(working_on >= 0)
        if cfg.review_by == "peers":  # for review by particular peers
            # the first member (in membership order) to take an item is its author
            first = np.unique(working_on[authored], return_index=True)[1]
            rules.sanction.authorship.author[working_on[authored[first]]] = \
                members[authored[first]]
        if activity is not None:
            rows = working_on[authored]
            activity.add(s.clock, "worked", members[authored], t[authored], items.item[rows],
                         items.part[rows])

    worker = flat[working[t]]
    peer = s.comembers(worker)
    together = peer >= 0
    if activity is not None:
        activity.add(s.clock, "worked_with", p.person_of(worker[together]),
                     t[working[t]][together], others=p.person_of(peer[together]))
    if p.width == 1:
        p.work_together(worker[together], peer[together], cfg.tie_growth, cfg.tie_decay)
    else:  # each tribe's work, one membership slot at a time: a slot's workers are distinct
        p.work_together(worker[:0], peer[:0], cfg.tie_growth, cfg.tie_decay)
        slot = worker % p.width
        for k in range(p.width):
            pick = together & (slot == k)
            p.work_together(p.person_of(worker[pick]), p.person_of(peer[pick]),
                            cfg.tie_growth, 0.0)


def flow(s: State, rules: Rules) -> None:
    """Items move right on the boards (review -> done, doing -> review, ready -> doing) within
    WIP limits, then tribes take in new work; backlog items past their shelf life expire.

    A done item delivers value (0.5 + 0.5 purpose_j . pi_t) exp(-cost_of_delay lead time).
    """
    tribes, board, cfg, rng = s.tribes, s.board, s.cfg, s.rng
    items = board.items
    nt = tribes.n
    limits = rules.work.limits()

    # review: each tribe of two or more reviews about review_rate * size finished items; an
    # item is sent back for rework with probability rework_rate (1 - Q_t), else it is done
    review = board.in_stage(REVIEW)
    review = review[items.remaining[review] <= 0]
    size = tribes.size[:nt]
    # one draw per living tribe, so that rows of ended tribes do not change the draws
    living = tribes.living()
    draw = np.zeros(nt)
    draw[living] = rng.random(len(living))
    quota = np.floor(cfg.review_rate * size + draw).astype(np.int64)
    quota[size < 2] = 0
    if len(review):
        reviewed = review[kernels.first_within(items.tribe[review], items.since[review], quota)]
        board.reviewed_step += len(reviewed)
        sent_back = rng.random(len(reviewed)) < rework_chance(s, rules.work)[
            items.tribe[reviewed]]
        if cfg.review_by == "peers":  # particular peers review; they may catch opportunists
            sent_back |= opportunism.review(s, rules, reviewed, sent_back)
        board.rework(reviewed[sent_back], cfg.rework_effort)
        done = reviewed[~sent_back]
        t = items.tribe[done]
        lead = items.wip_age[done]
        alignment = row_dot(items.purpose[done], tribes.purpose[t])
        delivered = (items.value[done] * (0.5 + 0.5 * alignment)
                     * np.exp(-cfg.cost_of_delay * lead))
        board.finish(done, delivered, s.clock)
        rules.objectives.credit(s, done, t, delivered)
        tribes.done_total[:nt] += np.bincount(t, minlength=nt)[:nt]
        value = np.bincount(t, weights=delivered, minlength=nt)[:nt]
        tribes.value_total[:nt] += value
        tribes.value_step[:nt] = value
    else:
        tribes.value_step[:nt] = 0.0
        rules.objectives.credit(s, review, items.tribe[review], np.zeros(0))

    counts = board.stage_counts(nt)
    finished = board.in_stage(DOING)
    finished = finished[items.remaining[finished] <= 0]
    room = None if limits is None else np.maximum(limits[REVIEW] - counts[:, REVIEW], 0)
    board.advance(REVIEW, finished, room, s.clock)
    counts = board.stage_counts(nt)
    room = None if limits is None else np.maximum(limits[DOING] - counts[:, DOING], 0)
    board.advance(DOING, board.in_stage(READY), room, s.clock)
    rules.federation.route(s, rules)  # a constellation's hand-offs first, then new work
    rules.work.intake(s, rules)
    board.age_and_expire(s.clock, cfg.shelf_life)

"""RefTribe: one community of purpose as a plain Mesa agent, with the tribe rules of ODD
§3.2-3.8 written for one tribe at a time.

Covers: what the tribe perceives (skill profile, overload, division; §3.2), champions and the
leadership policies emergent, appointed, rotating and distributed (§3.5), the purpose policies
fixed, co_created and pivoting (§3.7), conflict, its settlement and the conflict policies
arbitration, consent and exit (§3.7), work on its items with a bounded switching loss, the
quality of that work, slack-gated innovation (§3.8), and its board's flow: review with rework,
then doing to review and ready to doing within WIP limits (§3.8, flow steps 1-3); and what its
capacity in items per step is (§3.9).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.kanban import DOING, READY, REVIEW
from reference.kanban import Board, Item
from reference.vectors import best_by_row, unit_vector

if TYPE_CHECKING:
    from reference.federation import Constellation
    from reference.organization import ReferenceOrganization
    from reference.person import RefPerson


class RefTribe(mesa.Agent):
    """One tribe. Its members are kept in `members` (in joining order); the model's `move` is
    the only place that changes it, together with the person's `tribe`.

    Attributes:
        tribe_id: 0, 1, ... in founding order, never reused (the lower id wins merge ties).
        purpose: unit vector over themes; demand: skill mix of its work (sums to 1).
        roster: the members at the last observe phase, from which random co-members are drawn.
        board: its Kanban board.
    """

    model: ReferenceOrganization

    def __init__(self, model: ReferenceOrganization, tribe_id: int, purpose: np.ndarray,
                 origin: str, parent: RefTribe | None = None) -> None:
        super().__init__(model)
        cfg = model.cfg
        self.tribe_id = tribe_id
        self.purpose = unit_vector(np.asarray(purpose, dtype=float))
        self.demand = np.full(cfg.domains, 1.0 / cfg.domains)
        self.skill_profile = np.zeros(cfg.domains)
        self.members: dict[RefPerson, None] = {}  # an ordered set
        self.roster: list[RefPerson] = []
        self.board = Board()
        self.alive = True
        self.founded = model.clock
        self.ended = -1
        self.origin = origin
        self.parent = parent
        self.leader: RefPerson | None = None
        self.leader_since = -1
        self.value_champion: RefPerson | None = None
        self.innovation_champion: RefPerson | None = None
        self.effectiveness = 1.0
        self.poor_run = 0
        self.last_reorient = model.clock
        self.capacity = 0.0
        self.leader_quality = 0.0
        self.overload = 0.0
        self.overhead = model.leadership_overhead
        self.division = 0.0
        self.conflict = False  # in conflict this step
        self.unresolved = False  # in conflict and not resolved this step (lowers members' fit)
        self.settled: float | None = None  # division at the last settlement, while divided
        self.quality = 0.0  # care in this step's work
        self.slack = 1.0  # share of this step's offered progress no item absorbed
        self.value_step = 0.0
        self.done_total = 0
        self.value_total = 0.0
        self.pivots = 0
        self.constellation: Constellation | None = None  # the tribe of tribes it belongs to
        # this step's work, read by each member when booking their contribution
        self.working = False
        self.output_per_effort = 0.0
        self.mean_needs = np.zeros(cfg.domains)

    @property
    def size(self) -> int:
        """Number of members."""
        return len(self.members)

    def mean_passion(self) -> np.ndarray:
        """Mean passion of the members (zero without members)."""
        if not self.members:
            return np.zeros(self.model.cfg.themes)
        return sum(p.passion for p in self.members) / len(self.members)

    # ------------------------------------------------------------------ observe
    def observe(self) -> None:
        """Perceive the engagement-weighted skill profile and the overload; note the roster
        (ODD §3.2)."""
        cfg = self.model.cfg
        weighted = np.zeros(cfg.domains)
        mass = 0.0
        for p in self.members:
            weighted += (p.engagement + 1e-6) * p.skill
            mass += p.engagement + 1e-6
        self.skill_profile = weighted / max(mass, 1e-12)
        open_effort = self.board.open_effort()
        horizon = self.capacity * cfg.load_horizon
        if open_effort > 0 and horizon > 0:
            self.overload = max(open_effort / horizon - 1.0, 0.0)
        else:
            self.overload = 0.0
        self.roster = list(self.members)

    def assess_division(self) -> None:
        """Division: 1 - mean alignment of the members (0 for a tribe of one)."""
        if self.size > 1:
            self.division = 1.0 - sum(p.alignment for p in self.members) / self.size
        else:
            self.division = 0.0

    # ------------------------------------------------------------------ leadership
    def pick_champions(self, market_demand: np.ndarray) -> None:
        """The member most attuned to the market champions value; the one with the most
        initiative times skill champions innovation."""
        self.value_champion = best_by_row(self.members, lambda p: float(p.passion
                                                                          @ market_demand))
        self.innovation_champion = best_by_row(self.members,
                                               lambda p: p.initiative * p.top_skill)

    def choose_leader(self) -> None:
        """Apply the leadership policy (emergent expects members' endorsements counted)."""
        cfg, policy = self.model.cfg, self.model.cfg.leadership
        if policy == "emergent":
            challenger = best_by_row(self.members, lambda p: p.recognition)
            if challenger is None or challenger.recognition <= 0:
                return
            incumbent = self.leader
            if incumbent is None or challenger.recognition > (incumbent.recognition
                                                              * (1 + cfg.leader_hysteresis)):
                self.install(challenger)
        elif policy == "appointed":
            if self.leader is None:
                # on equal skill the earliest hired (longest tenure) is appointed
                chosen = best_by_row(self.members, lambda p: p.top_skill)
                if chosen is not None:
                    self.install(chosen)
        elif policy == "rotating":
            if self.leader is None or self.model.clock - self.leader_since >= cfg.rotation_period:
                others = [p for p in self.members if p is not self.leader]
                if others:
                    self.install(others[int(self.model.rng.random() * len(others))])
        elif policy == "distributed":
            if self.leader is not None:
                self.install(None)
        else:
            raise ValueError(f"leadership: policy {policy!r} is not implemented")

    def install(self, leader: RefPerson | None) -> None:
        """Make `leader` the leader, counting a real change."""
        if leader is self.leader:
            return
        self.leader = leader
        self.leader_since = self.model.clock
        self.model.note("leader_changed", self.model.cfg.leadership)

    def assess_leadership(self, reputation_ref: float) -> None:
        """Leader quality: that of the leader, or under distributed roles the mean of the
        champions'."""
        if self.model.cfg.leadership == "distributed":
            holders = [c for c in (self.value_champion, self.innovation_champion)
                       if c is not None]
            self.leader_quality = (sum(c.quality_as_leader(reputation_ref) for c in holders)
                                   / len(holders)) if holders else 0.0
        else:
            self.leader_quality = (self.leader.quality_as_leader(reputation_ref)
                                   if self.leader is not None else 0.0)

    # ------------------------------------------------------------------ purpose
    def update_purpose(self) -> None:
        """Apply the purpose policy (ODD §3.7)."""
        policy = self.model.cfg.purpose
        if policy == "fixed":
            return
        if policy not in ("co_created", "pivoting"):
            raise ValueError(f"purpose: policy {policy!r} is not implemented")
        cfg, market = self.model.cfg, self.model.market
        shared = self.mean_passion()
        purpose = self.purpose + cfg.refine_rate * (shared - self.purpose)
        if self.value_champion is not None:  # pulls as hard as they are attuned to the market
            attunement = float(self.value_champion.passion @ market.demand)
            purpose = purpose + cfg.market_pull * attunement * (market.demand - self.purpose)
        if cfg.reorient_every > 0 and self.model.clock - self.last_reorient >= cfg.reorient_every:
            purpose = shared
            self.last_reorient = self.model.clock
        self.purpose = unit_vector(purpose)
        if policy == "pivoting":
            self.maybe_pivot()

    def maybe_pivot(self) -> None:
        """After `pivot_patience` poor steps in a row, pivot to what members care about weighted
        by what the market asks."""
        cfg, market = self.model.cfg, self.model.market
        poor = self.value_step / max(self.size, 1) < cfg.pivot_threshold
        self.poor_run = self.poor_run + 1 if poor else 0
        if self.poor_run < cfg.pivot_patience:
            return
        new = unit_vector(self.mean_passion() * market.shares)
        self.purpose = new if new.any() else market.demand
        self.poor_run = 0
        self.pivots += 1
        self.model.note("pivoted", "poor results")

    # ------------------------------------------------------------------ conflict
    def face_conflict(self) -> None:
        """Am I in conflict (ODD §3.7)? Divided beyond `conflict_threshold` and beyond the
        division at which my last conflict was settled; calm again, a later conflict starts
        afresh. A conflict the policy settles is paid once; one it cannot resolve stays
        unresolved until the next conflict phase."""
        cfg = self.model.cfg
        self.conflict = self.unresolved = False
        if self.size < 2 or self.division <= cfg.conflict_threshold:
            self.settled = None
            return
        if self.settled is not None and self.division <= self.settled:
            return
        self.conflict = True
        self.model.note("conflict", cfg.conflict)
        if self.resolve_conflict():
            self.settled = self.division
        else:
            self.unresolved = True

    def resolve_conflict(self) -> bool:
        """Apply the conflict policy to this conflicted tribe (ODD §3.7); return whether it
        resolved the conflict."""
        cfg, policy = self.model.cfg, self.model.cfg.conflict
        mutable = cfg.purpose != "fixed"
        if policy == "exit":
            for p in [p for p in self.members if p.alignment < cfg.exit_alignment]:
                self.model.move(p, None, "conflict")
        elif policy == "arbitration":
            leader = self.leader
            if leader is None:
                return False  # nobody to arbitrate
            if mutable:
                self.purpose = unit_vector(self.purpose + 0.5 * (leader.passion - self.purpose))
            for p in self.members:
                if p.alignment < leader.alignment:
                    p.engagement = max(p.engagement - cfg.arbitration_cost, 0.0)
        elif policy == "consent":
            if mutable:
                self.purpose = unit_vector(self.mean_passion())
            self.overhead += cfg.consent_overhead
        else:
            raise ValueError(f"conflict: policy {policy!r} is not implemented")
        return True

    # ------------------------------------------------------------------ act
    def effort_capacity(self) -> float:
        """Effort per step the members put into the items at this step's work (`work_effort`:
        their effort after overhead and what else takes or withholds it), times the per-capita
        coordination factor and the effectiveness."""
        cfg = self.model.cfg
        total = sum(p.work_effort for p in self.members)
        per_capita = 1.0 / (1.0 + cfg.coordination_cost * max(self.size - 1, 0))
        return total * per_capita * self.effectiveness

    def work(self) -> None:
        """Members' effort moves the items being worked on (in doing, or back in review for
        rework), less what juggling several items each costs; note the care in the work, what
        each unit of effort yielded for the members' contributions and the slack left; update
        demand and effectiveness (ODD §3.8)."""
        cfg = self.model.cfg
        size = self.size
        effort = {p: p.work_effort for p in self.members}
        total = sum(effort.values())
        self.capacity = self.effort_capacity()
        profile = np.zeros(cfg.domains)
        care = 0.0
        for p, e in effort.items():
            profile += e * p.skill
            care += e * p.engagement
        profile /= max(total, 1e-12)
        self.quality = care / total if total > 0 else 0.0
        worked = self.board.in_work()
        self.working = bool(worked)
        if worked and cfg.review_by == "peers":
            self.attribute(worked)
        self.slack = 1.0
        if worked:
            d = len(worked)
            juggled = max(d / size - 1.0, 0.0) if size else 0.0
            kept = 1.0 - min(cfg.switch_cost * juggled, cfg.switch_loss_max)
            rate = self.capacity * kept / d
            offered = absorbed = 0.0
            for item in worked:
                progress = rate * float(item.needs @ profile)
                offered += progress
                absorbed += min(progress, item.remaining)
                item.remaining -= progress
                if progress > 0:
                    item.active_steps += 1
            if offered > 0:
                self.slack = 1.0 - absorbed / offered
            self.mean_needs = sum(item.needs for item in worked) / d
            self.output_per_effort = self.capacity * kept / total if total > 0 else 0.0
            self.demand = 0.8 * self.demand + 0.2 * self.mean_needs
        self.innovate()

    def attribute(self, worked: list[Item]) -> None:
        """Who authors which item (ODD §3.14.1): members, in hiring order, take the items being
        worked on in turn, member k the ((k + step) mod d)-th; the first to take an item is
        its author (an item nobody takes keeps its author)."""
        d = len(worked)
        ordered = sorted(self.members, key=lambda p: p.row)
        for j, item in enumerate(worked):
            k = (j - self.model.clock) % d
            if k < len(ordered):
                item.author = ordered[k]

    def peer_review(self, item: Item) -> bool:
        """A peer reviews `item` (ODD §3.14.1): its author (a member drawn if it has none still
        in the tribe) gets a reviewer, another member drawn uniformly, who spends
        `review_effort` of their next step's effort; the item is flawed with the author's
        opportunism, and a flaw is caught with probability detection (s_r . needs + t_ra) / 2.
        A caught author loses `caught_penalty` of their reputation and the sanction policy
        acts. Return whether the item was caught."""
        m = self.model
        cfg, side = m.cfg, m.side
        author = item.author
        if author is None or author.tribe is not self:
            members = list(self.members)
            if not members:
                return False
            author = members[int(side.random() * len(members))]
        others = [p for p in self.members if p is not author]
        if not others:
            return False
        reviewer = others[int(side.random() * len(others))]
        reviewer.load += cfg.review_effort
        m.review_counts["reviewing"] += cfg.review_effort
        if not side.random() < author.opportunism:
            return False
        skill = min(float(reviewer.skill @ item.needs), 1.0)
        tie = max((w for other, w in zip(reviewer.tie_to, reviewer.tie_w, strict=True)
                   if other is author), default=0.0)
        if not side.random() < cfg.detection * (skill + tie) / 2:
            return False
        m.review_counts["caught"] += 1
        m.review_counts["rework"] += cfg.rework_effort * item.effort
        author.caught += 1
        author.reputation *= 1.0 - cfg.caught_penalty
        m.caught.append((author, self, reviewer))
        return True

    def innovate(self) -> None:
        """The innovation champion raises effectiveness toward its ceiling in the slack the
        work left; innovations wear off toward 1 all the same."""
        cfg, champion = self.model.cfg, self.innovation_champion
        drive = champion.initiative * champion.top_skill if champion is not None else 0.0
        gain = cfg.innovation_rate * drive * self.slack * (cfg.max_effectiveness
                                                            - self.effectiveness)
        self.effectiveness += gain - cfg.innovation_decay * (self.effectiveness - 1.0)

    def review(self) -> tuple[list[tuple[Item, float]], int, int]:
        """Peers review about `review_rate` x size of the oldest finished items in review; each
        goes back for rework with a chance that grows as the care in this step's work falls,
        else it is done. Return the done items with the value each delivered, and how many
        items were reviewed and sent back."""
        cfg, rng = self.model.cfg, self.model.rng
        quota = (math.floor(cfg.review_rate * self.size + rng.random())
                 if self.size >= 2 else 0)
        finished = [item for item in self.board.oldest_first(REVIEW) if item.remaining <= 0]
        reviewed = finished[:quota]
        rework_chance = cfg.rework_rate * (1.0 - self.quality)
        done, sent_back = [], 0
        peers = cfg.review_by == "peers"
        for item in reviewed:
            careless = rng.random() < rework_chance
            if peers and self.peer_review(item):
                careless = True  # caught: rejected, reworked like careless work
            if careless:
                item.remaining = cfg.rework_effort * item.effort  # keeps its place in review
                sent_back += 1
                continue
            self.board.take(item)
            alignment = float(item.purpose @ self.purpose)
            delivered = (item.value * (0.5 + 0.5 * alignment)
                         * math.exp(-cfg.cost_of_delay * item.wip_age))
            done.append((item, delivered))
        self.done_total += len(done)
        self.value_step = sum(delivered for _, delivered in done)
        self.value_total += self.value_step
        return done, len(reviewed), sent_back

    def advance(self, limits: dict[int, int] | None) -> None:
        """Finished items go to review, then ready items to doing, oldest first, as far as the
        WIP limits allow (no limits: all of them)."""
        step = self.model.clock
        finished = [item for item in self.board.oldest_first(DOING) if item.remaining <= 0]
        self._advance(finished, REVIEW, limits, step)
        self._advance(self.board.oldest_first(READY), DOING, limits, step)

    def _advance(self, items: list[Item], stage: int, limits: dict[int, int] | None,
                 step: int) -> None:
        room = len(items) if limits is None else max(limits[stage] - self.board.count(stage), 0)
        for item in items[:room]:
            self.board.move(item, stage, step)

    def free_ready_slots(self) -> int:
        """Free places in the ready column under the WIP limit."""
        return max(self.model.cfg.wip_ready - self.board.count(READY), 0)

    def push_room(self) -> float:
        """Effort management may still push to me (ODD §3.8, push): `load_horizon` steps of
        my capacity at this step's work (my members' current engagement), less my open effort
        (none below 0)."""
        return max(self.capacity * self.model.cfg.load_horizon - self.board.open_effort(), 0.0)

    def item_capacity(self) -> float:
        """Items per step I could finish at the effort of this step's work if I always had
        work (ODD §3.10, `capacity`): the lesser of my work capacity, each item taking its
        mean effort plus the expected rework, and my review capacity (none for a tribe of one),
        rework's second review included."""
        cfg = self.model.cfg
        rework_chance = cfg.rework_rate * (1.0 - self.quality)
        if rework_chance >= 1.0:
            return 0.0  # every item comes back: nothing is ever done
        per_item = cfg.effort_mean * (1.0 + cfg.rework_effort * rework_chance
                                      / (1.0 - rework_chance))
        work_items = self.capacity * float(self.demand @ self.skill_profile) / per_item
        review_items = (cfg.review_rate * self.size * (1.0 - rework_chance)
                        if self.size >= 2 else 0.0)
        return min(work_items, review_items)

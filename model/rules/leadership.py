"""Leadership: champions, how a tribe gets its leader, and how good its leadership is.

Every step (decide.leadership): the value champion is the member most attuned to the market
(largest p_i . d), the innovation champion the member with the largest initiative x top skill;
then the leadership policy chooses leaders, and leader quality is assessed:

    Q(i) = a_i r_i / (r_i + r_ref)        q_t = Q(leader of t)   (0 without a leader)

with alignment a_i, reputation r_i and the reference r_ref = mean reputation of active people
+ 1e-6, taken at observe (observe.standing). Founders lead the tribes they found, and the most
skilled member leads a team management forms, when the policy has single leaders.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from agents.person import NOBODY
from model.parameters import Params, param, policy
from model.policy import Policy, register
from model.rules import competence
from numerics import kernels
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class LeadershipParams(Params):
    """How leaders arise and how they lead."""

    group = "leadership"

    leadership: str = policy("leadership", "emergent", "how a tribe gets its leader")
    endorse_sample: int = param(1, "co-members a person meets per step when endorsing", 1, 100)
    leader_hysteresis: float = param(0.25, "share of endorsements a challenger needs beyond "
                                     "the leader's", 0, 100)
    rotation_period: int = param(20, "steps between leader rotations (rotating)", 1, 1_000_000)
    role_overhead: float = param(0.05, "share of effort spent on role governance "
                                 "(distributed)", 0, 1)


class Endorsements(Table):
    """Per person and membership: whom they back as leader of that tribe, and how many of its
    members back them (the primary tribe's under the plain names)."""

    endorses_m = Column(np.int32, NOBODY, ("memberships",), doc="the co-member the person "
                        "backs in each of their tribes (-1: nobody)", per_membership=True,
                        refers="people", primary="endorses")
    recognition_m = Column(np.float32, 0.0, ("memberships",), doc="members of each of the "
                           "person's tribes backing them", primary="recognition")

    endorses: NDArray[np.int32]
    recognition: NDArray[np.float32]


class Tenures(Table):
    """Per tribe: since when its leader leads."""

    leader_since = Column(np.int32, -1, doc="step the current leader took over (-1: never)")


class LeadershipPolicy(Policy, ABC):
    """How a tribe gets its leader (the contract of every leadership policy).

    Attributes:
        endorsements: per person, whom they back and how many back them.
        tenures: per tribe, since when the leader leads.
        reputation_ref: the reputation a leader's is judged against (observe.standing).
    """

    kind = "leadership"
    single_leader = True  # the policy installs one leader per tribe

    def attach(self, s: State) -> None:
        """Endorsements grow with the people, tenures with the tribes."""
        self.endorsements = Endorsements(s.people.allocated, memberships=s.people.width)
        s.attach_to_people(self.endorsements)
        self.tenures = Tenures(s.tribes.allocated)
        s.attach_to_tribes(self.tenures)
        self.reputation_ref = 1.0

    @abstractmethod
    def select(self, s: State, rules: Rules) -> None:
        """Choose, keep or remove the leaders of the living tribes."""

    @abstractmethod
    def lead_constellations(self, s: State, candidates: np.ndarray, groups: np.ndarray,
                            n_groups: int, incumbent: np.ndarray, since: np.ndarray
                            ) -> np.ndarray:
        """The leader of each of `n_groups` constellations (-1: none), among `candidates`
        (the leaders of its tribes; `groups`: the constellation of each), given each one's
        `incumbent` leader and the step it took over (`since`)."""

    def overhead(self) -> float:
        """Share of every member's effort spent on leadership itself."""
        return 0.0

    def perceive(self, s: State) -> None:
        """The reference reputation: the mean over active people, plus 1e-6."""
        p = s.people
        rows = np.flatnonzero(p.active[: p.n])
        self.reputation_ref = float(p.reputation[rows].mean()) + 1e-6 if len(rows) else 1.0

    def person_quality(self, s: State, rules: Rules, persons: np.ndarray,
                       tribe_ids: np.ndarray) -> np.ndarray:
        """How good each person is at leading the matching tribe: alignment with it times
        relative reputation (standing), or, with `competence_weight` w > 0, alignment times
        (1 - w) standing + w competence (`model.rules.competence`)."""
        p = s.people
        reputation = p.reputation[persons]
        alignment = (p.alignment[persons] if p.width == 1
                     else p.in_tribe("alignment_m", persons, tribe_ids))
        if s.cfg.competence_weight == 0:
            quality: np.ndarray = alignment * reputation / (reputation + self.reputation_ref)
            return quality
        standing = reputation / (reputation + self.reputation_ref)
        quality = alignment * competence.weigh(s, rules, persons, standing)
        return quality

    def founder_quality(self, s: State, rules: Rules, persons: np.ndarray) -> np.ndarray:
        """The quality each person would have leading a tribe around their own passion
        (alignment 1): r / (r + r_ref), weighed with competence if it counts."""
        reputation = s.people.reputation[persons]
        quality: np.ndarray = reputation / (reputation + self.reputation_ref)
        if s.cfg.competence_weight > 0:
            quality = competence.weigh(s, rules, persons, quality)
        return quality

    def assess(self, s: State, rules: Rules) -> None:
        """Leader quality of every living tribe: Q of its leader (0 without one); an ended
        tribe keeps the quality it ended with."""
        tribes = s.tribes
        living = tribes.living()
        leader = tribes.leader[living]
        tribes.leader_quality[living] = np.where(
            leader >= 0, self.person_quality(s, rules, np.maximum(leader, 0), living), 0.0)

    def install(self, s: State, tribe_ids: np.ndarray, leaders: np.ndarray) -> None:
        """Make `leaders` the leaders of `tribe_ids`, logging each real change."""
        tribes = s.tribes
        old = tribes.leader[tribe_ids]
        changed = old != leaders
        tribe_ids, leaders, old = tribe_ids[changed], leaders[changed], old[changed]
        tribes.leader[tribe_ids] = leaders
        self.tenures.leader_since[tribe_ids] = s.clock
        s.events.add(s.clock, "leader_changed", leaders, tribe_ids, old, self.name)

    def _still_candidate(self, s: State, candidates: np.ndarray, groups: np.ndarray,
                         incumbent: np.ndarray) -> np.ndarray:
        """Whether each constellation's incumbent is still one of its candidates."""
        group_of = np.full(s.people.n, -1, dtype=np.int64)
        group_of[candidates] = groups
        held = incumbent >= 0
        kept: np.ndarray = held & (group_of[np.maximum(incumbent, 0)]
                                   == np.arange(len(incumbent)))
        return kept

    def lead_new_tribes(self, s: State, tribe_ids: np.ndarray, founders: np.ndarray,
                        how: str) -> None:
        """The founders (or the people management chose) lead the new tribes, if the policy
        has single leaders; `how` is logged ("founder", "management")."""
        if not self.single_leader:
            return
        s.tribes.leader[tribe_ids] = founders
        self.tenures.leader_since[tribe_ids] = s.clock
        s.events.add(s.clock, "leader_changed", founders, tribe_ids, -1, how)


@register("emergent")
class Emergent(LeadershipPolicy):
    """Peers recognize leaders: each member backs one co-member, switching to a better one when
    they meet them; the most backed member leads once they clearly outrank the incumbent."""

    params = ("endorse_sample", "leader_hysteresis")

    def select(self, s: State, rules: Rules) -> None:
        """Update endorsements, count them, and let challengers take over.

        Standing g_i = r_i (0.5 + 0.5 a_i) (times the competence peers perceive, if it counts:
        `model.rules.competence.perceived`). Each member meets `endorse_sample` random
        co-members and backs one whose standing beats that of the person they back; the most
        recognized member takes over a tribe without a leader, or when their recognition
        exceeds the incumbent's times (1 + `leader_hysteresis`).
        """
        p, tribes, cfg = s.people, s.tribes, self.cfg
        endorses = p.flat_of(self.endorsements, "endorses_m")
        recognition = p.flat_of(self.endorsements, "recognition_m")
        n = p.n
        flat, members, tribe = p.pairs()
        alignment = p.flat("alignment_m")
        standing = np.zeros(len(alignment), dtype=np.float32)
        standing[flat] = p.reputation[members] * (0.5 + 0.5 * alignment[flat])
        backed = endorses[flat]
        if p.width == 1:
            valid = (backed >= 0) & (p.tribe[np.maximum(backed, 0)] == tribe)
            backed_at = backed  # their membership in the tribe, as a flat index
        else:
            slot = p.slot_of(np.maximum(backed, 0), tribe)
            valid = (backed >= 0) & (slot >= 0)
            backed_at = np.maximum(backed, 0) * p.width + np.maximum(slot, 0)
        backed = np.where(valid, backed, NOBODY)
        best = np.where(valid, standing[np.maximum(backed_at, 0)], -np.inf)
        seen = s.cfg.competence_weight > 0
        if seen:  # as peers perceive the competence of the one they back
            best = np.where(valid, best * competence.perceived(s, rules, np.maximum(backed, 0)),
                            -np.inf)
        for _ in range(cfg.endorse_sample):
            peer = s.comembers(flat)
            judged = standing[np.maximum(peer, 0)]
            if seen:
                judged = judged * competence.perceived(s, rules, p.person_of(np.maximum(peer,
                                                                                         0)))
            better = (peer >= 0) & (judged > best)
            backed[better] = p.person_of(peer[better])
            best[better] = judged[better]
            backed_at[better] = peer[better]
        endorses[flat] = backed
        # recognition: members of the tribe backing each membership
        active = p.active[:n] if p.width == 1 else np.repeat(p.active[:n], p.width)
        count = np.bincount(backed_at[backed >= 0], minlength=n * p.width)[: n * p.width]
        # the recognition of people who left stays (counts are exact in float32)
        np.copyto(recognition[: n * p.width], count, where=active, casting="unsafe")
        living = tribes.living()
        challenger = tribes.member_argmax(p, recognition, per_membership=True)[living]
        incumbent = tribes.leader[living]
        rec_challenger = p.in_flat(recognition, np.maximum(challenger, 0), living)
        rec_incumbent = np.where(incumbent >= 0,
                                 p.in_flat(recognition, np.maximum(incumbent, 0), living), 0.0)
        wins = (challenger >= 0) & (rec_challenger > 0) & (
            (incumbent < 0) | (rec_challenger > rec_incumbent * (1 + cfg.leader_hysteresis)))
        self.install(s, living[wins], challenger[wins])

    def lead_constellations(self, s: State, candidates: np.ndarray, groups: np.ndarray,
                            n_groups: int, incumbent: np.ndarray, since: np.ndarray
                            ) -> np.ndarray:
        """The tribes' leaders recognize the one of highest standing g_i = r_i (0.5 + 0.5
        a_i); a challenger takes over from a sitting leader when their standing exceeds the
        incumbent's times (1 + `leader_hysteresis`)."""
        p = s.people
        standing = p.reputation[: p.n] * (0.5 + 0.5 * p.alignment[: p.n])
        challenger = kernels.group_argmax_rows(candidates, groups, standing, n_groups)
        kept = self._still_candidate(s, candidates, groups, incumbent)
        held = standing[np.maximum(incumbent, 0)] * (1 + self.cfg.leader_hysteresis)
        beaten = (challenger >= 0) & (standing[np.maximum(challenger, 0)] > held)
        chosen: np.ndarray = np.where(kept & ~beaten, incumbent, challenger)
        return chosen


@register("appointed")
class Appointed(LeadershipPolicy):
    """Management appoints the most skilled member of a leaderless tribe; the leader stays
    until they leave the tribe."""

    def select(self, s: State, rules: Rules) -> None:
        """Fill vacancies with the member of highest skill (then tenure)."""
        p, tribes = s.people, s.tribes
        living = tribes.living()
        vacant = living[tribes.leader[living] < 0]
        if len(vacant) == 0:
            return
        # on equal skill the lowest row wins: rows are in hiring order, so the longest tenure
        choice = tribes.member_argmax(p, p.top_skill[: p.n])[vacant]
        self.install(s, vacant[choice >= 0], choice[choice >= 0])

    def lead_constellations(self, s: State, candidates: np.ndarray, groups: np.ndarray,
                            n_groups: int, incumbent: np.ndarray, since: np.ndarray
                            ) -> np.ndarray:
        """Management appoints the tribes' leader of highest skill; they stay while they lead
        one of its tribes."""
        best = kernels.group_argmax_rows(candidates, groups, s.people.top_skill[: s.people.n],
                                         n_groups)
        kept = self._still_candidate(s, candidates, groups, incumbent)
        chosen: np.ndarray = np.where(kept, incumbent, best)
        return chosen


@register("rotating")
class Rotating(LeadershipPolicy):
    """The lead passes to a random member every `rotation_period` steps."""

    params = ("rotation_period",)

    def select(self, s: State, rules: Rules) -> None:
        """Rotate where the term is over or the post is vacant (never to the same person)."""
        p, tribes = s.people, s.tribes
        living = tribes.living()
        due = living[(tribes.leader[living] < 0)
                     | (s.clock - self.tenures.leader_since[living] >= self.cfg.rotation_period)]
        if len(due) == 0:
            return
        # one draw per membership, so that rows of people who left do not change the draws
        flat, _, _ = p.pairs()
        lottery = np.full(p.n * p.width, -np.inf)
        lottery[flat] = s.rng.random(len(flat))
        led = due[tribes.leader[due] >= 0]
        held = p.slot_of(tribes.leader[led], led)
        lottery[tribes.leader[led] * p.width + np.maximum(held, 0)] = -1.0
        choice = tribes.member_argmax(p, lottery, per_membership=True)[due]
        self.install(s, due[choice >= 0], choice[choice >= 0])

    def lead_constellations(self, s: State, candidates: np.ndarray, groups: np.ndarray,
                            n_groups: int, incumbent: np.ndarray, since: np.ndarray
                            ) -> np.ndarray:
        """The lead passes to a random one of the tribes' leaders every `rotation_period`
        steps (never to the same one when another can take it)."""
        kept = self._still_candidate(s, candidates, groups, incumbent)
        due = ~kept | (s.clock - since >= self.cfg.rotation_period)
        lottery = np.full(s.people.n, -np.inf)
        lottery[candidates] = s.rng.random(len(candidates))
        lottery[incumbent[kept]] = -1.0
        choice = kernels.group_argmax_rows(candidates, groups, lottery, n_groups)
        chosen: np.ndarray = np.where(due, choice, incumbent)
        return chosen


@register("distributed")
class Distributed(LeadershipPolicy):
    """No single leader: roles are distributed; leadership quality is that of the role holders
    (the two champions); role governance costs `role_overhead` of effort."""

    params = ("role_overhead",)
    single_leader = False

    def overhead(self) -> float:
        """Role governance meetings cost `role_overhead` of everyone's effort."""
        return self.cfg.role_overhead

    def select(self, s: State, rules: Rules) -> None:
        """Remove any single leader (roles replace the post)."""
        tribes = s.tribes
        living = tribes.living()
        led = living[tribes.leader[living] >= 0]
        self.install(s, led, np.full(len(led), NOBODY, dtype=np.int32))

    def lead_constellations(self, s: State, candidates: np.ndarray, groups: np.ndarray,
                            n_groups: int, incumbent: np.ndarray, since: np.ndarray
                            ) -> np.ndarray:
        """No single leader of a constellation either."""
        return np.full(n_groups, NOBODY, dtype=np.int32)

    def assess(self, s: State, rules: Rules) -> None:
        """Mean quality of the value and innovation champions of every living tribe."""
        tribes = s.tribes
        living = tribes.living()
        total = np.zeros(len(living))
        holders = np.zeros(len(living))
        for role in (tribes.value_champion, tribes.innovation_champion):
            holder = role[living]
            has = holder >= 0
            total += np.where(has, self.person_quality(s, rules, np.maximum(holder, 0), living),
                              0.0)
            holders += has
        tribes.leader_quality[living] = np.divide(total, holders, out=np.zeros_like(total),
                                                  where=holders > 0)


def pick_champions(s: State) -> None:
    """The value champion is the member most attuned to the market; the innovation champion
    the member with the most initiative and skill."""
    p, tribes = s.people, s.tribes
    n = p.n
    market_fit = kernels.matvec(p.passion[:n], s.market.demand.astype(np.float32))
    tribes.value_champion[: tribes.n] = tribes.member_argmax(p, market_fit)
    craft = p.initiative[:n] * p.top_skill[:n]
    tribes.innovation_champion[: tribes.n] = tribes.member_argmax(p, craft)


def observe_standing(s: State, rules: Rules) -> None:
    """The reputation leaders are judged against, as people stand at the start of the step."""
    rules.leadership.perceive(s)


def decide(s: State, rules: Rules) -> None:
    """Leadership overhead for this step; champions; the policy chooses leaders; quality."""
    s.tribes.overhead[: s.tribes.n] = rules.leadership.overhead()
    pick_champions(s)
    rules.leadership.select(s, rules)
    rules.leadership.assess(s, rules)

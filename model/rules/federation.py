"""Tribes of tribes: constellations, communities of purpose whose members are tribes.

Under `voluntary` federation, every step (decide.federation):

1. A tribe that has ended leaves its constellation; a constellation's shared purpose is
   co-created from its tribes' purposes as the purpose policy says,
   Pi_C <- purpose policy's shared purpose (Pi_C, norm(sum_t n_t pi_t)),
   and a tribe whose purpose drifted from it (pi_t . Pi_C < `secede_threshold`) leaves; a
   constellation left with fewer than two tribes dissolves.
2. Each living tribe outside a constellation, with probability `federate_rate`, meets one other
   living tribe at random. If their purposes are related (pi_a . pi_b >= `federate_threshold`)
   and the other is in a constellation with room (fewer than `constellation_max` tribes) whose
   shared purpose is related to pi_a too, the tribe joins it (the lowest rows, the oldest
   tribes, first when room runs short); if the other is in none, the two form one around
   Pi_C = norm(n_a pi_a + n_b pi_b) (a tribe sought by several, or seeking while sought, waits
   for a later step).
3. The constellation's leader is chosen among its tribes' leaders as the leadership policy says
   (emerges by standing, is appointed by skill, rotates, or is none when roles are
   distributed). Its coordination quality q_C is its leader's quality, or without a leader the
   mean leader quality of its tribes.
4. People meet the members of sister tribes: each member of a federated tribe, with
   probability `meet_rate`, meets a random member of another tribe of the constellation, and
   their (directed) tie grows by `meet_tie` toward 1, as working together grows ties.

A constellation coordinates its tribes' cross-tribe work (in act.flow, once the columns have
moved and before the tribes take in new work): a part one of its tribes handed off goes
straight to the sister tribe that fits it best (purpose alignment plus skill match, as pull
scores) and can admit it under the work policy, before that tribe takes new work from the
market, instead of waiting in the backlog to be found; and the hand-off's extra effort
(`model.rules.handoff`) is discounted by gamma_ab = `constellation_discount` (1 + q_C) / 2. A
constellation is the "tribe of tribes" of the essay; its benefit is coordination, as in
Galbraith's (1974) lateral relations and integrating roles, which lower the cost of
interdependent work between units.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.person import NO_TRIBE, NOBODY
from model.kanban import BACKLOG
from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics import kernels
from numerics.groups import group_order
from numerics.rows import normalize_rows, row_dot
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

NO_CONSTELLATION = -1


@dataclass(frozen=True)
class FederationParams(Params):
    """Whether and how tribes federate into constellations, and what a constellation does."""

    group = "federation"

    federation: str = policy("federation", "none", "whether and how tribes federate into "
                             "constellations")
    federate_rate: float = param(0.05, "chance per step that a tribe outside a constellation "
                                 "meets another tribe", 0, 1)
    federate_threshold: float = param(0.8, "purpose similarity at which tribes federate (and "
                                      "at which a tribe may join a constellation)", 0, 1)
    secede_threshold: float = param(0.6, "similarity with the shared purpose below which a "
                                    "tribe leaves its constellation", 0, 1)
    constellation_max: int = param(6, "most tribes in a constellation", 2, 100_000)
    constellation_discount: float = param(0.5, "share of a hand-off's extra effort saved "
                                          "inside a constellation of the best coordination", 0, 1)
    meet_rate: float = param(0.05, "chance per step that a member of a federated tribe meets "
                             "a member of a sister tribe", 0, 1)
    meet_tie: float = param(0.1, "tie weight gained by meeting", 0, 1)


class Constellations(Table):
    """Constellations of tribes; a constellation's row is its id (rows are never dropped)."""

    purpose = Column(np.float32, 0.0, ("themes",), doc="shared purpose, unit length")
    alive = Column(np.bool_, False, doc="the constellation exists now")
    formed = Column(np.int32, 0, doc="step it was formed")
    ended = Column(np.int32, -1, doc="step it dissolved (-1: living)")
    size = Column(np.int32, 0, doc="living tribes in it")
    leader = Column(np.int32, NOBODY, doc="its leader (-1: none)", refers="people")
    leader_since = Column(np.int32, -1, doc="step its leader took over (-1: never)")
    quality = Column(np.float32, 0.0, doc="coordination quality q_C, in [0, 1]")

    def living(self) -> np.ndarray:
        """Ids of the constellations that exist now."""
        return np.flatnonzero(self.alive[: self.n])


class Federated(Table):
    """Per tribe: its constellation."""

    constellation = Column(np.int32, NO_CONSTELLATION, doc="its constellation (-1: none)")


class FederationPolicy(Policy, ABC):
    """Whether and how tribes federate (the contract of every federation policy).

    Attributes:
        constellations: every constellation that ever existed.
        federated: per tribe, its constellation.
    """

    kind = "federation"

    def attach(self, s: State) -> None:
        """Constellations have a table of their own; each tribe's constellation grows with the
        tribes."""
        self.constellations = Constellations(16, themes=s.cfg.themes)
        s.refer(self.constellations)
        self.federated = Federated(s.tribes.allocated)
        s.attach_to_tribes(self.federated)

    @abstractmethod
    def federate(self, s: State, rules: Rules) -> None:
        """Constellations form, change, and dissolve; their members meet."""

    # ------------------------------------------------------------------ capabilities
    def together(self, s: State, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether tribes a and b (rows; -1: none) are in the same constellation."""
        c = self.federated.constellation
        ca = np.where(a >= 0, c[np.maximum(a, 0)], NO_CONSTELLATION)
        cb = np.where(b >= 0, c[np.maximum(b, 0)], NO_CONSTELLATION)
        same: np.ndarray = (ca >= 0) & (ca == cb)
        return same

    def discount(self, s: State, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """gamma_ab: the share of a hand-off's extra effort from tribe a to tribe b that their
        constellation saves (0 outside one): `constellation_discount` (1 + q_C) / 2."""
        same = self.together(s, a, b)
        c = np.maximum(self.federated.constellation[np.maximum(a, 0)], 0)
        quality = self.constellations.quality[c]
        saved: np.ndarray = np.where(same, s.cfg.constellation_discount * (1.0 + quality) / 2.0,
                                     0.0)
        return saved

    def route(self, s: State, rules: Rules) -> None:
        """Parts handed off by a federated tribe go to the sister tribe that fits them best and
        can admit them (see the module's docstring)."""
        board, tribes = s.board, s.tribes
        items = board.items
        c = self.federated.constellation
        stage = items.stage[: items.n]
        upstream = items.previous_tribe[: items.n]
        waiting = np.flatnonzero((stage == BACKLOG) & (upstream >= 0))
        waiting = waiting[c[upstream[waiting]] >= 0]
        if len(waiting) == 0:
            return
        living = tribes.living()
        member = living[c[living] >= 0]
        order, start, count = group_order(c[member], len(self.constellations.alive))
        member = member[order]
        group = c[upstream[waiting]]
        width = int(count.max())
        slot = start[group][:, None] + np.arange(width)
        valid = np.arange(width) < count[group][:, None]
        options = np.where(valid, member[np.minimum(slot, len(member) - 1)], -1)
        valid &= options != upstream[waiting][:, None]
        o = np.maximum(options, 0)
        score = (np.einsum("ik,ijk->ij", items.purpose[waiting], tribes.purpose[o])
                 + np.einsum("ik,ijk->ij", items.needs[waiting], tribes.skill_profile[o]))
        score[~valid] = -np.inf
        pick = score.argmax(axis=1)
        row = np.arange(len(waiting))
        ok = np.isfinite(score[row, pick])
        if ok.any():
            rules.work.admit(s, waiting[ok], options[row, pick][ok])

    # ------------------------------------------------------------------ shared steps
    def tidy(self, s: State, rules: Rules) -> None:
        """Ended tribes leave; shared purposes are co-created; drifted tribes leave; small
        constellations dissolve."""
        tribes, cons = s.tribes, self.constellations
        c = self.federated.constellation
        ended = np.flatnonzero(~tribes.alive[: tribes.n] & (c[: tribes.n] >= 0))
        self._leave(s, ended, "ended")
        living = tribes.living()
        member = living[c[living] >= 0]
        alive = cons.living()
        if len(alive):
            weight = tribes.size[member].astype(np.float64)[:, None]
            total = np.zeros((cons.n, cons.purpose.shape[1]))
            np.add.at(total, c[member], weight * tribes.purpose[member])
            alive = alive[total[alive].any(axis=1)]  # constellations with living tribes
            proposed = normalize_rows(total[alive].astype(np.float32))
            cons.purpose[alive] = rules.purpose.shared_purpose(cons.purpose[alive], proposed)
            drifted = member[row_dot(tribes.purpose[member], cons.purpose[c[member]])
                             < s.cfg.secede_threshold]
            self._leave(s, drifted, "drifted")
        self._count(s)
        small = cons.living()[cons.size[cons.living()] < 2]
        if len(small):
            member = living[c[living] >= 0]
            last = member[np.isin(c[member], small)]
            self._leave(s, last, "dissolved")
            cons.alive[small] = False
            cons.ended[small] = s.clock
            cons.size[small] = 0
            cons.leader[small] = NOBODY
            s.events.add(s.clock, "constellation_dissolved", -1, -1, small, self.name)

    def _leave(self, s: State, tribe_ids: np.ndarray, why: str) -> None:
        c = self.federated.constellation
        if len(tribe_ids) == 0:
            return
        s.events.add(s.clock, "constellation_left", -1, tribe_ids, c[tribe_ids], why)
        c[tribe_ids] = NO_CONSTELLATION

    def _count(self, s: State) -> None:
        cons, tribes = self.constellations, s.tribes
        living = tribes.living()
        c = self.federated.constellation[living]
        cons.size[: cons.n] = np.bincount(c[c >= 0], minlength=cons.n)[: cons.n]

    def seek(self, s: State) -> None:
        """Tribes outside a constellation meet another tribe and join or form one."""
        tribes, cons, cfg, rng = s.tribes, self.constellations, s.cfg, s.rng
        c = self.federated.constellation
        living = tribes.living()
        if len(living) < 2:
            return
        seeking = living[(rng.random(len(living)) < cfg.federate_rate) & (c[living] < 0)]
        if len(seeking) == 0:
            return
        # one other living tribe each, at random
        pick = rng.integers(0, len(living) - 1, size=len(seeking))
        own = np.searchsorted(living, seeking)
        other = living[pick + (pick >= own)]
        related = row_dot(tribes.purpose[seeking], tribes.purpose[other]) >= cfg.federate_threshold
        seeking, other = seeking[related], other[related]
        target = c[other]
        # joining a constellation with room, whose shared purpose is related too
        joins = np.flatnonzero(target >= 0)
        if len(joins):
            t = target[joins]
            fits = (row_dot(tribes.purpose[seeking[joins]], cons.purpose[t])
                    >= cfg.federate_threshold)
            joins, t = joins[fits], t[fits]
            room = np.maximum(cfg.constellation_max - cons.size[: cons.n], 0)
            accept = kernels.first_within(t, seeking[joins].astype(np.int64), room)
            joins, t = joins[accept], t[accept]
            c[seeking[joins]] = t
            s.events.add(s.clock, "constellation_joined", -1, seeking[joins], t, self.name)
        # forming a new one with a tribe in none: pairs whose tribes appear in no other pair
        pairs = np.flatnonzero(target < 0)
        a, b = seeking[pairs], other[pairs]
        low, high = np.minimum(a, b), np.maximum(a, b)
        key = np.unique(low.astype(np.int64) * tribes.n + high)
        low, high = key // tribes.n, key % tribes.n
        ends = np.concatenate([low, high])
        once = np.bincount(ends, minlength=tribes.n)
        free = (once[low] == 1) & (once[high] == 1) & (c[low] < 0) & (c[high] < 0)
        low, high = low[free], high[free]
        if len(low) == 0:
            return
        rows = cons.append(len(low))
        weight_low = tribes.size[low].astype(np.float32)[:, None]
        weight_high = tribes.size[high].astype(np.float32)[:, None]
        cons.purpose[rows] = normalize_rows(weight_low * tribes.purpose[low]
                                            + weight_high * tribes.purpose[high])
        cons.alive[rows] = True
        cons.formed[rows] = s.clock
        c[low] = rows
        c[high] = rows
        founders = np.concatenate([low, high])
        s.events.add(s.clock, "constellation_formed", -1, founders, np.tile(rows, 2),
                     self.name)

    def lead(self, s: State, rules: Rules) -> None:
        """Each constellation's leader, among its tribes' leaders, as the leadership policy
        chooses; and its coordination quality."""
        tribes, cons = s.tribes, self.constellations
        alive = cons.living()
        if len(alive) == 0:
            return
        c = self.federated.constellation
        living = tribes.living()
        member = living[c[living] >= 0]
        leader = tribes.leader[member]
        candidates = leader[leader >= 0].astype(np.int64)
        groups = c[member][leader >= 0]
        chosen = rules.leadership.lead_constellations(
            s, candidates, groups, cons.n, cons.leader[: cons.n], cons.leader_since[: cons.n])
        changed = alive[chosen[alive] != cons.leader[alive]]
        cons.leader[changed] = chosen[changed]
        cons.leader_since[changed] = s.clock
        lead = cons.leader[alive]
        # the tribe of the constellation its leader leads (the first, if they lead several)
        match = (candidates == chosen[groups])[::-1]
        led = np.full(cons.n, NO_TRIBE, dtype=np.int64)
        led[groups[::-1][match]] = member[leader >= 0][::-1][match]
        quality = np.where(lead >= 0,
                           rules.leadership.person_quality(
                               s, rules, np.maximum(lead, 0), np.maximum(led[alive], 0)), 0.0)
        count = np.bincount(c[member], minlength=cons.n)[alive]
        mean = (np.bincount(c[member], weights=tribes.leader_quality[member],
                            minlength=cons.n)[alive] / np.maximum(count, 1))
        cons.quality[alive] = np.where(lead >= 0, quality, mean)

    def meet(self, s: State) -> None:
        """Members of federated tribes meet members of sister tribes."""
        p, tribes, cfg, rng = s.people, s.tribes, s.cfg, s.rng
        c = self.federated.constellation
        members = p.members()
        t = p.tribe[members]
        inside = members[c[t] >= 0]
        if len(inside) == 0 or cfg.meet_rate == 0:
            return
        meeting = inside[rng.random(len(inside)) < cfg.meet_rate]
        if len(meeting) == 0:
            return
        living = tribes.living()
        member = living[c[living] >= 0]
        order, start, count = group_order(c[member], len(self.constellations.alive))
        member = member[order]
        position = np.empty(tribes.n, dtype=np.int64)
        position[member] = np.arange(len(member)) - start[c[member]]
        own = p.tribe[meeting]
        group = c[own]
        # another tribe of the constellation, uniformly: skip one's own place
        pick = (rng.random(len(meeting)) * (count[group] - 1)).astype(np.int64)
        pick += pick >= position[own]
        sister = member[start[group] + pick]
        other = s.random_members(sister, rng.random(len(meeting)))
        met = other >= 0
        kernels.strengthen_ties(p.tie_to, p.tie_w, meeting[met], other[met], cfg.meet_tie)
        if s.activity is not None:  # each of the two met the other
            s.activity.add(s.clock, "met", np.concatenate([meeting[met], other[met]]),
                           np.concatenate([own[met], sister[met]]),
                           others=np.concatenate([other[met], meeting[met]]),
                           other_tribes=np.concatenate([sister[met], own[met]]))


@register("none")
class NoFederation(FederationPolicy):
    """Tribes stand alone: no constellations."""

    def federate(self, s: State, rules: Rules) -> None:
        """Nothing."""


@register("voluntary")
class VoluntaryFederation(FederationPolicy):
    """Tribes with related purposes federate bottom-up, co-create a shared purpose, and leave
    when their purpose drifts from it."""

    params = ("federate_rate", "federate_threshold", "secede_threshold", "constellation_max",
              "constellation_discount", "meet_rate", "meet_tie")

    def federate(self, s: State, rules: Rules) -> None:
        """Tidy, seek, lead, meet (see the module's docstring)."""
        self.tidy(s, rules)
        self.seek(s)
        self._count(s)
        self.lead(s, rules)
        self.meet(s)


def decide(s: State, rules: Rules) -> None:
    """Constellations form, change and dissolve, as the federation policy says."""
    rules.federation.federate(s, rules)

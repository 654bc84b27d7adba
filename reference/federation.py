"""Tribes of tribes, constellation by constellation (ODD §3.9, constellations): under
`voluntary` federation, constellations form, co-create a shared purpose, lose drifted and ended
tribes and dissolve; their leaders are chosen among their tribes' leaders as the leadership
policy says; members meet sister tribes; a constellation routes its tribes' hand-offs and
discounts their extra effort."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from reference.vectors import unit_vector

if TYPE_CHECKING:
    from reference.kanban import Item
    from reference.organization import ReferenceOrganization
    from reference.person import RefPerson
    from reference.tribe import RefTribe


class Constellation:
    """One constellation: its shared purpose, its tribes (in the order of their ids), its
    leader and its coordination quality q_C."""

    def __init__(self, cid: int, purpose: np.ndarray, step: int) -> None:
        self.cid = cid
        self.purpose = purpose
        self.alive = True
        self.formed = step
        self.ended = -1
        self.tribes: list[RefTribe] = []
        self.leader: RefPerson | None = None
        self.leader_since = -1
        self.quality = 0.0

    def living_tribes(self) -> list[RefTribe]:
        """Its tribes that exist now, in the order of their ids."""
        return [t for t in self.tribes if t.alive]

    def add(self, tribe: RefTribe) -> None:
        """`tribe` joins."""
        tribe.constellation = self
        self.tribes.append(tribe)
        self.tribes.sort(key=lambda t: t.tribe_id)

    def remove(self, tribe: RefTribe) -> None:
        """`tribe` leaves."""
        tribe.constellation = None
        self.tribes.remove(tribe)


def federate(m: ReferenceOrganization) -> None:
    """The federation policy's step (decide.federation)."""
    if m.cfg.federation == "none":
        return
    tidy(m)
    seek(m)
    lead(m)
    meet(m)


def tidy(m: ReferenceOrganization) -> None:
    """Ended tribes leave; each shared purpose is co-created from its tribes' purposes,
    Pi_C <- norm(Pi_C + phi (norm(sum_t n_t pi_t) - Pi_C)), unless purposes are fixed mandates;
    tribes whose purpose drifted below `secede_threshold` from it leave; constellations with
    fewer than two tribes dissolve."""
    cfg = m.cfg
    for c in m.constellations:
        for tribe in [t for t in c.tribes if not t.alive]:
            c.remove(tribe)
    alive = [c for c in m.constellations if c.alive]
    for c in alive:
        total = sum((t.size * t.purpose for t in c.tribes), 0 * c.purpose)
        if total.any() and cfg.purpose != "fixed":
            proposed = unit_vector(total)
            c.purpose = unit_vector(c.purpose + cfg.refine_rate * (proposed - c.purpose))
    for c in alive:
        for tribe in [t for t in c.tribes if float(t.purpose @ c.purpose) < cfg.secede_threshold]:
            c.remove(tribe)
    for c in alive:
        if len(c.tribes) < 2:
            for tribe in list(c.tribes):
                c.remove(tribe)
            c.alive = False
            c.ended = m.clock
            c.leader = None


def seek(m: ReferenceOrganization) -> None:
    """Each living tribe outside a constellation, with probability `federate_rate`, meets one
    other living tribe at random. With related purposes (pi_a . pi_b >= `federate_threshold`)
    it joins the other's constellation if that has room (fewer than `constellation_max`
    tribes, the lowest tribe ids first) and a shared purpose related to pi_a too, or forms one
    with the other if that is in none, around norm(n_a pi_a + n_b pi_b); a tribe in more than
    one such pair forms none this step."""
    cfg, rng = m.cfg, m.rng
    living = m.living
    if len(living) < 2:
        return
    meetings = []
    for position, tribe in enumerate(living):
        if rng.random() < cfg.federate_rate and tribe.constellation is None:
            meetings.append((position, tribe))
    related = []
    for position, tribe in meetings:
        pick = int(rng.integers(len(living) - 1))
        other = living[pick + (pick >= position)]
        if float(tribe.purpose @ other.purpose) >= cfg.federate_threshold:
            related.append((tribe, other, other.constellation))
    room = {c: max(cfg.constellation_max - len(c.tribes), 0) for c in m.constellations
            if c.alive}
    joining = [(tribe, target) for tribe, _, target in related if target is not None]
    for tribe, target in sorted(joining, key=lambda r: r[0].tribe_id):
        if float(tribe.purpose @ target.purpose) >= cfg.federate_threshold and room[target] > 0:
            room[target] -= 1
            target.add(tribe)
    pairs = {tuple(sorted((a, b), key=lambda t: t.tribe_id)) for a, b, target in related
             if target is None}
    ends: dict[RefTribe, int] = {}
    for pair in pairs:
        for tribe in pair:
            ends[tribe] = ends.get(tribe, 0) + 1
    for low, high in sorted(pairs, key=lambda pair: (pair[0].tribe_id, pair[1].tribe_id)):
        if (ends[low] == 1 and ends[high] == 1 and low.constellation is None
                and high.constellation is None):
            c = Constellation(len(m.constellations),
                              unit_vector(low.size * low.purpose + high.size * high.purpose),
                              m.clock)
            m.constellations.append(c)
            c.add(low)
            c.add(high)


def lead(m: ReferenceOrganization) -> None:
    """Each constellation's leader among its tribes' leaders, as the leadership policy says,
    and its coordination quality: its leader's quality Q, or without a leader the mean leader
    quality of its tribes."""
    cfg, policy = m.cfg, m.cfg.leadership
    for c in m.constellations:
        if not c.alive:
            continue
        candidates = [t.leader for t in c.tribes if t.leader is not None]
        incumbent = c.leader
        kept = incumbent is not None and incumbent in candidates
        chosen: RefPerson | None
        if policy == "emergent":
            challenger = first_best(candidates, lambda p: p.standing)
            beaten = (challenger is not None and incumbent is not None
                      and challenger.standing > incumbent.standing * (1 + cfg.leader_hysteresis))
            chosen = incumbent if kept and not beaten else challenger
        elif policy == "appointed":
            chosen = incumbent if kept else first_best(candidates, lambda p: p.top_skill)
        elif policy == "rotating":
            due = not kept or m.clock - c.leader_since >= cfg.rotation_period
            lottery = {p: float(m.rng.random()) for p in candidates}
            if kept and incumbent is not None:
                lottery[incumbent] = -1.0
            chosen = first_best(candidates, lottery.__getitem__) if due else incumbent
        else:  # distributed: no single leader
            chosen = None
        if chosen is not c.leader:
            c.leader = chosen
            c.leader_since = m.clock
        if c.leader is not None:
            c.quality = c.leader.quality_as_leader(m.reputation_ref)
        else:
            c.quality = (sum(t.leader_quality for t in c.tribes) / len(c.tribes)
                         if c.tribes else 0.0)


def first_best(persons: list[RefPerson], score: Callable[[RefPerson], float]
               ) -> RefPerson | None:
    """The person of the highest score, the first in the list on ties (None if none)."""
    best, best_score = None, 0.0
    for p in persons:
        s = score(p)
        if best is None or s > best_score:
            best, best_score = p, s
    return best


def meet(m: ReferenceOrganization) -> None:
    """Each member of a federated tribe, with probability `meet_rate`, meets a random member
    of another of its constellation's tribes (the tribe drawn uniformly, then a member of it as
    it was at observe), and their directed tie grows by `meet_tie` toward 1."""
    cfg, rng = m.cfg, m.rng
    if cfg.meet_rate == 0:
        return
    for person in m.staff:
        tribe = person.tribe
        if tribe is None or tribe.constellation is None:
            continue
        if rng.random() >= cfg.meet_rate:
            continue
        sisters = [t for t in tribe.constellation.tribes if t is not tribe]
        sister = sisters[int(rng.random() * len(sisters))]
        if not sister.roster:
            continue
        other = sister.roster[int(rng.random() * len(sister.roster))]
        if other.tribe is sister:
            person.work_with(other, cfg.meet_tie)


def discount(a: RefTribe | None, b: RefTribe) -> float:
    """gamma_ab: the share of a hand-off's extra effort from tribe a to tribe b their
    constellation saves, `constellation_discount` (1 + q_C) / 2 (0 outside one)."""
    if together(a, b):
        assert a is not None and a.constellation is not None
        return b.model.cfg.constellation_discount * (1.0 + a.constellation.quality) / 2.0
    return 0.0


def together(a: RefTribe | None, b: RefTribe) -> bool:
    """Whether tribes a and b are in one constellation."""
    return a is not None and a.constellation is not None and a.constellation is b.constellation


def route(m: ReferenceOrganization) -> list[tuple[Item, RefTribe]]:
    """The parts waiting in the backlog that a federated tribe handed off, each with the sister
    tribe that fits it best (purpose_j . pi_t + needs_j . S_t; the first on ties)."""
    routed = []
    for item in m.backlog.values():
        upstream = item.previous_tribe
        if upstream is None or upstream.constellation is None:
            continue
        best, best_score = None, 0.0
        for tribe in upstream.constellation.tribes:
            if tribe is upstream or not tribe.alive:
                continue
            score = float(item.purpose @ tribe.purpose) + float(item.needs @ tribe.skill_profile)
            if best is None or score > best_score:
                best, best_score = tribe, score
        if best is not None:
            routed.append((item, best))
    return routed


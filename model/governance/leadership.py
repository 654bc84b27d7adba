"""Leadership policies: how a tribe gets its leader, and how good its leadership is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.organization import Organization

from model.governance import register


class _Leadership:
    """Shared parts: leader quality and the bookkeeping of a change of leader."""

    single_leader = True  # a founder leads the tribe they found

    def overhead(self, cfg) -> float:
        """Share of effort spent on leadership itself."""
        return 0.0

    def quality(self, m: Organization) -> None:
        """Quality of a leader L: alignment_L * rep_L / (rep_L + mean reputation)."""
        tribes = m.tribes
        leader = tribes.leader[: tribes.n]
        tribes.leader_quality[: tribes.n] = np.where(
            leader >= 0, person_quality(m, np.maximum(leader, 0)), 0.0)

    def install(self, m: Organization, tribe_ids: np.ndarray, leaders: np.ndarray) -> None:
        """Make `leaders` the leaders of `tribe_ids`, logging each real change."""
        tribes = m.tribes
        old = tribes.leader[tribe_ids]
        changed = old != leaders
        tribe_ids, leaders, old = tribe_ids[changed], leaders[changed], old[changed]
        tribes.leader[tribe_ids] = leaders
        tribes.leader_since[tribe_ids] = m.steps
        m.events.add(m.steps, "leader_changed", leaders, tribe_ids, old, self.name)


def person_quality(m: Organization, persons: np.ndarray) -> np.ndarray:
    """How good a person is at leading their tribe: alignment times relative reputation."""
    p = m.people
    reputation = p.reputation[persons]
    return p.alignment[persons] * reputation / (reputation + m.reputation_ref)


@register("leadership", "emergent")
class Emergent(_Leadership):
    """Peers recognize leaders: each member backs one co-member, switching to a better one when
    they meet them; the most backed member leads once they clearly outrank the incumbent."""

    def select(self, m: Organization) -> None:
        """Update endorsements, count them, and let challengers take over."""
        p, tribes, cfg = m.people, m.tribes, m.cfg
        n = p.n
        members = np.flatnonzero(p.tribe[:n] >= 0)
        standing = p.reputation[:n] * (0.5 + 0.5 * p.alignment[:n])
        backed = p.endorses[members]
        valid = (backed >= 0) & (p.tribe[np.maximum(backed, 0)] == p.tribe[members])
        backed = np.where(valid, backed, -1)
        best = np.where(valid, standing[np.maximum(backed, 0)], -np.inf)
        for _ in range(cfg.endorse_sample):
            peer = m.sample_comembers(members)
            better = (peer >= 0) & (standing[np.maximum(peer, 0)] > best)
            backed[better] = peer[better]
            best[better] = standing[peer[better]]
        p.endorses[members] = backed
        p.recognition[:n] = np.bincount(backed[backed >= 0], minlength=n)[:n]
        living = tribes.living()
        challenger = tribes.member_argmax(p, p.recognition[:n])[living]
        incumbent = tribes.leader[living]
        rec_challenger = p.recognition[np.maximum(challenger, 0)]
        rec_incumbent = np.where(incumbent >= 0, p.recognition[np.maximum(incumbent, 0)], 0.0)
        wins = (challenger >= 0) & (rec_challenger > 0) & (
            (incumbent < 0) | (rec_challenger > rec_incumbent * (1 + cfg.leader_hysteresis)))
        self.install(m, living[wins], challenger[wins])


@register("leadership", "appointed")
class Appointed(_Leadership):
    """Management appoints the most skilled member of a leaderless tribe; the leader stays
    until they leave the tribe."""

    def select(self, m: Organization) -> None:
        """Fill vacancies with the member of highest skill (then tenure)."""
        p, tribes = m.people, m.tribes
        n = p.n
        living = tribes.living()
        vacant = living[tribes.leader[living] < 0]
        if len(vacant) == 0:
            return
        # on equal skill the lowest row wins: rows are in hiring order, so the longest tenure
        choice = tribes.member_argmax(p, p.top_skill[:n])[vacant]
        self.install(m, vacant[choice >= 0], choice[choice >= 0])


@register("leadership", "rotating")
class Rotating(_Leadership):
    """The lead passes to a random member every `rotation_period` steps."""

    def select(self, m: Organization) -> None:
        """Rotate where the term is over or the post is vacant."""
        p, tribes, cfg = m.people, m.tribes, m.cfg
        living = tribes.living()
        due = living[(tribes.leader[living] < 0)
                     | (m.steps - tribes.leader_since[living] >= cfg.rotation_period)]
        if len(due) == 0:
            return
        lottery = m.rng.random(p.n)
        lottery[tribes.leader[due][tribes.leader[due] >= 0]] = -1.0  # not the same person again
        choice = tribes.member_argmax(p, lottery)[due]
        self.install(m, due[choice >= 0], choice[choice >= 0])


@register("leadership", "distributed")
class Distributed(_Leadership):
    """No single leader: roles are distributed; leadership quality is that of the role holders
    (the two champions); role governance costs `role_overhead` of effort."""

    single_leader = False

    def overhead(self, cfg) -> float:
        """Role governance meetings cost `role_overhead` of everyone's effort."""
        return cfg.role_overhead

    def select(self, m: Organization) -> None:
        """Remove any single leader (roles replace the post)."""
        tribes = m.tribes
        living = tribes.living()
        led = living[tribes.leader[living] >= 0]
        self.install(m, led, np.full(len(led), -1, dtype=np.int32))

    def quality(self, m: Organization) -> None:
        """Mean quality of the value and innovation champions."""
        tribes = m.tribes
        total = np.zeros(tribes.n)
        holders = np.zeros(tribes.n)
        for role in (tribes.value_champion, tribes.innovation_champion):
            holder = role[: tribes.n]
            has = holder >= 0
            total += np.where(has, person_quality(m, np.maximum(holder, 0)), 0.0)
            holders += has
        tribes.leader_quality[: tribes.n] = np.divide(total, holders, out=np.zeros_like(total),
                                                      where=holders > 0)


"""Conflict policies: what a divided tribe does about it.

A living tribe of two or more is in conflict when its division (1 - mean alignment of members
with the purpose) exceeds `conflict_threshold`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.arrays import normalize_rows
from model.governance import register

if TYPE_CHECKING:
    from model.organization import Organization


@register("conflict", "arbitration")
class Arbitration:
    """The leader decides: the purpose moves halfway to the leader's passion (unless purposes are
    fixed mandates, which the leader upholds) and members less aligned than the leader lose
    `arbitration_cost` engagement. Without a leader the conflict stays unresolved."""

    def resolve(self, m: Organization, tribe_ids: np.ndarray) -> None:
        """Arbitrate in the conflicted tribes that have a leader."""
        tribes, p, cfg = m.tribes, m.people, m.cfg
        tribe_ids = tribe_ids[tribes.leader[tribe_ids] >= 0]
        if len(tribe_ids) == 0:
            return
        leader = tribes.leader[tribe_ids]
        if m.purpose.mutable:
            purpose = tribes.purpose[tribe_ids]
            tribes.purpose[tribe_ids] = normalize_rows(purpose
                                                       + 0.5 * (p.passion[leader] - purpose))
        arbitrated = np.zeros(tribes.n, dtype=bool)
        arbitrated[tribe_ids] = True
        leader_alignment = np.zeros(tribes.n, dtype=np.float32)
        leader_alignment[tribe_ids] = p.alignment[leader]
        members = np.flatnonzero(p.tribe[: p.n] >= 0)
        t = p.tribe[members]
        overruled = members[arbitrated[t] & (p.alignment[members] < leader_alignment[t])]
        p.engagement[overruled] = np.maximum(p.engagement[overruled] - cfg.arbitration_cost, 0)


@register("conflict", "consent")
class Consent:
    """A consent round: the purpose becomes the members' mean passion (if purposes may change),
    at the price of `consent_overhead` of the tribe's effort this step."""

    def resolve(self, m: Organization, tribe_ids: np.ndarray) -> None:
        """Integrate the members' passions into the purpose."""
        tribes, p = m.tribes, m.people
        if m.purpose.mutable:
            shared = tribes.member_mean(p, p.passion[: p.n])[tribe_ids]
            tribes.purpose[tribe_ids] = normalize_rows(shared.astype(np.float32))
        tribes.overhead[tribe_ids] += m.cfg.consent_overhead


@register("conflict", "exit")
class Exit:
    """Those who disagree leave: members aligned below `exit_alignment` leave the tribe."""

    def resolve(self, m: Organization, tribe_ids: np.ndarray) -> None:
        """Dissenters become unaffiliated."""
        tribes, p = m.tribes, m.people
        conflicted = np.zeros(tribes.n, dtype=bool)
        conflicted[tribe_ids] = True
        members = np.flatnonzero(p.tribe[: p.n] >= 0)
        leaving = members[conflicted[p.tribe[members]]
                          & (p.alignment[members] < m.cfg.exit_alignment)]
        m.move(leaving, np.full(len(leaving), -1, dtype=np.int32), "conflict")

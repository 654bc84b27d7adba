"""Conflict within a tribe: when a tribe is divided, and what it does about it.

A living tribe of two or more is in conflict when its division D_t (1 - mean alignment of its
members with the purpose, taken at observe) exceeds `conflict_threshold`; the conflict policy
resolves it. Resolutions that change the purpose ask the purpose policy, which a fixed mandate
refuses.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics.rows import normalize_rows
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.rules.purpose import PurposePolicy
    from model.state import State


@dataclass(frozen=True)
class ConflictParams(Params):
    """When a tribe is in conflict and what resolving it costs."""

    group = "conflict"

    conflict: str = policy("conflict", "exit", "how a divided tribe resolves its conflict")
    conflict_threshold: float = param(0.45, "division above which a tribe is in conflict", 0, 1)
    arbitration_cost: float = param(0.05, "engagement lost by overruled members (arbitration)",
                                    0, 1)
    consent_overhead: float = param(0.2, "share of effort a consent round costs", 0, 1)
    exit_alignment: float = param(0.4, "alignment below which members leave a conflicted "
                                  "tribe (exit)", 0, 1)


class ConflictRecord(Table):
    """Per tribe: whether it is in conflict this step."""

    conflict = Column(np.bool_, False, doc="in conflict this step")


class ConflictPolicy(Policy):
    """How a divided tribe resolves its conflict (the contract of every conflict policy).

    Attributes:
        record: per tribe, whether it is in conflict this step.
    """

    kind = "conflict"

    def attach(self, s: State) -> None:
        """The record grows with the tribes."""
        self.record = ConflictRecord(s.tribes.allocated)
        s.attach_to_tribes(self.record)

    @abstractmethod
    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> None:
        """Resolve the conflict of tribes `tribe_ids`; a new purpose goes through `purpose`."""


@register("arbitration")
class Arbitration(ConflictPolicy):
    """The leader decides: the purpose moves halfway to the leader's passion (unless purposes are
    fixed mandates, which the leader upholds) and members less aligned than the leader lose
    `arbitration_cost` engagement. Without a leader the conflict stays unresolved."""

    params = ("arbitration_cost",)

    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> None:
        """Arbitrate in the conflicted tribes that have a leader."""
        tribes, p = s.tribes, s.people
        tribe_ids = tribe_ids[tribes.leader[tribe_ids] >= 0]
        if len(tribe_ids) == 0:
            return
        leader = tribes.leader[tribe_ids]
        current = tribes.purpose[tribe_ids]
        purpose.adopt(s, tribe_ids,
                      normalize_rows(current + 0.5 * (p.passion[leader] - current)))
        arbitrated = np.zeros(tribes.n, dtype=bool)
        arbitrated[tribe_ids] = True
        leader_alignment = np.zeros(tribes.n, dtype=np.float32)
        leader_alignment[tribe_ids] = p.alignment[leader]
        members = p.members()
        t = p.tribe[members]
        overruled = members[arbitrated[t] & (p.alignment[members] < leader_alignment[t])]
        p.engagement[overruled] = np.maximum(p.engagement[overruled] - self.cfg.arbitration_cost,
                                             0)


@register("consent")
class Consent(ConflictPolicy):
    """A consent round: the purpose becomes the members' mean passion (if purposes may change),
    at the price of `consent_overhead` of the tribe's effort this step."""

    params = ("consent_overhead",)

    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> None:
        """Integrate the members' passions into the purpose."""
        tribes, p = s.tribes, s.people
        shared = tribes.member_mean(p, p.passion[: p.n])[tribe_ids]
        purpose.adopt(s, tribe_ids, normalize_rows(shared.astype(np.float32)))
        tribes.overhead[tribe_ids] += self.cfg.consent_overhead


@register("exit")
class Exit(ConflictPolicy):
    """Those who disagree leave: members aligned below `exit_alignment` leave the tribe."""

    params = ("exit_alignment",)

    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> None:
        """Dissenters become unaffiliated."""
        tribes, p = s.tribes, s.people
        conflicted = np.zeros(tribes.n, dtype=bool)
        conflicted[tribe_ids] = True
        members = p.members()
        leaving = members[conflicted[p.tribe[members]]
                          & (p.alignment[members] < self.cfg.exit_alignment)]
        s.leave_all(leaving, "conflict")


def decide(s: State, rules: Rules) -> None:
    """Tribes divided beyond `conflict_threshold` are in conflict; the conflict policy
    resolves it."""
    tribes, record = s.tribes, rules.conflict.record
    living = tribes.living()
    in_conflict = ((tribes.size[living] >= 2)
                   & (tribes.division[living] > s.cfg.conflict_threshold))
    record.conflict[: tribes.n] = False
    conflicted = living[in_conflict]
    record.conflict[conflicted] = True
    s.events.add(s.clock, "conflict", -1, conflicted, -1, rules.conflict.name)
    if len(conflicted):
        rules.conflict.resolve(s, conflicted, rules.purpose)

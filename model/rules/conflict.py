"""Conflict within a tribe: when a tribe is divided, and what it does about it.

A living tribe of two or more is in conflict when its division D_t (1 - mean alignment of its
members with the purpose, taken at observe) exceeds `conflict_threshold` and exceeds the
division at which its last conflict was settled: a settled conflict stays settled (its cost is
paid once) until the tribe grows more divided than it was then, or calms below the threshold,
after which a new conflict starts afresh. The conflict policy resolves it; a conflict the
policy cannot resolve (arbitration without a leader) stays unresolved, and an unresolved
conflict lowers the fit of the tribe's members (`w_conflict`, `model.rules.fit`). Resolutions
that change the purpose ask the purpose policy, which a fixed mandate refuses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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
    """Per tribe: its conflict this step, and how its last one was settled."""

    conflict = Column(np.bool_, False, doc="in conflict this step")
    unresolved = Column(np.bool_, False, doc="in conflict and not resolved this step")
    settled = Column(np.float32, 0.0, doc="division at the last settlement (0: none since the "
                     "tribe last calmed)")


class ConflictPolicy(Policy, ABC):
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
    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> np.ndarray:
        """Resolve the conflict of tribes `tribe_ids` (a new purpose goes through `purpose`);
        return the tribes whose conflict is settled."""

    def unresolved(self, tribe_ids: np.ndarray) -> np.ndarray:
        """Whether each tribe's conflict stayed unresolved this step."""
        flags: np.ndarray = self.record.unresolved[tribe_ids]
        return flags


@register("arbitration")
class Arbitration(ConflictPolicy):
    """The leader decides: the purpose moves halfway to the leader's passion (unless purposes are
    fixed mandates, which the leader upholds) and members less aligned than the leader lose
    `arbitration_cost` engagement. Without a leader the conflict stays unresolved."""

    params = ("arbitration_cost",)

    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> np.ndarray:
        """Arbitrate in the conflicted tribes that have a leader; the others stay unresolved."""
        tribes, p = s.tribes, s.people
        tribe_ids = tribe_ids[tribes.leader[tribe_ids] >= 0]
        if len(tribe_ids) == 0:
            return tribe_ids
        leader = tribes.leader[tribe_ids]
        current = tribes.purpose[tribe_ids]
        purpose.adopt(s, tribe_ids,
                      normalize_rows(current + 0.5 * (p.passion[leader] - current)))
        arbitrated = np.zeros(tribes.n, dtype=bool)
        arbitrated[tribe_ids] = True
        leader_alignment = np.zeros(tribes.n, dtype=np.float32)
        leader_alignment[tribe_ids] = (p.alignment[leader] if p.width == 1
                                       else p.in_tribe("alignment_m", leader, tribe_ids))
        flat, members, t = p.pairs()
        below = p.flat("alignment_m")[flat] < leader_alignment[t]
        # overruled once a step, however many of their tribes arbitrate
        overruled = np.unique(members[arbitrated[t] & below])
        p.engagement[overruled] = np.maximum(p.engagement[overruled] - self.cfg.arbitration_cost,
                                             0)
        return tribe_ids


@register("consent")
class Consent(ConflictPolicy):
    """A consent round: the purpose becomes the members' mean passion (if purposes may change),
    at the price of `consent_overhead` of the tribe's effort this step."""

    params = ("consent_overhead",)

    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> np.ndarray:
        """Integrate the members' passions into the purpose."""
        tribes, p = s.tribes, s.people
        shared = tribes.member_mean(p, p.passion[: p.n])[tribe_ids]
        purpose.adopt(s, tribe_ids, normalize_rows(shared.astype(np.float32)))
        tribes.overhead[tribe_ids] += self.cfg.consent_overhead
        return tribe_ids


@register("exit")
class Exit(ConflictPolicy):
    """Those who disagree leave: members aligned below `exit_alignment` leave the tribe."""

    params = ("exit_alignment",)

    def resolve(self, s: State, tribe_ids: np.ndarray, purpose: PurposePolicy) -> np.ndarray:
        """Dissenters become unaffiliated."""
        tribes, p = s.tribes, s.people
        conflicted = np.zeros(tribes.n, dtype=bool)
        conflicted[tribe_ids] = True
        flat, members, tribe = p.pairs()
        leaving = conflicted[tribe] & (p.flat("alignment_m")[flat] < self.cfg.exit_alignment)
        if p.width == 1:
            s.leave_all(members[leaving], "conflict")
        else:
            s.move(members[leaving], -1, "conflict", leaving=tribe[leaving])
        return tribe_ids


def decide(s: State, rules: Rules) -> None:
    """Tribes divided beyond `conflict_threshold`, and beyond their last settlement, are in
    conflict; the conflict policy resolves it; a settled conflict records its division."""
    tribes, record = s.tribes, rules.conflict.record
    living = tribes.living()
    division = tribes.division[living]
    divided = (tribes.size[living] >= 2) & (division > s.cfg.conflict_threshold)
    record.settled[living[~divided]] = 0.0  # calm again: a later conflict starts afresh
    in_conflict = divided & (division > record.settled[living])
    record.conflict[living] = False  # an ended tribe keeps what it ended with
    record.unresolved[living] = False
    conflicted = living[in_conflict]
    record.conflict[conflicted] = True
    s.events.add(s.clock, "conflict", -1, conflicted, -1, rules.conflict.name)
    if len(conflicted):
        resolved = rules.conflict.resolve(s, conflicted, rules.purpose)
        record.settled[resolved] = tribes.division[resolved]
        record.unresolved[conflicted[~np.isin(conflicted, resolved)]] = True

"""Purpose: how a tribe's purpose is made and changed.

The purpose policy changes purposes in its own phase (decide.purpose), and owns every other
change too: conflict resolution and mergers ask it to `adopt` a new purpose, which a fixed
mandate refuses. With P_t the mean passion of the members and d the market's demand vector:

    co-created:  pi <- norm(pi + phi (P_t - pi) + mu (p_c . d) (d - pi))
                 and every `reorient_every` steps pi <- norm(P_t)
    pivoting:    co-created, and after `pivot_patience` poor steps in a row
                 pi <- norm(P_t * q)   (q: the market's theme shares; d if that is zero)

A constellation's shared purpose (`model.rules.federation`) is co-created from its tribes'
purposes the same way, Pi <- norm(Pi + phi (proposed - Pi)), unless purposes are fixed
mandates, when it stays the one it was formed with.

phi = `refine_rate`, mu = `market_pull`, c the value champion (no champion, no pull).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics.rows import matvec, normalize_rows
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class PurposeParams(Params):
    """How purposes are made and changed."""

    group = "purpose"

    purpose: str = policy("purpose", "pivoting", "how a tribe's purpose changes")
    refine_rate: float = param(0.05, "rate at which a purpose moves toward members' passions",
                               0, 1)
    market_pull: float = param(0.03, "rate at which the value champion pulls the purpose to "
                               "the market (times their attunement to it)", 0, 1)
    pivot_patience: int = param(15, "poor steps in a row before a pivot", 1, 1_000_000)
    pivot_threshold: float = param(0.02, "value per member per step below which a step is "
                                   "poor", 0, 1e6)
    reorient_every: int = param(25, "steps between purpose re-orientations (0 = never)", 0,
                                1_000_000)


class PurposeRecord(Table):
    """Per tribe: the purpose's history the policies keep."""

    poor_run = Column(np.int32, 0, doc="poor steps in a row")
    last_reorient = Column(np.int32, -1, doc="step of the last re-orientation (-1: never, "
                           "counted from founding)")
    pivots = Column(np.int32, 0, doc="pivots so far")


class PurposePolicy(Policy, ABC):
    """How a tribe's purpose changes (the contract of every purpose policy).

    Attributes:
        record: per tribe, the history the policies keep (poor runs, re-orientations, pivots).
    """

    kind = "purpose"

    def attach(self, s: State) -> None:
        """The record grows with the tribes."""
        self.record = PurposeRecord(s.tribes.allocated)
        s.attach_to_tribes(self.record)

    @abstractmethod
    def update(self, s: State) -> None:
        """The policy's own changes of purpose this step."""

    def adopt(self, s: State, tribe_ids: np.ndarray, purposes: np.ndarray) -> None:
        """Tribes `tribe_ids` take the new `purposes` (unit rows), as another rule (conflict
        resolution, a merger, a settlement between tribes) asks."""
        s.tribes.purpose[tribe_ids] = purposes

    @abstractmethod
    def shared_purpose(self, current: np.ndarray, proposed: np.ndarray) -> np.ndarray:
        """The next shared purpose of communities of tribes (constellations; unit rows), from
        their `current` one and the one their tribes' purposes `proposed`."""


@register("fixed")
class Fixed(PurposePolicy):
    """A purpose is a mandate: it never changes (not by conflict or merger either)."""

    def update(self, s: State) -> None:
        """Nothing changes."""

    def adopt(self, s: State, tribe_ids: np.ndarray, purposes: np.ndarray) -> None:
        """Refused: the mandate stands."""

    def shared_purpose(self, current: np.ndarray, proposed: np.ndarray) -> np.ndarray:
        """A shared purpose is a mandate too: the one it was formed with."""
        return current


@register("co_created")
class CoCreated(PurposePolicy):
    """The purpose follows its members' passions (refinement), the value champion pulls it
    toward the market (as hard as they are attuned to it), and at a set cadence it is
    re-oriented to the members' mean passion."""

    params: ClassVar[tuple[str, ...]] = ("refine_rate", "market_pull", "reorient_every")

    def shared_purpose(self, current: np.ndarray, proposed: np.ndarray) -> np.ndarray:
        """Refined toward what the tribes propose: norm(Pi + phi (proposed - Pi))."""
        shared: np.ndarray = normalize_rows(
            (current + np.float32(self.cfg.refine_rate) * (proposed - current)).astype(
                np.float32))
        return shared

    def update(self, s: State) -> None:
        """Refine, pull toward the market, and re-orient when due."""
        tribes, p, cfg = s.tribes, s.people, self.cfg
        living = tribes.living()
        if len(living) == 0:
            return
        shared = tribes.member_mean(p, p.passion[: p.n])[living].astype(np.float32)
        purpose = tribes.purpose[living]
        market = s.market.demand.astype(np.float32)
        champion = tribes.value_champion[living]
        attunement = matvec(p.passion[np.maximum(champion, 0)], market)
        pull = np.float32(cfg.market_pull) * np.where(champion >= 0, attunement, np.float32(0))
        purpose = (purpose + cfg.refine_rate * (shared - purpose)
                   + pull[:, None] * (market - purpose))
        if cfg.reorient_every > 0:
            last = self.record.last_reorient[living]
            since = np.where(last >= 0, last, tribes.founded[living])
            due = s.clock - since >= cfg.reorient_every
            purpose[due] = shared[due]
            self.record.last_reorient[living[due]] = s.clock
        tribes.purpose[living] = normalize_rows(purpose)


@register("pivoting")
class Pivoting(CoCreated):
    """Co-created, and pivoted after `pivot_patience` poor steps in a row: the new purpose is
    what members care about weighted by what the market asks."""

    params = (*CoCreated.params, "pivot_patience", "pivot_threshold")

    def update(self, s: State) -> None:
        """Co-create, then pivot the tribes whose results stayed poor."""
        super().update(s)
        tribes, p, cfg, record = s.tribes, s.people, self.cfg, self.record
        living = tribes.living()
        size = np.maximum(tribes.size[living], 1)
        poor = tribes.value_step[living] / size < cfg.pivot_threshold
        record.poor_run[living] = np.where(poor, record.poor_run[living] + 1, 0)
        pivot = living[record.poor_run[living] >= cfg.pivot_patience]
        if len(pivot) == 0:
            return
        shared = tribes.member_mean(p, p.passion[: p.n])[pivot]
        new = normalize_rows((shared * s.market.shares).astype(np.float32))
        empty = ~new.any(axis=1)
        new[empty] = s.market.demand
        tribes.purpose[pivot] = new
        record.poor_run[pivot] = 0
        record.pivots[pivot] += 1
        s.events.add(s.clock, "pivoted", -1, pivot, -1, "poor results")


def decide(s: State, rules: Rules) -> None:
    """The purpose policy refines, re-orients or pivots purposes."""
    rules.purpose.update(s)

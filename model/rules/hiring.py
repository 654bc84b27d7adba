"""Hiring: whether, and how, the organization replaces the people who exit.

Under `replace`, each person who exited this step is replaced by a new hire drawn as at the
start, in the leaver's formal unit, tied (weight 0.3) to those of the leaver's `initial_ties`
strongest ties who are still here; the membership policy then places them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, policy
from model.policy import Policy, register
from model.population import hire_people
from model.rules import pressure

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class HiringParams(Params):
    """Whether people who leave are replaced."""

    group = "hiring"

    hiring: str = policy("hiring", "replace", "whether people who exit are replaced")


class HiringPolicy(Policy, ABC):
    """Whether people who exit are replaced (the contract of every hiring policy)."""

    kind = "hiring"

    @abstractmethod
    def hire(self, s: State, rules: Rules, leavers: np.ndarray) -> None:
        """Act on this step's `leavers`."""


@register("replace")
class Replace(HiringPolicy):
    """Each person who exits is replaced by a new hire in the same formal unit, who is
    introduced to the leaver's strongest ties."""

    def hire(self, s: State, rules: Rules, leavers: np.ndarray) -> None:
        """Hire one person per leaver."""
        if len(leavers):
            replace(s, rules, leavers)


@register("none")
class NoHiring(HiringPolicy):
    """Nobody is hired: the organization shrinks as people exit."""

    def hire(self, s: State, rules: Rules, leavers: np.ndarray) -> None:
        """Nothing."""


def replace(s: State, rules: Rules, leavers: np.ndarray) -> np.ndarray:
    """One new hire per leaver, in the leaver's unit, introduced to the leaver's strongest
    active ties; the membership policy then places them. Return the new rows."""
    p, cfg = s.people, s.cfg
    leavers = np.asarray(leavers, dtype=np.int64)
    units = p.unit[leavers].copy()
    strongest = np.argsort(-p.tie_w[leavers], axis=1, kind="stable")[:, : cfg.initial_ties]
    contacts = np.take_along_axis(p.tie_to[leavers], strongest, axis=1)
    rows = hire_people(s, len(leavers), units)
    for slot in range(contacts.shape[1]):
        target = contacts[:, slot]
        target = np.where(p.active[np.maximum(target, 0)], target, -1)
        p.add_ties(rows, target)
    s.events.add(s.clock, "hired", rows, -1, leavers, rules.hiring.name)
    rules.membership.place(s, rules, rows)
    return rows


def act(s: State, rules: Rules) -> None:
    """The hiring policy replaces (or not) the people who exited this step (under a hiring
    freeze, only those the freeze lets it replace: `model.rules.pressure.hired`)."""
    rules.hiring.hire(s, rules, pressure.hired(s, s.leavers))

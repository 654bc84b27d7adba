"""Exit: people leave the organization.

With outside option O_i = O (0.5 + 0.5 max_k s_ik) (O = `outside_option`: better-skilled people
have better options elsewhere) and commitment c_i:

    P(exit) = min(x0 + sigma max(O_i - c_i, 0), 1)

x0 = `exit_base`, sigma = `exit_sensitivity`. The exit is recorded as "disengaged" when the
second term exceeds x0, else as "attrition". Leavers leave their tribe (and any role) and
become inactive for good; the hiring phase reads who left (`State.leavers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.person import ExitReason
from model.parameters import Params, param

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class ExitParams(Params):
    """When people leave the organization."""

    group = "exit"

    exit_base: float = param(0.001, "per-step exit probability of a committed person", 0, 1)
    exit_sensitivity: float = param(0.05, "extra exit probability per unit of outside option "
                                    "above commitment", 0, 1)
    outside_option: float = param(0.35, "attractiveness of jobs elsewhere", 0, 1)


def exit_probability(s: State) -> tuple[np.ndarray, np.ndarray]:
    """Per-step exit probability of every row, and whether disengagement dominates it."""
    p, cfg = s.people, s.cfg
    n = p.n
    outside = cfg.outside_option * (0.5 + 0.5 * p.top_skill[:n])
    push = cfg.exit_sensitivity * np.maximum(outside - p.commitment[:n], 0.0)
    probability = np.where(p.active[:n], np.minimum(cfg.exit_base + push, 1.0), 0.0)
    return probability, push > cfg.exit_base


def decide(s: State, rules: Rules) -> None:
    """People leave with the exit probability; their exits are logged with the reason."""
    p = s.people
    probability, disengaged = exit_probability(s)
    leavers = np.flatnonzero(s.rng.random(p.n) < probability)
    s.leave_all(leavers, "exit")
    p.active[leavers] = False
    p.exit_step[leavers] = s.clock
    p.exit_reason[leavers] = np.where(disengaged[leavers], ExitReason.DISENGAGED,
                                      ExitReason.ATTRITION)
    for reason in (ExitReason.ATTRITION, ExitReason.DISENGAGED):
        s.events.add(s.clock, "exited", leavers[p.exit_reason[leavers] == reason], -1, -1,
                     reason.label)
    s.leavers = leavers

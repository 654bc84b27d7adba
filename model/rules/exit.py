"""Exit: people leave the organization, by a base hazard or by choosing to quit.

Two causes, drawn with one uniform U per active person and step:

    attrition   U < x0                                        (x0 = `exit_base`)
    voluntary   x0 <= U < x0 + (1 - x0) q sigma((O_i - V_i) / nu)

The base hazard x0 stands for exits that do not depend on the job (retirement, relocation,
illness). A quit compares the value of staying V_i = (F_i + c_i) / 2 (today's fit and the
commitment built over time) with the outside option O_i = O (0.5 + 0.5 max_k s_ik)
(O = `outside_option`: better-skilled people have better options elsewhere), through a logit
with scale nu = `quit_noise` (the spread of the idiosyncratic part of both values, as in a
random-utility model of turnover: March and Simon 1958; Mobley 1977; Griffeth, Hom and Gaertner
2000), times q = `quit_rate`, the most a person quits per step when the outside option is far
better. Quits happen at any fit (the logit never reaches 0) and rise, saturating at q, as the
outside option overtakes the value of staying. Leavers leave their tribe (and any role) and
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

    exit_base: float = param(0.001, "per-step probability of leaving for reasons unrelated to "
                             "the job (attrition)", 0, 1)
    quit_rate: float = param(0.015, "per-step probability of quitting when the outside "
                             "option is far better than staying", 0, 1)
    quit_noise: float = param(0.15, "spread of the idiosyncratic part of staying and leaving "
                              "(logit scale of quits)", 1e-6, 10)
    outside_option: float = param(0.35, "attractiveness of jobs elsewhere", 0, 1)


def staying_value(s: State) -> np.ndarray:
    """V_i = (F_i + c_i) / 2 of every row."""
    p = s.people
    value: np.ndarray = (p.fit[: p.n] + p.commitment[: p.n]) / 2
    return value


def outside_value(s: State) -> np.ndarray:
    """O_i = O (0.5 + 0.5 max_k s_ik) of every row (O times the factor of a collapse or boom
    of outside options while one lasts, `model.rules.pressure`)."""
    p = s.people
    option = s.cfg.outside_option
    if s.conditions.outside != 1.0:
        option = option * s.conditions.outside
    value: np.ndarray = option * (0.5 + 0.5 * p.top_skill[: p.n])
    return value


def quit_probability(s: State) -> np.ndarray:
    """Per-step probability that each row quits, given that attrition did not take them:
    q sigma((O_i - V_i) / nu) (0 for people who left)."""
    p, cfg = s.people, s.cfg
    gap = (outside_value(s) - staying_value(s)) / cfg.quit_noise
    quits = cfg.quit_rate / (1.0 + np.exp(-gap))
    probability: np.ndarray = np.where(p.active[: p.n], quits, 0.0)
    return probability


def decide(s: State, rules: Rules) -> None:
    """People leave by attrition or by quitting; their exits are logged with the reason."""
    p, cfg = s.people, s.cfg
    active = p.active[: p.n]
    # one draw per active person, so that rows of people who left do not change the draws
    u = np.ones(p.n)
    u[active] = s.rng.random(int(np.count_nonzero(active)))
    attrition = active & (u < cfg.exit_base)
    voluntary = active & ~attrition & (u < cfg.exit_base
                                       + (1 - cfg.exit_base) * quit_probability(s))
    leavers = np.flatnonzero(attrition | voluntary)
    s.leave_all(leavers, "exit")
    p.active[leavers] = False
    p.exit_step[leavers] = s.clock
    p.exit_reason[leavers] = np.where(voluntary[leavers], ExitReason.VOLUNTARY,
                                      ExitReason.ATTRITION)
    for reason in (ExitReason.ATTRITION, ExitReason.VOLUNTARY):
        s.events.add(s.clock, "exited", leavers[p.exit_reason[leavers] == reason], -1, -1,
                     reason.label)
    s.leavers = leavers

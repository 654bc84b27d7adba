"""Work across tribes: what a hand-off between two tribes' boards costs, and how long the part
waits for its next tribe.

An item that needs several tribes is a chain of parts (`model.kanban`): when a part is done, the
next is handed off and waits, as committed work, until another tribe takes it onto its board
(by pull, by push, or routed inside a constellation: `model.rules.federation`). When a tribe b
takes a part that tribe a handed off, the part costs extra effort, more the further apart the
two tribes are (act.handoffs):

    extra_j = kappa d_ab (1 - gamma_ab) effort_j
    d_ab = 1 - (pi_a . pi_b + cos(S_a, S_b)) / 2          in [0, 1]

kappa = `handoff_cost`, pi the purposes (unit vectors, non-negative: pi_a . pi_b in [0, 1]), S
the skill profiles (non-negative: their cosine in [0, 1]), gamma_ab the discount of a
constellation both tribes belong to (0 otherwise). A part whose upstream tribe has ended costs
as if d = 1: nobody is left to explain it. Knowledge crosses group boundaries at a cost that
grows with the difference in what the groups know and care about (Dougherty 1992's thought
worlds; Carlile 2002, 2004: syntactic, semantic and pragmatic knowledge boundaries); the cost
is bounded by kappa times the part's effort. Each part taken counts its wait since the hand-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param
from numerics.rows import row_dot

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class HandoffParams(Params):
    """What passing a part of work from one tribe to another costs."""

    group = "handoff"

    handoff_cost: float = param(0.5, "extra effort of a handed-off part, as a share of its "
                                "effort, between two tribes with nothing in common", 0, 10)


def distance(s: State, upstream: np.ndarray, downstream: np.ndarray) -> np.ndarray:
    """d_ab = 1 - (pi_a . pi_b + cos(S_a, S_b)) / 2 for each pair of tribe rows (d = 1 where
    the upstream tribe has ended or is unknown, -1)."""
    tribes = s.tribes
    known = upstream >= 0
    a = np.maximum(upstream, 0)
    purpose = row_dot(tribes.purpose[a], tribes.purpose[downstream])
    skill_a, skill_b = tribes.skill_profile[a], tribes.skill_profile[downstream]
    norms = np.linalg.norm(skill_a, axis=1) * np.linalg.norm(skill_b, axis=1)
    skill = np.divide(row_dot(skill_a, skill_b), norms, out=np.zeros(len(a), np.float32),
                      where=norms > 0)
    near = np.clip((purpose + skill) / 2.0, 0.0, 1.0)
    alive = known & tribes.alive[a]
    far: np.ndarray = np.where(alive, 1.0 - near, 1.0)
    return far


def pick_up(s: State, rules: Rules) -> None:
    """Parts handed off that reached a board this step: each counts its wait and takes on the
    hand-off's extra effort (see the module's docstring)."""
    board = s.board
    rows = board.picked_up(s.clock)
    if len(rows) == 0:
        return
    items = board.items
    upstream, downstream = items.previous_tribe[rows], items.tribe[rows]
    discount = rules.federation.discount(s, upstream, downstream)
    board.handoffs_inside_step += int(np.count_nonzero(
        rules.federation.together(s, upstream, downstream)))
    extra = (s.cfg.handoff_cost * distance(s, upstream, downstream) * (1.0 - discount)
             * items.effort[rows])
    items.remaining[rows] += extra.astype(np.float32)

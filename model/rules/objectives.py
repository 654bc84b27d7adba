"""The formal organization beside the real one: the objectives of formal units.

Under `planned` objectives, management plans every `planning_every` steps (decide.objectives,
the first time at step 1): each formal unit u becomes accountable for `objective_themes` (m)
themes, drawn without replacement with probabilities proportional to the market's theme shares
q at planning time (Gumbel top-m: the m largest of log q_k + G_uk, G standard Gumbel), and its
objective is the unit vector o_u with weight 1/sqrt(m) on each. Between plans the objectives
stand while the market drifts: a plan ages (management by objectives on a planning cycle:
Drucker 1954; plans lag the environment they were made for: Mintzberg 1994).

A tribe's formal unit is its leader's (a tribe without a leader has none). Leaders steer their
tribe's intake toward their unit's objective with the weight omega = `objective_weight`: a pull
slot scores a candidate item by (pi_t + omega o_u) . purpose_j + needs_j . S_t, and push scores
a team by needs_j . S_t + omega o_u . purpose_j. How strongly objectives bind is a property of
the governance rule: the presets set omega (see `model.presets`).

Value counts against objectives when the item's main theme (argmax of its purpose) is one of
the delivering tribe's unit's objective themes (the step table's `value_objective`, and
`objective_share` = value_objective / value).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param, policy
from model.policy import Policy, register

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class ObjectivesParams(Params):
    """Whether formal units have objectives, and how they are set and followed."""

    group = "objectives"

    objectives: str = policy("objectives", "none", "whether formal units have objectives")
    planning_every: int = param(60, "steps between management's plans (planned)", 1,
                                1_000_000)
    objective_themes: int = param(2, "themes each formal unit is accountable for (planned)", 1,
                                  256)
    objective_weight: float = param(0.0, "weight a leader gives the unit's objective when "
                                    "the tribe takes in work, beside purpose and skill", 0, 10)


class ObjectivesPolicy(Policy, ABC):
    """Whether formal units have objectives (the contract of every objectives policy).

    Attributes:
        value_step: value delivered against objectives in the step's flow.
        objective: (units, themes) each formal unit's objective o_u (no rows before a plan).
        last_plan: the step of the last plan (-1: none yet).
    """

    kind = "objectives"

    def attach(self, s: State) -> None:
        """Nothing delivered yet, and no plan (every objectives policy has this state, so
        that one can take over from another)."""
        self.value_step = 0.0
        self.objective = np.zeros((0, s.cfg.themes), dtype=np.float32)
        self.last_plan = -1

    @abstractmethod
    def plan(self, s: State) -> None:
        """Management sets the units' objectives, when a plan is due."""

    @abstractmethod
    def pull_toward(self, s: State) -> np.ndarray | None:
        """Per tribe, omega o_u of its leader's unit (zero rows for tribes without), or None
        when objectives play no part."""

    @abstractmethod
    def credit(self, s: State, items: np.ndarray, tribe_ids: np.ndarray,
               delivered: np.ndarray) -> None:
        """Count the value of the items just done (rows of the board's items, by tribes
        `tribe_ids`, worth `delivered`) against the objectives."""


@register("none")
class NoObjectives(ObjectivesPolicy):
    """Formal units have no objectives."""

    def plan(self, s: State) -> None:
        """Nothing to plan."""

    def pull_toward(self, s: State) -> np.ndarray | None:
        """No pull."""
        return None

    def credit(self, s: State, items: np.ndarray, tribe_ids: np.ndarray,
               delivered: np.ndarray) -> None:
        """Nothing counts against objectives."""
        self.value_step = 0.0


@register("planned")
class Planned(ObjectivesPolicy):
    """Management gives each formal unit objective themes on a planning cadence; leaders steer
    their tribes' intake toward them as strongly as `objective_weight` says."""

    params = ("planning_every", "objective_themes", "objective_weight")

    def plan(self, s: State) -> None:
        """Every `planning_every` steps (and at the first step), draw each unit's themes."""
        cfg, p = self.cfg, s.people
        if self.last_plan >= 0 and s.clock - self.last_plan < cfg.planning_every:
            return
        self.last_plan = s.clock
        units = int(p.unit[: p.n].max()) + 1 if p.n else 0
        m = min(cfg.objective_themes, cfg.themes)
        keys = np.log(s.market.shares)[None, :] + s.rng.gumbel(size=(units, cfg.themes))
        chosen = np.argsort(-keys, axis=1, kind="stable")[:, :m]
        objective = np.zeros((units, cfg.themes), dtype=np.float32)
        np.put_along_axis(objective, chosen, np.float32(1 / np.sqrt(m)), axis=1)
        self.objective = objective

    def _unit_objective(self, s: State, tribe_ids: np.ndarray) -> np.ndarray:
        """o_u of each tribe's leader's unit (zero without a leader, or before a plan)."""
        leader = s.tribes.leader[tribe_ids]
        unit = np.where(leader >= 0, s.people.unit[np.maximum(leader, 0)], -1)
        known = (unit >= 0) & (unit < len(self.objective))
        rows = np.zeros((len(tribe_ids), s.cfg.themes), dtype=np.float32)
        rows[known] = self.objective[unit[known]]
        return rows

    def pull_toward(self, s: State) -> np.ndarray | None:
        """omega o_u for every tribe row."""
        toward: np.ndarray = (np.float32(self.cfg.objective_weight)
                              * self._unit_objective(s, np.arange(s.tribes.n)))
        return toward

    def credit(self, s: State, items: np.ndarray, tribe_ids: np.ndarray,
               delivered: np.ndarray) -> None:
        """Value of items whose main theme is an objective theme of the tribe's unit."""
        theme = s.board.items.purpose[items].argmax(axis=1)
        objective = self._unit_objective(s, tribe_ids)
        against = objective[np.arange(len(items)), theme] > 0
        self.value_step = float(delivered[against].sum())


def plan(s: State, rules: Rules) -> None:
    """Management plans the formal units' objectives, when due."""
    rules.objectives.plan(s)

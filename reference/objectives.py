"""The formal units' objectives, unit by unit (ODD §3.9, formal objectives): under `planned`,
management plans every `planning_every` steps (the first time at the first step of the rules
under study); leaders steer their tribe's intake toward their unit's objective; value counts
against objectives when the item's main theme is one of the delivering tribe's unit's objective
themes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from reference.kanban import Item
    from reference.organization import ReferenceOrganization
    from reference.tribe import RefTribe


class Objectives:
    """The objective o_u of each formal unit, and the value delivered against them.

    Attributes:
        themes: per formal unit, the themes it is accountable for (empty before a plan).
        last_plan: the step of the last plan (-1: none yet).
        value_step: value delivered against objectives in the step's flow.
    """

    def __init__(self, m: ReferenceOrganization) -> None:
        self.m = m
        self.themes: dict[int, list[int]] = {}
        self.last_plan = -1
        self.value_step = 0.0

    @property
    def planned(self) -> bool:
        """Whether management sets objectives (policy `planned`)."""
        return self.m.cfg.objectives == "planned"

    def plan(self) -> None:
        """When a plan is due, each formal unit draws `objective_themes` themes without
        replacement, with probability proportional to the market's shares (one Gumbel key per
        unit and theme: the m largest of ln q_k + G_uk)."""
        m = self.m
        cfg = m.cfg
        if not self.planned:
            return
        if self.last_plan >= 0 and m.clock - self.last_plan < cfg.planning_every:
            return
        self.last_plan = m.clock
        log_shares = np.log(m.market.shares)
        units = sorted({p.unit for p in m.people})
        count = min(cfg.objective_themes, cfg.themes)
        self.themes = {}
        for unit in units:
            keys = [float(log_shares[k]) + float(m.rng.gumbel()) for k in range(cfg.themes)]
            ranked = sorted(range(cfg.themes), key=lambda k: -keys[k])
            self.themes[unit] = ranked[:count]

    def unit_themes(self, tribe: RefTribe) -> list[int]:
        """The objective themes of the tribe's leader's unit (none without a leader)."""
        leader = tribe.leader
        if leader is None:
            return []
        return self.themes.get(leader.unit, [])

    def toward(self, tribe: RefTribe) -> np.ndarray:
        """omega o_u: how the tribe's leader steers its intake (zero without objectives, a
        leader or a plan); o_u weighs 1/sqrt(m) on each of the unit's m themes."""
        pull = np.zeros(self.m.cfg.themes)
        if not self.planned:
            return pull
        themes = self.unit_themes(tribe)
        if themes:
            pull[themes] = self.m.cfg.objective_weight / math.sqrt(len(themes))
        return pull

    def credit(self, done: list[tuple[Item, RefTribe, float]]) -> None:
        """The value of the parts just confirmed, (part, tribe, value delivered), that counts
        against the objectives: those whose main theme is an objective theme of the tribe's
        unit."""
        self.value_step = 0.0
        if not self.planned:
            return
        for item, tribe, delivered in done:
            if int(np.argmax(item.purpose)) in self.unit_themes(tribe):
                self.value_step += delivered

"""People: the population's state as arrays, and the rules every person follows, vectorized.

A person is a row. Passions are unit vectors over purpose themes with non-negative weights, so
the alignment of two such vectors is their dot product, in [0, 1]. Skills are levels in [0, 1]
per practice domain. Ties are kept in `tie_slots` slots per person (target, weight).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import kernels
from agents.arrays import Table, normalize_rows, row_any

if TYPE_CHECKING:
    from agents.tribes import Tribes
    from model.config import Config

NO_TRIBE = -1

EXIT_REASONS = {0: "", 1: "attrition", 2: "disengaged"}


class People(Table):
    """State of every person who ever worked in the organization (gone people stay as rows)."""

    columns = {
        "passion": (("themes",), np.float32, 0.0),
        "skill": (("domains",), np.float32, 0.0),
        "top_skill": ((), np.float32, 0.0),
        "initiative": ((), np.float32, 0.0),
        "engagement": ((), np.float32, 0.5),
        "commitment": ((), np.float32, 0.5),
        "reputation": ((), np.float32, 0.0),
        "endorses": ((), np.int32, -1),
        "recognition": ((), np.float32, 0.0),
        "contribution": ((), np.float32, 0.0),
        "contribution_total": ((), np.float64, 0.0),
        "tribe": ((), np.int32, NO_TRIBE),
        "unit": ((), np.int32, 0),
        "joined": ((), np.int32, 0),
        "hired": ((), np.int32, 0),
        "active": ((), bool, False),
        "exit_step": ((), np.int32, -1),
        "exit_reason": ((), np.int8, 0),
        "tie_to": (("ties",), np.int32, -1),
        "tie_w": (("ties",), np.float32, 0.0),
        # what the person observed this step (observe phase)
        "alignment": ((), np.float32, 0.0),
        "skill_use": ((), np.float32, 0.0),
        "belonging": ((), np.float32, 0.0),
        "fit": ((), np.float32, 0.0),
    }

    def __init__(self, capacity: int, themes: int, domains: int, ties: int) -> None:
        super().__init__(capacity, themes=themes, domains=domains, ties=ties)

    def add(self, rng: np.random.Generator, count: int, cfg: Config, step: int,
            units: np.ndarray) -> np.ndarray:
        """Hire `count` new people into `units`; return their rows."""
        rows = self.append(count)
        passion = rng.gamma(cfg.passion_concentration, 1.0, size=(count, cfg.themes))
        self.passion[rows] = normalize_rows(passion.astype(np.float32))
        main = rng.integers(0, cfg.domains, size=count)
        skill = rng.beta(1.5, 6.0, size=(count, cfg.domains))
        skill[np.arange(count), main] = rng.beta(
            8 * cfg.skill_level + 0.5, 8 * (1 - cfg.skill_level) + 0.5, size=count)
        self.skill[rows] = skill
        self.top_skill[rows] = skill.max(axis=1)
        self.fit[rows] = cfg.unaffiliated_fit
        self.initiative[rows] = rng.beta(2.0, 5.0, size=count)
        self.engagement[rows] = 0.5
        self.commitment[rows] = 0.5
        self.unit[rows] = units
        self.hired[rows] = step
        self.joined[rows] = step
        self.active[rows] = True
        return rows

    # ------------------------------------------------------------------ observe
    def fit_in(self, persons: np.ndarray, tribe_ids: np.ndarray, tribes: Tribes,
               cfg: Config) -> tuple[np.ndarray, ...]:
        """How well each person would fit in the given tribe (their own or a candidate).

        Returns:
            (fit, alignment, skill_use, belonging), one value per person.
        """
        alignment, skill_use, tie_weight = kernels.fit_terms(
            persons, tribe_ids, self.passion, tribes.purpose, self.skill, tribes.demand,
            self.tribe, self.tie_to, self.tie_w)
        belonging = 1.0 - np.exp(-tie_weight / cfg.belonging_scale, dtype=np.float32)
        total = cfg.w_alignment + cfg.w_skill + cfg.w_belonging + cfg.w_leader
        fit = (cfg.w_alignment * alignment + cfg.w_skill * skill_use
               + cfg.w_belonging * belonging
               + cfg.w_leader * tribes.leader_quality[tribe_ids]) / total
        fit -= cfg.w_workload * np.minimum(tribes.overload[tribe_ids], 1.0)
        return np.clip(fit, 0.0, 1.0), alignment, skill_use, belonging

    def observe(self, tribes: Tribes, cfg: Config) -> None:
        """Each active person perceives their fit: alignment, skill use, belonging, leader, load."""
        n = self.n
        members = np.flatnonzero(self.tribe[:n] >= 0)
        self.fit[:n] = cfg.unaffiliated_fit
        self.alignment[:n] = 0.0
        self.skill_use[:n] = 0.0
        self.belonging[:n] = 0.0
        fit, alignment, skill_use, belonging = self.fit_in(members, self.tribe[members], tribes,
                                                           cfg)
        self.fit[members] = fit
        self.alignment[members] = alignment
        self.skill_use[members] = skill_use
        self.belonging[members] = belonging

    # ------------------------------------------------------------------ orient
    def orient(self, tribes: Tribes, cfg: Config) -> None:
        """Engagement follows fit, commitment follows engagement; skills grow; passions drift."""
        n = self.n
        active = self.active[:n]
        engagement = self.engagement[:n]
        engagement += cfg.engagement_rate * active * (self.fit[:n] - engagement)
        self.commitment[:n] += cfg.commitment_rate * active * (engagement - self.commitment[:n])
        # communities of practice pull skills toward stronger peers; tribe work teaches its mix
        self.top_skill[:n] = kernels.learn(
            self.skill[:n], self.active[:n], engagement, self.tribe[:n], tribes.demand,
            cfg.practice_threshold, cfg.practice_learning, cfg.doing_learning)
        members = np.flatnonzero(self.tribe[:n] >= 0)
        if len(members) and cfg.passion_drift > 0:
            kernels.drift(self.passion, members, tribes.purpose, self.tribe, cfg.passion_drift)

    # ------------------------------------------------------------------ decide
    def exit_probability(self, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
        """Per-step exit probability of every row, and whether disengagement dominates it."""
        n = self.n
        outside = cfg.outside_option * (0.5 + 0.5 * self.top_skill[:n])
        push = cfg.exit_sensitivity * np.maximum(outside - self.commitment[:n], 0.0)
        probability = np.where(self.active[:n], np.minimum(cfg.exit_base + push, 1.0), 0.0)
        return probability, push > cfg.exit_base

    # ------------------------------------------------------------------ act
    def work_together(self, workers: np.ndarray, partners: np.ndarray, cfg: Config) -> None:
        """All ties decay; each worker's tie to the colleague they worked with grows.

        Args:
            workers: distinct people who worked with someone this step.
            partners: the colleague each of them worked with.
        """
        n = self.n
        self.tie_w[:n] *= 1.0 - cfg.tie_decay
        if len(workers) == 0 or cfg.tie_growth == 0:
            return
        kernels.strengthen_ties(self.tie_to, self.tie_w, workers, partners, cfg.tie_growth)

    def add_ties(self, persons: np.ndarray, targets: np.ndarray, weight: float = 0.3) -> None:
        """Tie each of `persons` to the matching entry of `targets` (in a free or the weakest
        slot), skipping empty targets (-1), oneself and existing ties."""
        fresh = (targets >= 0) & (targets != persons)
        fresh &= ~row_any(self.tie_to[persons] == targets[:, None])
        persons, targets = persons[fresh], targets[fresh]
        slot = self.tie_w[persons].argmin(axis=1)
        self.tie_to[persons, slot] = targets
        self.tie_w[persons, slot] = weight

"""The market, item by item: demand drifts over themes and work items arrive (ODD §3.8, market
arrivals).

Demand is a random walk in log-weights over themes; shares are their softmax. Each arriving item
draws its own theme, purpose, skill needs, effort and value; with probability
`cross_tribe_share` it needs `cross_tribe_parts` tribes in turn (ODD §3.9): a chain of parts of
equal effort and value, each with its own skill needs drawn from the item's theme.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from model.config import Config
from reference.kanban import Item
from reference.vectors import draw_index, unit_vector


class Market:
    """Theme demand and item arrivals.

    Attributes:
        log_weights: log of the relative demand for each theme.
        theme_skills: typical skill mix of work on each theme (one row per theme, sums to 1).
    """

    def __init__(self, rng: np.random.Generator, cfg: Config) -> None:
        self.cfg = cfg
        self.log_weights = rng.normal(0.0, 0.5, size=cfg.themes)
        self.theme_skills = rng.dirichlet(np.full(cfg.domains, 0.7), size=cfg.themes)
        self.next_uid = 0

    @property
    def shares(self) -> np.ndarray:
        """Share of arriving items on each theme: softmax of the log-weights."""
        w = np.exp(self.log_weights - self.log_weights.max())
        return w / w.sum()

    @property
    def demand(self) -> np.ndarray:
        """Demand as a unit vector over themes."""
        shares = self.shares
        return shares / np.linalg.norm(shares)

    def drift(self, rng: np.random.Generator) -> None:
        """Each theme's log-weight takes a step of s.d. `turbulence`."""
        if self.cfg.turbulence > 0:
            self.log_weights += rng.normal(0.0, self.cfg.turbulence, size=self.cfg.themes)

    def arrivals(self, rng: np.random.Generator, active_people: int, step: int,
                 demand: float = 1.0) -> list[Item]:
        """This step's new items (their first parts): Poisson(`arrival_rate` x `demand` x
        active people) of them (`demand`: the factor of a surge or slump)."""
        count = int(rng.poisson(self.cfg.arrival_rate * demand * active_people))
        shares = self.shares
        return [self.new_item(rng, shares, step) for _ in range(count)]

    def new_item(self, rng: np.random.Generator, shares: np.ndarray, step: int) -> Item:
        """One item on a theme drawn with the market shares; its first part, the others (if it
        needs several tribes) linked behind it."""
        cfg = self.cfg
        theme = draw_index(rng, shares)
        purpose = rng.gamma(0.3, 0.3, size=cfg.themes)
        purpose[theme] += 1.0
        needs = self.part_needs(rng, theme)
        if cfg.effort_dist == "fixed":
            effort = cfg.effort_mean
        elif cfg.effort_dist == "exponential":
            effort = rng.exponential(cfg.effort_mean)
        else:  # lognormal whose mean is effort_mean
            mu = math.log(cfg.effort_mean) - cfg.effort_sigma**2 / 2
            effort = rng.lognormal(mu, cfg.effort_sigma)
        value = cfg.value_mean * rng.gamma(4.0, 0.25)
        parts = (cfg.cross_tribe_parts
                 if cfg.cross_tribe_share > 0 and rng.random() < cfg.cross_tribe_share else 1)
        purpose = unit_vector(purpose)
        chain = []
        for part in range(parts):
            part_needs = needs if part == 0 else self.part_needs(rng, theme)
            chain.append(Item(self.next_uid, purpose, part_needs, float(effort) / parts,
                              float(value) / parts, step, part, parts))
            self.next_uid += 1
        for before, after in itertools.pairwise(chain):
            before.next_part = after
        return chain[0]

    def part_needs(self, rng: np.random.Generator, theme: int) -> np.ndarray:
        """Skill needs of one part of an item on `theme`: the theme's typical mix times
        Gamma(2, 1) noise, summing to 1."""
        needs = self.theme_skills[theme] * rng.gamma(2.0, 1.0, size=self.cfg.domains)
        return needs / needs.sum()

"""The market, item by item: demand drifts over themes and work items arrive (ODD §3.8, market
arrivals).

Demand is a random walk in log-weights over themes; shares are their softmax. Each arriving item
draws its own theme, purpose, skill needs, effort and value.
"""

from __future__ import annotations

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

    def arrivals(self, rng: np.random.Generator, active_people: int, step: int) -> list[Item]:
        """This step's new items: Poisson(`arrival_rate` x active people) of them."""
        count = int(rng.poisson(self.cfg.arrival_rate * active_people))
        shares = self.shares
        return [self.new_item(rng, shares, step) for _ in range(count)]

    def new_item(self, rng: np.random.Generator, shares: np.ndarray, step: int) -> Item:
        """One item on a theme drawn with the market shares."""
        cfg = self.cfg
        theme = draw_index(rng, shares)
        purpose = rng.gamma(0.3, 0.3, size=cfg.themes)
        purpose[theme] += 1.0
        needs = self.theme_skills[theme] * rng.gamma(2.0, 1.0, size=cfg.domains)
        needs /= needs.sum()
        if cfg.effort_dist == "fixed":
            effort = cfg.effort_mean
        elif cfg.effort_dist == "exponential":
            effort = rng.exponential(cfg.effort_mean)
        else:  # lognormal whose mean is effort_mean
            mu = math.log(cfg.effort_mean) - cfg.effort_sigma**2 / 2
            effort = rng.lognormal(mu, cfg.effort_sigma)
        value = cfg.value_mean * rng.gamma(4.0, 0.25)
        item = Item(self.next_uid, unit_vector(purpose), needs, float(effort), float(value), step)
        self.next_uid += 1
        return item

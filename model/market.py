"""The market: demand over purpose themes that drifts, and work items that arrive from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.arrays import normalize_rows

if TYPE_CHECKING:
    from model.config import Config
    from model.kanban import Board


class Market:
    """Theme demand as a random walk in log-weights; items arrive as a Poisson stream.

    Attributes:
        log_weights: (P,) log of the relative demand for each theme.
        theme_skills: (P, K) typical skill mix of work on each theme (rows sum to 1).
    """

    def __init__(self, rng: np.random.Generator, cfg: Config) -> None:
        self.cfg = cfg
        self.log_weights = rng.normal(0.0, 0.5, size=cfg.themes)
        self.theme_skills = rng.dirichlet(np.full(cfg.domains, 0.7), size=cfg.themes)
        self.arrived_total = 0

    @property
    def shares(self) -> np.ndarray:
        """Share of arriving items on each theme (softmax of the log-weights)."""
        w = np.exp(self.log_weights - self.log_weights.max())
        return w / w.sum()

    @property
    def demand(self) -> np.ndarray:
        """Demand as a unit vector over themes, comparable with passions and purposes."""
        shares = self.shares
        return shares / np.linalg.norm(shares)

    def drift(self, rng: np.random.Generator) -> None:
        """One step of the random walk; `turbulence` is its standard deviation."""
        if self.cfg.turbulence > 0:
            self.log_weights += rng.normal(0.0, self.cfg.turbulence, size=self.cfg.themes)

    def arrive(self, rng: np.random.Generator, board: Board, active_people: int,
               step: int) -> int:
        """Draw this step's new items into the board's backlog; return how many arrived."""
        cfg = self.cfg
        count = int(rng.poisson(cfg.arrival_rate * active_people))
        if count == 0:
            return 0
        theme = rng.choice(cfg.themes, size=count, p=self.shares)
        purpose = rng.gamma(0.3, 0.3, size=(count, cfg.themes))
        purpose[np.arange(count), theme] += 1.0
        needs = self.theme_skills[theme] * rng.gamma(2.0, 1.0, size=(count, cfg.domains))
        needs /= needs.sum(axis=1, keepdims=True)
        if cfg.effort_dist == "fixed":
            effort = np.full(count, cfg.effort_mean)
        elif cfg.effort_dist == "exponential":
            effort = rng.exponential(cfg.effort_mean, size=count)
        else:  # lognormal with the given mean
            mu = np.log(cfg.effort_mean) - cfg.effort_sigma**2 / 2
            effort = rng.lognormal(mu, cfg.effort_sigma, size=count)
        value = cfg.value_mean * rng.gamma(4.0, 0.25, size=count)
        board.add(normalize_rows(purpose), needs, effort, value, step)
        self.arrived_total += count
        return count

"""The market: demand over purpose themes that drifts, the work items that arrive from it, and
what an item is worth when delivered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param
from numerics.rows import normalize_rows

if TYPE_CHECKING:
    from model.config import Config
    from model.kanban import Board
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class MarketParams(Params):
    """Demand, arrivals and the value of work."""

    group = "market"

    arrival_rate: float = param(0.04, "items arriving per active person per step (Poisson "
                                "mean)", 0, 100)
    turbulence: float = param(0.05, "s.d. of the market's per-step random walk in theme "
                              "log-weights", 0, 10)
    effort_dist: str = param("lognormal", "distribution of item effort",
                             choices=("fixed", "exponential", "lognormal"))
    effort_mean: float = param(6.0, "mean effort of an item (effort units)", 1e-6, 1e6)
    effort_sigma: float = param(0.6, "sigma of log effort (lognormal only)", 0, 5)
    value_mean: float = param(1.0, "mean value of an item", 0, 1e6)
    cost_of_delay: float = param(0.01, "value lost per step of lead time (exponential rate)",
                                 0, 10)
    shelf_life: int = param(60, "steps an item waits in the backlog before it expires "
                            "(0 = never)", 0, 1_000_000)
    cross_tribe_share: float = param(0.0, "share of arriving items that need several tribes in "
                                     "turn (parts handed off between boards)", 0, 1)
    cross_tribe_parts: int = param(2, "parts of an item that needs several tribes", 2, 8)


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

    @property
    def shares(self) -> np.ndarray:
        """Share of arriving items on each theme (softmax of the log-weights)."""
        w = np.exp(self.log_weights - self.log_weights.max())
        shares: np.ndarray = w / w.sum()
        return shares

    @property
    def demand(self) -> np.ndarray:
        """Demand as a unit vector over themes, comparable with passions and purposes."""
        shares = self.shares
        # summed by numpy rather than BLAS (np.linalg.norm), whose order depends on the CPU
        demand: np.ndarray = shares / np.sqrt((shares * shares).sum())
        return demand

    def drift(self, rng: np.random.Generator) -> None:
        """One step of the random walk; `turbulence` is its standard deviation."""
        if self.cfg.turbulence > 0:
            self.log_weights += rng.normal(0.0, self.cfg.turbulence, size=self.cfg.themes)

    def arrive(self, rng: np.random.Generator, board: Board, active_people: int,
               step: int, demand: float = 1.0) -> int:
        """Draw this step's new items into the board's backlog, at the arrival rate times
        `demand`; return how many arrived."""
        cfg = self.cfg
        rate = cfg.arrival_rate if demand == 1.0 else cfg.arrival_rate * demand
        count = int(rng.poisson(rate * active_people))
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
        if cfg.cross_tribe_share > 0:
            # an item that needs several tribes: parts of equal effort, each with its own skill
            # mix from the item's theme (so that different tribes suit them)
            parts = np.where(rng.random(count) < cfg.cross_tribe_share,
                             cfg.cross_tribe_parts, 1)
            extra = np.repeat(theme, parts - 1)
            more = (self.theme_skills[extra]
                    * rng.gamma(2.0, 1.0, size=(len(extra), cfg.domains)))
            more /= more.sum(axis=1, keepdims=True)
            owner = np.repeat(np.arange(count), parts)
            first = np.concatenate([[0], np.cumsum(parts)[:-1]])
            part_needs = np.empty((len(owner), cfg.domains))
            part_needs[first] = needs
            part_needs[np.setdiff1d(np.arange(len(owner)), first)] = more
            board.add(normalize_rows(purpose), part_needs, effort[owner] / parts[owner], value,
                      step, parts)
        else:
            board.add(normalize_rows(purpose), needs, effort, value, step)
        return count


def arrivals(s: State, rules: Rules) -> None:
    """The market's demand drifts and new items arrive in the backlog (at the arrival rate
    times the factor of a demand surge or slump, `model.rules.pressure`)."""
    s.board.reset_step()
    s.market.drift(s.rng)
    s.arrived = s.market.arrive(s.rng, s.board, s.people.count_active(), s.clock,
                                s.conditions.demand)

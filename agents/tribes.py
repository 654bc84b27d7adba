"""Tribes (communities of purpose): their state as arrays and the rules they follow, vectorized.

A tribe is a row; its id is its row and is never reused, so a dissolved tribe keeps its history.
Membership has one source of truth, the people's tribe index `People.tribe`; skill profiles and
the other per-tribe aggregates are computed from it with bincount when needed. Sizes are kept
up to date by `Organization.move`, through which every change of membership goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import kernels
from agents.arrays import Table, matvec, normalize_rows

if TYPE_CHECKING:
    from agents.people import People
    from model.config import Config

ORIGINS = {0: "initial", 1: "founded", 2: "split"}


class Tribes(Table):
    """State of every tribe that ever existed."""

    columns = {
        "purpose": (("themes",), np.float32, 0.0),
        "demand": (("domains",), np.float32, 0.0),
        "skill_profile": (("domains",), np.float32, 0.0),
        "alive": ((), bool, False),
        "founded": ((), np.int32, 0),
        "ended": ((), np.int32, -1),
        "origin": ((), np.int8, 0),
        "parent": ((), np.int32, -1),
        "leader": ((), np.int32, -1),
        "leader_since": ((), np.int32, -1),
        "value_champion": ((), np.int32, -1),
        "innovation_champion": ((), np.int32, -1),
        "effectiveness": ((), np.float32, 1.0),
        "poor_run": ((), np.int32, 0),
        "last_reorient": ((), np.int32, 0),
        "size": ((), np.int32, 0),
        "capacity": ((), np.float32, 0.0),
        "leader_quality": ((), np.float32, 0.0),
        "overload": ((), np.float32, 0.0),
        "overhead": ((), np.float32, 0.0),
        "division": ((), np.float32, 0.0),
        "conflict": ((), bool, False),
        "value_step": ((), np.float32, 0.0),
        "done_total": ((), np.int64, 0),
        "value_total": ((), np.float64, 0.0),
        "pivots": ((), np.int32, 0),
    }

    def __init__(self, capacity: int, themes: int, domains: int) -> None:
        super().__init__(capacity, themes=themes, domains=domains)

    def create(self, purposes: np.ndarray, step: int, origin: int,
               parents: np.ndarray | None = None, overhead: float = 0.0) -> np.ndarray:
        """Found one tribe per row of `purposes` (with this step's leadership `overhead`);
        return the new ids."""
        ids = self.append(len(purposes))
        self.purpose[ids] = normalize_rows(np.asarray(purposes, dtype=np.float32).copy())
        self.demand[ids] = 1.0 / self.dims["domains"]
        self.alive[ids] = True
        self.founded[ids] = step
        self.last_reorient[ids] = step
        self.origin[ids] = origin
        self.overhead[ids] = overhead
        if parents is not None:
            self.parent[ids] = parents
        return ids

    def living(self) -> np.ndarray:
        """Ids of the tribes that exist now."""
        return np.flatnonzero(self.alive[: self.n])

    # ------------------------------------------------------------------ aggregates
    def count_members(self, people: People) -> None:
        """Recount `size` from the people's tribe index, for state written directly (as tests
        do); in a run `Organization.move` keeps it current."""
        members = people.tribe[: people.n]
        self.size[: self.n] = np.bincount(members[members >= 0], minlength=self.n)[: self.n]

    def member_mean(self, people: People, values: np.ndarray) -> np.ndarray:
        """Mean of a per-person quantity (1-D or rows x columns) over each tribe's members."""
        members = np.flatnonzero(people.tribe[: people.n] >= 0)
        if values.ndim == 2:
            total = kernels.group_weighted_sum(members, people.tribe[members], values,
                                               np.ones(len(members), np.float32), self.n)
        else:
            total = np.bincount(people.tribe[members], weights=values[members], minlength=self.n)
        size = np.maximum(np.bincount(people.tribe[members], minlength=self.n)[: self.n], 1)
        return total / (size[:, None] if total.ndim == 2 else size)

    def member_argmax(self, people: People, score: np.ndarray) -> np.ndarray:
        """The member with the highest `score` in each tribe (-1 for an empty tribe)."""
        members = np.flatnonzero(people.tribe[: people.n] >= 0)
        return kernels.group_argmax_rows(members, people.tribe[members], score, self.n)

    def observe(self, people: People, open_effort: np.ndarray, cfg: Config) -> None:
        """Per-tribe facts members perceive: the engagement-weighted skill profile and overload
        (open effort beyond `load_horizon` steps of capacity)."""
        n = self.n
        members = np.flatnonzero(people.tribe[: people.n] >= 0)
        weight = people.engagement[members] + 1e-6
        t = people.tribe[members]
        mass = np.bincount(t, weights=weight, minlength=n)
        profile = kernels.group_weighted_sum(members, t, people.skill, weight, n)
        self.skill_profile[:n] = profile / np.maximum(mass, 1e-12)[:, None]
        horizon = self.capacity[:n] * cfg.load_horizon
        load = np.divide(open_effort, horizon, out=np.zeros(n), where=horizon > 0)
        self.overload[:n] = np.where(open_effort > 0, np.maximum(load - 1.0, 0.0), 0.0)

    def assess_division(self, people: People) -> None:
        """Division: 1 - mean alignment of members with the purpose (0 for a tribe of one)."""
        n = self.n
        mean_alignment = self.member_mean(people, people.alignment[: people.n])
        self.division[:n] = np.where(self.size[:n] > 1, 1.0 - mean_alignment, 0.0)

    def pick_champions(self, people: People, market_demand: np.ndarray) -> None:
        """The value champion is the member most attuned to the market; the innovation champion
        the member with the most initiative and skill."""
        n_people = people.n
        market_fit = matvec(people.passion[:n_people], market_demand.astype(np.float32))
        self.value_champion[: self.n] = self.member_argmax(people, market_fit)
        craft = people.initiative[:n_people] * people.top_skill[:n_people]
        self.innovation_champion[: self.n] = self.member_argmax(people, craft)

    def innovate(self, people: People, cfg: Config) -> None:
        """A champion raises effectiveness toward its ceiling; without one it falls back to 1."""
        n = self.n
        champion = self.innovation_champion[:n]
        has = (champion >= 0) & self.alive[:n]
        c = np.maximum(champion, 0)
        drive = people.initiative[c] * people.top_skill[c]
        eff = self.effectiveness[:n]
        up = cfg.innovation_rate * drive * (cfg.max_effectiveness - eff)
        down = cfg.innovation_decay * (eff - 1.0)
        eff += np.where(has, up, -down)

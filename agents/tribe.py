"""Tribes (communities of purpose): their state as a table, the aggregates every tribe has,
vectorized, and `Tribe`, the Mesa agent that views one row.

A tribe is a row; its id is its row and is never reused, so a dissolved tribe keeps its history.
Membership has one source of truth, the people's tribe index `People.tribe`; sizes are kept up
to date by `model.state.State.move`, through which every change of membership goes, and the
other per-tribe aggregates are computed from the index when needed.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.person import NOBODY
from numerics import kernels
from numerics.rows import normalize_rows
from numerics.table import Column, Table

if TYPE_CHECKING:
    from agents.person import People, Person
    from agents.view import Host

class Origin(IntEnum):
    """How a tribe came to be (`Tribes.origin`)."""

    INITIAL = 0   # a team of the initial organization, or one management formed
    FOUNDED = 1   # founded bottom-up by a person
    SPLIT = 2     # split off another tribe


ORIGIN_LABELS = [origin.name.lower() for origin in Origin]


class Tribes(Table):
    """State of every tribe that ever existed (ended tribes stay as rows)."""

    id = Column(np.int64, -1, doc="the tribe's id, never reused (the order of founding)")
    purpose = Column(np.float32, 0.0, ("themes",), doc="weights over themes, unit length")
    demand = Column(np.float32, 0.0, ("domains",), doc="skill mix of its work, sums to 1")
    skill_profile = Column(np.float32, 0.0, ("domains",),
                           doc="engagement-weighted mean skill of the members (observe)")
    alive = Column(np.bool_, False, doc="the tribe exists now")
    founded = Column(np.int32, 0, doc="step of founding")
    ended = Column(np.int32, -1, doc="step it ended (-1: living)")
    origin = Column(np.int8, Origin.INITIAL, doc="how it came to be (Origin)")
    parent = Column(np.int32, -1, doc="the id of the tribe it split from (-1: none)")
    leader = Column(np.int32, NOBODY, doc="the leader (-1: none)", role=True, refers="people")
    value_champion = Column(np.int32, NOBODY, doc="the market-facing member", role=True,
                            refers="people")
    innovation_champion = Column(np.int32, NOBODY, doc="the technology-facing member",
                                 role=True, refers="people")
    size = Column(np.int32, 0, doc="members")
    capacity = Column(np.float32, 0.0, doc="effort per step its work can absorb (act.work)")
    leader_quality = Column(np.float32, 0.0, doc="quality of its leadership, in [0, 1]")
    overload = Column(np.float32, 0.0, doc="open work beyond the load horizon (observe)")
    overhead = Column(np.float32, 0.0, doc="share of effort spent on governance this step")
    division = Column(np.float32, 0.0, doc="1 - mean alignment of the members (observe)")
    value_step = Column(np.float32, 0.0, doc="value delivered in the last flow phase")
    done_total = Column(np.int64, 0, doc="items done so far")
    value_total = Column(np.float64, 0.0, doc="value delivered so far")

    def __init__(self, capacity: int, themes: int, domains: int) -> None:
        super().__init__(capacity, themes=themes, domains=domains)

    def create(self, purposes: np.ndarray, step: int, origin: Origin,
               parents: np.ndarray | None = None, overhead: float = 0.0) -> np.ndarray:
        """Found one tribe per row of `purposes` (with this step's governance `overhead`; from
        the tribes at rows `parents`, if they split from others); return the new rows."""
        rows = self.append(len(purposes))
        self.purpose[rows] = normalize_rows(np.asarray(purposes, dtype=np.float32).copy())
        self.demand[rows] = 1.0 / self.dims["domains"]
        self.alive[rows] = True
        self.founded[rows] = step
        self.origin[rows] = origin
        self.overhead[rows] = overhead
        if parents is not None:
            self.parent[rows] = self.id[parents]
        return rows

    def living(self) -> np.ndarray:
        """Ids of the tribes that exist now."""
        return np.flatnonzero(self.alive[: self.n])

    def member_mean(self, people: People, values: np.ndarray,
                    weights: np.ndarray | None = None) -> np.ndarray:
        """Mean of a per-person quantity (1-D or rows x columns) over each tribe's members
        (a person counts in every tribe they belong to); with `weights` (one per membership,
        in `People.pairs` order), the weighted mean."""
        _, members, tribe = people.pairs()
        total: np.ndarray
        if weights is not None:
            if values.ndim == 2:
                total = kernels.group_weighted_sum(members, tribe, values,
                                                   weights.astype(np.float32), self.n)
            else:
                total = np.bincount(tribe, weights=values[members] * weights, minlength=self.n)
            mass = np.maximum(np.bincount(tribe, weights=weights, minlength=self.n)[: self.n],
                              1e-12)
            return total / (mass[:, None] if total.ndim == 2 else mass)
        if values.ndim == 2:
            total = kernels.group_weighted_sum(members, tribe, values,
                                               np.ones(len(members), np.float32), self.n)
        else:
            total = np.bincount(tribe, weights=values[members], minlength=self.n)
        size = np.maximum(np.bincount(tribe, minlength=self.n)[: self.n], 1)
        return total / (size[:, None] if total.ndim == 2 else size)

    def member_argmax(self, people: People, score: np.ndarray,
                      per_membership: bool = False) -> np.ndarray:
        """The member with the highest `score` in each tribe (-1 for an empty tribe; the
        first in row order on ties). `score` is per person, or per membership (indexed like
        `People.flat`) if `per_membership`."""
        flat, members, tribe = people.pairs()
        if not per_membership:
            winner: np.ndarray = kernels.group_argmax_rows(members, tribe, score, self.n)
            return winner
        best = kernels.group_argmax_rows(flat, tribe, score, self.n)
        return people.person_of(best)

    def perceive(self, people: People, open_effort: np.ndarray, load_horizon: float,
                 shares: np.ndarray | None = None) -> None:
        """What members perceive of their tribe: the engagement-weighted skill profile
        S = sum (e + 1e-6) s / sum (e + 1e-6) (a person's engagement counted in each of their
        tribes by their effort `shares`, one per membership, if they divide it), and the
        overload o = max(L / (C H) - 1, 0) of open effort L against `load_horizon` H steps of
        capacity C (0 without open work)."""
        n = self.n
        _, members, t = people.pairs()
        engagement = people.engagement[members]
        weight = (engagement if shares is None else engagement * shares) + 1e-6
        mass = np.bincount(t, weights=weight, minlength=n)
        profile = kernels.group_weighted_sum(members, t, people.skill, weight, n)
        self.skill_profile[:n] = profile / np.maximum(mass, 1e-12)[:, None]
        horizon = self.capacity[:n] * load_horizon
        load = np.divide(open_effort, horizon, out=np.zeros(n), where=horizon > 0)
        self.overload[:n] = np.where(open_effort > 0, np.maximum(load - 1.0, 0.0), 0.0)

    def assess_division(self, people: People) -> None:
        """Division of living tribes: 1 - mean alignment of members with the purpose (0 for a
        tribe of one); an ended tribe keeps the division it ended with."""
        living = self.living()
        flat, _, tribe = people.pairs()
        alignment = people.flat("alignment_m")[flat]
        total = np.bincount(tribe, weights=alignment, minlength=self.n)
        size = np.maximum(np.bincount(tribe, minlength=self.n)[: self.n], 1)
        mean_alignment = (total / size)[living]
        self.division[living] = np.where(self.size[living] > 1, 1.0 - mean_alignment, 0.0)


BOARD_COLUMNS = ("ready", "doing", "review")


class Tribe(mesa.Agent):
    """One living tribe: a view of tribe `tid` of `model.tribes`, made when asked for and
    removed from the model when the tribe ends."""

    model: Host

    def __init__(self, model: Host, tid: int) -> None:
        super().__init__(model)
        self.tid = tid

    @property
    def index(self) -> int:
        """The tribe's row in `model.tribes`."""
        row = int(self._t.rows(np.array([self.tid]))[0])
        if row < 0:
            raise LookupError(f"tribe {self.tid} ended and was archived; "
                              "model.tribes_frame() holds its final state")
        return row

    def step(self) -> None:
        """Refused: tribes are stepped together by the model."""
        raise RuntimeError("Tribe.step: a Tribe agent is a view of the arrays; the model steps "
                           "every tribe at once: call model.step() (or model.run(n))")

    @property
    def _t(self) -> Tribes:
        return self.model.tribes

    @property
    def purpose(self) -> np.ndarray:
        """Weights over purpose themes (unit length)."""
        return self._t.purpose[self.index]

    @property
    def top_themes(self) -> list[int]:
        """The three themes with the largest purpose weights, strongest first."""
        return np.argsort(-self.purpose, kind="stable")[:3].tolist()

    @property
    def member_ids(self) -> list[int]:
        """The members' person ids."""
        p = self.model.people
        _, members, tribe = p.pairs()
        return p.id[members[tribe == self.index]].tolist()

    @property
    def members(self) -> list[Person]:
        """The members' agents."""
        return [self.model.person(i) for i in self.member_ids]

    @property
    def size(self) -> int:
        """Number of members (the tribe table's count)."""
        return int(self._t.size[self.index])

    def _role(self, column: np.ndarray) -> Person | None:
        holder = int(column[self.index])
        return self.model.person(int(self.model.people.id[holder])) if holder >= 0 else None

    @property
    def leader(self) -> Person | None:
        """The leader, or None (no leader yet, or distributed roles)."""
        return self._role(self._t.leader)

    @property
    def value_champion(self) -> Person | None:
        """The market-facing member."""
        return self._role(self._t.value_champion)

    @property
    def innovation_champion(self) -> Person | None:
        """The technology-facing member."""
        return self._role(self._t.innovation_champion)

    @property
    def age(self) -> int:
        """Steps since founding."""
        return int(self.model.steps - self._t.founded[self.index])

    @property
    def board(self) -> dict[str, list[int]]:
        """Item ids on the tribe's Kanban board, by column."""
        items = self.model.board.items
        mine = items.tribe[: items.n] == self.index
        stage = items.stage[: items.n]
        return {name: items.id[: items.n][mine & (stage == k)].tolist()
                for k, name in enumerate(BOARD_COLUMNS, start=1)}

    @property
    def wip_limits(self) -> dict[str, int] | None:
        """WIP limit per column (None when the work policy sets none)."""
        limits = self.model.rules.work.limits()
        if limits is None:
            return None
        return {name: limits[k] for k, name in enumerate(BOARD_COLUMNS, start=1)}

    def __repr__(self) -> str:
        return f"Tribe({self.tid}, size={self.size}, themes={self.top_themes})"

"""People: the population's state as a table, the behaviours every person has, vectorized, and
`Person`, the Mesa agent that views one row.

A person is a row; rows are never reused, so people who left keep their history. Passions are
unit vectors over purpose themes with non-negative weights, so the alignment of two such
vectors is their dot product, in [0, 1]. Skills are levels in [0, 1] per practice domain. Ties
are kept in `tie_slots` slots per person (target, weight); they are directed: what a person
feels toward a colleague.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np
from numpy.typing import NDArray

from numerics import kernels
from numerics.rows import normalize_rows, row_any
from numerics.table import Column, Table

if TYPE_CHECKING:
    from agents.tribe import Tribe, Tribes
    from agents.view import Host

NO_TRIBE = -1  # a person's tribe, an item's board: none
NOBODY = -1  # a role, a tie or an endorsement: held by or given to nobody


class ExitReason(IntEnum):
    """Why a person left the organization (`People.exit_reason`)."""

    NONE = 0
    ATTRITION = 1  # the base hazard: retirement, relocation, illness, ...
    VOLUNTARY = 2  # a quit: the person chose a better option elsewhere
    LAYOFF = 3  # laid off by a layoff shock (model.rules.pressure)

    @property
    def label(self) -> str:
        """The reason in words ('' for someone still here)."""
        return "" if self is ExitReason.NONE else self.name.lower()


EXIT_LABELS = [reason.label for reason in ExitReason]


class People(Table):
    """State of every person who ever worked in the organization (gone people stay as rows)."""

    id = Column(np.int64, -1, doc="the person's id, never reused (the order of hire)")
    passion = Column(np.float32, 0.0, ("themes",), doc="weights over purpose themes, unit length")
    passion_origin = Column(np.float32, 0.0, ("themes",), doc="the passion at hire, kept")
    skill = Column(np.float32, 0.0, ("domains",), doc="level in [0, 1] per practice domain")
    top_skill = Column(np.float32, 0.0, doc="highest skill level")
    initiative = Column(np.float32, 0.0, doc="propensity to found and lead, fixed")
    engagement = Column(np.float32, 0.5, doc="current engagement in [0, 1]")
    commitment = Column(np.float32, 0.5, doc="engagement over time (slow average)")
    reputation = Column(np.float32, 0.0, doc="earned by contribution, decays")
    contribution = Column(np.float32, 0.0, doc="effort that became progress this step")
    contribution_total = Column(np.float64, 0.0, doc="contribution so far")
    memberships = Column(np.int32, NO_TRIBE, ("memberships",),
                         doc="the tribes the person belongs to, at most one per slot, filled "
                         "slots first; slot 0 is the primary tribe, `tribe` (-1: none)",
                         refers="tribes", primary="tribe")
    unit = Column(np.int32, 0, doc="formal unit (department), fixed")
    joined_m = Column(np.int32, 0, ("memberships",), doc="step the person joined each tribe "
                      "(slot 0: or left the last one)", primary="joined")
    hired = Column(np.int32, 0, doc="step of hire")
    active = Column(np.bool_, False, doc="still works here")
    exit_step = Column(np.int32, -1, doc="step the person left (-1: still here)")
    exit_reason = Column(np.int8, ExitReason.NONE, doc="why they left (ExitReason)")
    tie_to = Column(np.int32, NOBODY, ("ties",), doc="colleague in each tie slot",
                    refers="people")
    tie_w = Column(np.float32, 0.0, ("ties",), doc="weight of each tie, in [0, 1]")
    # what the person observed this step (the observe phase)
    # (per membership; the primary tribe's under the plain names)
    alignment_m = Column(np.float32, 0.0, ("memberships",),
                         doc="passion . purpose of each of the person's tribes",
                         primary="alignment")
    skill_use_m = Column(np.float32, 0.0, ("memberships",),
                         doc="skill . demand of each of the person's tribes", primary="skill_use")
    belonging_m = Column(np.float32, 0.0, ("memberships",), doc="1 - exp(-tie weight into each "
                         "of the person's tribes / scale)", primary="belonging")
    fit_m = Column(np.float32, 0.0, ("memberships",), doc="fit with each of the person's tribes")
    fit = Column(np.float32, 0.0, doc="fit with the own tribes, effort-weighted (or the "
                 "unaffiliated fit)")

    # 1-D views of slot 0 of the per-membership columns (the primary tribe)
    tribe: NDArray[np.int32]
    joined: NDArray[np.int32]
    alignment: NDArray[np.float32]
    skill_use: NDArray[np.float32]
    belonging: NDArray[np.float32]

    def __init__(self, capacity: int, themes: int, domains: int, ties: int,
                 memberships: int = 1) -> None:
        super().__init__(capacity, themes=themes, domains=domains, ties=ties,
                         memberships=memberships)

    @property
    def width(self) -> int:
        """Memberships a person may hold at once (`max_memberships`)."""
        return self.dims["memberships"]

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every membership of every person, in row order (then slot order).

        Returns:
            (flat, person, tribe): the membership's index into the flattened per-membership
            columns (`flat(name)`: row * width + slot), the person's row and the tribe. With
            one membership per person, flat and person are both the members' rows.
        """
        n, width = self.n, self.width
        if width == 1:
            members = np.flatnonzero(self.tribe[:n] >= 0)
            return members, members, self.tribe[members]
        tribes = self.memberships[:n].ravel()
        flat = np.flatnonzero(tribes >= 0)
        return flat, flat // width, tribes[flat]

    def flat(self, name: str) -> np.ndarray:
        """The per-membership column `name` flattened (a view), indexed by `pairs()`'s flat."""
        return self.array(name).reshape(-1)

    @staticmethod
    def flat_of(table: Table, name: str) -> np.ndarray:
        """Per-membership column `name` of a table attached to the people, flattened (a
        view), indexed like `flat`."""
        return table.array(name).reshape(-1)

    def in_flat(self, values: np.ndarray, persons: np.ndarray, tribes: np.ndarray
                ) -> np.ndarray:
        """Entries of a flattened per-membership column for each person's membership in the
        matching tribe (their primary membership's where they are not a member)."""
        if self.width == 1:
            found: np.ndarray = values[persons]
            return found
        slot = np.maximum(self.slot_of(persons, tribes), 0)
        found = values[persons * self.width + slot]
        return found

    def person_of(self, flat: np.ndarray) -> np.ndarray:
        """The person of each flat membership index (-1 stays -1)."""
        if self.width == 1:
            return flat
        person: np.ndarray = np.where(flat >= 0, flat // self.width, -1)
        return person

    def count_memberships(self, persons: np.ndarray | None = None) -> np.ndarray:
        """How many tribes each person (every row, or `persons`) belongs to."""
        if self.width == 1:
            tribe = self.tribe[: self.n] if persons is None else self.tribe[persons]
            return (tribe >= 0).astype(np.int64)
        block = self.memberships[: self.n] if persons is None else self.memberships[persons]
        count: np.ndarray = (block >= 0).sum(axis=1)
        return count

    def effort_shares(self, flat: np.ndarray, person: np.ndarray, by_fit: bool = False
                      ) -> np.ndarray | None:
        """How each person divides their effort among their tribes: one share per membership
        (`pairs()` order), adding up to 1 per person; equal shares, or (`by_fit`) in
        proportion to fit + 0.01 in each. None when a person holds one membership at most."""
        if self.width == 1:
            return None
        if not by_fit:
            count = self.count_memberships()
            shares: np.ndarray = (1.0 / count[person]).astype(np.float32)
            return shares
        weight = self.flat("fit_m")[flat].astype(np.float64) + 0.01
        total = np.bincount(person, weights=weight, minlength=self.n)
        shares = (weight / total[person]).astype(np.float32)
        return shares

    def slot_of(self, persons: np.ndarray, tribes: np.ndarray) -> np.ndarray:
        """The slot of each person's membership in the matching tribe (-1 if not a member)."""
        if self.width == 1:
            slot: np.ndarray = np.where(self.tribe[persons] == tribes, 0, -1)
            return slot
        hit = self.memberships[persons] == np.asarray(tribes)[:, None]
        found: np.ndarray = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
        return found

    def in_tribe(self, name: str, persons: np.ndarray, tribes: np.ndarray) -> np.ndarray:
        """Per-membership column `name` of each person in the matching tribe (their primary
        tribe's value where they are not a member)."""
        column = self.array(name)
        if self.width == 1:
            value: np.ndarray = column[persons, 0]
            return value
        slot = np.maximum(self.slot_of(persons, tribes), 0)
        found: np.ndarray = column[persons, slot]
        return found

    def add(self, rng: np.random.Generator, count: int, step: int, units: np.ndarray, *,
            passion_concentration: float, skill_level: float, unaffiliated_fit: float
            ) -> np.ndarray:
        """Hire `count` new people into `units`; return their rows.

        Passions are norm(g) with g_k ~ Gamma(passion_concentration, 1); every skill is
        Beta(1.5, 6) but one main domain's, Beta(8 s + 0.5, 8 (1 - s) + 0.5) with
        s = skill_level; initiative is Beta(2, 5).
        """
        themes, domains = self.dims["themes"], self.dims["domains"]
        rows = self.append(count)
        passion = rng.gamma(passion_concentration, 1.0, size=(count, themes))
        self.passion[rows] = normalize_rows(passion.astype(np.float32))
        self.passion_origin[rows] = self.passion[rows]
        main = rng.integers(0, domains, size=count)
        skill = rng.beta(1.5, 6.0, size=(count, domains))
        skill[np.arange(count), main] = rng.beta(
            8 * skill_level + 0.5, 8 * (1 - skill_level) + 0.5, size=count)
        self.skill[rows] = skill
        self.top_skill[rows] = skill.max(axis=1)
        self.fit[rows] = unaffiliated_fit
        self.initiative[rows] = rng.beta(2.0, 5.0, size=count)
        self.engagement[rows] = 0.5
        self.commitment[rows] = 0.5
        self.unit[rows] = units
        self.hired[rows] = step
        self.joined[rows] = step
        self.active[rows] = True
        return rows

    def members(self) -> np.ndarray:
        """Rows of the people in a tribe (in at least one)."""
        return np.flatnonzero(self.tribe[: self.n] >= 0)

    def count_active(self) -> int:
        """People who work here now."""
        return int(np.count_nonzero(self.active[: self.n]))

    def fit_terms(self, persons: np.ndarray, tribe_ids: np.ndarray, tribes: Tribes
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each person's alignment with a tribe's purpose, the use of their skills by its
        demand, and the weight of their ties into it (float32)."""
        alignment, skill_use, tie_weight = kernels.fit_terms(
            persons, tribe_ids, self.passion, tribes.purpose, self.skill, tribes.demand,
            self.memberships, self.tie_to, self.tie_w)
        return alignment, skill_use, tie_weight

    def add_ties(self, persons: np.ndarray, targets: np.ndarray, weight: float = 0.3) -> None:
        """Tie each of `persons` to the matching entry of `targets` (in a free or the weakest
        slot), skipping empty targets (-1), oneself and existing ties."""
        fresh = (targets >= 0) & (targets != persons)
        fresh &= ~row_any(self.tie_to[persons] == targets[:, None])
        persons, targets = persons[fresh], targets[fresh]
        slot = self.tie_w[persons].argmin(axis=1)
        self.tie_to[persons, slot] = targets
        self.tie_w[persons, slot] = weight

    def work_together(self, workers: np.ndarray, partners: np.ndarray, growth: float,
                      decay: float) -> None:
        """All ties decay by `decay`; each worker's tie to the colleague they worked with grows
        by `growth` toward 1 (a new colleague takes the weakest slot if it is weaker).

        Args:
            workers: distinct people who worked with someone this step.
            partners: the colleague each of them worked with.
        """
        n = self.n
        if decay:
            self.tie_w[:n] *= 1.0 - decay
        if len(workers) == 0 or growth == 0:
            return
        kernels.strengthen_ties(self.tie_to, self.tie_w, workers, partners, growth)


class Person(mesa.Agent):
    """One person: a view of person `pid` of `model.people`, made when asked for.

    The model's step never calls it: the rules run vectorized over all people at once, so
    `step` refuses (an AgentSet's `shuffle_do("step")` would otherwise do nothing quietly).
    Someone who left stays inspectable until their row is archived by a compaction; then only
    `active` answers (False), and `model.people_frame()` holds their final state.
    """

    model: Host

    def __init__(self, model: Host, pid: int) -> None:
        super().__init__(model)
        self.pid = pid

    @property
    def index(self) -> int:
        """The person's row in `model.people`."""
        row = int(self._p.rows(np.array([self.pid]))[0])
        if row < 0:
            raise LookupError(f"person {self.pid} left and was archived; "
                              "model.people_frame() holds their final state")
        return row

    def step(self) -> None:
        """Refused: people are stepped together by the model."""
        raise RuntimeError("Person.step: a Person agent is a view of the arrays; the model "
                           "steps every person at once: call model.step() (or model.run(n))")

    @property
    def _p(self) -> People:
        return self.model.people

    @property
    def passion(self) -> np.ndarray:
        """Weights over purpose themes (unit length)."""
        return self._p.passion[self.index]

    @property
    def skills(self) -> np.ndarray:
        """Levels in [0, 1] per practice domain."""
        return self._p.skill[self.index]

    @property
    def engagement(self) -> float:
        """Engagement in [0, 1]."""
        return float(self._p.engagement[self.index])

    @engagement.setter
    def engagement(self, value: float) -> None:
        self._p.engagement[self.index] = value

    @property
    def initiative(self) -> float:
        """Propensity to found and lead, in [0, 1]."""
        return float(self._p.initiative[self.index])

    @property
    def reputation(self) -> float:
        """Reputation earned by contribution."""
        return float(self._p.reputation[self.index])

    @reputation.setter
    def reputation(self, value: float) -> None:
        self._p.reputation[self.index] = value

    @property
    def fit(self) -> float:
        """Fit with the current tribe (or the unaffiliated fit), as observed this step."""
        return float(self._p.fit[self.index])

    @property
    def tenure(self) -> int:
        """Steps since hire (until exit, for people who left)."""
        end = self._p.exit_step[self.index]
        return int((end if end >= 0 else self.model.steps) - self._p.hired[self.index])

    @property
    def active(self) -> bool:
        """Whether the person still works here."""
        row = int(self._p.rows(np.array([self.pid]))[0])
        return row >= 0 and bool(self._p.active[row])

    @property
    def exit_reason(self) -> str:
        """Why the person left ('' while active)."""
        return ExitReason(int(self._p.exit_reason[self.index])).label

    @property
    def tribe_id(self) -> int:
        """The id of the person's tribe (-1: none)."""
        row = int(self._p.tribe[self.index])
        return int(self.model.tribes.id[row]) if row >= 0 else -1

    @property
    def tribe(self) -> Tribe | None:
        """The person's tribe agent, or None."""
        return self.model.tribe(self.tribe_id) if self.tribe_id >= 0 else None

    @property
    def tribe_ids(self) -> list[int]:
        """The ids of all the person's tribes, the primary first."""
        ids, memberships = self.model.tribes.id, self._p.memberships[self.index]
        return [int(ids[t]) for t in memberships.tolist() if t >= 0]

    @property
    def tribes(self) -> list[Tribe]:
        """The agents of all the person's tribes, the primary first."""
        return [view for view in map(self.model.tribe, self.tribe_ids) if view is not None]

    @property
    def unit(self) -> int:
        """The formal unit (department)."""
        return int(self._p.unit[self.index])

    @property
    def interests(self) -> list[int]:
        """Themes of the communities of interest the person belongs to."""
        return np.flatnonzero(self.passion >= self.model.communities.interest_threshold).tolist()

    @property
    def practices(self) -> list[int]:
        """Domains of the communities of practice the person belongs to."""
        return np.flatnonzero(self.skills >= self.model.communities.practice_threshold).tolist()

    @property
    def ties(self) -> dict[int, float]:
        """Tie weight by colleague (person id)."""
        to, w = self._p.tie_to[self.index], self._p.tie_w[self.index]
        return {int(self._p.id[j]): float(x) for j, x in zip(to, w, strict=True)
                if j >= 0 and x > 0}

    def __repr__(self) -> str:
        return f"Person({self.pid}, tribe={self.tribe_id}, engagement={self.engagement:.2f})"

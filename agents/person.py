"""Person: a thin Mesa agent that reads and writes one row of the population's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.people import EXIT_REASONS

if TYPE_CHECKING:
    from agents.tribe import Tribe
    from model.organization import Organization


class Person(mesa.Agent):
    """One person. The state lives in `model.people`; this agent is a view of row `index`.

    The model's step never calls it: the rules run vectorized over all people at once.
    """

    model: Organization

    def __init__(self, model: Organization, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _p(self):
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
        return bool(self._p.active[self.index])

    @property
    def exit_reason(self) -> str:
        """Why the person left ('' while active)."""
        return EXIT_REASONS[int(self._p.exit_reason[self.index])]

    @property
    def tribe_id(self) -> int:
        """Index of the person's tribe (-1: none)."""
        return int(self._p.tribe[self.index])

    @property
    def tribe(self) -> Tribe | None:
        """The person's tribe agent, or None."""
        return self.model.tribe(self.tribe_id) if self.tribe_id >= 0 else None

    @property
    def unit(self) -> int:
        """The formal unit (department)."""
        return int(self._p.unit[self.index])

    @property
    def interests(self) -> list[int]:
        """Themes of the communities of interest the person belongs to."""
        return np.flatnonzero(self.passion >= self.model.cfg.interest_threshold).tolist()

    @property
    def practices(self) -> list[int]:
        """Domains of the communities of practice the person belongs to."""
        return np.flatnonzero(self.skills >= self.model.cfg.practice_threshold).tolist()

    @property
    def ties(self) -> dict[int, float]:
        """Tie weight by colleague (person index)."""
        to, w = self._p.tie_to[self.index], self._p.tie_w[self.index]
        return {int(j): float(x) for j, x in zip(to, w, strict=True) if j >= 0 and x > 0}

    def __repr__(self) -> str:
        return f"Person({self.index}, tribe={self.tribe_id}, engagement={self.engagement:.2f})"

"""Tribe: a thin Mesa agent for one living community of purpose (a row of `model.tribes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from agents.person import Person
    from model.organization import Organization

BOARD_COLUMNS = ("ready", "doing", "review")


class Tribe(mesa.Agent):
    """One tribe. The state lives in `model.tribes`; this agent is a view of row `index`.

    Created when the tribe is founded and removed from the model when it ends.
    """

    model: Organization

    def __init__(self, model: Organization, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _t(self):
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
        """Person indices of the members."""
        p = self.model.people
        return np.flatnonzero(p.tribe[: p.n] == self.index).tolist()

    @property
    def members(self) -> list[Person]:
        """The members' agents."""
        return [self.model.person(i) for i in self.member_ids]

    @property
    def size(self) -> int:
        """Number of members."""
        return len(self.member_ids)

    def _role(self, column: np.ndarray) -> Person | None:
        holder = int(column[self.index])
        return self.model.person(holder) if holder >= 0 else None

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
        return {name: items.uid[: items.n][mine & (stage == k)].tolist()
                for k, name in enumerate(BOARD_COLUMNS, start=1)}

    @property
    def wip_limits(self) -> dict[str, int] | None:
        """WIP limit per column (None under push)."""
        limits = self.model.work.limits(self.model)
        if limits is None:
            return None
        return {name: limits[k] for k, name in enumerate(BOARD_COLUMNS, start=1)}

    def __repr__(self) -> str:
        return f"Tribe({self.index}, size={self.size}, themes={self.top_themes})"

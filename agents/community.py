"""Community: a thin Mesa agent for a community of interest (a theme) or of practice (a
domain); its members are read off the people's arrays (see `agents.communities`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from model.organization import Organization


class Community(mesa.Agent):
    """A community of interest (`kind="interest"`, one per theme) or of practice
    (`kind="practice"`, one per skill domain)."""

    model: Organization

    def __init__(self, model: Organization, kind: str, index: int) -> None:
        super().__init__(model)
        if kind not in ("interest", "practice"):
            raise ValueError(f"kind: {kind!r} is not allowed; allowed: 'interest', 'practice'")
        self.kind = kind
        self.index = index

    @property
    def member_ids(self) -> list[int]:
        """Person indices of the members."""
        communities, people = self.model.communities, self.model.people
        matrix = (communities.interest_members(people) if self.kind == "interest"
                  else communities.practice_members(people))
        return np.flatnonzero(matrix[:, self.index]).tolist()

    @property
    def size(self) -> int:
        """Number of members."""
        return len(self.member_ids)

    def __repr__(self) -> str:
        return f"Community({self.kind}, {self.index}, size={self.size})"

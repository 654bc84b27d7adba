"""Hiring policies: whether the organization replaces the people who exit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.governance import register

if TYPE_CHECKING:
    from model.organization import Organization


@register("hiring", "replace")
class Replace:
    """Each person who exits is replaced by a new hire in the same formal unit, who is
    introduced to the leaver's strongest ties."""

    def hire(self, m: Organization, leavers: np.ndarray) -> None:
        """Hire one person per leaver."""
        if len(leavers):
            m.hire(leavers)


@register("hiring", "none")
class NoHiring:
    """Nobody is hired: the organization shrinks as people exit."""

    def hire(self, m: Organization, leavers: np.ndarray) -> None:
        """Nothing."""

"""Purpose policies: how a tribe's purpose is made and changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.arrays import matvec, normalize_rows
from model.governance import register

if TYPE_CHECKING:
    from model.organization import Organization


@register("purpose", "fixed")
class Fixed:
    """A purpose is a mandate: it never changes (not by conflict or merger either)."""

    mutable = False

    def update(self, m: Organization) -> None:
        """Nothing changes."""


@register("purpose", "co_created")
class CoCreated:
    """The purpose follows its members' passions (refinement), the value champion pulls it
    toward the market (as hard as they are attuned to it), and at a set cadence it is
    re-oriented to the members' mean passion."""

    mutable = True

    def update(self, m: Organization) -> None:
        """Refine, pull toward the market, and re-orient when due."""
        tribes, p, cfg = m.tribes, m.people, m.cfg
        living = tribes.living()
        if len(living) == 0:
            return
        shared = tribes.member_mean(p, p.passion[: p.n])[living].astype(np.float32)
        purpose = tribes.purpose[living]
        market = m.market.demand.astype(np.float32)
        # the champion pulls as hard as they are attuned to the market (p_c . d); no champion,
        # no pull
        champion = tribes.value_champion[living]
        attunement = matvec(p.passion[np.maximum(champion, 0)], market)
        pull = np.float32(cfg.market_pull) * np.where(champion >= 0, attunement, np.float32(0))
        purpose = (purpose + cfg.refine_rate * (shared - purpose)
                   + pull[:, None] * (market - purpose))
        if cfg.reorient_every > 0:
            due = m.steps - tribes.last_reorient[living] >= cfg.reorient_every
            purpose[due] = shared[due]
            tribes.last_reorient[living[due]] = m.steps
        tribes.purpose[living] = normalize_rows(purpose)


@register("purpose", "pivoting")
class Pivoting(CoCreated):
    """Co-created, and pivoted after `pivot_patience` poor steps in a row: the new purpose is
    what members care about weighted by what the market asks."""

    def update(self, m: Organization) -> None:
        """Co-create, then pivot the tribes whose results stayed poor."""
        super().update(m)
        tribes, p, cfg = m.tribes, m.people, m.cfg
        living = tribes.living()
        size = np.maximum(tribes.size[living], 1)
        poor = tribes.value_step[living] / size < cfg.pivot_threshold
        tribes.poor_run[living] = np.where(poor, tribes.poor_run[living] + 1, 0)
        pivot = living[tribes.poor_run[living] >= cfg.pivot_patience]
        if len(pivot) == 0:
            return
        shared = tribes.member_mean(p, p.passion[: p.n])[pivot]
        new = normalize_rows((shared * m.market.shares).astype(np.float32))
        empty = ~new.any(axis=1)
        new[empty] = m.market.demand
        tribes.purpose[pivot] = new
        tribes.poor_run[pivot] = 0
        tribes.pivots[pivot] += 1
        m.events.add(m.steps, "pivoted", -1, pivot, -1, "poor results")

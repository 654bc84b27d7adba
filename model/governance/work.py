"""Work policies: how items get from the market backlog onto the tribes' boards."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import kernels
from agents.arrays import group_argmax
from model.governance import register
from model.kanban import BACKLOG, DOING, READY, REVIEW

if TYPE_CHECKING:
    from model.organization import Organization


@register("work", "pull")
class Pull:
    """Kanban: tribes pull matching items into ready as far as their WIP limits allow."""

    def limits(self, m: Organization) -> dict[int, int] | None:
        """WIP limit per stage."""
        cfg = m.cfg
        return {READY: cfg.wip_ready, DOING: cfg.wip_doing, REVIEW: cfg.wip_review}

    def intake(self, m: Organization) -> None:
        """Each free ready slot looks at `pull_candidates` random backlog items and claims the
        best match (purpose alignment plus skill match); an item claimed twice goes to the
        better match. When free slots outnumber twice the backlog, a random subset of that
        many slots looks this step."""
        board, tribes, cfg, rng = m.board, m.tribes, m.cfg, m.rng
        backlog = board.in_stage(BACKLOG)
        living = tribes.living()
        if len(backlog) == 0 or len(living) == 0:
            return
        counts = board.stage_counts(tribes.n)
        free = np.maximum(cfg.wip_ready - counts[living, READY], 0)
        slots = np.repeat(living, free)
        if len(slots) > 2 * len(backlog):
            # each item can fill one slot: a random subset of the slots is enough to compete
            slots = slots[np.sort(rng.choice(len(slots), 2 * len(backlog), replace=False))]
        if len(slots) == 0:
            return
        items = board.items
        seen = backlog[rng.integers(0, len(backlog), size=(len(slots), cfg.pull_candidates))]
        claimed, best = kernels.best_candidates(seen, slots, items.purpose, tribes.purpose,
                                                items.needs, tribes.skill_profile)
        winner = group_argmax(claimed, best, items.n)
        winner = winner[winner >= 0]
        board.move(claimed[winner], READY, m.steps, slots[winner])


@register("work", "push")
class Push:
    """Management pushes every backlog item to a team at once (best skill match among
    `pull_candidates` random teams), straight into doing, with no WIP limits."""

    def limits(self, m: Organization) -> dict[int, int] | None:
        """No limits."""
        return None

    def intake(self, m: Organization) -> None:
        """Assign the whole backlog."""
        board, tribes, cfg, rng = m.board, m.tribes, m.cfg, m.rng
        backlog = board.in_stage(BACKLOG)
        living = tribes.living()
        if len(backlog) == 0 or len(living) == 0:
            return
        options = living[rng.integers(0, len(living), size=(len(backlog), cfg.pull_candidates))]
        match = np.einsum("ik,ijk->ij", board.items.needs[backlog], tribes.skill_profile[options])
        chosen = options[np.arange(len(backlog)), match.argmax(axis=1)]
        board.move(backlog, DOING, m.steps, chosen)

"""Work items and the tribes' Kanban boards: stages, WIP limits, pull order, review and flow
measures.

All open items of all boards live in one table; an item's `tribe` says whose board it is on and
its `stage` which column. Items move first-in first-out within a column. Finished (confirmed)
and expired items leave the table; the board keeps their totals.
"""

from __future__ import annotations

import numpy as np

from agents.person import NO_TRIBE
from numerics import kernels
from numerics.table import Column, Table

# an item's stage: the market backlog, the three columns of a tribe's board, or gone (done or
# expired: the row waits to be dropped); stages on a board are >= READY
GONE, BACKLOG, READY, DOING, REVIEW = -1, 0, 1, 2, 3
STAGES = ("backlog", "ready", "doing", "review")


class Items(Table):
    """Open work items (backlog and in progress)."""

    uid = Column(np.int64, -1, doc="item id, unique over the run")
    purpose = Column(np.float32, 0.0, ("themes",), doc="purpose profile, unit length")
    needs = Column(np.float32, 0.0, ("domains",), doc="skill needs, sum to 1")
    effort = Column(np.float32, 0.0, doc="effort the item takes")
    remaining = Column(np.float32, 0.0, doc="effort still to put in")
    value = Column(np.float32, 0.0, doc="value when done at once")
    arrived = Column(np.int32, 0, doc="step of arrival")
    since = Column(np.int32, 0, doc="step it entered its stage")
    stage = Column(np.int8, BACKLOG, doc="GONE, BACKLOG, READY, DOING or REVIEW")
    tribe = Column(np.int32, NO_TRIBE, doc="whose board it is on (-1: the backlog)")
    wip_age = Column(np.int32, 0, doc="steps spent in ready, doing or review")


class Board:
    """The market backlog plus every tribe's board, with running flow totals."""

    def __init__(self, themes: int, domains: int) -> None:
        self.items = Items(256, themes=themes, domains=domains)
        self.next_uid = 0
        self.done_step = 0
        self.value_step = 0.0
        self.lead_time_step = 0
        self.customer_lead_time_step = 0
        self.expired_step = 0
        self.reviewed_step = 0
        self.reworked_step = 0
        self.arrived_total = 0
        self.done_total = 0
        self.expired_total = 0
        self.value_total = 0.0
        self.lead_time_total = 0
        self.reset_step()

    def restart_totals(self) -> None:
        """Count the flow from now on: the items open now count as arrived, nothing as done or
        expired yet (so that arrived = backlog + WIP + done + expired still holds)."""
        items = self.items
        self.arrived_total = int(np.count_nonzero(items.stage[: items.n] >= BACKLOG))
        self.done_total = self.expired_total = self.lead_time_total = 0
        self.value_total = 0.0

    def reset_step(self) -> None:
        """Clear the per-step flow counters."""
        self.done_step = 0
        self.value_step = 0.0
        self.lead_time_step = 0
        self.customer_lead_time_step = 0
        self.expired_step = 0
        self.reviewed_step = 0
        self.reworked_step = 0

    # ------------------------------------------------------------------ queries
    def in_stage(self, stage: int) -> np.ndarray:
        """Rows of the open items in `stage`."""
        return np.flatnonzero(self.items.stage[: self.items.n] == stage)

    def stage_counts(self, n_tribes: int) -> np.ndarray:
        """(n_tribes, 4) count of items per tribe and stage (backlog column is always 0)."""
        items = self.items
        on_board = np.flatnonzero(items.stage[: items.n] >= READY)
        key = items.tribe[on_board].astype(np.int64) * 4 + items.stage[on_board]
        return np.bincount(key, minlength=4 * n_tribes)[: 4 * n_tribes].reshape(n_tribes, 4)

    def count(self, stage: int) -> int:
        """Open items in `stage`."""
        return int(np.count_nonzero(self.items.stage[: self.items.n] == stage))

    def wip(self) -> int:
        """Items committed to a tribe and not yet done."""
        return int(np.count_nonzero(self.items.stage[: self.items.n] >= READY))

    # ------------------------------------------------------------------ changes
    def add(self, purpose: np.ndarray, needs: np.ndarray, effort: np.ndarray,
            value: np.ndarray, step: int) -> None:
        """New items enter the backlog."""
        rows = self.items.append(len(effort))
        items = self.items
        items.uid[rows] = self.next_uid + np.arange(len(rows))
        items.purpose[rows] = purpose
        items.needs[rows] = needs
        items.effort[rows] = effort
        items.remaining[rows] = effort
        items.value[rows] = value
        items.arrived[rows] = step
        items.since[rows] = step
        items.stage[rows] = BACKLOG
        items.tribe[rows] = NO_TRIBE
        items.wip_age[rows] = 0
        self.next_uid += len(rows)
        self.arrived_total += len(rows)

    def move(self, rows: np.ndarray, stage: int, step: int, tribes: np.ndarray | None = None
             ) -> None:
        """Put items in `stage` (and on `tribes`' boards if given)."""
        self.items.stage[rows] = stage
        self.items.since[rows] = step
        if tribes is not None:
            self.items.tribe[rows] = tribes
        if stage == BACKLOG:
            self.items.tribe[rows] = NO_TRIBE

    def advance(self, stage: int, ready: np.ndarray, room: np.ndarray | None, step: int
                ) -> np.ndarray:
        """Move the items of `ready` (rows in `stage - 1`) into `stage`, oldest first, as far as
        each tribe's `room` in that stage allows (None: no limit). Return the rows moved."""
        if len(ready) == 0:
            return ready
        if room is not None:
            items = self.items
            ready = ready[kernels.first_within(items.tribe[ready], items.since[ready], room)]
        self.move(ready, stage, step)
        return ready

    def release(self, tribe_mask: np.ndarray, step: int) -> int:
        """Items on the boards of the tribes in `tribe_mask` go back to the backlog, keeping the
        effort already done. Return how many."""
        items = self.items
        on_board = np.flatnonzero(items.stage[: items.n] >= READY)
        rows = on_board[tribe_mask[items.tribe[on_board]]]
        self.move(rows, BACKLOG, step)
        return len(rows)

    def enforce_limits(self, limits: dict[int, int], step: int) -> None:
        """Items beyond a stage's limit (newest first) go back to the backlog; used after two
        boards are joined by a merge."""
        items = self.items
        for stage, limit in limits.items():
            rows = self.in_stage(stage)
            if len(rows) == 0:
                continue
            tribe = items.tribe[rows]
            quota = np.full(tribe.max() + 1, limit)
            keep = kernels.first_within(tribe, items.since[rows], quota)
            self.move(rows[~keep], BACKLOG, step)

    def finish(self, rows: np.ndarray, delivered: np.ndarray, step: int) -> None:
        """Confirmed items leave the board as done at `step`, delivering `delivered` value.
        Their lead time is their time in WIP; their customer lead time runs from arrival."""
        lead = self.items.wip_age[rows]
        self.done_step += len(rows)
        self.done_total += len(rows)
        self.value_step += float(delivered.sum())
        self.value_total += float(delivered.sum())
        self.lead_time_step += int(lead.sum())
        self.lead_time_total += int(lead.sum())
        self.customer_lead_time_step += int((step - self.items.arrived[rows]).sum())
        self.items.stage[rows] = GONE

    def rework(self, rows: np.ndarray, share: float) -> None:
        """Reviewed items sent back: `share` of their effort is to be done again, on the review
        column (the item keeps its place in the review queue)."""
        items = self.items
        items.remaining[rows] = (share * items.effort[rows]).astype(np.float32)
        self.reworked_step += len(rows)

    def age_and_expire(self, step: int, shelf_life: int) -> None:
        """Committed items age by a step; backlog items older than the shelf life expire."""
        items = self.items
        stage = items.stage[: items.n]
        items.wip_age[: items.n] += stage >= READY
        if shelf_life > 0:
            stale = (stage == BACKLOG) & (step - items.since[: items.n] >= shelf_life)
            count = int(stale.sum())
            stage[stale] = GONE
            self.expired_step += count
            self.expired_total += count
        self._compact()

    def _compact(self) -> None:
        # Dropping rows copies every column, so it waits until a quarter of the rows are gone.
        gone = self.items.stage[: self.items.n] == GONE
        if gone.sum() * 4 > self.items.n:
            self.items.keep(~gone)

"""Work items and the tribes' Kanban boards: stages, WIP limits, pull order, review, hand-offs
between tribes and flow measures.

All open work of all boards lives in one table of parts; an item is one part, or a chain of
parts that different tribes do in turn (cross-tribe work: Kanban as synchronization across
boards). A part's `tribe` says whose board it is on and its `stage` which column. At any time an
item has one current part (in the backlog or on a board); the parts after it are blocked until
it is done, when the next part is handed off: it enters the backlog as committed work (it
counts in WIP, ages and does not expire) for another tribe to pull. Items move first-in
first-out within a column. Finished and expired parts leave the table; the board keeps the
totals, counted by item (an item is done when its last part is).
"""

from __future__ import annotations

import numpy as np

from agents.person import NO_TRIBE
from numerics import kernels
from numerics.table import Column, Table

# a part's stage: blocked behind the part before it, the market backlog, the three columns of
# a tribe's board, or gone (done or expired: the row waits to be dropped); stages on a board are
# >= READY, open stages (backlog or board) >= BACKLOG
BLOCKED, GONE, BACKLOG, READY, DOING, REVIEW = -2, -1, 0, 1, 2, 3
STAGES = ("backlog", "ready", "doing", "review")
# `handoff_since` of a part that is not waiting to be picked up after a hand-off (not -1: the
# steps of the established organization's history are negative)
NOT_WAITING = np.iinfo(np.int32).min


class Items(Table):
    """Parts of work items, open or blocked."""

    id = Column(np.int64, -1, doc="the part's id, unique over the run")
    item = Column(np.int64, -1, doc="the id of the item's first part: the item's id")
    part = Column(np.int8, 0, doc="the part's place in its item's chain (0: the first)")
    parts = Column(np.int8, 1, doc="parts in the item (1: one tribe does it all)")
    next_part = Column(np.int64, -1, doc="the id of the part after this one (-1: the last)")
    purpose = Column(np.float32, 0.0, ("themes",), doc="purpose profile, unit length")
    needs = Column(np.float32, 0.0, ("domains",), doc="skill needs, sum to 1")
    effort = Column(np.float32, 0.0, doc="effort the part takes")
    remaining = Column(np.float32, 0.0, doc="effort still to put in")
    value = Column(np.float32, 0.0, doc="value of the part when done at once")
    arrived = Column(np.int32, 0, doc="step the item arrived")
    since = Column(np.int32, 0, doc="step it entered its stage")
    stage = Column(np.int8, BACKLOG, doc="BLOCKED, GONE, BACKLOG, READY, DOING or REVIEW")
    tribe = Column(np.int32, NO_TRIBE, doc="whose board it is on (-1: the backlog)",
                   refers="tribes")
    previous_tribe = Column(np.int32, NO_TRIBE, doc="the tribe that did the part before",
                            refers="tribes")
    handoff_since = Column(np.int32, NOT_WAITING, doc="step it was handed off, while it waits "
                           "to be pulled (NOT_WAITING: not waiting; steps of the established "
                           "organization's history are negative)")
    wip_age = Column(np.int32, 0, doc="steps the item has spent in WIP (carried across parts)")
    active_steps = Column(np.int32, 0, doc="steps the item received effort (carried across "
                          "parts)")


class Board:
    """The market backlog plus every tribe's board, with running flow totals."""

    def __init__(self, themes: int, domains: int) -> None:
        self.items = Items(256, themes=themes, domains=domains)
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
        self.cross_done_step = 0  # items done that needed several tribes
        self.active_done_step = 0  # steps of effort of the items done
        self.handoffs_step = 0  # handed-off parts taken onto a board
        self.handoff_wait_step = 0  # steps they waited
        self.handoffs_inside_step = 0  # of those, between tribes of one constellation

    # ------------------------------------------------------------------ queries
    def in_stage(self, stage: int) -> np.ndarray:
        """Rows of the parts in `stage`."""
        return np.flatnonzero(self.items.stage[: self.items.n] == stage)

    def stage_counts(self, n_tribes: int) -> np.ndarray:
        """(n_tribes, 4) count of parts per tribe and stage (backlog column is always 0)."""
        items = self.items
        return kernels.stage_counts(items.stage[: items.n], items.tribe[: items.n], READY,
                                    n_tribes, 4)

    def backlog(self) -> int:
        """Items waiting in the market backlog for their first tribe."""
        items = self.items
        return int(np.count_nonzero((items.stage[: items.n] == BACKLOG)
                                    & (items.part[: items.n] == 0)))

    def in_progress(self) -> np.ndarray:
        """Whether each row is an item in progress: a part on a board, or a handed-off part
        waiting in the backlog for its next tribe."""
        items = self.items
        stage = items.stage[: items.n]
        waiting: np.ndarray = (stage == BACKLOG) & (items.part[: items.n] > 0)
        return (stage >= READY) | waiting

    def wip(self) -> int:
        """Items committed and not yet done (each counted once: by its current part)."""
        return int(np.count_nonzero(self.in_progress()))

    # ------------------------------------------------------------------ changes
    def add(self, purpose: np.ndarray, needs: np.ndarray, effort: np.ndarray,
            value: np.ndarray, step: int, parts: np.ndarray | None = None) -> None:
        """New items enter the backlog: item i has `parts[i]` parts (1 if not given), with
        its own row of `needs` and `effort` each (rows of needs and effort are per part, in
        item order); the value is shared equally among an item's parts. The first part of
        each item enters the backlog, the others are blocked behind it."""
        count = len(purpose)
        parts = np.ones(count, dtype=np.int64) if parts is None else np.asarray(parts)
        total = int(parts.sum())
        rows = self.items.append(total)
        items = self.items
        owner = np.repeat(np.arange(count), parts)
        first = np.concatenate([[0], np.cumsum(parts)[:-1]])
        place = np.arange(total) - first[owner]
        last = place == parts[owner] - 1
        ids = items.id[rows]
        items.item[rows] = ids[first[owner]]
        items.part[rows] = place
        items.parts[rows] = parts[owner]
        items.next_part[rows] = np.where(last, -1, ids + 1)
        items.purpose[rows] = purpose[owner]
        items.needs[rows] = needs
        items.effort[rows] = effort
        items.remaining[rows] = effort
        items.value[rows] = value[owner] / parts[owner]
        items.arrived[rows] = step
        items.since[rows] = step
        items.stage[rows] = np.where(place == 0, BACKLOG, BLOCKED)
        items.tribe[rows] = NO_TRIBE
        items.previous_tribe[rows] = NO_TRIBE
        items.handoff_since[rows] = NOT_WAITING
        items.wip_age[rows] = 0
        items.active_steps[rows] = 0
        self.arrived_total += count

    def move(self, rows: np.ndarray, stage: int, step: int, tribes: np.ndarray | None = None
             ) -> None:
        """Put parts in `stage` (and on `tribes`' boards if given)."""
        self.items.stage[rows] = stage
        self.items.since[rows] = step
        if tribes is not None:
            self.items.tribe[rows] = tribes
        if stage == BACKLOG:
            self.items.tribe[rows] = NO_TRIBE

    def advance(self, stage: int, ready: np.ndarray, room: np.ndarray | None, step: int
                ) -> np.ndarray:
        """Move the parts of `ready` (rows in `stage - 1`) into `stage`, oldest first, as far as
        each tribe's `room` in that stage allows (None: no limit). Return the rows moved."""
        if len(ready) == 0:
            return ready
        if room is not None:
            items = self.items
            ready = ready[kernels.first_within(items.tribe[ready], items.since[ready], room)]
        self.move(ready, stage, step)
        return ready

    def release(self, tribe_mask: np.ndarray, step: int) -> int:
        """Parts on the boards of the tribes in `tribe_mask` go back to the backlog, keeping
        the effort already done (a handed-off part waits again). Return how many."""
        items = self.items
        on_board = np.flatnonzero(items.stage[: items.n] >= READY)
        rows = on_board[tribe_mask[items.tribe[on_board]]]
        self.move(rows, BACKLOG, step)
        later = rows[items.part[rows] > 0]
        items.handoff_since[later] = step
        return len(rows)

    def enforce_limits(self, limits: dict[int, int], step: int) -> None:
        """Parts beyond a stage's limit (newest first) go back to the backlog; used after two
        boards are joined by a merge."""
        items = self.items
        for stage, limit in limits.items():
            rows = self.in_stage(stage)
            if len(rows) == 0:
                continue
            tribe = items.tribe[rows]
            quota = np.full(tribe.max() + 1, limit)
            keep = kernels.first_within(tribe, items.since[rows], quota)
            back = rows[~keep]
            self.move(back, BACKLOG, step)
            items.handoff_since[back[items.part[back] > 0]] = step

    def finish(self, rows: np.ndarray, delivered: np.ndarray, step: int) -> np.ndarray:
        """Confirmed parts leave the board at `step`, delivering `delivered` value. A last
        part completes its item: its lead time is its time in WIP, its customer lead time runs
        from arrival. Any other part hands its item off: the next part enters the backlog as
        committed work, keeping the item's time in WIP and effort, and naming the tribe that
        handed it off. Return the rows of the parts handed off."""
        items = self.items
        self.value_step += float(delivered.sum())
        self.value_total += float(delivered.sum())
        items.stage[rows] = GONE
        last = rows[items.next_part[rows] < 0]
        lead = items.wip_age[last]
        self.done_step += len(last)
        self.done_total += len(last)
        self.lead_time_step += int(lead.sum())
        self.lead_time_total += int(lead.sum())
        self.customer_lead_time_step += int((step - items.arrived[last]).sum())
        self.cross_done_step += int(np.count_nonzero(items.parts[last] > 1))
        self.active_done_step += int(items.active_steps[last].sum())
        handing = rows[items.next_part[rows] >= 0]
        if len(handing) == 0:
            return handing
        nexts = items.rows(items.next_part[handing])
        items.stage[nexts] = BACKLOG
        items.since[nexts] = step
        items.handoff_since[nexts] = step
        items.wip_age[nexts] = items.wip_age[handing]
        items.active_steps[nexts] = items.active_steps[handing]
        items.previous_tribe[nexts] = items.tribe[handing]
        return nexts

    def picked_up(self, step: int) -> np.ndarray:
        """Handed-off parts that reached a board this step: the wait of each is counted, and
        their rows returned (once: their wait is over)."""
        items = self.items
        rows = np.flatnonzero((items.stage[: items.n] >= READY)
                              & (items.handoff_since[: items.n] != NOT_WAITING))
        self.handoffs_step += len(rows)
        self.handoff_wait_step += int((step - items.handoff_since[rows]).sum())
        items.handoff_since[rows] = NOT_WAITING
        return rows

    def rework(self, rows: np.ndarray, share: float) -> None:
        """Reviewed parts sent back: `share` of their effort is to be done again, on the
        review column (the part keeps its place in the review queue)."""
        items = self.items
        items.remaining[rows] = (share * items.effort[rows]).astype(np.float32)
        self.reworked_step += len(rows)

    def age_and_expire(self, step: int, shelf_life: int) -> None:
        """Items in progress age by a step; backlog items (first parts) older than the shelf
        life expire, with the parts blocked behind them."""
        items = self.items
        n = items.n
        stage = items.stage[:n]
        stale = kernels.age_items(stage, items.part[:n], items.since[:n], items.wip_age[:n],
                                  step, shelf_life, BACKLOG, READY)
        if shelf_life > 0:
            count = int(np.count_nonzero(stale))
            if count:
                behind = (stage == BLOCKED) & np.isin(items.item[: items.n],
                                                      items.item[: items.n][stale])
                stage[stale | behind] = GONE
            self.expired_step += count
            self.expired_total += count
        self._compact()

    def _compact(self) -> None:
        # Dropping rows copies every column, so it waits until a quarter of the rows are gone.
        gone = self.items.stage[: self.items.n] == GONE
        if np.count_nonzero(gone) * 4 > self.items.n:
            self.items.keep(~gone)

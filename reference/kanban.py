"""Work items and one tribe's Kanban board, as plain Python objects (ODD §1.2, §3.8, §3.9).

An `Item` is one part of a piece of work from the market: most items are one part, an item that
needs several tribes is a chain of parts, each linked to the next (`next_part`), done by
different tribes in turn. A `Board` holds the parts a tribe has committed to, one list per
column (ready, doing, review). Columns are worked first-in first-out: the oldest part is the one
that entered its column first (the earlier arrival on the same step). The market backlog is not
a board: it lives in the model (`ReferenceOrganization.backlog`) and holds the first parts of
new items and the parts handed off by a tribe (committed work waiting for its next tribe).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from model.kanban import BACKLOG, DOING, READY, REVIEW

if TYPE_CHECKING:
    from reference.tribe import RefTribe

COLUMNS = (READY, DOING, REVIEW)


class Item:
    """One work item: what it is about, what it needs, how much is left, where it is."""

    __slots__ = (
        "active_steps",
        "arrived",
        "author",
        "effort",
        "handoff_since",
        "needs",
        "next_part",
        "part",
        "parts",
        "previous_tribe",
        "purpose",
        "remaining",
        "since",
        "stage",
        "tribe",
        "uid",
        "value",
        "wip_age",
    )

    def __init__(self, uid: int, purpose: np.ndarray, needs: np.ndarray, effort: float,
                 value: float, step: int, part: int = 0, parts: int = 1) -> None:
        self.uid = uid
        self.part = part  # place in the item's chain of parts (0: the first)
        self.parts = parts  # parts of the item (1: one tribe does it all)
        self.next_part: Item | None = None  # the part blocked behind this one
        self.previous_tribe: RefTribe | None = None  # the tribe that did the part before
        self.handoff_since = -1  # step it was handed off, while it waits for a board
        self.active_steps = 0  # steps the item received effort (carried along the chain)
        self.purpose = purpose  # unit vector over themes
        self.needs = needs  # skill mix, sums to 1
        self.effort = effort
        self.remaining = effort
        self.value = value
        self.arrived = step
        self.since = step  # step it entered its current stage
        self.stage = BACKLOG
        self.tribe: RefTribe | None = None
        self.wip_age = 0  # steps in WIP: on a board, or handed off (carried along the chain)
        self.author: Any = None  # the member who first took it at the last work (peer review)

    def age_key(self) -> tuple[int, int]:
        """Sort key for first-in first-out: entered the column first, then arrived first."""
        return self.since, self.uid


class Board:
    """One tribe's board: its committed items by column."""

    def __init__(self) -> None:
        self.columns: dict[int, list[Item]] = {stage: [] for stage in COLUMNS}

    def put(self, item: Item, stage: int, step: int, tribe: RefTribe) -> None:
        """Place `item` (not on this board) in column `stage`."""
        item.stage = stage
        item.since = step
        item.tribe = tribe
        self.columns[stage].append(item)

    def move(self, item: Item, stage: int, step: int) -> None:
        """Move an item of this board to another column."""
        self.columns[item.stage].remove(item)
        item.stage = stage
        item.since = step
        self.columns[stage].append(item)

    def take(self, item: Item) -> None:
        """Remove an item from the board (done, or back to the backlog)."""
        self.columns[item.stage].remove(item)

    def oldest_first(self, stage: int) -> list[Item]:
        """The items of column `stage`, oldest first."""
        return sorted(self.columns[stage], key=Item.age_key)

    def count(self, stage: int) -> int:
        """Items in column `stage`."""
        return len(self.columns[stage])

    def items(self) -> list[Item]:
        """Every item on the board."""
        return [item for stage in COLUMNS for item in self.columns[stage]]

    def open_effort(self) -> float:
        """Remaining effort of the items in ready and doing: the load members perceive, and
        what push intake weighs against a team's capacity (ODD §3.2, §3.8)."""
        return float(sum(item.remaining for stage in (READY, DOING)
                         for item in self.columns[stage]))

    def in_work(self) -> list[Item]:
        """The items being worked on: in doing with effort remaining, or sent back for rework
        and still in review."""
        return [item for stage in (DOING, REVIEW) for item in self.columns[stage]
                if item.remaining > 0]

    def __len__(self) -> int:
        return sum(len(column) for column in self.columns.values())

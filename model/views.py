"""Mesa agents as views of the arrays, made when asked for.

The step never uses Mesa agents, so a million people are not a million Python objects until
someone asks for them: `person(row)` makes one view, and `sync()` (run whenever
`model.agents` or `model.agents_by_type` is read) registers a view for every active person and
living tribe and for every community, and removes those of people who left and tribes that
ended since the last sync. Each sync costs O(changes) after the first. A view's numbers are
read from the arrays; it keeps no state of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.community import KINDS, Community
from agents.person import Person
from agents.tribe import Tribe

if TYPE_CHECKING:
    from model.organization import Organization


class Views:
    """The Mesa agents of one organization, by person and tribe id."""

    def __init__(self, model: Organization) -> None:
        self.model = model
        self.people: dict[int, Person] = {}
        self.tribes: dict[int, Tribe] = {}
        self.communities: list[Community] = []
        self._registered: set[int] = set()  # ids whose view is among the model's agents
        self._people_seen = 0  # ids below this have been considered by a sync
        self._tribes_seen = 0
        self._departed_seen = 0  # compactions whose dropped people a sync has seen
        self._dissolved_seen = 0
        self._synced_step = 0

    def person(self, pid: int) -> Person:
        """The view of person `pid` (also of someone who left, though then it is not among
        `model.agents`)."""
        p = self.model.people
        if not 0 <= pid < p.issued:
            raise IndexError(f"person: {pid!r} is not a person; allowed: 0..{p.issued - 1}")
        view = self.people.get(pid)
        if view is None:
            view = self.people[pid] = Person(self.model, pid)
            row = int(p.rows(np.array([pid]))[0])
            if row >= 0 and p.active[row]:
                self._registered.add(pid)
            else:
                view.remove()
        return view

    def tribe(self, tid: int) -> Tribe | None:
        """The view of a living tribe (None if it has ended or never existed)."""
        t = self.model.tribes
        row = int(t.rows(np.array([tid]))[0])
        if row < 0 or not t.alive[row]:
            return None
        view = self.tribes.get(tid)
        if view is None:
            view = self.tribes[tid] = Tribe(self.model, tid)
        return view

    def sync(self) -> None:
        """Register views of every active person, living tribe and community; remove those
        of people who left and tribes that ended since the last sync."""
        model, p, t = self.model, self.model.people, self.model.tribes
        state = model.state
        if not self.communities:
            self.communities = [Community(model, kind, k) for kind in KINDS
                                for k in range(model.cfg.themes if kind == "interest"
                                               else model.cfg.domains)]
        # people hired since the last sync (everyone, the first time)
        new = np.arange(self._people_seen, p.issued)
        rows = p.rows(new)
        for pid in new[(rows >= 0) & p.active[np.maximum(rows, 0)]].tolist():
            self.person(pid)
        self._people_seen = p.issued
        # people who left since: still in the table, or dropped by a compaction since
        left = p.id[: p.n][(p.exit_step[: p.n] >= self._synced_step) & ~p.active[: p.n]]
        dropped = state.departed[self._departed_seen:]
        self._departed_seen = len(state.departed)
        for pid in np.concatenate([left, *dropped]).tolist():
            if pid in self._registered:
                self._registered.discard(pid)
                self.people[pid].remove()
        new = np.arange(self._tribes_seen, t.issued)
        rows = t.rows(new)
        for tid in new[(rows >= 0) & t.alive[np.maximum(rows, 0)]].tolist():
            self.tribe(tid)
        self._tribes_seen = t.issued
        ended = t.id[: t.n][t.ended[: t.n] >= self._synced_step]
        gone = state.dissolved[self._dissolved_seen:]
        self._dissolved_seen = len(state.dissolved)
        for tid in np.concatenate([ended, *gone]).tolist():
            view = self.tribes.pop(tid, None)
            if view is not None:
                view.remove()
        self._synced_step = model.steps

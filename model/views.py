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
    """The Mesa agents of one organization."""

    def __init__(self, model: Organization) -> None:
        self.model = model
        self.people: dict[int, Person] = {}
        self.tribes: dict[int, Tribe] = {}
        self.communities: list[Community] = []
        self._registered: set[int] = set()  # rows whose view is among the model's agents
        self._people_seen = 0
        self._tribes_seen = 0
        self._synced_step = 0

    def person(self, row: int) -> Person:
        """The view of person `row` (also of someone who left, though then it is not among
        `model.agents`)."""
        p = self.model.people
        if not 0 <= row < p.n:
            raise IndexError(f"person: {row!r} is not a person; allowed: 0..{p.n - 1}")
        view = self.people.get(row)
        if view is None:
            view = self.people[row] = Person(self.model, row)
            if p.active[row]:
                self._registered.add(row)
            else:
                view.remove()
        return view

    def tribe(self, tribe_id: int) -> Tribe | None:
        """The view of a living tribe (None if it has ended or never existed)."""
        t = self.model.tribes
        if not 0 <= tribe_id < t.n or not t.alive[tribe_id]:
            return None
        view = self.tribes.get(tribe_id)
        if view is None:
            view = self.tribes[tribe_id] = Tribe(self.model, tribe_id)
        return view

    def sync(self) -> None:
        """Register views of every active person, living tribe and community; remove those
        of people who left and tribes that ended since the last sync."""
        model, p, t = self.model, self.model.people, self.model.tribes
        if not self.communities:
            self.communities = [Community(model, kind, k) for kind in KINDS
                                for k in range(model.cfg.themes if kind == "interest"
                                               else model.cfg.domains)]
        # people hired since the last sync (everyone, the first time)
        for row in np.flatnonzero(p.active[self._people_seen: p.n]).tolist():
            self.person(self._people_seen + row)
        self._people_seen = p.n
        left = p.exit_step[: p.n] >= self._synced_step
        for row in np.flatnonzero(left & ~p.active[: p.n]).tolist():
            if row in self._registered:
                self._registered.discard(row)
                self.people[row].remove()
        for tribe_id in np.flatnonzero(t.alive[self._tribes_seen: t.n]).tolist():
            self.tribe(self._tribes_seen + tribe_id)
        self._tribes_seen = t.n
        for tribe_id in np.flatnonzero(t.ended[: t.n] >= self._synced_step).tolist():
            view = self.tribes.pop(tribe_id, None)
            if view is not None:
                view.remove()
        self._synced_step = model.steps

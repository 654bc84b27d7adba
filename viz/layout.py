"""A network layout that stays put from step to step.

Each living tribe holds a slot on a sunflower spiral from its founding until it ends (a freed
slot goes to the next new tribe), and each person sits at a fixed offset (set by their id) from
their tribe's centre. Only real changes move a dot: joining another tribe moves a person to
that tribe's cluster. Unaffiliated people sit on an outer ring by formal unit; people who left
stay where they were last seen, faded. The picture's extent is set by a capacity of slots that
only grows (by half) when the tribes outgrow it, so the axes (and every dot) stay put from frame to
frame. O(people) per frame, no force layout.
"""

from __future__ import annotations

import weakref

import numpy as np

GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))
TRIBE_SPACING = 1.6  # between tribe centres on the spiral
MIN_CAPACITY = 16    # slots the picture has room for at first


def spiral(index: np.ndarray, spacing: float = 1.0) -> np.ndarray:
    """Points of a sunflower spiral (evenly spread, stable as more are added)."""
    index = np.asarray(index, dtype=float)
    radius = spacing * np.sqrt(index + 0.5)
    angle = index * GOLDEN_ANGLE
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


class StableLayout:
    """Positions of people for one model, updated incrementally each frame."""

    def __init__(self) -> None:
        self.slot_of: dict[int, int] = {}
        self.free: list[int] = []
        self.next_slot = 0
        self.capacity = MIN_CAPACITY
        self.last_seen = np.zeros((0, 2))

    @property
    def outer_radius(self) -> float:
        """Radius of the ring of unaffiliated people (set by the capacity, not the tribes)."""
        return TRIBE_SPACING * np.sqrt(self.capacity + 0.5) + 1.5

    @property
    def extent(self) -> float:
        """Half the width of the picture: axes span [-extent, extent] in both directions."""
        return self.outer_radius + 1.0

    def _assign_slots(self, living: np.ndarray) -> None:
        alive = set(living.tolist())
        for tribe in [t for t in self.slot_of if t not in alive]:
            self.free.append(self.slot_of.pop(tribe))
        self.free.sort(reverse=True)
        for tribe in sorted(alive - set(self.slot_of)):
            if self.free:
                self.slot_of[tribe] = self.free.pop()
            else:
                self.slot_of[tribe] = self.next_slot
                self.next_slot += 1
        while self.next_slot > self.capacity:  # rare: the picture zooms out a little
            self.capacity = -(-self.capacity * 3 // 2)

    def positions(self, tribe: np.ndarray, unit: np.ndarray, active: np.ndarray,
                  living: np.ndarray) -> np.ndarray:
        """(people, 2) positions.

        Args:
            tribe, unit, active: per person.
            living: ids of living tribes.
        """
        self._assign_slots(living)
        n = len(tribe)
        offsets = spiral(np.arange(n) % 64, spacing=0.12)  # a person's place in any cluster
        jitter = spiral(np.arange(n) // 64 % 7, spacing=0.03)
        pos = np.zeros((n, 2))
        member = active & (tribe >= 0)
        if member.any():
            ids = max(int(tribe[member].max()), max(self.slot_of, default=0)) + 1
            slot_by_tribe = np.zeros(ids, dtype=np.int64)
            slot_by_tribe[list(self.slot_of)] = list(self.slot_of.values())
            centre = spiral(slot_by_tribe[tribe[member]], spacing=TRIBE_SPACING)
            pos[member] = centre + offsets[member] + jitter[member]
        loose = active & (tribe < 0)
        if loose.any():
            outer = self.outer_radius
            angle = (unit[loose] * 0.7 + np.arange(n)[loose] * 0.013) % (2 * np.pi)
            pos[loose] = np.column_stack([outer * np.cos(angle), outer * np.sin(angle)])
        seen = np.zeros((n, 2))
        seen[: len(self.last_seen)] = self.last_seen[:n]
        gone = ~active
        pos[gone] = seen[gone]
        self.last_seen = pos
        return pos


_LAYOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def layout_for(model) -> StableLayout:
    """The layout of this model instance (a new model, e.g. after Reset, gets a new one)."""
    if model not in _LAYOUTS:
        _LAYOUTS[model] = StableLayout()
    return _LAYOUTS[model]

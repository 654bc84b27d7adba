"""A network layout that stays put from step to step.

Each living tribe holds a slot on a sunflower spiral from its founding until it ends (a freed
slot goes to the next new tribe), and each person sits at a fixed offset from their tribe's
centre, scaled with the tribe's size. Only real changes move a dot: joining another tribe moves
a person to that tribe's cluster. Unaffiliated people sit on an outer ring by formal unit;
people who left stay where they were last seen, faded. O(people) per frame, no force layout.
"""

from __future__ import annotations

import weakref

import numpy as np

GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))


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
        self.last_seen = np.zeros((0, 2))

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

    def positions(self, tribe: np.ndarray, unit: np.ndarray, active: np.ndarray,
                  living: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """(people, 2) positions.

        Args:
            tribe, unit, active: per person.
            living: ids of living tribes; sizes: size of each tribe id (indexable by id).
        """
        self._assign_slots(living)
        n = len(tribe)
        offsets = spiral(np.arange(n) % 64, spacing=0.12)  # a person's place in any cluster
        jitter = spiral(np.arange(n) // 64 % 7, spacing=0.03)
        pos = np.zeros((n, 2))
        member = active & (tribe >= 0)
        if member.any():
            slot_by_tribe = np.zeros(len(sizes), dtype=np.int64)
            slot_by_tribe[list(self.slot_of)] = list(self.slot_of.values())
            centre = spiral(slot_by_tribe[tribe[member]], spacing=1.6)
            scale = np.sqrt(np.maximum(sizes[tribe[member]], 1) / 8.0)[:, None]
            pos[member] = centre + np.minimum(scale, 1.2) * (offsets[member] + jitter[member])
        loose = active & (tribe < 0)
        if loose.any():
            outer = 1.6 * np.sqrt(max(self.next_slot, 1) + 0.5) + 1.5
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

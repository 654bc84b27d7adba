"""The event log: who did what, when, as a tidy table built from per-step arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

EVENT_KINDS = ("joined", "left", "founded", "dissolved", "split", "merged", "leader_changed",
               "pivoted", "conflict", "exited", "hired")


class EventLog:
    """Append-only columns of events; each `add` records many events of one kind at once.

    Columns: step, event, person (-1 if none), tribe (-1 if none), other (a second tribe or
    person: the tribe left for a move, the tribe absorbed in a merge, the previous leader), and
    detail (a short reason).
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._chunks: list[tuple[int, str, np.ndarray, np.ndarray, np.ndarray, str]] = []
        self.tally: dict[tuple[str, str], int] = {}
        self._taken: dict[tuple[str, str], int] = {}

    def add(self, step: int, kind: str, person: ArrayLike = -1, tribe: ArrayLike = -1,
            other: ArrayLike = -1, detail: str = "") -> None:
        """Record events of one kind; person, tribe and other broadcast against each other."""
        columns = [np.asarray(column, dtype=np.int64).ravel() for column in (person, tribe, other)]
        sizes = {column.size for column in columns} - {1}
        if len(sizes) > 1:
            raise ValueError(f"event {kind!r}: person, tribe and other have sizes "
                             f"{[column.size for column in columns]}; allowed: equal sizes or 1")
        count = sizes.pop() if sizes else 1
        if count == 0:
            return
        self.tally[kind, detail] = self.tally.get((kind, detail), 0) + count
        if self.enabled:
            # copies: the caller may change its arrays afterwards
            person_, tribe_, other_ = (column.copy() if column.size == count
                                       else np.full(count, column[0]) for column in columns)
            self._chunks.append((step, kind, person_, tribe_, other_, detail))

    @property
    def counts(self) -> dict[str, int]:
        """Events so far by kind (counted even when the log itself is disabled)."""
        totals = dict.fromkeys(EVENT_KINDS, 0)
        for (kind, _), count in self.tally.items():
            totals[kind] += count
        return totals

    def take_counts(self) -> dict[tuple[str, str], int]:
        """Events by (kind, detail) since the last call (all so far at the first), counted
        even when the log itself is disabled."""
        new = {key: count - self._taken.get(key, 0) for key, count in self.tally.items()}
        self._taken = dict(self.tally)
        return new

    def latest(self, count: int) -> pd.DataFrame:
        """The last `count` events (cheap: reads only the newest chunks)."""
        chunks, total = [], 0
        for chunk in reversed(self._chunks):
            chunks.append(chunk)
            total += len(chunk[2])
            if total >= count:
                break
        return self._frame(chunks[::-1]).tail(count)

    def frame(self) -> pd.DataFrame:
        """All events so far, in the order they happened."""
        return self._frame(self._chunks)

    def _frame(self, chunks: list[tuple[int, str, np.ndarray, np.ndarray, np.ndarray, str]]
               ) -> pd.DataFrame:
        if not chunks:
            return pd.DataFrame({
                "step": pd.Series(dtype="int64"),
                "event": pd.Categorical([], categories=EVENT_KINDS),
                "person": pd.Series(dtype="int64"), "tribe": pd.Series(dtype="int64"),
                "other": pd.Series(dtype="int64"), "detail": pd.Series(dtype="object")})
        sizes = [len(chunk[2]) for chunk in chunks]
        return pd.DataFrame({
            "step": np.repeat([c[0] for c in chunks], sizes).astype(np.int64),
            "event": pd.Categorical(np.repeat([c[1] for c in chunks], sizes),
                                    categories=EVENT_KINDS),
            "person": np.concatenate([c[2] for c in chunks]),
            "tribe": np.concatenate([c[3] for c in chunks]),
            "other": np.concatenate([c[4] for c in chunks]),
            "detail": np.repeat([c[5] for c in chunks], sizes).astype(object),
        })

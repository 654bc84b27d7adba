"""The event log: who did what, when, as a tidy table built from per-step arrays."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from numerics.table import Table

EVENT_KINDS = ("joined", "left", "founded", "dissolved", "split", "merged", "leader_changed",
               "pivoted", "conflict", "exited", "hired", "constellation_formed",
               "constellation_joined", "constellation_left", "constellation_dissolved",
               "intertribe_conflict", "rejected", "sanctioned", "life_pivot", "shock")
# events whose `other` is a person (the previous leader, the person a hire replaces, the peer
# who reviewed, the one who sanctioned), or a constellation's id; in the others it is a tribe
OTHER_IS_PERSON = frozenset({"leader_changed", "hired", "rejected", "sanctioned"})
OTHER_IS_CONSTELLATION = frozenset({"constellation_formed", "constellation_joined",
                                    "constellation_left", "constellation_dissolved"})
LATEST_KEPT = 64  # chunks kept at hand after a flush, for `latest`

Chunk = tuple[int, str, np.ndarray, np.ndarray, np.ndarray, str]


class EventLog:
    """Append-only columns of events; each `add` records many events of one kind at once.

    Columns: step, event, person (-1 if none), tribe (-1 if none), other (a second tribe, a
    person or a constellation: the tribe left for a move, the tribe absorbed in a merge, the
    previous leader, the constellation a tribe joined), and detail (a short reason). Callers
    give rows of the people's and tribes' tables; the log records their ids, which stay valid
    when those tables drop rows (a constellation's row is its id).

    Given a `folder`, the log streams: whenever `flush_at` events are held, they are written
    to a new Parquet file in that folder (`events-00000.parquet`, ...) and dropped from memory,
    so that a long run's log does not grow in memory; `frame` reads the files back (so does
    `pandas.read_parquet(folder)`), and `latest` keeps the newest events at hand.
    """

    def __init__(self, enabled: bool = True, people: Table | None = None,
                 tribes: Table | None = None, folder: Path | None = None,
                 flush_at: int = 100_000) -> None:
        self.enabled = enabled
        self.people = people
        self.tribes = tribes
        self._chunks: list[Chunk] = []
        self._held = 0  # events in _chunks
        self._recent: list[Chunk] = []  # the newest chunks written to files, for `latest`
        self.tally: dict[tuple[str, str], int] = {}
        self._taken: dict[tuple[str, str], int] = {}
        self.folder = folder
        self.flush_at = flush_at
        self.files: list[Path] = []
        if folder is not None:
            try:
                folder.mkdir()  # a new folder: nothing is written over or through a link
            except OSError as error:
                raise OSError(f"event folder: cannot make {str(folder)!r} ({error.strerror}); "
                              "allowed: a new folder in an existing one") from None

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
        other_table = (self.people if kind in OTHER_IS_PERSON
                       else None if kind in OTHER_IS_CONSTELLATION else self.tribes)
        tables = (self.people, self.tribes, other_table)
        columns = [_ids(table, rows) for table, rows in zip(tables, columns, strict=True)]
        self.tally[kind, detail] = self.tally.get((kind, detail), 0) + count
        if self.enabled:
            # copies: the caller may change its arrays afterwards
            person_, tribe_, other_ = (column.copy() if column.size == count
                                       else np.full(count, column[0]) for column in columns)
            self._chunks.append((step, kind, person_, tribe_, other_, detail))
            self._held += count
            if self.folder is not None and self._held >= self.flush_at:
                self.flush()

    def flush(self) -> None:
        """Write the events held in memory to a new file of the event folder (if the log
        streams), atomically: under a temporary name, then renamed."""
        if self.folder is None or not self._chunks:
            return
        path = self.folder / f"events-{len(self.files):05d}.parquet"
        partial = self.folder / f".{path.name}.partial"
        self._frame(self._chunks).to_parquet(partial, index=False)
        os.replace(partial, path)
        self.files.append(path)
        self._recent = self._chunks[-LATEST_KEPT:]
        self._chunks = []
        self._held = 0

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
        for chunk in reversed(self._recent + self._chunks):
            chunks.append(chunk)
            total += len(chunk[2])
            if total >= count:
                break
        return self._frame(chunks[::-1]).tail(count)

    def frame(self) -> pd.DataFrame:
        """All events so far, in the order they happened (read back from the event folder's
        files too, if the log streams)."""
        held = self._frame(self._chunks)
        if not self.files:
            return held
        frame = pd.concat([*(pd.read_parquet(path) for path in self.files), held],
                          ignore_index=True)
        frame["event"] = pd.Categorical(frame["event"], categories=EVENT_KINDS)
        return frame

    def _frame(self, chunks: list[Chunk]) -> pd.DataFrame:
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


def _ids(table: Table | None, rows: np.ndarray) -> np.ndarray:
    """The ids of `rows` of `table` (-1 stays -1); the rows themselves without a table."""
    if table is None:
        return rows
    ids = table.array("id")
    found: np.ndarray = np.where(rows >= 0, ids[np.maximum(rows, 0)], rows)
    return found

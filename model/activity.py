"""A day in the life: the per-person activity record a run keeps when asked
(`Recording(activity=True)`), in the spirit of the event log.

Two tidy tables, built from per-step arrays:

- what people did (`ActivityLog.frame`), one row per act: step, person, tribe, activity, item,
  part, other (a person), other_tribe and detail. The activities:

      worked        the person worked on a part of an item on their tribe's board (members
                    take their tribe's items in turn, `model.rules.work.attribute_work`)
      worked_with   they worked beside a co-member (other), the colleague whose tie the step's
                    work grew
      reviewed      as a peer reviewer, they reviewed a part whose author is other; detail:
                    accepted, careless (sent back for rework) or caught (opportunism caught)
      was_reviewed  a part they authored was reviewed by other, detail as above
      met           they met other, a member of other_tribe, a sister tribe of their
                    constellation (`model.rules.federation`)

  Reviews by particular peers exist only under `review_by = "peers"` (otherwise review is a
  capacity of the tribe, and nobody in particular reviews); meetings only in constellations.

- how they stood (`ActivityLog.standing`), one row per active person and step at the end of
  the step: their primary tribe, fit and its terms (alignment, skill use, belonging), the
  leader quality of their tribe, engagement, commitment and contribution.

People, tribes and items are named by their ids, as in the event log. Nothing is recorded,
and nothing is computed for the record, when it is off (the default): the rules check
`State.activity` is None. Recording draws nothing, so a run's numbers are the same with and
without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from agents.person import People
from agents.tribe import Tribes

ACTIVITIES = ("worked", "worked_with", "reviewed", "was_reviewed", "met")

# (step, activity, person, tribe, item, part, other, other_tribe, detail), ids already
_Chunk = tuple[int, str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
               np.ndarray]

_STANDING = ("fit", "alignment", "skill_use", "belonging", "engagement", "commitment",
             "contribution")


class ActivityLog:
    """Append-only per-step arrays of what people did and how they stood."""

    def __init__(self, people: People, tribes: Tribes) -> None:
        self.people = people
        self.tribes = tribes
        self._acts: list[_Chunk] = []
        self._standing: list[dict[str, np.ndarray]] = []

    def add(self, step: int, activity: str, persons: ArrayLike, tribes: ArrayLike = -1,
            items: ArrayLike = -1, parts: ArrayLike = -1, others: ArrayLike = -1,
            other_tribes: ArrayLike = -1, detail: ArrayLike = "") -> None:
        """Record acts of one kind: person rows, tribe rows, item ids and parts, other person
        rows, other tribe rows and details broadcast against each other."""
        if activity not in ACTIVITIES:
            raise ValueError(f"activity: {activity!r} is not one; allowed: "
                             f"{', '.join(ACTIVITIES)}")
        person = np.asarray(persons, dtype=np.int64).ravel()
        count = len(person)
        if count == 0:
            return

        def full(values: ArrayLike, dtype: type) -> np.ndarray:
            array: np.ndarray = np.asarray(values, dtype=dtype).ravel()
            return np.full(count, array[0], dtype=dtype) if array.size == 1 else array.copy()

        p_ids, t_ids = self.people.id, self.tribes.id

        def ids(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
            found: np.ndarray = np.where(rows >= 0, table[np.maximum(rows, 0)], -1)
            return found

        self._acts.append((step, activity, ids(p_ids, person),
                           ids(t_ids, full(tribes, np.int64)), full(items, np.int64),
                           full(parts, np.int64), ids(p_ids, full(others, np.int64)),
                           ids(t_ids, full(other_tribes, np.int64)), full(detail, object)))

    def stand(self, step: int, leader_quality: np.ndarray) -> None:
        """Record how every active person stands at the end of `step` (`leader_quality`: per
        tribe row)."""
        p = self.people
        rows = np.flatnonzero(p.active[: p.n])
        tribe = p.tribe[rows].astype(np.int64)
        record = {"step": np.full(len(rows), step, dtype=np.int64),
                  "person": p.id[rows].copy(),
                  "tribe": np.where(tribe >= 0, self.tribes.id[np.maximum(tribe, 0)], -1),
                  "memberships": p.count_memberships()[rows].astype(np.int64)}
        for name in _STANDING:
            record[name] = getattr(p, name)[rows].astype(np.float64)
        record["leader_quality"] = np.where(tribe >= 0, leader_quality[np.maximum(tribe, 0)],
                                            np.nan)
        self._standing.append(record)

    def frame(self) -> pd.DataFrame:
        """Every act so far, in the order they happened."""
        chunks = self._acts
        sizes = [len(chunk[2]) for chunk in chunks]
        if not chunks:
            empty = np.empty(0, dtype=np.int64)
            chunks, sizes = [(0, "worked", *(empty,) * 6, np.empty(0, dtype=object))], [0]
        return pd.DataFrame({
            "step": np.repeat([c[0] for c in chunks], sizes).astype(np.int64),
            "person": np.concatenate([c[2] for c in chunks]),
            "tribe": np.concatenate([c[3] for c in chunks]),
            "activity": pd.Categorical(np.repeat([c[1] for c in chunks], sizes),
                                       categories=ACTIVITIES),
            "item": np.concatenate([c[4] for c in chunks]),
            "part": np.concatenate([c[5] for c in chunks]),
            "other": np.concatenate([c[6] for c in chunks]),
            "other_tribe": np.concatenate([c[7] for c in chunks]),
            "detail": np.concatenate([c[8] for c in chunks]).astype(object),
        })

    def standing(self) -> pd.DataFrame:
        """How every active person stood at the end of every recorded step."""
        columns = ("step", "person", "tribe", "memberships", *_STANDING, "leader_quality")
        if not self._standing:
            return pd.DataFrame({name: pd.Series(dtype="float64" if name in _STANDING
                                                 or name == "leader_quality" else "int64")
                                 for name in columns})
        return pd.DataFrame({name: np.concatenate([r[name] for r in self._standing])
                             for name in columns})

    def day_in_the_life(self, person: int, steps: range | None = None) -> pd.DataFrame:
        """Person `person`'s (an id) standing and acts over `steps` (all recorded steps if
        None), one row per act, ordered by step; a step without any act has one row with
        activity "-" (the person was active, did nothing the record names)."""
        standing = self.standing()
        standing = standing[standing["person"] == person]
        acts = self.frame()
        acts = acts[acts["person"] == person]
        if steps is not None:
            standing = standing[standing["step"].isin(steps)]
            acts = acts[acts["step"].isin(steps)]
        acts = acts.drop(columns=["person", "tribe"]).assign(
            activity=acts["activity"].astype(str))
        day = standing.merge(acts, on="step", how="left", sort=False)
        day["activity"] = day["activity"].fillna("-")
        day["detail"] = day["detail"].fillna("")
        for name in ("item", "part", "other", "other_tribe"):
            day[name] = day[name].fillna(-1).astype(np.int64)
        order = ["step", "person", "tribe", "activity", "item", "part", "other", "other_tribe",
                 "detail", "memberships", *_STANDING, "leader_quality"]
        return day[order].sort_values("step", kind="stable").reset_index(drop=True)

"""The state that several rules change, and the doors through which they change it.

Every rule receives this object. It holds the people, the tribes, the communities, the market,
the boards and the event log, the step's clock and random generator, and the few values one
phase hands to a later one in the same step (declared below, not attached ad hoc). Every change
of membership goes through `move`; tribes begin at `create_tribes` and end at `end_tribes`.
It is not the Mesa model: `model.organization.Organization` composes it and nothing here calls
back into the model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from agents.community import Communities
from agents.person import NO_TRIBE, NOBODY, People
from agents.tribe import Origin, Tribes
from model.activity import ActivityLog
from model.events import EventLog
from model.kanban import Board
from model.market import Market
from numerics import kernels
from numerics.rows import row_dot
from numerics.table import Table

if TYPE_CHECKING:
    from model.config import Config

EMPTY = np.empty(0, dtype=np.int64)
# a compaction drops rows once at least this many are unused (and as many as those in use)
MIN_DROP = 1024


# the random streams of concerns whose draws must not change the model's one stream (traits
# drawn at hire, draws of mechanisms that are off by default): keys of `State.stream`
STREAMS = 0x1513


@dataclass
class Conditions:
    """The conditions the organization works under this step, as the pressure phase sets them
    (`model.rules.pressure`): neutral unless a shock is active.

    Attributes:
        demand: factor on the arrival rate (a surge above 1, a slump below).
        outside: factor on the outside option (a boom above 1, a collapse below).
        freeze: the share of leavers not replaced (a hiring freeze; 0: none).
        active: the kinds of the shocks active this step.
    """

    demand: float = 1.0
    outside: float = 1.0
    freeze: float = 0.0
    active: list[str] = field(default_factory=list)


class Archiver(Protocol):
    """Makes the final-state tables of rows about to be dropped."""

    def people(self, rows: np.ndarray) -> pd.DataFrame:
        """One row per person at `rows`."""

    def tribes(self, rows: np.ndarray) -> pd.DataFrame:
        """One row per tribe at `rows`."""


class State:
    """The organization's state during a run.

    Attributes:
        cfg: the configuration.
        rng: the run's one random generator (Mesa's `model.rng`).
        clock: the current step (0 while setting up).
        people, tribes, communities: the agents' state.
        market, board: the environment: demand and the work items on the tribes' boards.
        events: the event log.
        index: the membership index (people sorted by tribe, `group_order(tribe + 1)`), rebuilt
            at observe; random co-members are drawn from it for the rest of the step.
        arrived: items that arrived this step (market phase, read by the metrics).
        leavers: people who left the organization this step (exit phase, read by hiring).
        switched: (from, to) tribes of this step's switches (membership phase, read by the
            intertribe phase).
        metrics: the metrics of the last recorded step.
        labels: the text columns of the last recorded step (`model.metrics.LABELS`).
        activity: the activity record, if the run keeps one (`model.activity`; None: rules
            record nothing and compute nothing for it).
        starting: the ids of the people active at step 0 (retention is the share of them still
            active).
        exits_before: exits before step 0 (the established organization's history).
        archive: the final state of the people and tribes dropped from the tables (people who
            left, tribes that ended), one pair of frames per compaction.
    """

    def __init__(self, cfg: Config, rng: np.random.Generator, events: bool = True,
                 event_folder: Path | None = None) -> None:
        self.cfg = cfg
        self.rng = rng
        self.clock = 0
        self.people = People(cfg.people, cfg.themes, cfg.domains, cfg.tie_slots,
                             cfg.max_memberships)
        self.tribes = Tribes(max(16, cfg.people // 4), cfg.themes, cfg.domains)
        self.communities = Communities(cfg.interest_threshold, cfg.practice_threshold)
        self.market = Market(rng, cfg)
        self.board = Board(cfg.themes, cfg.domains)
        self.events = EventLog(events, self.people, self.tribes, event_folder)
        self.index: tuple[np.ndarray, np.ndarray, np.ndarray] = (EMPTY, EMPTY, EMPTY)
        self.arrived = 0
        self.leavers = EMPTY
        self.switched: tuple[np.ndarray, np.ndarray] = (EMPTY, EMPTY)
        self.metrics: dict[str, float] = {}
        self.labels: dict[str, str] = {}  # the text columns of the last recorded step
        self.activity: ActivityLog | None = None
        self.starting = EMPTY
        self.exits_before = 0
        self.departed: list[np.ndarray] = []  # ids of the people dropped by each compaction
        self.dissolved: list[np.ndarray] = []  # ids of the tribes dropped by each compaction
        self.archive: list[tuple[pd.DataFrame, pd.DataFrame]] = []
        self.min_drop = MIN_DROP
        self.referring: list[Table] = []  # rules' own tables that refer to people or tribes
        self.conditions = Conditions()
        # called with the rows of every new hire (traits that rules keep about people)
        self.hire_hooks: list[Callable[[State, np.ndarray], None]] = []
        self._streams: dict[int, np.random.Generator] = {}

    def stream(self, key: int) -> np.random.Generator:
        """The random stream of a concern (`key`), independent of the model's one generator:
        drawing from it never changes that generator's draws. It is derived from the model's
        seed (its SeedSequence, with a spawn key of its own), so a seed still fixes the run."""
        generator = self._streams.get(key)
        if generator is None:
            bits = self.rng.bit_generator
            seed = getattr(bits, "seed_seq", None)
            if isinstance(seed, np.random.SeedSequence):
                child = np.random.SeedSequence(seed.entropy,
                                               spawn_key=(*seed.spawn_key, STREAMS, key),
                                               pool_size=seed.pool_size)
            else:  # a generator without a seed sequence: derive one from its state
                digest = hashlib.sha256(repr(bits.state).encode()).digest()
                child = np.random.SeedSequence([int.from_bytes(digest[:8], "little"),
                                                STREAMS, key])
            generator = self._streams[key] = np.random.Generator(np.random.PCG64(child))
        return generator

    # ------------------------------------------------------------------ membership
    def move(self, persons: np.ndarray, to: np.ndarray | int, detail: str,
             leaving: np.ndarray | int | None = None) -> None:
        """Change one membership of each of `persons`: their membership in tribe `leaving`
        becomes one in tribe `to` (-1: they leave it), logging who left and joined.

        `leaving` None is the person's primary tribe (their only one when a person holds one
        membership); -1 is a free slot: the person joins `to` beside their other tribes. A
        person not in `leaving` is skipped; a person already in `to` through another membership
        only leaves `leaving`. `persons` are distinct, unless `leaving` names different tribes
        of one person.

        Tribe sizes follow at once; what a mover perceives of their new tribe's purpose is
        known at once; columns declared per membership go back to their fill value, and roles
        a mover held in the tribe they left are vacated. A person's memberships stay in the
        first slots (a membership left makes room by moving the later ones up).
        """
        p, tribes = self.people, self.tribes
        persons = np.asarray(persons, dtype=np.int64)
        target = (np.full(len(persons), to, dtype=np.int32) if np.ndim(to) == 0
                  else np.asarray(to, dtype=np.int32))
        if p.width > 1:
            self._move_membership(persons, target, detail, leaving)
            return
        old = p.tribe[persons]
        changed = old != target
        persons, old, new = persons[changed], old[changed], target[changed]
        if len(persons) == 0:
            return
        out = old >= 0
        self.events.add(self.clock, "left", persons[out], old[out], new[out], detail)
        into = new >= 0
        self.events.add(self.clock, "joined", persons[into], new[into], old[into], detail)
        p.tribe[persons] = new
        np.subtract.at(tribes.size, old[out], 1)
        np.add.at(tribes.size, new[into], 1)
        p.joined[persons] = self.clock
        p.alignment[persons] = np.where(
            new >= 0, row_dot(p.passion[persons], tribes.purpose[np.maximum(new, 0)]), 0.0)
        for table in (p, *p.attached):
            for column in table.per_membership:
                table.array(column.name)[persons] = column.fill
        self._vacate_roles(persons, old)

    def _move_membership(self, persons: np.ndarray, target: np.ndarray, detail: str,
                         leaving: np.ndarray | int | None) -> None:
        """`move` when a person may hold several memberships."""
        p, tribes = self.people, self.tribes
        block = p.memberships[persons]
        row = np.arange(len(persons))
        if leaving is None:
            slot = np.zeros(len(persons), dtype=np.int64)
            valid = np.ones(len(persons), dtype=bool)
        else:
            wanted = (np.full(len(persons), leaving, dtype=np.int32) if np.ndim(leaving) == 0
                      else np.asarray(leaving, dtype=np.int32))
            hit = block == wanted[:, None]  # -1: the first free slot (filled slots come first)
            valid = hit.any(axis=1)
            slot = hit.argmax(axis=1)
        old = block[row, slot]
        # a person already in the target through another membership only leaves this one
        twice = (target >= 0) & (target != old) & (block == target[:, None]).any(axis=1)
        # and so does a second move of one person into the same tribe in this call
        key = persons * (tribes.n + 1) + np.maximum(target, -1) + 1
        order = np.lexsort((row, key))
        repeated = np.zeros(len(persons), dtype=bool)
        repeated[order[1:]] = (key[order[1:]] == key[order[:-1]]) & (target[order[1:]] >= 0)
        new = np.where(twice | repeated, NO_TRIBE, target).astype(np.int32)
        changed = valid & (old != new)
        persons, slot, old, new = persons[changed], slot[changed], old[changed], new[changed]
        if len(persons) == 0:
            return
        out = old >= 0
        self.events.add(self.clock, "left", persons[out], old[out], target[changed][out],
                        detail)
        into = new >= 0
        self.events.add(self.clock, "joined", persons[into], new[into], old[into], detail)
        p.memberships[persons, slot] = new
        np.subtract.at(tribes.size, old[out], 1)
        np.add.at(tribes.size, new[into], 1)
        p.joined_m[persons, slot] = self.clock
        p.alignment_m[persons, slot] = np.where(
            new >= 0, row_dot(p.passion[persons], tribes.purpose[np.maximum(new, 0)]), 0.0)
        for table in (p, *p.attached):
            for column in table.per_membership:
                values = table.array(column.name)
                if values.ndim == 2:
                    values[persons, slot] = column.fill
                else:
                    values[persons] = column.fill
        self._vacate_roles(persons, old)
        if (~into).any():
            self._close_up(np.unique(persons[~into]))

    def _close_up(self, persons: np.ndarray) -> None:
        """Keep each person's memberships in the first slots: the later ones move up into a
        slot left, in order, with every per-membership column; the freed slots hold fill
        values (but the primary slot of someone in no tribe, which keeps when they left)."""
        p = self.people
        block = p.memberships[persons]
        order = np.argsort(block < 0, axis=1, kind="stable")
        moved = (order != np.arange(p.width)).any(axis=1)
        persons, order = persons[moved], order[moved]
        if len(persons) == 0:
            return
        for table in (p, *p.attached):
            for column in table.columns.values():
                if column.shape[:1] != ("memberships",):
                    continue
                values = table.array(column.name)
                values[persons] = np.take_along_axis(values[persons], order, axis=1)
                block = values[persons]
                block[p.memberships[persons] < 0] = column.fill
                values[persons] = block

    def _vacate_roles(self, persons: np.ndarray, old: np.ndarray) -> None:
        """Roles the movers held in the tribes they left are vacated."""
        tribes = self.tribes
        left = old >= 0
        held = np.maximum(old, 0)
        for table in (tribes, *tribes.attached):
            for column in table.roles:
                role = table.array(column.name)
                role[old[left & (role[held] == persons)]] = column.fill

    def leave_all(self, persons: np.ndarray, detail: str) -> None:
        """`persons` leave their tribes and belong to none."""
        p = self.people
        if p.width == 1:
            self.move(persons, NO_TRIBE, detail)
            return
        persons = np.asarray(persons, dtype=np.int64)
        for slot in range(p.width - 1, -1, -1):  # the last first: nothing moves up
            held = persons[p.memberships[persons, slot] >= 0]
            self.move(held, NO_TRIBE, detail, leaving=p.memberships[held, slot])

    def create_tribes(self, purposes: np.ndarray, origin: Origin,
                      parents: np.ndarray | None = None, overhead: float = 0.0) -> np.ndarray:
        """New tribes, one per row of `purposes`, founded now; return their ids."""
        return self.tribes.create(purposes, self.clock, origin, parents, overhead)

    def end_tribes(self, ids: np.ndarray, detail: str) -> None:
        """Tribes `ids` cease to exist: members become unaffiliated, open items go back to the
        backlog."""
        if len(ids) == 0:
            return
        p, tribes = self.people, self.tribes
        ending = np.zeros(tribes.n, dtype=bool)
        ending[ids] = True
        _, members, tribe = p.pairs()
        gone = ending[tribe]
        if p.width == 1:
            self.leave_all(members[gone], detail)
        else:
            self.move(members[gone], NO_TRIBE, detail, leaving=tribe[gone])
        self.board.release(ending, self.clock)
        tribes.alive[ids] = False
        tribes.ended[ids] = self.clock
        tribes.leader[ids] = NOBODY
        tribes.size[ids] = 0

    # ------------------------------------------------------------------ co-members
    def index_members(self) -> None:
        """Rebuild the membership index from the people's memberships."""
        p = self.people
        tribes = p.tribe[: p.n] if p.width == 1 else p.memberships[: p.n].ravel()
        self.index = kernels.group_order(tribes + 1, self.tribes.n + 1)

    def comembers(self, flat: np.ndarray) -> np.ndarray:
        """A random co-member of each membership's tribe, from the membership index, as a
        membership (flat index, `People.pairs`; -1 if none: unaffiliated, alone, drew
        themselves, or the draw has moved since the index was built). With one membership per
        person, memberships are the people's rows."""
        order, start, count = self.index
        uniform = self.rng.random(len(flat))
        p = self.people
        tribes = p.tribe if p.width == 1 else p.memberships.reshape(-1)
        peers: np.ndarray = kernels.comembers(flat, tribes, order, start, count, uniform)
        return peers

    def random_members(self, tribe_ids: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """A random member of each tribe drawn with `uniform` (one U[0, 1) each) from the
        membership index (-1 if it has none, is newer than the index, or the drawn membership
        has moved since)."""
        order, start, count = self.index
        if len(order) == 0:
            return np.full(len(tribe_ids), NOBODY, dtype=np.int64)
        group = np.asarray(tribe_ids, dtype=np.int64) + 1
        indexed = (group > 0) & (group < len(count))
        group = np.where(indexed, group, 0)
        size = np.where(indexed, count[group], 0)
        pick = start[group] + (uniform * size).astype(np.int64)
        drawn = np.where(size > 0, order[np.minimum(pick, len(order) - 1)], NOBODY)
        p = self.people
        tribes = p.tribe if p.width == 1 else p.memberships.reshape(-1)
        ok = (drawn >= 0) & (tribes[np.maximum(drawn, 0)] == tribe_ids)
        found: np.ndarray = np.where(ok, p.person_of(drawn), NOBODY)
        return found

    # ------------------------------------------------------------------ compaction
    def compact(self, frames: Archiver) -> None:
        """Drop the rows of people who left and of tribes that ended, once they are as many as
        the rows still in use (and at least `min_drop`), so that a long run's step does not
        slow down with its history. What is dropped is archived first (`frames` makes its
        final-state tables); ids stay, and every column that refers to rows is remapped."""
        p, tribes = self.people, self.tribes
        gone = p.n - p.count_active()
        if gone >= max(p.count_active(), self.min_drop):
            keep = p.active[: p.n].copy()
            dropped = np.flatnonzero(~keep)
            self.archive.append((frames.people(dropped), frames.tribes(EMPTY)))
            self.departed.append(p.id[dropped].copy())
            self._remap("people", p.keep(keep))
        ended = tribes.n - len(tribes.living())
        if ended >= max(len(tribes.living()), self.min_drop):
            keep = tribes.alive[: tribes.n].copy()
            dropped = np.flatnonzero(~keep)
            self.archive.append((frames.people(EMPTY), frames.tribes(dropped)))
            self.dissolved.append(tribes.id[dropped].copy())
            self._remap("tribes", tribes.keep(keep))

    def _remap(self, name: str, new_row: np.ndarray) -> None:
        """Replace old rows of table `name` by their new rows in every column that refers to
        it (-1 for a dropped row)."""
        for table in (self.people, *self.people.attached, self.tribes, *self.tribes.attached,
                      self.board.items, *self.board.items.attached, *self.referring):
            for column in table.references:
                if column.refers != name:
                    continue
                values = table.array(column.name)[: table.n]
                held = values >= 0
                values[held] = new_row[values[held]]

    def attach_to_people(self, table: Table) -> None:
        """Make a rule's own per-person table grow with the people."""
        self.people.attach(table)

    def attach_to_tribes(self, table: Table) -> None:
        """Make a rule's own per-tribe table grow with the tribes."""
        self.tribes.attach(table)

    def attach_to_items(self, table: Table) -> None:
        """Make a rule's own per-item table grow (and shrink) with the work items."""
        self.board.items.attach(table)

    def refer(self, table: Table) -> None:
        """Keep the columns of a rule's own table that refer to people or tribes valid when
        rows are dropped (`compact`)."""
        self.referring.append(table)

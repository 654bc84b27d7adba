"""The organization: a Mesa model whose state is arrays and whose step is an ordered plan."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from agents import Community, Person, Tribe, kernels
from agents.arrays import group_order, group_sum, random_members, rank_within, row_dot
from agents.communities import Communities
from agents.people import EXIT_REASONS, People
from agents.tribes import ORIGINS, Tribes
from model.config import Config, ConfigError
from model.events import EventLog
from model.governance import make_policy
from model.kanban import STAGES, Board
from model.market import Market
from model.metrics import METRICS, measure
from model.plan import PLAN, Phase, observe


class Organization(mesa.Model):
    """An organization whose people organize around purpose.

    Args:
        config: a validated `Config`; if None, one is built from `preset` and `kwargs`.
        preset: name of a preset (see `model.presets.PRESETS`); unused when `config` is given.
        rng: seed or numpy Generator, as for `mesa.Model`; a seed fixes the run bit for bit.
        scenario: ignored when it is Mesa's empty base scenario (SolaraViz passes one on
            Reset under Mesa 3.5); any other scenario raises ConfigError.
        **kwargs: parameters by name, applied over the preset (or over `config`).

    Attributes:
        cfg: the configuration.
        preset: the preset named when the model was built (None if built from a Config).
        seed: the seed, when `rng` was given as an integer (None otherwise).
        people, tribes: the population and the tribes, as arrays (`agents.People`,
            `agents.Tribes`).
        market, board: the environment: demand and work items with the tribes' Kanban boards.
        events: the event log.
        plan: the ordered phases of one step.
    """

    def __init__(self, config: Config | None = None, *, preset: str | None = None,
                 rng: Any = None, scenario: Any = None, **kwargs: Any) -> None:
        # the name `kwargs` matters: Mesa's SolaraViz only accepts extra parameters under it.
        # Mesa 3.5's SolaraViz passes an empty base `Scenario` on Reset; parameters come from
        # the configuration here, so only that empty scenario is accepted.
        if scenario is not None and type(scenario).__name__ != "Scenario":
            raise ConfigError(f"scenario: {type(scenario).__name__} is not supported; pass "
                              "parameters by name or as a Config")
        if "seed" in kwargs:  # Mesa's older keyword, which Mesa 3.5 deprecates
            raise ConfigError(f"seed: {kwargs['seed']!r} is not a parameter here; pass the seed "
                              f"as rng={kwargs['seed']!r} (Mesa's convention)")
        if not (rng is None or isinstance(rng, np.random.Generator | np.random.SeedSequence)
                or isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0):
            raise ConfigError(f"rng: {rng!r} is not allowed; allowed: None, a seed (an integer "
                              ">= 0), a numpy Generator or SeedSequence")
        if config is None:
            config = Config.build(preset, **kwargs)
        elif kwargs:
            config = config.replace(**kwargs)
        self.cfg = config
        self.preset = preset
        self.seed = int(rng) if isinstance(rng, int | np.integer) else None
        super().__init__(rng=rng)
        cfg = self.cfg
        self.plan: tuple[Phase, ...] = PLAN
        self.membership = make_policy("membership", cfg.membership)
        self.leadership = make_policy("leadership", cfg.leadership)
        self.purpose = make_policy("purpose", cfg.purpose)
        self.work = make_policy("work", cfg.work)
        self.conflict = make_policy("conflict", cfg.conflict)
        self.hiring = make_policy("hiring", cfg.hiring)

        self.people = People(cfg.people, cfg.themes, cfg.domains, cfg.tie_slots)
        self.tribes = Tribes(max(16, cfg.people // 4), cfg.themes, cfg.domains)
        self.communities = Communities(cfg)
        self.market = Market(self.rng, cfg)
        self.board = Board(cfg.themes, cfg.domains)
        self.events = EventLog(cfg.record_events)
        self.leavers = np.empty(0, dtype=np.int64)
        self.reputation_ref = 1.0
        self.membership_index = (np.empty(0, np.int64),) * 3
        self.initial_people = cfg.people
        self.metrics: dict[str, float] = {}
        self._event_totals: dict[tuple[str, str], int] = {}
        self._snapshots: list[tuple[pd.DataFrame, pd.DataFrame]] = []

        self._populate()
        self._person_agents: list[Person] = []
        self._tribe_agents: dict[int, Tribe] = {}
        self._tribes_synced = 0
        self._synced_step = 0
        self.communities_of_interest = [Community(self, "interest", k) for k in range(cfg.themes)]
        self.communities_of_practice = [Community(self, "practice", k)
                                        for k in range(cfg.domains)]
        self._sync_agents()
        observe(self)  # the initial perception, so that step 0 reports fit and alignment
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, key=name: m.metrics[key]) for name in METRICS})
        self.metrics = measure(self)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One observe-orient-decide-act cycle: the plan's phases, in order."""
        for phase in self.plan:
            phase.run(self)

    def run(self, steps: int, progress: bool = False) -> pd.DataFrame:
        """Advance `steps` steps and return the step table (one row per step, from step 0)."""
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
            raise ValueError(f"steps: {steps!r} is not allowed; allowed: a whole number >= 0")
        if progress:
            from tqdm.auto import trange

            for _ in trange(steps, desc=f"{self.cfg.people} people", unit="step"):
                self.step()
        else:
            for _ in range(steps):
                self.step()
        return self.step_table()

    # ------------------------------------------------------------------ set-up
    def _populate(self) -> None:
        """Hire the starting people into formal units and assign them to teams by skill."""
        cfg, rng = self.cfg, self.rng
        units = np.arange(cfg.people) // cfg.unit_size
        rows = self.people.add(rng, cfg.people, cfg, 0, units)
        self.create_teams(rows, units)
        p = self.people
        order, start, count = group_order(units, int(units.max()) + 1)
        team_order, team_start, team_count = group_order(p.tribe[rows], self.tribes.n)
        for slot in range(cfg.initial_ties):
            if slot % 2 == 0:
                target = random_members(rng, team_order, team_start, team_count, p.tribe[rows])
            else:
                target = random_members(rng, order, start, count, units)
            p.add_ties(rows, target)
        self.leadership.quality(self)

    def create_teams(self, persons: np.ndarray, groups: np.ndarray | None = None
                     ) -> np.ndarray:
        """Management forms teams of `team_size` from `persons` within each group (formal unit),
        sorted by main skill, each with a mandate drawn from the market; the most skilled member
        leads. Return the new team ids."""
        cfg, rng, p = self.cfg, self.rng, self.people
        groups = np.zeros(len(persons), np.int64) if groups is None else np.asarray(groups)
        main_skill = p.skill[persons].argmax(axis=1)
        rank = rank_within(groups, main_skill)
        local = rank // cfg.team_size
        per_group = np.zeros(int(groups.max()) + 1, dtype=np.int64)
        np.maximum.at(per_group, groups, local + 1)
        offset = np.concatenate([[0], np.cumsum(per_group)[:-1]])
        team = offset[groups] + local
        n_teams = int(per_group.sum())
        theme = rng.choice(cfg.themes, size=n_teams, p=self.market.shares)
        mandate = rng.gamma(0.3, 0.3, size=(n_teams, cfg.themes))
        mandate[np.arange(n_teams), theme] += 1.0
        ids = self.tribes.create(mandate, self.steps, origin=0,
                                 overhead=self.leadership.overhead(cfg))
        skills = group_sum(team, p.skill[persons], n_teams)
        self.tribes.demand[ids] = skills / skills.sum(axis=1, keepdims=True)
        self.move(persons, ids[team], "assigned")
        leaders = self.tribes.member_argmax(p, p.top_skill[: p.n])[ids]
        self.events.add(self.steps, "founded", leaders, ids, -1, "management")
        if self.leadership.single_leader:
            self.tribes.leader[ids] = leaders
            self.tribes.leader_since[ids] = self.steps
            self.events.add(self.steps, "leader_changed", leaders, ids, -1, "management")
        return ids

    # ------------------------------------------------------------------ changes of state
    def move(self, persons: np.ndarray, to: np.ndarray, detail: str) -> None:
        """Put `persons` (distinct) in tribes `to` (-1: none), logging who left and joined."""
        p, tribes = self.people, self.tribes
        persons = np.asarray(persons, dtype=np.int64)
        to = np.asarray(to, dtype=np.int32)
        old = p.tribe[persons]
        changed = old != to
        persons, old, to = persons[changed], old[changed], to[changed]
        if len(persons) == 0:
            return
        out = old >= 0
        self.events.add(self.steps, "left", persons[out], old[out], to[out], detail)
        into = to >= 0
        self.events.add(self.steps, "joined", persons[into], to[into], old[into], detail)
        p.tribe[persons] = to
        # tribe sizes follow every move, so they are never stale
        np.subtract.at(tribes.size, old[out], 1)
        np.add.at(tribes.size, to[into], 1)
        p.joined[persons] = self.steps
        # what a mover perceives of their new tribe's purpose is known at once
        p.alignment[persons] = np.where(
            to >= 0, row_dot(p.passion[persons], tribes.purpose[np.maximum(to, 0)]), 0.0)
        p.endorses[persons] = -1
        for role in (tribes.leader, tribes.value_champion, tribes.innovation_champion):
            role[old[(old >= 0) & (role[np.maximum(old, 0)] == persons)]] = -1

    def found_tribes(self, founders: np.ndarray, busy: np.ndarray) -> None:
        """Each founder starts a tribe around their passion with like-minded ties who are free
        to move; the purpose is the co-founders' mean passion and the founder leads it."""
        if len(founders) == 0:
            return
        from model.governance.membership import like_minded

        p = self.people
        owner, peer = like_minded(p, founders, self.cfg.cofound_alignment)
        taken = busy.copy()
        taken[founders] = True
        free = ~taken[peer]
        owner, peer = owner[free], peer[free]
        peer, first = np.unique(peer, return_index=True)
        owner = owner[first]
        shared = group_sum(owner, p.passion[peer], len(founders)) + p.passion[founders]
        ids = self.tribes.create(shared, self.steps, origin=1,
                                 overhead=self.leadership.overhead(self.cfg))
        self.move(founders, ids, "found")
        self.move(peer, ids[owner], "cofound")
        self.events.add(self.steps, "founded", founders, ids, -1, "bottom-up")
        if self.leadership.single_leader:
            self.tribes.leader[ids] = founders
            self.tribes.leader_since[ids] = self.steps
            self.events.add(self.steps, "leader_changed", founders, ids, -1, "founder")

    def end_tribes(self, ids: np.ndarray, detail: str) -> None:
        """Tribes `ids` cease to exist: members become unaffiliated, open items go back to the
        backlog."""
        if len(ids) == 0:
            return
        p, tribes = self.people, self.tribes
        ending = np.zeros(tribes.n, dtype=bool)
        ending[ids] = True
        members = np.flatnonzero(p.tribe[: p.n] >= 0)
        members = members[ending[p.tribe[members]]]
        self.move(members, np.full(len(members), -1, dtype=np.int32), detail)
        self.board.release(ending, self.steps)
        tribes.alive[ids] = False
        tribes.ended[ids] = self.steps
        tribes.leader[ids] = -1
        tribes.size[ids] = 0

    def hire(self, leavers: np.ndarray) -> np.ndarray:
        """One new hire per leaver, in the leaver's unit, introduced to the leaver's strongest
        active ties; the membership policy then places them. Return the new rows."""
        p, cfg = self.people, self.cfg
        leavers = np.asarray(leavers, dtype=np.int64)
        units = p.unit[leavers].copy()
        strongest = np.argsort(-p.tie_w[leavers], axis=1, kind="stable")[:, : cfg.initial_ties]
        contacts = np.take_along_axis(p.tie_to[leavers], strongest, axis=1)
        rows = p.add(self.rng, len(leavers), cfg, self.steps, units)
        for slot in range(contacts.shape[1]):
            target = contacts[:, slot]
            target = np.where(p.active[np.maximum(target, 0)], target, -1)
            p.add_ties(rows, target)
        self.events.add(self.steps, "hired", rows, -1, leavers, cfg.hiring)
        self.membership.place(self, rows)
        return rows

    def sample_comembers(self, persons: np.ndarray) -> np.ndarray:
        """A random co-member of each person's tribe, from the membership index built at
        observe (-1 if none: unaffiliated, alone, drew themselves, or the draw has moved)."""
        order, start, count = self.membership_index
        uniform = self.rng.random(len(persons))
        return kernels.comembers(persons, self.people.tribe, order, start, count, uniform)

    # ------------------------------------------------------------------ Mesa agents
    def _sync_agents(self) -> None:
        """Create Mesa agents for new people and tribes; remove from the model those of people
        who left and of ended tribes (O(changes) calls, not O(people))."""
        for row in range(len(self._person_agents), self.people.n):
            self._person_agents.append(Person(self, row))
        p = self.people
        # only people who left since the last call can still be registered; `person(row)`
        # keeps their view, so leavers stay inspectable
        for row in np.flatnonzero(p.exit_step[: p.n] > self._synced_step).tolist():
            self._person_agents[row].remove()
        for tribe_id in range(self._tribes_synced, self.tribes.n):
            if self.tribes.alive[tribe_id]:
                self._tribe_agents[tribe_id] = Tribe(self, tribe_id)
        self._tribes_synced = self.tribes.n
        # only tribes that ended since the last call can have an agent to remove
        tribes = self.tribes
        for tribe_id in np.flatnonzero(tribes.ended[: tribes.n] >= self._synced_step).tolist():
            agent = self._tribe_agents.pop(tribe_id, None)
            if agent is not None:
                agent.remove()
        self._synced_step = self.steps

    def person(self, row: int) -> Person:
        """The Mesa agent of person `row` (also of someone who left, though it is no longer
        among `model.agents`)."""
        return self._person_agents[row]

    def tribe(self, tribe_id: int) -> Tribe | None:
        """The Mesa agent of a living tribe (None if it has ended)."""
        return self._tribe_agents.get(int(tribe_id))

    # ------------------------------------------------------------------ outputs
    def step_table(self) -> pd.DataFrame:
        """One row per recorded step: the metrics in `model.metrics.METRICS`."""
        return self.datacollector.get_model_vars_dataframe()

    def event_log(self) -> pd.DataFrame:
        """Every event so far: step, event, person, tribe, other, detail."""
        return self.events.frame()

    def people_frame(self) -> pd.DataFrame:
        """One row per person who ever worked here, with their current state."""
        p, n = self.people, self.people.n
        frame = pd.DataFrame({
            "person": np.arange(n), "active": p.active[:n], "tribe": p.tribe[:n],
            "unit": p.unit[:n], "engagement": p.engagement[:n], "commitment": p.commitment[:n],
            "fit": p.fit[:n], "alignment": p.alignment[:n], "skill_use": p.skill_use[:n],
            "belonging": p.belonging[:n], "reputation": p.reputation[:n],
            "recognition": p.recognition[:n], "initiative": p.initiative[:n],
            "contribution_total": p.contribution_total[:n],
            "main_theme": p.passion[:n].argmax(axis=1), "main_skill": p.skill[:n].argmax(axis=1),
            "hired": p.hired[:n], "joined": p.joined[:n], "exit_step": p.exit_step[:n],
            "exit_reason": pd.Categorical.from_codes(p.exit_reason[:n],
                                                     list(EXIT_REASONS.values())),
        })
        frame.insert(0, "step", self.steps)
        return frame

    def tribes_frame(self, living_only: bool = False) -> pd.DataFrame:
        """One row per tribe that ever existed (or only the living), with its current state."""
        t, n = self.tribes, self.tribes.n
        counts = self.board.stage_counts(n)
        top = np.argsort(-t.purpose[:n], axis=1, kind="stable")[:, :3]
        frame = pd.DataFrame({
            "tribe": np.arange(n), "alive": t.alive[:n], "size": t.size[:n],
            "founded": t.founded[:n], "ended": t.ended[:n], "age": np.where(
                t.alive[:n], self.steps - t.founded[:n], t.ended[:n] - t.founded[:n]),
            "origin": pd.Categorical.from_codes(t.origin[:n], list(ORIGINS.values())),
            "parent": t.parent[:n], "leader": t.leader[:n],
            "value_champion": t.value_champion[:n],
            "innovation_champion": t.innovation_champion[:n],
            "main_theme": top[:, 0], "top_themes": [" ".join(map(str, r)) for r in top],
            **{f"purpose_{k}": t.purpose[:n, k] for k in range(self.cfg.themes)},
            "effectiveness": t.effectiveness[:n], "division": t.division[:n],
            "leader_quality": t.leader_quality[:n], "conflict": t.conflict[:n],
            "pivots": t.pivots[:n], "done_total": t.done_total[:n],
            "value_total": t.value_total[:n],
            **{STAGES[s]: counts[:, s] for s in range(1, 4)},
        })
        frame.insert(0, "step", self.steps)
        return frame[frame["alive"]] if living_only else frame

    def snapshots(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(people, tribes) snapshots taken every `snapshot_every` steps, stacked."""
        if not self._snapshots:
            return self.people_frame().iloc[:0], self.tribes_frame().iloc[:0]
        people, tribes = zip(*self._snapshots, strict=True)
        return pd.concat(people, ignore_index=True), pd.concat(tribes, ignore_index=True)

    def take_snapshot(self) -> None:
        """Store a snapshot of people and tribes now."""
        self._snapshots.append((self.people_frame(), self.tribes_frame()))

    def graph(self):
        """The social network of active people as a networkx Graph (for analysis and drawing).

        Nodes carry tribe, engagement and leader; an edge's weight is the stronger of the two
        directed ties between its ends.
        """
        import networkx as nx

        p, n = self.people, self.people.n
        active = np.flatnonzero(p.active[:n])
        leaders = set(self.tribes.leader[: self.tribes.n][self.tribes.alive[: self.tribes.n]]
                      .tolist())
        graph = nx.Graph()
        graph.add_nodes_from((int(i), {"tribe": int(p.tribe[i]),
                                       "engagement": float(p.engagement[i]),
                                       "leader": int(i) in leaders}) for i in active)
        src = np.repeat(np.arange(n), p.tie_to.shape[1])
        dst = p.tie_to[:n].ravel()
        w = p.tie_w[:n].ravel()
        ok = (dst >= 0) & (w > 0) & p.active[src] & p.active[np.maximum(dst, 0)] & (src != dst)
        for a, b, weight in zip(src[ok].tolist(), dst[ok].tolist(), w[ok].tolist(), strict=True):
            if not graph.has_edge(a, b) or graph[a][b]["weight"] < weight:
                graph.add_edge(a, b, weight=weight)
        return graph

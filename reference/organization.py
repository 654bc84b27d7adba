"""ReferenceOrganization: the per-agent reference implementation of the organization model.

The production model (`model.organization.Organization`) keeps people and tribes in numpy
arrays and runs each rule over the whole population at once. This model implements the same
rules (docs/ODD.md) the way one first writes a Mesa model: a Python object per person, tribe and
work item, and loops that update them one at a time. It is independent of the vectorized rule
code (it shares only `Config`, the Kanban stage codes, the metric names and the Gini helper),
so that it can serve as an oracle: on small populations its statistics must match the
vectorized model's (tests/test_reference.py). It is also the speed baseline of
`benchmarks/bench_step.py --reference`.

A step runs the 13 phases of `model.plan.PLAN` in the same order (`PHASES`). Within a phase,
agents decide from the state at the start of the phase wherever the ODD says so (voluntary
moves, endorsements, placements, merges). Random draws differ from the vectorized model, so
runs match in distribution, not bit for bit; a seed fixes a reference run.

Every policy of the four presets is implemented (`reference.governance.SUPPORTED`); any other
policy raises ConfigError.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from model.config import Config
from model.kanban import BACKLOG, DOING, READY, REVIEW
from model.metrics import METRICS
from reference import intake, lifecycle
from reference.governance import check_supported
from reference.kanban import Item
from reference.market import Market
from reference.membership import assign_by_skill, choose_voluntarily, create_teams
from reference.metrics import measure
from reference.person import RefPerson
from reference.tribe import RefTribe

# (label of the phase in model.plan.PLAN, method of ReferenceOrganization), in step order
PHASES: tuple[tuple[str, str], ...] = (
    ("market.arrivals", "arrivals"),
    ("observe.fit", "observe"),
    ("observe.standing", "standing"),
    ("orient.engagement, learning, drift", "orient"),
    ("decide.membership", "membership"),
    ("decide.exit", "exits"),
    ("decide.leadership", "leadership"),
    ("decide.life cycle", "life_cycle"),
    ("decide.purpose", "purpose"),
    ("decide.conflict", "conflict"),
    ("act.work", "work"),
    ("act.flow", "flow"),
    ("act.hiring", "hiring"),
    ("record.metrics", "record"),
)


class ReferenceOrganization(mesa.Model):
    """The organization, one agent at a time.

    Args:
        config: a `Config`; if None, one is built from `preset` and `kwargs`.
        preset: name of a preset; unused when `config` is given.
        rng: seed or numpy Generator, as for `mesa.Model`; a seed fixes the run.
        **kwargs: parameters by name, applied over the preset (or over `config`).

    Attributes:
        people: every person ever hired, in hiring order (`RefPerson.row`).
        staff: the active people, in hiring order.
        tribes: every tribe ever founded, by id; living: the living ones, by id.
        backlog: the market backlog, by item uid (in arrival order).
    """

    def __init__(self, config: Config | None = None, *, preset: str | None = None,
                 rng: Any = None, **kwargs: Any) -> None:
        if config is None:
            config = Config.build(preset, **kwargs)
        elif kwargs:
            config = config.replace(**kwargs)
        check_supported(config)
        super().__init__(rng=rng)
        self.cfg = cfg = config
        self.single_leader = cfg.leadership != "distributed"
        self.leadership_overhead = cfg.role_overhead if cfg.leadership == "distributed" else 0.0
        self.market = Market(self.rng, cfg)
        self.people: list[RefPerson] = []
        self.staff: list[RefPerson] = []
        self.tribes: list[RefTribe] = []
        self.living: list[RefTribe] = []
        self.backlog: dict[int, Item] = {}
        self.initial_people = cfg.people
        self.reputation_ref = 1.0
        self.leavers: list[RefPerson] = []
        self.events_step: dict[tuple[str, str], int] = {}
        self.exits_total = 0
        self.flow_total = {"arrived": 0, "done": 0, "expired": 0, "value": 0.0}
        self._reset_flow_step()
        self._populate()
        self.observe()  # the initial perception, so that step 0 reports fit and alignment
        self.standing()
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, key=name: m.metrics[key])
                             for name in ("step", *(metric.name for metric in METRICS))})
        self.record()

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One observe-orient-decide-act cycle: the phases of `PHASES`, in order."""
        for _, method in PHASES:
            getattr(self, method)()

    def run(self, steps: int) -> pd.DataFrame:
        """Advance `steps` steps and return the step table."""
        for _ in range(steps):
            self.step()
        return self.step_table()

    # ------------------------------------------------------------------ set-up
    def _populate(self) -> None:
        """Hire the starting people into formal units, form teams by skill within each unit,
        and tie everyone to colleagues of their team and of their unit (ODD §3.1)."""
        cfg, rng = self.cfg, self.rng
        units = [row // cfg.unit_size for row in range(cfg.people)]
        persons = [self.hire_person(unit) for unit in units]
        create_teams(self, persons, units)
        unit_roster: dict[int, list[RefPerson]] = {}
        for p in persons:
            unit_roster.setdefault(p.unit, []).append(p)
        team_roster = {tribe: list(tribe.members) for tribe in self.living}
        for p in persons:
            for slot in range(cfg.initial_ties):
                pool = team_roster[p.tribe] if slot % 2 == 0 else unit_roster[p.unit]
                p.add_tie(pool[int(rng.random() * len(pool))])

    def hire_person(self, unit: int) -> RefPerson:
        """A new person in `unit`, drawn as at the start."""
        person = RefPerson(self, len(self.people), unit)
        self.people.append(person)
        self.staff.append(person)
        return person

    # ------------------------------------------------------------------ phases
    def arrivals(self) -> None:
        """Demand drifts; new items arrive in the backlog."""
        self._reset_flow_step()
        self.market.drift(self.rng)
        for item in self.market.arrivals(self.rng, len(self.staff), self.steps):
            self.backlog[item.uid] = item
            self.flow_step["arrived"] += 1
            self.flow_total["arrived"] += 1

    def observe(self) -> None:
        """Tribes perceive their skill profile and load, people their fit, tribes their
        division."""
        for tribe in self.living:
            tribe.observe()
        for p in self.staff:
            p.observe()
        for tribe in self.living:
            tribe.assess_division()

    def standing(self) -> None:
        """The reputation leaders are judged against: the mean over the staff, plus 1e-6."""
        self.reputation_ref = (sum(p.reputation for p in self.staff) / len(self.staff) + 1e-6
                               if self.staff else 1.0)

    def orient(self) -> None:
        """Engagement, commitment, learning and passion drift, person by person; the expert
        level of each community of practice is read first, so that all learn from the same."""
        cfg = self.cfg
        mass, squares = np.zeros(cfg.domains), np.zeros(cfg.domains)
        for p in self.staff:
            practising = p.skill >= cfg.practice_threshold
            mass += np.where(practising, p.skill, 0.0)
            squares += np.where(practising, p.skill * p.skill, 0.0)
        expert = np.divide(squares, mass, out=np.zeros(cfg.domains), where=mass > 0)
        for p in self.staff:
            p.orient(expert)

    def membership(self) -> None:
        """Voluntary moves (voluntary, hybrid), then management places the unaffiliated
        (assigned, hybrid)."""
        policy = self.cfg.membership
        if policy == "voluntary":
            choose_voluntarily(self, 1.0)
        elif policy == "hybrid":
            choose_voluntarily(self, self.cfg.approval_rate, within_unit_free=True)
        if policy in ("assigned", "hybrid"):
            assign_by_skill(self, [p for p in self.staff if p.tribe is None])

    def exits(self) -> None:
        """Each person leaves the organization with their exit probability."""
        leavers = []
        for p in self.staff:
            chance, disengaged = p.exit_chance()
            if self.rng.random() < chance:
                leavers.append((p, disengaged))
        for p, disengaged in leavers:
            self.move(p, None, "exit")
            p.active = False
            p.exit_step = self.steps
            p.exit_reason = "disengaged" if disengaged else "attrition"
            self.note("exited", p.exit_reason)
            self.exits_total += 1
            p.remove()  # out of Mesa's agent registry; the row stays in `people`
        self.staff = [p for p in self.staff if p.active]
        self.leavers = [p for p, _ in leavers]

    def leadership(self) -> None:
        """Champions; under emergent leadership members endorse and their backing is counted;
        every tribe applies the leadership policy and assesses its leader."""
        demand = self.market.demand
        for tribe in self.living:
            tribe.pick_champions(demand)
        if self.cfg.leadership == "emergent":
            members = [p for p in self.staff if p.tribe is not None]
            for p in members:
                p.endorse()
            for p in self.staff:
                p.recognition = 0
            for p in members:
                if p.endorses is not None:
                    p.endorses.recognition += 1
        for tribe in self.living:
            tribe.choose_leader()
            tribe.assess_leadership(self.reputation_ref)

    def life_cycle(self) -> None:
        """Tribes dissolve, split and merge."""
        lifecycle.dissolve(self)
        lifecycle.split(self)
        lifecycle.merge(self)

    def purpose(self) -> None:
        """Each tribe applies the purpose policy."""
        for tribe in self.living:
            tribe.update_purpose()

    def conflict(self) -> None:
        """Tribes divided beyond `conflict_threshold` are in conflict and resolve it."""
        for tribe in list(self.living):
            tribe.conflict = tribe.size >= 2 and tribe.division > self.cfg.conflict_threshold
            if tribe.conflict:
                self.note("conflict", self.cfg.conflict)
                tribe.resolve_conflict()

    def work(self) -> None:
        """Tribes work their items; then each person books their contribution and works with
        a co-member."""
        for tribe in self.living:
            tribe.work()
        for p in self.staff:
            p.work()

    def flow(self) -> None:
        """Review, doing to review, ready to doing on every board; intake by the work policy;
        items age and stale backlog items expire."""
        limits = self.wip_limits()
        for tribe in self.living:
            for item, delivered in tribe.review():
                self.flow_step["done"] += 1
                self.flow_step["lead_time"] += item.wip_age
                self.flow_step["value"] += delivered
                self.flow_total["done"] += 1
                self.flow_total["value"] += delivered
            tribe.advance(limits)
        if self.cfg.work == "pull":
            intake.pull(self)
        else:
            intake.push(self)
        for tribe in self.living:
            for item in tribe.board.items():
                item.wip_age += 1
        if self.cfg.shelf_life > 0:
            stale = [uid for uid, item in self.backlog.items()
                     if self.steps - item.since >= self.cfg.shelf_life]
            for uid in stale:
                del self.backlog[uid]
            self.flow_step["expired"] += len(stale)
            self.flow_total["expired"] += len(stale)

    def hiring(self) -> None:
        """Under replace hiring, one new hire per leaver, in the leaver's unit, introduced to
        the leaver's strongest active ties; then placed by the membership policy."""
        if self.cfg.hiring != "replace" or not self.leavers:
            return
        hires = []
        for leaver in self.leavers:
            strongest = sorted(range(len(leaver.tie_w)), key=lambda k: -leaver.tie_w[k])
            contacts = [leaver.tie_to[k] for k in strongest[: self.cfg.initial_ties]]
            hire = self.hire_person(leaver.unit)
            for contact in contacts:
                if contact is not None and contact.active:
                    hire.add_tie(contact)
            self.note("hired", self.cfg.hiring)
            hires.append(hire)
        if self.cfg.membership in ("assigned", "hybrid"):
            assign_by_skill(self, hires)

    def record(self) -> None:
        """This step's metrics, into Mesa's DataCollector."""
        self.metrics = measure(self)
        self.datacollector.collect(self)
        self.events_step = {}

    # ------------------------------------------------------------------ changes of state
    def move(self, person: RefPerson, tribe: RefTribe | None, detail: str) -> None:
        """Put `person` in `tribe` (None: in no tribe): they lose any role in the tribe they
        leave, stop endorsing, and perceive their alignment with the new purpose at once."""
        old = person.tribe
        if old is tribe:
            return
        if old is not None:
            del old.members[person]
            self.note("left", detail)
            if old.leader is person:
                old.leader = None
            if old.value_champion is person:
                old.value_champion = None
            if old.innovation_champion is person:
                old.innovation_champion = None
        if tribe is not None:
            tribe.members[person] = None
            self.note("joined", detail)
        person.tribe = tribe
        person.joined = self.steps
        person.alignment = float(person.passion @ tribe.purpose) if tribe is not None else 0.0
        person.endorses = None

    def create_tribe(self, purpose: np.ndarray, origin: str,
                     parent: RefTribe | None = None) -> RefTribe:
        """A new living tribe with `purpose` (normalized)."""
        tribe = RefTribe(self, len(self.tribes), purpose, origin, parent)
        self.tribes.append(tribe)
        self.living.append(tribe)
        return tribe

    def end_tribe(self, tribe: RefTribe, detail: str) -> None:
        """`tribe` ceases to exist: members become unaffiliated, open items go back to the
        backlog (keeping the effort done)."""
        for p in list(tribe.members):
            self.move(p, None, detail)
        for item in tribe.board.items():
            tribe.board.take(item)
            self.to_backlog(item)
        tribe.alive = False
        tribe.ended = self.steps
        tribe.leader = None
        self.living.remove(tribe)
        tribe.remove()  # out of Mesa's agent registry; the row stays in `tribes`

    def to_backlog(self, item: Item) -> None:
        """Put an item that left a board back in the backlog (its shelf life restarts)."""
        item.stage = BACKLOG
        item.since = self.steps
        item.tribe = None
        self.backlog[item.uid] = item

    def sample_comember(self, person: RefPerson) -> RefPerson | None:
        """A random member of the person's tribe as it was at observe; None if the tribe is
        newer than that, or the draw is the person or has moved since."""
        tribe = person.tribe
        if tribe is None or not tribe.roster:
            return None
        peer = tribe.roster[int(self.rng.random() * len(tribe.roster))]
        return peer if peer is not person and peer.tribe is tribe else None

    def wip_limits(self) -> dict[int, int] | None:
        """WIP limit per board column under pull; None (no limits) under push."""
        if self.cfg.work == "push":
            return None
        return {READY: self.cfg.wip_ready, DOING: self.cfg.wip_doing,
                REVIEW: self.cfg.wip_review}

    def note(self, kind: str, detail: str) -> None:
        """Count one event of `kind` (with its `detail`) in this step."""
        self.events_step[kind, detail] = self.events_step.get((kind, detail), 0) + 1

    def _reset_flow_step(self) -> None:
        self.flow_step = {"arrived": 0, "done": 0, "lead_time": 0, "expired": 0, "value": 0.0}

    # ------------------------------------------------------------------ outputs
    def step_table(self) -> pd.DataFrame:
        """One row per recorded step (from step 0), columns as `model.metrics.METRICS`."""
        return self.datacollector.get_model_vars_dataframe()

    def engagements(self) -> np.ndarray:
        """Engagement of each active person."""
        return np.array([p.engagement for p in self.staff])

    def tribe_sizes(self) -> np.ndarray:
        """Size of each living tribe."""
        return np.array([t.size for t in self.living], dtype=np.int64)


"""ReferenceOrganization: the per-agent reference implementation of the organization model.

The production model (`model.organization.Organization`) keeps people and tribes in numpy
arrays and runs each rule over the whole population at once. This model implements the same
rules (docs/ODD.md) the way one first writes a Mesa model: a Python object per person, tribe and
work item, and loops that update them one at a time. It is independent of the vectorized rule
code (it shares only `Config`, the Kanban stage codes, the metric names and the Gini helper),
so that it can serve as an oracle: on small populations its statistics must match the
vectorized model's (tests/test_reference.py). It is also the speed baseline of
`benchmarks/bench_step.py --reference`.

A step runs the phases of `model.plan.PLAN` in the same order (`PHASES`). Within a phase,
agents decide from the state at the start of the phase wherever the ODD says so (voluntary
moves, endorsements, placements, merges). Random draws differ from the vectorized model, so
runs match in distribution, not bit for bit; a seed fixes a reference run.

Every run starts from the established organization (ODD §3.1): the assembled organization runs
`history_steps` steps, numbered -history_steps + 1 to 0, under the rules of the formal
organization (`model.presets.FORMAL`); then the rules under study take over, and the step table,
the flow totals, exits and retention count from step 0.

Every registered policy is implemented (`reference.governance.SUPPORTED`); any other policy
raises ConfigError, and so does `max_memberships` above 1: a person here belongs to one tribe
at most (several tribes at once, ODD §3.14.2, is not implemented by the reference). The people
side's draws (opportunism, intensity, competences, discovery, peer review, layoffs, freezes,
perceived competence) come from a second stream (`side`), so that switching those mechanisms
on or off changes no other draw. The activity record (ODD §3.14.6) is an output that draws and
changes nothing; the reference does not keep one.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from model.config import Config
from model.kanban import BACKLOG, DOING, READY, REVIEW
from model.metrics import LABELS, METRICS
from model.presets import FORMAL
from reference import federation, intake, intertribe, lifecycle
from reference.federation import Constellation
from reference.governance import check_supported
from reference.handoff import distance
from reference.kanban import Item
from reference.market import Market
from reference.membership import assign_by_skill, choose_voluntarily, create_teams
from reference.metrics import measure
from reference.objectives import Objectives
from reference.person import RefPerson
from reference.tribe import RefTribe

# (label of the phase in model.plan.PLAN, method of ReferenceOrganization), in step order
PHASES: tuple[tuple[str, str], ...] = (
    ("state.compact", "compact"),
    ("pressure.shocks", "shocks"),
    ("market.arrivals", "arrivals"),
    ("observe.fit", "observe"),
    ("observe.standing", "standing"),
    ("orient.engagement, learning, drift", "orient"),
    ("orient.passions", "passions"),
    ("decide.membership", "membership"),
    ("decide.exit", "exits"),
    ("decide.response", "response"),
    ("decide.leadership", "leadership"),
    ("decide.development", "development"),
    ("decide.life cycle", "life_cycle"),
    ("decide.purpose", "purpose"),
    ("decide.conflict", "conflict"),
    ("decide.federation", "federation"),
    ("decide.intertribe conflict", "intertribe"),
    ("decide.objectives", "objectives_phase"),
    ("act.work", "work"),
    ("act.flow", "flow"),
    ("act.hand-offs", "handoffs"),
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
        cfg: the configuration whose rules are in force (the formal organization's during the
            history before step 0, then the one the model was built with).
        clock: the current step (negative during the history).
        people: every person ever hired, in hiring order (`RefPerson.row`).
        staff: the active people, in hiring order.
        tribes: every tribe ever founded, by id; living: the living ones, by id.
        backlog: the market backlog, by part uid: first parts of new items, and parts handed
            off by a tribe waiting for the next.
        constellations: every constellation ever formed, by id.
        switched: (from, to) tribes of this step's switches (read by the intertribe phase).
        pending_conflicts: (tribe, tribe) of the conflicts over items at the last intake, whose
            cost falls on the next step.
        objectives: the formal units' objectives.
    """

    def __init__(self, config: Config | None = None, *, preset: str | None = None,
                 rng: Any = None, **kwargs: Any) -> None:
        if config is None:
            config = Config.build(preset, **kwargs)
        elif kwargs:
            config = config.replace(**kwargs)
        check_supported(config)
        super().__init__(rng=rng)
        # a second stream, for the people side's draws (ODD §3.14), so that switching those
        # mechanisms on changes no draw of the others; jumped() leaves `rng` untouched
        self.side = np.random.Generator(self.rng.bit_generator.jumped())
        self.schedule = read_shocks(config.shocks)
        # this step's conditions (ODD §3.14.5): factors on demand and the outside option, the
        # share of leavers a freeze does not replace, the kinds of the shocks active
        self.demand = self.outside = 1.0
        self.freeze = 0.0
        self.active_shocks: list[str] = []
        self.training: list[RefPerson] = []  # those who train this step (development)
        self.caught: list[tuple[RefPerson, RefTribe, RefPerson]] = []
        self.review_counts = {"caught": 0, "shirked": 0.0, "rework": 0.0, "reviewing": 0.0}
        history = config.history_steps
        # the formal organization's rules run the history, with the run's parameters
        self.cfg = cfg = config.replace(**FORMAL) if history else config
        self.clock = -history
        self.market = Market(self.rng, cfg)
        self.people: list[RefPerson] = []
        self.staff: list[RefPerson] = []
        self.tribes: list[RefTribe] = []
        self.living: list[RefTribe] = []
        self.backlog: dict[int, Item] = {}
        self.constellations: list[Constellation] = []
        self.switched: list[tuple[RefTribe, RefTribe]] = []
        self.pending_conflicts: list[tuple[RefTribe, RefTribe]] = []
        self.objectives = Objectives(self)
        self.reputation_ref = 1.0
        self.leavers: list[RefPerson] = []
        self.events_step: dict[tuple[str, str], int] = {}
        self.exits_total = 0
        self.flow_total = {"arrived": 0, "done": 0, "expired": 0, "value": 0.0}
        self._reset_flow_step()
        self._populate()
        for step in range(-history + 1, 1):
            self.clock = step
            for _, method in PHASES[:-1]:  # no metrics before step 0
                getattr(self, method)()
        self.cfg = config
        if history:
            # from step 0 on: events, exits and the flow are counted afresh, the open items as
            # arrived (without a history, step 0 counts the assembly of the teams)
            self.events_step = {}
            self.exits_total = 0
            open_items = len(self.backlog) + sum(len(t.board) for t in self.living)
            # (the backlog's handed-off parts are items in progress, each counted once)
            self.flow_total = {"arrived": open_items, "done": 0, "expired": 0, "value": 0.0}
        self.starting = list(self.staff)  # retention follows the people employed at step 0
        self.observe()  # the perception of step 0, so that it reports fit and alignment
        self.standing()
        self.datacollector = mesa.DataCollector(
            model_reporters={
                **{name: (lambda m, key=name: m.metrics[key])
                   for name in ("step", *(metric.name for metric in METRICS))},
                **{label.name: (lambda m, key=label.name: m.labels()[key]) for label in LABELS}})
        self.record()

    # ------------------------------------------------------------------ the step
    @property
    def single_leader(self) -> bool:
        """Whether the leadership policy in force installs one leader per tribe."""
        return self.cfg.leadership != "distributed"

    @property
    def leadership_overhead(self) -> float:
        """Share of every member's effort the leadership policy in force costs."""
        return self.cfg.role_overhead if self.cfg.leadership == "distributed" else 0.0

    def step(self) -> None:
        """One observe-orient-decide-act cycle: the phases of `PHASES`, in order."""
        self.clock = self.steps
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
    def compact(self) -> None:
        """Nothing to do here. The vectorized model drops the table rows of people who left and
        tribes that ended (archiving them first) to keep long runs bounded; that is
        bookkeeping of its arrays that changes no number (its draws are taken per active
        person and living tribe, and the state of those who left stops changing). Here a
        person or tribe is an object, and the lists the rules loop over (`staff`, `living`)
        hold only the active and living ones already."""

    def shocks(self) -> None:
        """This step's conditions from the shocks active now (ODD §3.14.5): overlapping shocks
        multiply their factors, freezes combine as independent refusals; a shock is logged
        when it starts, and a layoff lays people off at its step."""
        if not self.schedule:
            return
        self.demand = self.outside = 1.0
        self.freeze = 0.0
        self.active_shocks = []
        for kind, start, size, duration in self.schedule:
            if not start <= self.clock < start + duration:
                continue
            self.active_shocks.append(kind)
            if start == self.clock:
                self.note("shock", kind)
            if kind == "surge":
                self.demand *= 1.0 + size
            elif kind == "slump":
                self.demand *= 1.0 - size
            elif kind == "boom":
                self.outside *= 1.0 + size
            elif kind == "collapse":
                self.outside *= 1.0 - size
            elif kind == "freeze":
                self.freeze = 1.0 - (1.0 - self.freeze) * (1.0 - size)
            elif kind == "layoff":
                self.lay_off(size)
            else:
                raise ValueError(f"shocks: kind {kind!r} is not implemented")

    def lay_off(self, share: float) -> None:
        """round(share N) of the N active people, chosen by the layoff policy, leave the
        organization (reason layoff) and are not replaced."""
        staff = self.staff
        count = min(int(round(share * len(staff))), len(staff))
        if count == 0:
            return
        policy = self.cfg.layoff
        if policy == "random":
            chosen = [staff[k] for k in self.side.choice(len(staff), size=count, replace=False)]
        elif policy == "seniority":  # last in, first out (on the same step, the later hire)
            chosen = sorted(staff, key=lambda p: (-p.hired, -p.row))[:count]
        elif policy == "performance":  # lowest reputation (on a tie, the later hire)
            chosen = sorted(staff, key=lambda p: (p.reputation, -p.row))[:count]
        else:
            raise ValueError(f"layoff: policy {policy!r} is not implemented")
        for p in chosen:
            self.depart(p, "layoff")
        self.staff = [p for p in staff if p.active]

    def depart(self, p: RefPerson, reason: str) -> None:
        """`p` leaves the organization for `reason`."""
        self.move(p, None, "exit" if reason != "layoff" else "layoff")
        p.active = False
        p.exit_step = self.clock
        p.exit_reason = reason
        self.note("exited", reason)
        self.exits_total += 1
        p.remove()  # out of Mesa's agent registry; the row stays in `people`

    def arrivals(self) -> None:
        """Demand drifts; new items arrive in the backlog (at the arrival rate times the factor
        of a surge or slump)."""
        self._reset_flow_step()
        self.market.drift(self.rng)
        for item in self.market.arrivals(self.rng, len(self.staff), self.clock, self.demand):
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

    def passions(self) -> None:
        """Under discovery `discovering`, every active person's passion walks and may pivot in
        life (ODD §3.14.3); `none`: nothing."""
        policy = self.cfg.discovery
        if policy == "none":
            return
        if policy != "discovering":
            raise ValueError(f"discovery: policy {policy!r} is not implemented")
        for p in self.staff:
            p.discover()
    def membership(self) -> None:
        """Voluntary moves (voluntary, hybrid), then management places the unaffiliated
        (assigned, hybrid)."""
        policy = self.cfg.membership
        self.switched = []
        if policy == "voluntary":
            choose_voluntarily(self, 1.0)
        elif policy == "hybrid":
            choose_voluntarily(self, self.cfg.approval_rate, within_unit_free=True)
        if policy in ("assigned", "hybrid"):
            assign_by_skill(self, [p for p in self.staff if p.tribe is None])

    def exits(self) -> None:
        """Each person draws one uniform and leaves the organization by attrition or by
        quitting, or stays (ODD §3.4)."""
        leavers = []
        for p in self.staff:
            cause = p.exit_cause(self.rng.random())
            if cause is not None:
                leavers.append((p, cause))
        for p, cause in leavers:
            self.depart(p, cause)
        self.staff = [p for p in self.staff if p.active]
        self.leavers = [p for p, _ in leavers]

    def response(self) -> None:
        """Those who stayed respond to dissatisfaction leaving cannot relieve (ODD §3.14.5);
        under voice, a tribe's voiced discontent (its members' mean voice) adds voice_weight
        times itself to its division for this step's life cycle and conflict."""
        policy = self.cfg.response
        if policy == "exit":
            return
        if policy not in ("neglect", "voice"):
            raise ValueError(f"response: policy {policy!r} is not implemented")
        for p in self.staff:
            p.respond()
        if policy == "voice":
            for tribe in self.living:
                if tribe.size:
                    voiced = sum(p.voice for p in tribe.members) / tribe.size
                    tribe.division += self.cfg.voice_weight * voiced

    def leadership(self) -> None:
        """The step's leadership overhead; champions; under emergent leadership members
        endorse and their backing is counted; every tribe applies the leadership policy and
        assesses its leader."""
        demand = self.market.demand
        for tribe in self.living:
            tribe.overhead = self.leadership_overhead
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

    def development(self) -> None:
        """Those who lead (a tribe's leader; without single leaders its role holders) develop
        their competences (ODD §3.14.4): training (faster, at training_cost of this step's
        effort), learning by leading (slower, free) or none."""
        policy = self.cfg.development
        self.training = []
        if policy == "none":
            return
        leading: dict[RefPerson, None] = {}
        for tribe in self.living:
            holders = ((tribe.leader,) if self.single_leader
                       else (tribe.value_champion, tribe.innovation_champion))
            for holder in holders:
                if holder is not None:
                    leading[holder] = None
        if policy == "training":
            rate = self.cfg.training_rate
            self.training = list(leading)
        elif policy == "learning":
            rate = self.cfg.learning_rate
        else:
            raise ValueError(f"development: policy {policy!r} is not implemented")
        for p in leading:
            p.develop(rate)

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
        """Tribes divided beyond `conflict_threshold`, and beyond their last settlement, are in
        conflict; the conflict policy settles it or leaves it unresolved."""
        for tribe in list(self.living):
            tribe.face_conflict()

    def federation(self) -> None:
        """Constellations form, change and dissolve; their leaders are chosen; members meet
        sister tribes (the federation policy)."""
        federation.federate(self)

    def intertribe(self) -> None:
        """Conflicts between tribes over members who moved and overlapping purposes; every
        conflict's cost is charged."""
        intertribe.decide(self)

    def objectives_phase(self) -> None:
        """Management plans the formal units' objectives, when due."""
        self.objectives.plan()

    def work(self) -> None:
        """Tribes work their items; then each person books their contribution and works with
        a co-member; opportunists keep their share of the effort (ODD §3.14.1)."""
        self.review_counts = {"caught": 0, "shirked": 0.0, "rework": 0.0, "reviewing": 0.0}
        training = set(self.training)
        for p in self.staff:
            if p.tribe is not None:
                p.prepare_work(p in training)
                self.review_counts["shirked"] += p.withheld
            else:
                p.load = 0.0
                p.work_effort = p.withheld = 0.0
        for tribe in self.living:
            tribe.work()
        for p in self.staff:
            p.work()

    def flow(self) -> None:
        """Review, doing to review, ready to doing on every board; a constellation's hand-offs
        go to its tribes, then intake by the work policy; items in progress age and stale
        backlog items expire."""
        limits = self.wip_limits()
        confirmed = []
        self.caught = []
        for tribe in self.living:
            done, reviewed, sent_back = tribe.review()
            self.flow_step["reviewed"] += reviewed
            self.flow_step["reworked"] += sent_back
            for item, delivered in done:
                self.finish(item, tribe, delivered)
                confirmed.append((item, tribe, delivered))
        self.sanction()
        for tribe in self.living:
            tribe.advance(limits)
        self.objectives.credit(confirmed)
        routed = federation.route(self)
        if routed:
            intake.admit(self, routed)
        if self.cfg.work == "pull":
            intake.pull(self)
        else:
            intake.push(self)
        for tribe in self.living:
            for item in tribe.board.items():
                item.wip_age += 1
        for item in self.backlog.values():
            if item.part > 0:  # handed off: in progress, waiting for its next tribe
                item.wip_age += 1
        if self.cfg.shelf_life > 0:
            stale = [uid for uid, item in self.backlog.items()
                     if item.part == 0 and self.clock - item.since >= self.cfg.shelf_life]
            for uid in stale:  # the parts blocked behind a first part go with it
                del self.backlog[uid]
            self.flow_step["expired"] += len(stale)
            self.flow_total["expired"] += len(stale)

    def sanction(self) -> None:
        """The sanction policy acts on the opportunists peers caught at this step's review
        (ODD §3.14.1): `leader` (the tribe's leader, if any and not the author) or `peers`
        (the reviewer) deter, w <- w (1 - sanction_strength), at sanction_effort of the
        sanctioner's next step; `exclude`: the author leaves the tribe; `none`: nothing."""
        policy, cfg = self.cfg.sanction, self.cfg
        for author, tribe, reviewer in self.caught:
            if policy == "none":
                continue
            if policy == "exclude":
                if author.tribe is tribe:
                    author.sanctioned += 1
                    self.note("sanctioned", policy)
                    self.move(author, None, "excluded")
                continue
            if policy == "leader":
                by = tribe.leader
                if by is None or by is author:
                    continue
            elif policy == "peers":
                by = reviewer
            else:
                raise ValueError(f"sanction: policy {policy!r} is not implemented")
            author.opportunism *= 1.0 - cfg.sanction_strength
            author.sanctioned += 1
            by.load += cfg.sanction_effort
            self.note("sanctioned", policy)
        self.caught = []

    def finish(self, item: Item, tribe: RefTribe, delivered: float) -> None:
        """A part confirmed at review by `tribe` delivers `delivered`. The last part completes
        its item (lead time: its steps in WIP; customer lead time: since it arrived); any other
        hands the next part off into the backlog as committed work, with the item's time in WIP
        and steps of effort, naming `tribe` as the one that did the part before."""
        self.flow_step["value"] += delivered
        self.flow_total["value"] += delivered
        following = item.next_part
        if following is None:
            self.flow_step["done"] += 1
            self.flow_step["lead_time"] += item.wip_age
            self.flow_step["customer_lead_time"] += self.clock - item.arrived
            self.flow_step["active_done"] += item.active_steps
            self.flow_step["cross_done"] += item.parts > 1
            self.flow_total["done"] += 1
            return
        following.since = self.clock
        following.handoff_since = self.clock
        following.wip_age = item.wip_age
        following.active_steps = item.active_steps
        following.previous_tribe = tribe
        self.backlog[following.uid] = following

    def handoffs(self) -> None:
        """Handed-off parts taken onto a board this step count their wait since the hand-off
        and take on its extra effort, handoff_cost d_ab (1 - gamma_ab) effort (ODD §3.9)."""
        for tribe in self.living:
            for item in tribe.board.items():
                if item.handoff_since < 0:
                    continue
                upstream = item.previous_tribe
                self.flow_step["handoffs"] += 1
                self.flow_step["handoff_wait"] += self.clock - item.handoff_since
                item.handoff_since = -1
                inside = federation.together(upstream, tribe)
                self.flow_step["handoffs_inside"] += inside
                saved = federation.discount(upstream, tribe)
                item.remaining += (self.cfg.handoff_cost * distance(upstream, tribe)
                                   * (1.0 - saved) * item.effort)

    def hiring(self) -> None:
        """Under replace hiring, one new hire per leaver, in the leaver's unit, introduced to
        the leaver's strongest active ties; then placed by the membership policy."""
        if self.cfg.hiring != "replace" or not self.leavers:
            return
        hires = []
        replaced = self.leavers
        if self.freeze > 0:  # a hiring freeze replaces each leaver with probability 1 - freeze
            replaced = [p for p in replaced if self.side.random() >= self.freeze]
        for leaver in replaced:
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
        person.joined = self.clock
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
        tribe.ended = self.clock
        tribe.leader = None
        self.living.remove(tribe)
        tribe.remove()  # out of Mesa's agent registry; the row stays in `tribes`

    def to_backlog(self, item: Item) -> None:
        """Put a part that left a board back in the backlog (its shelf life restarts; a part
        that was handed off waits for a tribe again)."""
        item.stage = BACKLOG
        item.since = self.clock
        item.tribe = None
        if item.part > 0:
            item.handoff_since = self.clock
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
        self.flow_step = {"arrived": 0, "done": 0, "lead_time": 0, "customer_lead_time": 0,
                          "expired": 0, "value": 0.0, "reviewed": 0, "reworked": 0,
                          "cross_done": 0, "active_done": 0, "handoffs": 0, "handoff_wait": 0,
                          "handoffs_inside": 0}

    # ------------------------------------------------------------------ outputs
    def step_table(self) -> pd.DataFrame:
        """One row per recorded step (from step 0), columns as `model.metrics.METRICS`."""
        return self.datacollector.get_model_vars_dataframe()

    def labels(self) -> dict[str, str]:
        """The step table's text columns (`model.metrics.LABELS`): the shocks active."""
        return {"shock": "+".join(self.active_shocks)}

    def engagements(self) -> np.ndarray:
        """Engagement of each active person."""
        return np.array([p.engagement for p in self.staff])

    def tribe_sizes(self) -> np.ndarray:
        """Size of each living tribe."""
        return np.array([t.size for t in self.living], dtype=np.int64)



def read_shocks(text: str) -> list[tuple[str, int, float, int]]:
    """The schedule of shocks `kind:step:size[:duration]`, comma-separated, as (kind, step,
    size, duration), in order of step (the configuration has checked the text)."""
    schedule = []
    for entry in (part.strip() for part in str(text).split(",")):
        if not entry:
            continue
        fields = entry.split(":")
        duration = int(fields[3]) if len(fields) > 3 else 1
        schedule.append((fields[0], int(fields[1]), float(fields[2]), duration))
    return sorted(schedule, key=lambda shock: shock[1])

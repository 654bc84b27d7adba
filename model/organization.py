"""The organization: a Mesa model that composes the configuration, the state, the chosen rules,
the step plan, the Mesa views and the outputs. Nothing calls back into it: a step runs the plan's
phases on the state, then records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
import pandas as pd

from agents.community import Community
from agents.person import People, Person
from agents.tribe import Tribe, Tribes
from model import frames
from model.activity import ActivityLog
from model.config import Config, ConfigError
from model.events import EventLog
from model.initial import establish, populate
from model.kanban import Board
from model.market import Market
from model.metrics import LABELS, METRICS, measure
from model.plan import OBSERVE, PLAN, Phase
from model.presets import FORMAL
from model.recording import Recording
from model.rules import Rules
from model.state import State
from model.views import Views

MAX_STEPS = 10_000_000

# Mesa agent reporters (`Recording(agents=True)`): every agent has a kind; people also report
# their tribe, engagement and fit (a tribe reports its own id as its tribe)
AGENT_REPORTERS = {
    "kind": lambda agent: type(agent).__name__,
    "tribe": lambda agent: (agent.tribe_id if isinstance(agent, Person)
                            else agent.tid if isinstance(agent, Tribe) else None),
    "engagement": lambda agent: agent.engagement if isinstance(agent, Person) else None,
    "fit": lambda agent: agent.fit if isinstance(agent, Person) else None,
}


def _reporter(name: str) -> Callable[[Organization], float]:
    """Mesa model reporter of step-table column `name` (measured by the record phase)."""
    return lambda model: model.state.metrics[name]


def _label(name: str) -> Callable[[Organization], str]:
    """Mesa model reporter of the step table's text column `name`."""
    return lambda model: model.state.labels[name]


class Organization(mesa.Model):
    """An organization whose people organize around purpose.

    Args:
        config: a validated `Config`; if None, one is built from `preset` and `kwargs`.
        preset: name of a preset (see `model.presets.PRESETS`); unused when `config` is given.
        rng: seed or numpy Generator, as for `mesa.Model`; a seed fixes the run bit for bit.
        seed: the same as `rng` (give one of them): `mesa.batch_run` on Mesa 3.5 passes its
            `rng=[...]` values under this name, and then keeps `parameters={"rng": ...}`.
        scenario: ignored when it is Mesa's empty base scenario (SolaraViz passes one on
            Reset under Mesa 3.5); any other scenario raises ConfigError.
        recording: what to keep besides the step table (`Recording`); the run's choice, not a
            model parameter.
        **kwargs: parameters by name, applied over the preset (or over `config`).

    Attributes:
        cfg: the configuration.
        preset: the preset the configuration was built from.
        seed: the seed, when `rng` was given as an integer (None otherwise).
        state: the state the rules change (`model.state.State`).
        rules: the policy chosen for each governance concern (`model.rules.Rules`).
        plan: the ordered phases of one step.
        recording: what the run keeps.
        datacollector: Mesa's DataCollector of the step table (and agent reporters if
            recorded).
    """

    def __init__(self, config: Config | None = None, *, preset: str | None = None,
                 rng: Any = None, seed: Any = None, scenario: Any = None,
                 recording: Recording | None = None, **kwargs: Any) -> None:
        # the name `kwargs` matters: Mesa's SolaraViz only accepts extra parameters under it.
        # Mesa 3.5's SolaraViz passes an empty base `Scenario` on Reset; parameters come from
        # the configuration here, so only that empty scenario is accepted.
        if scenario is not None and type(scenario).__name__ != "Scenario":
            raise ConfigError(f"scenario: {type(scenario).__name__} is not supported; pass "
                              "parameters by name or as a Config")
        if seed is not None:
            if rng is not None:
                raise ConfigError(f"seed: {seed!r} given with rng={rng!r}; allowed: one of them")
            rng = seed
        if not (rng is None or isinstance(rng, np.random.Generator | np.random.SeedSequence)
                or isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0):
            raise ConfigError(f"rng: {rng!r} is not allowed; allowed: None, a seed (an integer "
                              ">= 0), a numpy Generator or SeedSequence")
        if recording is not None and not isinstance(recording, Recording):
            raise ConfigError(f"recording: {recording!r} is not allowed; allowed: a Recording")
        if config is None:
            config = Config.build(preset, **kwargs)
        elif kwargs:
            config = config.replace(**kwargs)
        self.cfg = config
        self.preset = config.preset
        self.seed = int(rng) if isinstance(rng, int | np.integer) else None
        self.recording = recording or Recording()
        self.views: Views | None = None  # before Mesa's set-up, which may read `agents`
        super().__init__(rng=rng)
        self.plan: tuple[Phase, ...] = PLAN
        self.rules = Rules.chosen(config)
        self.state = State(config, self.rng, events=self.recording.events,
                           event_folder=self.recording.event_folder)
        history = config.history_steps
        # every run starts from the same established formal organization; the rules under
        # study take over at step 0, and each policy takes over its concern's state
        start = Rules.chosen(config.replace(**FORMAL)) if history else self.rules
        start.attach(self.state)
        self.state.clock = -history
        populate(self.state, start)
        if history:
            establish(self.state, start, history, PLAN)
            self.rules.inherit(start)
            self.state.events.take_counts()  # step 0 counts no event of the history
        for phase in OBSERVE:  # the perception of step 0, so that it reports fit
            phase.run(self.state, self.rules)
        p = self.state.people
        self.state.starting = p.id[: p.n][p.active[: p.n]].copy()
        self.state.exits_before = self.state.events.counts["exited"]
        self.state.board.restart_totals()
        if self.recording.activity:  # from step 0: the history before it is not recorded
            self.state.activity = ActivityLog(self.state.people, self.state.tribes)
        self.views = Views(self)
        self._snapshots: list[tuple[pd.DataFrame, pd.DataFrame]] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={**{name: _reporter(name)
                                for name in ("step", *(metric.name for metric in METRICS))},
                             **{label.name: _label(label.name) for label in LABELS}},
            agent_reporters=AGENT_REPORTERS if self.recording.agents else None)
        measure(self.state, self.rules)  # the metrics of step 0
        self.record()

    # ------------------------------------------------------------------ the state, by name
    @property
    def people(self) -> People:
        """The population's state."""
        return self.state.people

    @property
    def tribes(self) -> Tribes:
        """The tribes' state."""
        return self.state.tribes

    @property
    def board(self) -> Board:
        """The work items and the tribes' Kanban boards."""
        return self.state.board

    @property
    def market(self) -> Market:
        """The market."""
        return self.state.market

    @property
    def events(self) -> EventLog:
        """The event log."""
        return self.state.events

    @property
    def communities(self) -> Any:
        """Communities of interest and of practice (read off the people's state)."""
        return self.state.communities

    @property
    def metrics(self) -> dict[str, float]:
        """The metrics of the last recorded step, by name."""
        return self.state.metrics

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One observe-orient-decide-act cycle: the plan's phases, in order; then record."""
        self.state.clock = self.steps
        for phase in self.plan:
            phase.run(self.state, self.rules)
        self.record()

    def run(self, steps: int, *, progress: bool = False,
            recording: Recording | None = None) -> pd.DataFrame:
        """Advance `steps` steps and return the step table (one row per step, from step 0).

        Args:
            steps: how many steps.
            progress: show a progress bar.
            recording: what to keep from now on (events, snapshots); the agent reporters are
                chosen when the model is built.
        """
        if (isinstance(steps, bool) or not isinstance(steps, int | np.integer)
                or not 0 <= steps <= MAX_STEPS):
            raise ConfigError(f"steps: {steps!r} is not allowed; allowed: a whole number in "
                              f"[0, {MAX_STEPS:,}]")
        if recording is not None:
            self.keep(recording)
        if progress:
            from tqdm.auto import trange

            for _ in trange(steps, desc=f"{self.cfg.people} people", unit="step"):
                self.step()
        else:
            for _ in range(steps):
                self.step()
        return self.step_table()

    def keep(self, recording: Recording) -> None:
        """Keep what `recording` says from now on (the agent reporters cannot change)."""
        if not isinstance(recording, Recording):
            raise ConfigError(f"recording: {recording!r} is not allowed; allowed: a Recording")
        for name in ("agents", "event_folder", "activity"):
            if getattr(recording, name) != getattr(self.recording, name):
                raise ConfigError(f"recording.{name}: {getattr(recording, name)!r} differs "
                                  f"from the model's ({getattr(self.recording, name)!r}); "
                                  f"allowed: choose {name} when building the model")
        self.recording = recording
        self.state.events.enabled = recording.events

    def record(self) -> None:
        """Record this step's outputs: the step table row (Mesa's DataCollector), agent
        reporters, snapshots and how people stand (the activity record) if kept."""
        self.datacollector.collect(self)
        if self.state.activity is not None:
            self.state.activity.stand(self.steps, self.state.tribes.leader_quality)
        every = self.recording.snapshot_every
        if every and self.steps % every == 0:
            self._snapshots.append((self.people_frame(), self.tribes_frame()))

    # ------------------------------------------------------------------ Mesa agents
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every Mesa agent: a view of each active person, living tribe and community (made
        when first asked for)."""
        if self.views is not None:
            self.views.sync()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        """The Mesa agents by class (made when first asked for)."""
        if self.views is not None:
            self.views.sync()
        return super().agents_by_type

    def person(self, pid: int) -> Person:
        """The Mesa agent of person `pid` (also of someone who left, though it is not among
        `model.agents`). A person's id is their row until a compaction drops rows."""
        return self._views().person(int(pid))

    def tribe(self, tid: int) -> Tribe | None:
        """The Mesa agent of living tribe `tid` (None if it has ended). A tribe's id is its row
        until a compaction drops rows."""
        return self._views().tribe(int(tid))

    @property
    def communities_of_interest(self) -> list[Community]:
        """One community of interest per theme."""
        self._views().sync()
        return [c for c in self._views().communities if c.kind == "interest"]

    @property
    def communities_of_practice(self) -> list[Community]:
        """One community of practice per skill domain."""
        self._views().sync()
        return [c for c in self._views().communities if c.kind == "practice"]

    def _views(self) -> Views:
        if self.views is None:
            raise RuntimeError("the model's views are made once it is built")
        return self.views

    # ------------------------------------------------------------------ outputs
    def step_table(self) -> pd.DataFrame:
        """One row per recorded step: `step`, the metrics of `model.metrics.METRICS` and the
        text columns of `model.metrics.LABELS`."""
        table: pd.DataFrame = self.datacollector.get_model_vars_dataframe()
        return table

    def event_log(self) -> pd.DataFrame:
        """Every event so far: step, event, person, tribe, other, detail."""
        return self.state.events.frame()

    def activity(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The activity record (`model.activity`): every act (step, person, tribe, activity,
        item, part, other, other_tribe, detail) and how every active person stood at the end
        of every step (fit and its terms, leader quality, engagement, commitment,
        contribution).

        Raises:
            ConfigError: the run keeps no activity record.
        """
        return self._activity().frame(), self._activity().standing()

    def day_in_the_life(self, person: int, steps: range | None = None) -> pd.DataFrame:
        """A day in the life of person `person` (an id) over `steps` (every recorded step if
        None): one row per act (what they worked on, with whom, what they reviewed and had
        reviewed, whom they met from other tribes), with their tribe, fit terms and
        engagement at the end of that step; a step without an act has one row (activity "-").

        Raises:
            ConfigError: the run keeps no activity record.
        """
        return self._activity().day_in_the_life(int(person), steps)

    def _activity(self) -> ActivityLog:
        if self.state.activity is None:
            raise ConfigError("recording.activity: False; allowed: True, chosen when the model "
                              "is built (Organization(..., recording=Recording(activity=True)))")
        return self.state.activity

    def people_frame(self) -> pd.DataFrame:
        """One row per person who ever worked here, with their current state."""
        return frames.people_frame(self.state, self.rules)

    def tribes_frame(self, living_only: bool = False) -> pd.DataFrame:
        """One row per tribe that ever existed (or only the living), with its current state."""
        return frames.tribes_frame(self.state, self.rules, living_only)

    def snapshots(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(people, tribes) snapshots taken every `recording.snapshot_every` steps, stacked."""
        if not self._snapshots:
            return self.people_frame().iloc[:0], self.tribes_frame().iloc[:0]
        people, tribes = zip(*self._snapshots, strict=True)
        return pd.concat(people, ignore_index=True), pd.concat(tribes, ignore_index=True)

    def graph(self) -> Any:
        """The social network of active people as a networkx Graph (for analysis and
        drawing)."""
        return frames.graph(self.state)

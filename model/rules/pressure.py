"""Pressure and outside options: shocks scheduled at given steps, and how people who stay
respond when leaving is not a viable option (Hirschman's exit, voice and loyalty).

Shocks (pressure.shocks, the first phase of a step). The parameter `shocks` schedules them;
each has a kind, the step it starts, a size and a duration (steps it lasts, 1 by default):

    surge     arrivals x (1 + size) while it lasts                        size >= 0
    slump     arrivals x (1 - size) while it lasts                        size in [0, 1]
    layoff    round(size N) of the N active people leave at its step,     size in [0, 1]
              chosen by the layoff policy; they are not replaced          (duration 1)
    freeze    each leaver is replaced with probability 1 - size while     size in [0, 1]
              it lasts (size 1: nobody is hired)
    collapse  the outside option x (1 - size) while it lasts              size in [0, 1]
    boom      the outside option x (1 + size) while it lasts              size >= 0

Shocks that overlap combine: factors multiply, freezes combine as independent refusals
(1 - prod (1 - size)). A shock is logged when it starts (`shock`: detail "kind size", with the
duration if longer than a step), the step table names the shocks active each step (`shock`,
"+"-joined, empty when none), and laid-off people are logged as exits ("layoff"). Written as
text (`run.py --set shocks=...`): comma-separated `kind:step:size[:duration]`, e.g.
"layoff:300:0.2,surge:300:0.5:100"; in Python also a list of `Shock`s or of dicts with keys
step, kind, size and duration; in an experiment file, `[[shocks]]` tables.

Layoff policies (who is laid off): `random` (uniformly among the active), `seniority` (last in,
first out: the latest hires first) and `performance` (the lowest reputation first: reputation is
the decaying sum of credited contribution, recent performance as the organization sees it).

Response (decide.response, right after decide.exit, for the people who stayed). Leaving is as
viable for person i as the quit logit of `model.rules.exit` says,

    x_i = sigmoid((O_i - V_i) / nu)      V_i = (F_i + c_i) / 2,  O_i = O k (0.5 + 0.5 max_k s_ik)

(k the factor of a collapse or boom, 1 otherwise). A person whose fit has fallen below their
commitment is dissatisfied, g_i = max(c_i - F_i, 0), and the part of that dissatisfaction
leaving cannot relieve is t_i = g_i (1 - x_i). The response policy says what they do with it
(Hirschman 1970; Rusbult, Farrell, Rogers and Mainous 1988, whose neglect response is the
passive, destructive one, chosen when alternatives are poor and commitment low):

    exit      nothing: dissatisfaction shows only in quits (the model before this rule)
    neglect   they stay and withhold effort: a share n_i = min(lambda t_i, 1) of their effort
    voice     the committed speak up, the others neglect: voice v_i = c_i t_i, neglect
              n_i = min(lambda (1 - c_i) t_i, 1); a tribe's voiced discontent (its members'
              mean v_i, a person in several tribes voicing in each) adds omega times itself to
              its division for this step's life cycle and conflict (`split_division`,
              `conflict_threshold`), so that voice brings conflict into the open

with lambda = `neglect_strength`, omega = `voice_weight`. Neglect takes its share of the
person's effort at this step's work (`model.rules.work.effort_left`). Outside options thus
change effort and voice, not only exit: a collapse of outside options keeps dissatisfied people
in, and under `neglect` they stay and disengage.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.person import ExitReason
from model.parameters import Params, param, policy, text
from model.policy import Policy, register
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

STREAM = 4  # the stream of this concern's draws (`State.stream`)

KINDS = ("surge", "slump", "layoff", "freeze", "collapse", "boom")
_UNBOUNDED = frozenset({"surge", "boom"})  # sizes >= 0; the others' in [0, 1]
MAX_SHOCKS = 20
MAX_SIZE = 100.0
MAX_STEP = 10_000_000


@dataclass(frozen=True)
class Shock:
    """One scheduled shock: `kind` starts at `step` with `size` and lasts `duration` steps."""

    step: int
    kind: str
    size: float
    duration: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown shock kind {self.kind!r} (kinds: {', '.join(KINDS)})")
        for name, value, low, high in (("step", self.step, 0, MAX_STEP),
                                       ("duration", self.duration, 1, MAX_STEP)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{self.kind} {name} {value!r} is not a whole number in "
                                 f"[{low}, {high:,}]")
        size = self.size
        most = MAX_SIZE if self.kind in _UNBOUNDED else 1.0
        if (isinstance(size, bool) or not isinstance(size, int | float)
                or not 0.0 <= size <= most):
            raise ValueError(f"{self.kind} size {size!r} is not a number in [0, {most:g}]")
        if self.kind == "layoff" and self.duration != 1:
            raise ValueError(f"layoff duration {self.duration} (a layoff happens at its step); "
                             "allowed: 1")

    @property
    def end(self) -> int:
        """The first step after the shock."""
        return self.step + self.duration

    def text(self) -> str:
        """The shock as `kind:step:size[:duration]`."""
        tail = f":{self.duration}" if self.duration != 1 else ""
        return f"{self.kind}:{self.step}:{self.size:g}{tail}"


SHOCK_FORM = ("comma-separated kind:step:size[:duration] (kinds: " + ", ".join(KINDS)
              + "), or empty for none")


def parse_shocks(value: Any) -> str:
    """The canonical text of a schedule of shocks (in order of step, then as given), from its
    text, or from a list of `Shock`s or of mappings with keys step, kind, size (and duration).

    Raises:
        ValueError: says which shock is wrong and why.
    """
    return ",".join(shock.text() for shock in read_shocks(value))


def read_shocks(value: Any) -> tuple[Shock, ...]:
    """The shocks a schedule names (see `parse_shocks`), in order of step."""
    if isinstance(value, str):
        entries: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        entries = list(value)
    else:
        raise ValueError(f"{value!r} is not a schedule of shocks")
    if len(entries) > MAX_SHOCKS:
        raise ValueError(f"{len(entries)} shocks; at most {MAX_SHOCKS}")
    shocks = [_shock(entry) for entry in entries]
    return tuple(sorted(shocks, key=lambda shock: shock.step))


def _shock(entry: Any) -> Shock:
    if isinstance(entry, Shock):
        return entry
    if isinstance(entry, Mapping):
        unknown = set(entry) - {"step", "kind", "size", "duration"}
        missing = {"step", "kind", "size"} - set(entry)
        if unknown or missing:
            raise ValueError(f"shock {dict(entry)!r}: keys step, kind, size (and duration) "
                             f"are needed, {sorted(missing or unknown)} "
                             f"{'missing' if missing else 'unknown'}")
        size = entry["size"]
        if isinstance(size, int) and not isinstance(size, bool):
            size = float(size)
        return Shock(entry["step"], entry["kind"], size, entry.get("duration", 1))
    if not isinstance(entry, str):
        raise ValueError(f"shock {entry!r} is neither text nor a table")
    parts = entry.split(":")
    if len(parts) not in (3, 4):
        raise ValueError(f"shock {entry!r} is not kind:step:size[:duration]")
    try:
        step = int(parts[1])
        size = float(parts[2])
        duration = int(parts[3]) if len(parts) == 4 else 1
    except ValueError:
        raise ValueError(f"shock {entry!r}: step and duration must be whole numbers and size "
                         "a number") from None
    return Shock(step, parts[0].strip(), size, duration)


@dataclass(frozen=True)
class PressureParams(Params):
    """Shocks, who is laid off, and how people respond when leaving is not viable."""

    group = "pressure"

    shocks: str = text("", "shocks scheduled at given steps: surge, slump, layoff, freeze, "
                       "collapse, boom (empty: none)", parse_shocks, SHOCK_FORM)
    layoff: str = policy("layoff", "random", "who is laid off when a layoff shock strikes")
    response: str = policy("response", "exit", "what people who stay do with dissatisfaction "
                           "that leaving cannot relieve")
    neglect_strength: float = param(1.0, "effort share withheld per unit of dissatisfaction "
                                    "leaving cannot relieve (neglect, voice)", 0, 100)
    voice_weight: float = param(1.0, "division a tribe's voiced discontent adds for its "
                                "conflicts and splits (voice)", 0, 100)


# ---------------------------------------------------------------------- layoffs
class LayoffPolicy(Policy):
    """Who is laid off when a layoff shock strikes (the contract of every layoff policy)."""

    kind = "layoff"

    @abstractmethod
    def choose(self, s: State, active: np.ndarray, count: int) -> np.ndarray:
        """`count` of the `active` rows (people who work here now, in row order) to lay
        off."""


@register("random")
class RandomLayoff(LayoffPolicy):
    """Anyone may be laid off: `count` of the active people drawn uniformly."""

    def choose(self, s: State, active: np.ndarray, count: int) -> np.ndarray:
        """A uniform draw without replacement, from this concern's own stream."""
        chosen: np.ndarray = np.sort(s.stream(STREAM).choice(active, size=count,
                                                             replace=False))
        return chosen


@register("seniority")
class SeniorityLayoff(LayoffPolicy):
    """Last in, first out: the latest hires are laid off first."""

    def choose(self, s: State, active: np.ndarray, count: int) -> np.ndarray:
        """The `count` latest hires (on the same step of hire, the later rows first)."""
        order = np.lexsort((-active, -s.people.hired[active].astype(np.int64)))
        chosen: np.ndarray = np.sort(active[order[:count]])
        return chosen


@register("performance")
class PerformanceLayoff(LayoffPolicy):
    """The lowest performers go first: the lowest reputation (recent credited
    contribution)."""

    def choose(self, s: State, active: np.ndarray, count: int) -> np.ndarray:
        """The `count` lowest reputations (on equal reputation, the later hires first)."""
        order = np.lexsort((-active, s.people.reputation[active]))
        chosen: np.ndarray = np.sort(active[order[:count]])
        return chosen


# ---------------------------------------------------------------------- response
class Stance(Table):
    """Per person: this step's response to dissatisfaction that leaving cannot relieve."""

    neglect = Column(np.float32, 0.0, doc="share of this step's effort withheld")
    voice = Column(np.float32, 0.0, doc="voiced discontent")


class ResponsePolicy(Policy):
    """What people who stay do with dissatisfaction that leaving cannot relieve (the contract
    of every response policy).

    Attributes:
        stance: per person, the share of effort they withhold and their voice this step.
        neglecting: whether anyone withholds effort this step.
    """

    kind = "response"
    responds = True  # whether the policy sets any stance (so that `exit` costs nothing)

    def attach(self, s: State) -> None:
        """The stance grows with the people."""
        self.stance = Stance(s.people.allocated)
        s.attach_to_people(self.stance)
        self.neglecting = False

    @abstractmethod
    def respond(self, s: State, rows: np.ndarray, trapped: np.ndarray) -> None:
        """Set the stance of the active `rows` from their trapped dissatisfaction t_i."""


@register("exit")
class ExitOnly(ResponsePolicy):
    """Dissatisfaction shows only in quits: those who stay give their effort as before."""

    responds = False

    def respond(self, s: State, rows: np.ndarray, trapped: np.ndarray) -> None:
        """Nothing."""


@register("neglect")
class Neglect(ResponsePolicy):
    """Those who cannot leave stay and disengage: they withhold lambda t_i of their effort."""

    params = ("neglect_strength",)

    def respond(self, s: State, rows: np.ndarray, trapped: np.ndarray) -> None:
        """n_i = min(lambda t_i, 1)."""
        self.stance.neglect[rows] = np.minimum(self.cfg.neglect_strength * trapped, 1.0)
        self.neglecting = True


@register("voice")
class Voice(ResponsePolicy):
    """Those who cannot leave speak up as far as they are committed (voice c_i t_i, raising
    their tribes' division) and withhold effort as far as they are not (neglect)."""

    params = ("neglect_strength", "voice_weight")

    def respond(self, s: State, rows: np.ndarray, trapped: np.ndarray) -> None:
        """v_i = c_i t_i, n_i = min(lambda (1 - c_i) t_i, 1); voiced discontent raises the
        division of the voices' tribes."""
        p, tribes = s.people, s.tribes
        commitment = p.commitment[rows]
        self.stance.voice[rows] = commitment * trapped
        self.stance.neglect[rows] = np.minimum(
            self.cfg.neglect_strength * (1.0 - commitment) * trapped, 1.0)
        self.neglecting = True
        _, members, tribe = p.pairs()
        living = tribes.living()
        voiced = tribes.size[: tribes.n].astype(np.float64)
        total = np.bincount(tribe, weights=self.stance.voice[members], minlength=tribes.n)
        mean = np.divide(total[: tribes.n], voiced, out=np.zeros(tribes.n), where=voiced > 0)
        tribes.division[living] += np.float32(self.cfg.voice_weight) * mean[living].astype(
            np.float32)


def trapped_dissatisfaction(s: State, rows: np.ndarray) -> np.ndarray:
    """t_i = max(c_i - F_i, 0) (1 - x_i) of `rows`, with the exit viability x_i of
    `model.rules.exit` (under this step's outside option)."""
    from model.rules.exit import outside_value, staying_value

    p, cfg = s.people, s.cfg
    gap = (outside_value(s)[rows] - staying_value(s)[rows]) / cfg.quit_noise
    viable = 1.0 / (1.0 + np.exp(-gap))
    dissatisfied = np.maximum(p.commitment[rows] - p.fit[rows], 0.0)
    trapped: np.ndarray = (dissatisfied * (1.0 - viable)).astype(np.float32)
    return trapped


def respond(s: State, rules: Rules) -> None:
    """The people who stayed respond to dissatisfaction leaving cannot relieve, as the
    response policy says (nothing under `exit`)."""
    chosen = rules.response
    if not chosen.responds:
        return
    p = s.people
    chosen.stance.neglect[: p.n] = 0.0
    chosen.stance.voice[: p.n] = 0.0
    rows = np.flatnonzero(p.active[: p.n])
    chosen.respond(s, rows, trapped_dissatisfaction(s, rows))


def effort_kept(s: State, rules: Rules, members: np.ndarray) -> np.ndarray | None:
    """The share of each membership's effort its person does not withhold this step,
    1 - n_i (None when nobody withholds any)."""
    chosen = rules.response
    if not chosen.neglecting:
        return None
    kept: np.ndarray = 1.0 - chosen.stance.neglect[members]
    return kept


# ---------------------------------------------------------------------- shocks
def schedule(s: State) -> tuple[Shock, ...]:
    """The run's shocks, in order of step (read from the configuration once)."""
    return read_shocks(s.cfg.shocks) if s.cfg.shocks else ()


def shocks(s: State, rules: Rules) -> None:
    """This step's conditions from the shocks active now: demand, outside options and
    hiring; shocks that start now are logged, and a layoff lays people off."""
    if not s.cfg.shocks:
        return
    conditions = s.conditions
    conditions.demand = conditions.outside = 1.0
    conditions.freeze = 0.0
    conditions.active = []
    for shock in schedule(s):
        if not shock.step <= s.clock < shock.end:
            continue
        conditions.active.append(shock.kind)
        if shock.step == s.clock:
            tail = f" for {shock.duration} steps" if shock.duration != 1 else ""
            s.events.add(s.clock, "shock", -1, -1, -1, f"{shock.kind} {shock.size:g}{tail}")
        if shock.kind == "surge":
            conditions.demand *= 1.0 + shock.size
        elif shock.kind == "slump":
            conditions.demand *= 1.0 - shock.size
        elif shock.kind == "boom":
            conditions.outside *= 1.0 + shock.size
        elif shock.kind == "collapse":
            conditions.outside *= 1.0 - shock.size
        elif shock.kind == "freeze":
            conditions.freeze = 1.0 - (1.0 - conditions.freeze) * (1.0 - shock.size)
        else:
            lay_off(s, rules, shock.size)


def lay_off(s: State, rules: Rules, share: float) -> np.ndarray:
    """round(share N) of the N active people, chosen by the layoff policy, leave the
    organization (not replaced); return their rows."""
    p = s.people
    active = np.flatnonzero(p.active[: p.n])
    count = min(int(round(share * len(active))), len(active))
    if count == 0:
        return active[:0]
    leavers = rules.layoff.choose(s, active, count)
    s.leave_all(leavers, "layoff")
    p.active[leavers] = False
    p.exit_step[leavers] = s.clock
    p.exit_reason[leavers] = ExitReason.LAYOFF
    s.events.add(s.clock, "exited", leavers, -1, -1, ExitReason.LAYOFF.label)
    return leavers


def hired(s: State, leavers: np.ndarray) -> np.ndarray:
    """The leavers replaced this step: all of them, or under a freeze each with probability
    1 - freeze (drawn from this concern's own stream)."""
    freeze = s.conditions.freeze
    if freeze <= 0 or len(leavers) == 0:
        return leavers
    if freeze >= 1:
        return leavers[:0]
    kept: np.ndarray = leavers[s.stream(STREAM).random(len(leavers)) >= freeze]
    return kept

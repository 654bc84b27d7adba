"""Passion that can be found: how intensely people care about what they care about, and how
their passions shift on their own, by slow discovery and by pivots in life.

Intensity. A person's passion has an intensity k_i in [0, 1]: not everyone is passionate. It is
drawn at hire, k_i ~ Beta(c m, c (1 - m)) with mean m = `intensity_mean` and concentration
c = `intensity_concentration`; at m = 1 (the default) everyone is fully passionate, the model
without intensities. Intensity scales how much alignment matters:

    to fit      F = (w_a k_i a + w_s u + w_b b + w_l q) / (w_a k_i + w_s + w_b + w_l) - ...
                (a person who does not care much about purposes weighs the rest);
    to effort   e' <- e' (1 - g k_i (1 - a)),  g = `meaning_effort` (0 by default):
                a passionate person withholds discretionary effort from work that does not
                carry their purpose (meaning and discretionary effort: Rich, LePine and
                Crawford 2010; Grant 2008); bounded, at most g.

This lets the model ask whether leadership emerges when members are not passionate.

Discovery (the discovery policy). Under `none` passions change only by drift toward the
purpose (`model.rules.orient`, off by default). Under `discovering` a person's own passion p0
(the anchor that drift pulls back to, at hire their passion) moves on its own:

    discovery   p0 <- norm(max(p0 + s e, 0)),  p <- norm(max(p + s e, 0)),  e ~ N(0, I)
                (the same step for both: what a person finds about themselves changes what
                they care about now), s = `discovery_rate`: a slow random walk (seed 002:
                a purpose is worn, trimmed and adjusted);
    life pivot  with probability `life_pivot_rate` per step, p0 and p are drawn afresh, as at
                hire, and so is the intensity (a pivot in life: seed 002's re-established or
                pivoted purpose). Logged as `life_pivot`.

Draws come from this concern's own stream, so that the mechanisms change no other draw.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics.rows import normalize_rows, row_dot
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

STREAM = 2  # the stream of this concern's draws (`State.stream`)


@dataclass(frozen=True)
class PassionParams(Params):
    """How intensely people care, and how their passions shift on their own."""

    group = "passion"

    discovery: str = policy("discovery", "none", "how passions shift on their own")
    intensity_mean: float = param(1.0, "mean intensity of passion, Beta-distributed (1: "
                                  "everyone is fully passionate)", 0.01, 1)
    intensity_concentration: float = param(4.0, "concentration of the intensity's Beta "
                                           "distribution (larger: people more alike)", 0.1,
                                           1000)
    meaning_effort: float = param(0.0, "share of effort a fully passionate person withholds "
                                  "from work wholly outside their purpose", 0, 1)
    discovery_rate: float = param(0.02, "s.d. of the per-step random walk of a person's own "
                                  "passion (discovering)", 0, 1)
    life_pivot_rate: float = param(0.001, "per-step probability of a pivot in life: a new "
                                   "passion (discovering)", 0, 1)


class Passions(Table):
    """Per person: how intensely they care, and the passion they have found themselves."""

    intensity = Column(np.float32, 1.0, doc="intensity of passion in [0, 1]")
    anchor = Column(np.float32, 0.0, ("themes",), doc="the person's own passion, which drift "
                    "pulls back to (at hire: their passion)")


class DiscoveryPolicy(Policy):
    """How passions shift on their own (the contract of every discovery policy).

    Attributes:
        passions: per person, intensity and own passion.
    """

    kind = "discovery"

    def attach(self, s: State) -> None:
        """Intensity and own passion grow with the people, set at hire."""
        self.passions = Passions(s.people.allocated, themes=s.cfg.themes)
        s.attach_to_people(self.passions)
        passions = self.passions

        def hired(s: State, rows: np.ndarray) -> None:
            passions.anchor[rows] = s.people.passion[rows]
            passions.intensity[rows] = draw_intensity(s, len(rows))

        s.hire_hooks.append(hired)

    @abstractmethod
    def discover(self, s: State) -> None:
        """Passions shift on their own, this step."""


@register("none")
class Stable(DiscoveryPolicy):
    """Passions change only by drift toward the purpose (if drift is on)."""

    def discover(self, s: State) -> None:
        """Nothing."""


@register("discovering")
class Discovering(DiscoveryPolicy):
    """People keep discovering what they care about (a slow random walk of their own passion)
    and now and then pivot in life (a new passion)."""

    params = ("discovery_rate", "life_pivot_rate")

    def discover(self, s: State) -> None:
        """Discovery for every active person; pivots for a few."""
        p, cfg, passions = s.people, self.cfg, self.passions
        active = np.flatnonzero(p.active[: p.n])
        if len(active) == 0:
            return
        rng = s.stream(STREAM)
        if cfg.discovery_rate > 0:
            step = (cfg.discovery_rate * rng.standard_normal((len(active), cfg.themes))
                    ).astype(np.float32)
            for table, name in ((passions, "anchor"), (p, "passion")):
                values = table.array(name)
                moved = np.maximum(values[active] + step, np.float32(0))
                empty = ~moved.any(axis=1)  # a walk that would leave nothing keeps the passion
                moved[empty] = values[active][empty]
                values[active] = normalize_rows(moved)
        pivots = active[rng.random(len(active)) < cfg.life_pivot_rate]
        if len(pivots):
            fresh = rng.gamma(cfg.passion_concentration, 1.0, size=(len(pivots), cfg.themes))
            fresh = normalize_rows(fresh.astype(np.float32))
            passions.anchor[pivots] = fresh
            p.passion[pivots] = fresh
            passions.intensity[pivots] = draw_intensity(s, len(pivots))
            s.events.add(s.clock, "life_pivot", pivots, p.tribe[pivots], -1, "life")
        # what members perceive of their tribes' purposes follows their passions at once
        flat, members, tribe = p.pairs()
        p.flat("alignment_m")[flat] = row_dot(p.passion[members], s.tribes.purpose[tribe])


def draw_intensity(s: State, count: int) -> np.ndarray:
    """Intensities of `count` people: Beta(c m, c (1 - m)), or 1 at m = 1."""
    m, c = s.cfg.intensity_mean, s.cfg.intensity_concentration
    if m >= 1.0:
        return np.ones(count, dtype=np.float32)
    drawn: np.ndarray = s.stream(STREAM).beta(c * m, c * (1.0 - m), count).astype(np.float32)
    return drawn


def intensity(s: State, rules: Rules, persons: np.ndarray) -> np.ndarray | None:
    """The intensity of each person's passion (None while everyone is fully passionate)."""
    if s.cfg.intensity_mean >= 1.0 and s.cfg.discovery == "none":
        return None
    found: np.ndarray = rules.discovery.passions.intensity[persons]
    return found


def meaning_left(s: State, rules: Rules, flat: np.ndarray, members: np.ndarray
                 ) -> np.ndarray | None:
    """The share of each membership's effort a person gives work that carries their purpose
    this much: 1 - g k (1 - a) (None when meaning_effort g is 0)."""
    g = s.cfg.meaning_effort
    if g == 0:
        return None
    p = s.people
    alignment = p.flat("alignment_m")[flat]
    passionate = rules.discovery.passions.intensity[members]
    left: np.ndarray = (np.float32(1) - np.float32(g) * passionate
                        * (np.float32(1) - np.clip(alignment, 0, 1))).astype(np.float32)
    return left


def anchor(s: State, rules: Rules) -> np.ndarray:
    """What passion drift pulls back to: each person's own passion (their passion at hire
    unless discovery moved it)."""
    if s.cfg.discovery == "none":
        return s.people.passion_origin
    own: np.ndarray = rules.discovery.passions.anchor
    return own


def discover(s: State, rules: Rules) -> None:
    """The discovery policy shifts passions on their own."""
    rules.discovery.discover(s)

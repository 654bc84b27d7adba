"""The population: who works here at the start, and how every hire is drawn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param

if TYPE_CHECKING:
    from model.state import State


@dataclass(frozen=True)
class PopulationParams(Params):
    """Who works here at the start, and how they are drawn."""

    group = "population"

    people: int = param(300, "people at the start", 1, 10_000_000)
    themes: int = param(8, "purpose themes P (length of passion and purpose vectors)", 1, 256)
    domains: int = param(6, "practice domains K (length of skill vectors)", 1, 256)
    unit_size: int = param(40, "people per formal unit (department)", 1, 10_000_000)
    team_size: int = param(8, "people per team in the initial (assigned) organization", 1,
                           10_000_000)
    passion_concentration: float = param(0.6, "gamma shape of passion weights: small = focused "
                                         "on few themes", 0.01, 100)
    skill_level: float = param(0.45, "mean skill in a person's main domain at hire", 0, 1)
    tie_slots: int = param(8, "maximum ties a person keeps (D)", 1, 64)
    initial_ties: int = param(4, "ties to unit colleagues at the start", 0, 64)
    history_steps: int = param(300, "steps the starting organization runs as a formal "
                               "organization before step 0 (0: it starts freshly assembled)",
                               0, 100_000)


def hire_people(s: State, count: int, units: np.ndarray) -> np.ndarray:
    """`count` new people in formal `units`, drawn as every hire is; return their rows."""
    cfg = s.cfg
    rows = s.people.add(s.rng, count, s.clock, units,
                        passion_concentration=cfg.passion_concentration,
                        skill_level=cfg.skill_level, unaffiliated_fit=cfg.unaffiliated_fit)
    for hook in s.hire_hooks:  # traits the rules keep, each drawn from its own stream
        hook(s, rows)
    return rows

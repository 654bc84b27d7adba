"""The organization every run starts from.

Every preset starts from the same organization (formal units, teams assigned by skill, ties to
team and unit colleagues), so that under the same seed a comparison between presets is paired:
only the rules differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.population import hire_people
from model.rules.membership import create_teams
from numerics.groups import group_order, random_members

if TYPE_CHECKING:
    from model.plan import Phase
    from model.rules import Rules
    from model.state import State


def populate(s: State, rules: Rules) -> None:
    """Hire the starting people into formal units (`unit_size` each), let management assign
    them to teams by skill, and tie each to `initial_ties` colleagues, alternately of their
    team and of their unit (weight 0.3)."""
    cfg, rng, p = s.cfg, s.rng, s.people
    units = np.arange(cfg.people) // cfg.unit_size
    rows = hire_people(s, cfg.people, units)
    create_teams(s, rules, rows, units)
    order, start, count = group_order(units, int(units.max()) + 1)
    team_order, team_start, team_count = group_order(p.tribe[rows], s.tribes.n)
    for slot in range(cfg.initial_ties):
        if slot % 2 == 0:
            target = random_members(rng, team_order, team_start, team_count, p.tribe[rows])
        else:
            target = random_members(rng, order, start, count, units)
        p.add_ties(rows, target)
    rules.leadership.assess(s, rules)


def establish(s: State, rules: Rules, steps: int, plan: tuple[Phase, ...]) -> None:
    """Run the starting organization (assembled at clock -steps) under `rules`, the formal
    organization's, for `steps` steps numbered -steps + 1 .. 0, without recording metrics:
    skills, reputations, engagement, effectiveness, ties, turnover and the flow of work are
    then established at step 0, when the rules under study take over."""
    for step in range(-steps + 1, 1):
        s.clock = step
        for phase in plan:
            if phase.stage != "record":
                phase.run(s, rules)

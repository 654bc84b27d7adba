"""Membership, person by person: voluntary moves and founding, and placement by management
(ODD §3.1 teams, §3.4).

Voluntary choices are synchronous, as the ODD's phases are: every person who reconsiders
decides from the state at the start of the phase, then the moves happen (switches, leaves,
then foundings with like-minded ties who are not moving).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from reference.vectors import best_by_row, draw_index

if TYPE_CHECKING:
    from reference.organization import ReferenceOrganization
    from reference.person import RefPerson
    from reference.tribe import RefTribe


def choose_voluntarily(m: ReferenceOrganization, approval: float,
                       within_unit_free: bool = False) -> None:
    """Everyone may reconsider (switch, found, leave), each move approved with `approval`
    (with `within_unit_free`, a switch into a tribe led from one's own unit always is)."""
    bulletin: dict[int, list[RefTribe]] = {}  # communities of interest: tribes by main theme
    for tribe in m.living:
        bulletin.setdefault(int(np.argmax(tribe.purpose)), []).append(tribe)
    choices = [(p, p.choose_membership(bulletin, approval, within_unit_free)) for p in m.staff]
    choices = [(p, choice) for p, choice in choices if choice is not None]
    busy: set[RefPerson] = set()
    for p, (action, tribe) in choices:
        if action == "switch":
            if p.tribe is not None:  # from one tribe to another: a contest between them
                m.switched.append((p.tribe, tribe))
            m.move(p, tribe, "switch")
            busy.add(p)
    for p, (action, _) in choices:
        if action == "leave":
            m.move(p, None, "leave")
            busy.add(p)
    found_tribes(m, [p for p, (action, _) in choices if action == "found"], busy)


def found_tribes(m: ReferenceOrganization, founders: list[RefPerson],
                 busy: set[RefPerson]) -> None:
    """Each founder starts a tribe with their like-minded ties who are free to move (a tie
    claimed by several founders follows the earliest hired founder); the purpose is their
    shared passion and, with a single-leader policy, the founder leads."""
    # whom each founder would take along is judged before anybody moves
    crews = [founder.like_minded() for founder in founders]
    taken = busy | set(founders)
    for founder, crew in zip(founders, crews, strict=True):
        crew = [p for p in crew if p not in taken]
        taken.update(crew)
        shared = founder.passion + sum((p.passion for p in crew), np.zeros(m.cfg.themes))
        tribe = m.create_tribe(shared, "founded")
        m.move(founder, tribe, "found")
        for p in crew:
            m.move(p, tribe, "cofound")
        m.note("founded", "bottom-up")
        if m.single_leader:
            tribe.leader = founder
            tribe.leader_since = m.clock
            m.note("leader_changed", "founder")


def assign_by_skill(m: ReferenceOrganization, persons: Sequence[RefPerson]) -> None:
    """Management places each unaffiliated person in the best skill match among
    `pull_candidates` random living teams with room; a team fills up in the order of the
    persons' rows. Whoever finds no room after three rounds goes to new teams."""
    cfg, rng = m.cfg, m.rng
    persons = [p for p in persons if p.active and p.tribe is None]
    for _ in range(3):
        living = m.living
        if not persons or not living:
            break
        size = {tribe: tribe.size for tribe in living}  # as the round starts
        choices = []
        for p in persons:
            best, best_match = None, -np.inf
            for _ in range(cfg.pull_candidates):
                tribe = living[int(rng.integers(len(living)))]
                if size[tribe] < cfg.max_tribe_size:
                    match = float(p.skill @ tribe.demand)
                    if match > best_match:
                        best, best_match = tribe, match
            choices.append(best)
        placed: dict[RefTribe, int] = {}
        unplaced = []
        for p, tribe in zip(persons, choices, strict=True):
            if tribe is not None and placed.get(tribe, 0) < cfg.max_tribe_size - size[tribe]:
                placed[tribe] = placed.get(tribe, 0) + 1
                m.move(p, tribe, "assigned")
            else:
                unplaced.append(p)
        persons = unplaced
    if persons:
        create_teams(m, persons, [0] * len(persons))


def create_teams(m: ReferenceOrganization, persons: Sequence[RefPerson],
                 groups: Sequence[int]) -> list[RefTribe]:
    """Management forms teams of `team_size` within each group (formal unit), people ordered
    by their main skill domain; each team gets a mandate drawn from the market and its most
    skilled member leads it. Return the teams."""
    cfg, rng = m.cfg, m.rng
    by_group: dict[int, list[RefPerson]] = {}
    for p, g in zip(persons, groups, strict=True):
        by_group.setdefault(g, []).append(p)
    teams = []
    for g in sorted(by_group):
        ordered = sorted(by_group[g], key=lambda p: int(np.argmax(p.skill)))  # stable: by row
        for start in range(0, len(ordered), cfg.team_size):
            crew = ordered[start:start + cfg.team_size]
            mandate = rng.gamma(0.3, 0.3, size=cfg.themes)
            mandate[draw_index(rng, m.market.shares)] += 1.0
            team = m.create_tribe(mandate, "initial")
            skills = sum(p.skill for p in crew)
            team.demand = skills / skills.sum()
            for p in crew:
                m.move(p, team, "assigned")
            m.note("founded", "management")
            if m.single_leader:
                team.leader = best_by_row(crew, lambda p: p.top_skill)
                team.leader_since = m.clock
                m.note("leader_changed", "management")
            teams.append(team)
    return teams

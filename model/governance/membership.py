"""Membership policies: who decides which tribe a person belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.arrays import rank_within, row_dot
from model.governance import register

if TYPE_CHECKING:
    from model.organization import Organization


@register("membership", "voluntary")
class Voluntary:
    """People join, switch, found and leave tribes by their own choice."""

    approval = 1.0
    self_organizing = True  # divided tribes may split

    def decide(self, m: Organization) -> None:
        """Some people reconsider: they compare their fit with two tribes they hear of."""
        choose_voluntarily(m, self.approval)

    def place(self, m: Organization, persons: np.ndarray) -> None:
        """Newcomers and people whose tribe ended look for a tribe themselves."""


@register("membership", "assigned")
class Assigned:
    """Management assigns people to teams by skill; nobody moves by choice."""

    self_organizing = False

    def decide(self, m: Organization) -> None:
        """No voluntary moves."""

    def place(self, m: Organization, persons: np.ndarray) -> None:
        """Management puts each unplaced person in the team whose work best uses their skills."""
        assign_by_skill(m, persons)


@register("membership", "hybrid")
class Hybrid(Voluntary):
    """The formal organization beside the voluntary one: a move into a tribe led from one's own
    formal unit needs no approval; every other move or founding is approved by management with
    `approval_rate`; management places newcomers."""

    def decide(self, m: Organization) -> None:
        """Voluntary choices; those leaving one's unit approved with probability
        `approval_rate`."""
        choose_voluntarily(m, m.cfg.approval_rate, within_unit_free=True)

    def place(self, m: Organization, persons: np.ndarray) -> None:
        """Management places newcomers and orphans by skill."""
        assign_by_skill(m, persons)


def choose_voluntarily(m: Organization, approval: float, within_unit_free: bool = False
                       ) -> None:
    """Switch, found or leave, for the people who reconsider this step.

    A person reconsiders with probability `consider_rate`. They hear of one tribe through a
    community of interest (a tribe whose main theme is one they care about) and of one through a
    random tie (the tie's tribe), and estimate their fit in each with the same fit function
    they use for their own tribe. Then, in this order:
    switch if the better candidate beats their current fit by `switch_threshold`;
    found a tribe if every option is below `found_threshold` (probability `found_rate` times
    initiative), taking along like-minded ties; leave a tribe whose fit is below
    `leave_threshold`. Each move happens only with probability `approval`; with
    `within_unit_free`, a switch into a tribe whose leader is in the person's formal unit needs
    no approval.
    """
    p, tribes, cfg, rng = m.people, m.tribes, m.cfg, m.rng
    n = p.n
    consider = np.flatnonzero(p.active[:n] & (rng.random(n) < cfg.consider_rate))
    if len(consider) == 0:
        return
    current = p.tribe[consider]
    current_fit = p.fit[consider]
    best_tribe = np.full(len(consider), -1, dtype=np.int32)
    best_fit = np.full(len(consider), -np.inf, dtype=np.float32)
    for candidate in (m.communities.tribe_heard_of(rng, p, tribes, consider),
                      tribe_of_a_tie(rng, p, consider)):
        valid = np.flatnonzero((candidate >= 0) & (candidate != current))
        if len(valid) == 0:
            continue
        fit = p.fit_in(consider[valid], candidate[valid], tribes, cfg)[0]
        better = fit > best_fit[valid]
        best_fit[valid[better]] = fit[better]
        best_tribe[valid[better]] = candidate[valid[better]]
    approved = rng.random(len(consider)) < approval
    may_switch = approved
    if within_unit_free:
        leader = np.where(best_tribe >= 0, tribes.leader[np.maximum(best_tribe, 0)], -1)
        same_unit = (leader >= 0) & (p.unit[np.maximum(leader, 0)] == p.unit[consider])
        may_switch = approved | same_unit
    switch = may_switch & (best_tribe >= 0) & (best_fit > current_fit + cfg.switch_threshold)
    unfit = np.maximum(current_fit, best_fit) < cfg.found_threshold
    found = (approved & ~switch & unfit
             & (rng.random(len(consider)) < cfg.found_rate * p.initiative[consider]))
    leave = (approved & ~switch & ~found & (current >= 0)
             & (current_fit < cfg.leave_threshold))
    m.move(consider[switch], best_tribe[switch], "switch")
    m.move(consider[leave], np.full(int(leave.sum()), -1, dtype=np.int32), "leave")
    busy = np.zeros(n, dtype=bool)
    busy[consider[switch | leave]] = True
    m.found_tribes(consider[found], busy)


def tribe_of_a_tie(rng: np.random.Generator, p, persons: np.ndarray) -> np.ndarray:
    """The tribe of one random tie of each person (-1 if that slot is empty or unaffiliated)."""
    slot = rng.integers(0, p.tie_to.shape[1], size=len(persons))
    target = p.tie_to[persons, slot]
    tribe = p.tribe[target]
    return np.where((target >= 0) & (p.tie_w[persons, slot] > 0), tribe, -1)


def assign_by_skill(m: Organization, persons: np.ndarray) -> None:
    """Place each person in the best skill match among `pull_candidates` random living teams
    with room below `max_tribe_size`; a team fills up in order of the persons' rows. Whoever
    finds no room after three rounds of draws goes to new teams management forms."""
    p, tribes, cfg, rng = m.people, m.tribes, m.cfg, m.rng
    persons = persons[p.active[persons] & (p.tribe[persons] < 0)]
    for _ in range(3):
        living = tribes.living()
        if len(persons) == 0 or len(living) == 0:
            break
        options = living[rng.integers(0, len(living), size=(len(persons), cfg.pull_candidates))]
        match = np.einsum("ik,ijk->ij", p.skill[persons], tribes.demand[options])
        match[tribes.size[options] >= cfg.max_tribe_size] = -np.inf
        pick = match.argmax(axis=1)
        row = np.arange(len(persons))
        chosen = options[row, pick]
        room = cfg.max_tribe_size - tribes.size[chosen]
        placed = np.isfinite(match[row, pick]) & (rank_within(chosen, row) < room)
        m.move(persons[placed], chosen[placed], "assigned")
        persons = persons[~placed]
    if len(persons):
        m.create_teams(persons)


def like_minded(p, founders: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(founder position, person) pairs: ties of each founder whose passions align with the
    founder's at least `threshold` and better than with their current tribe."""
    targets = p.tie_to[founders]
    slots = np.flatnonzero(((targets >= 0) & (p.tie_w[founders] > 0)).ravel())
    owner, peer = slots // targets.shape[1], targets.ravel()[slots]
    fit = row_dot(p.passion[founders[owner]], p.passion[peer])
    keep = (fit >= threshold) & (fit > p.alignment[peer]) & p.active[peer]
    return owner[keep], peer[keep]

"""Membership and founding: who decides which tribe a person belongs to, how tribes are founded
bottom-up, and how management places people and forms teams.

Voluntary choice (`choose_voluntarily`): a person reconsiders with probability
`consider_rate`, hears of one tribe through a community of interest and one through a tie,
and estimates their fit there with the fit function (`model.rules.fit`), and what their fit
would be in a tribe they founded (`fit.founder_fit`). Then, in this order: switch if the better
candidate beats their fit by `switch_threshold`; found a tribe if the founder's fit beats both
their fit and the candidates' by `switch_threshold` (with probability `found_rate` x
initiative: founding takes initiative), taking along like-minded ties; leave a tribe whose fit
is below `leave_threshold`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from agents.person import NO_TRIBE, People
from agents.tribe import Origin
from model.parameters import Params, param, policy
from model.policy import Policy, register
from model.rules.fit import fit_in, founder_fit
from numerics.groups import group_sum, rank_within
from numerics.rows import row_dot

EMPTY = np.empty(0, dtype=np.int64)

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class MembershipParams(Params):
    """Who decides membership, and when people move or found tribes."""

    group = "membership"

    membership: str = policy("membership", "voluntary", "who decides tribe membership")
    consider_rate: float = param(0.1, "probability a person reconsiders membership in a step",
                                 0, 1)
    switch_threshold: float = param(0.08, "fit gain needed to switch tribe", 0, 1)
    found_rate: float = param(0.1, "probability of founding, times initiative, when unfit", 0,
                              1)
    leave_threshold: float = param(0.25, "fit below which a member leaves the tribe", 0, 1)
    cofound_alignment: float = param(0.8, "passion alignment a tie needs to co-found", 0, 1)
    approval_rate: float = param(0.3, "probability management approves a move out of one's "
                                 "unit (hybrid)", 0, 1)
    max_memberships: int = param(1, "tribes a person may belong to at once (1: one tribe)", 1,
                                 16)
    membership_cost: float = param(0.1, "share of effort lost per tribe beyond the first to "
                                   "switching between them (max_memberships > 1)", 0, 1)
    effort_split: str = param("equal", "how a person in several tribes divides their effort: "
                              "equally, or in proportion to their fit in each",
                              choices=("equal", "fit"))


class MembershipPolicy(Policy, ABC):
    """Who decides which tribe a person belongs to (the contract of every membership
    policy)."""

    kind = "membership"

    @abstractmethod
    def decide(self, s: State, rules: Rules) -> None:
        """The moves people make (or may make) this step."""

    @abstractmethod
    def place(self, s: State, rules: Rules, persons: np.ndarray) -> None:
        """What happens to unaffiliated people: newcomers and those whose tribe ended."""

    @abstractmethod
    def self_organizing(self) -> bool:
        """Whether people sort themselves: a divided tribe may then split."""


@register("voluntary")
class Voluntary(MembershipPolicy):
    """People join, switch, found and leave tribes by their own choice."""

    params: ClassVar[tuple[str, ...]] = (
        "consider_rate", "switch_threshold", "found_rate", "leave_threshold",
        "cofound_alignment")

    def decide(self, s: State, rules: Rules) -> None:
        """Some people reconsider: they compare their fit with two tribes they hear of."""
        choose_voluntarily(s, rules, approval=1.0)

    def place(self, s: State, rules: Rules, persons: np.ndarray) -> None:
        """Newcomers and people whose tribe ended look for a tribe themselves."""

    def self_organizing(self) -> bool:
        """Yes."""
        return True


@register("assigned")
class Assigned(MembershipPolicy):
    """Management assigns people to teams by skill; nobody moves by choice."""

    def decide(self, s: State, rules: Rules) -> None:
        """No voluntary moves."""

    def place(self, s: State, rules: Rules, persons: np.ndarray) -> None:
        """Management puts each unplaced person in the team whose work best uses their skills."""
        assign_by_skill(s, rules, persons)

    def self_organizing(self) -> bool:
        """No: management, not the members, decides who works where."""
        return False


@register("hybrid")
class Hybrid(Voluntary):
    """The formal organization beside the voluntary one: a move into a tribe led from one's own
    formal unit needs no approval; every other move or founding is approved by management with
    `approval_rate`; management places newcomers."""

    params = (*Voluntary.params, "approval_rate")

    def decide(self, s: State, rules: Rules) -> None:
        """Voluntary choices; those leaving one's unit approved with probability
        `approval_rate`."""
        choose_voluntarily(s, rules, approval=self.cfg.approval_rate, within_unit_free=True)

    def place(self, s: State, rules: Rules, persons: np.ndarray) -> None:
        """Management places newcomers and orphans by skill."""
        assign_by_skill(s, rules, persons)


def weakest(s: State, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each person's weakest membership: (tribe, fit, alignment) of the tribe they fit least
    (their only one when a person holds one; -1, the unaffiliated fit and 0 for people in no
    tribe)."""
    p = s.people
    if p.width == 1:
        return p.tribe[persons], p.fit[persons], p.alignment[persons]
    block = p.memberships[persons]
    fits = np.where(block >= 0, p.fit_m[persons], np.inf)
    slot = fits.argmin(axis=1)
    row = np.arange(len(persons))
    tribe = block[row, slot]
    fit = np.where(tribe >= 0, p.fit_m[persons][row, slot], p.fit[persons]).astype(np.float32)
    alignment = np.where(tribe >= 0, p.alignment_m[persons][row, slot], 0.0).astype(np.float32)
    return tribe, fit, alignment


def giving_up(s: State, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What each person gives up to move into another tribe: (tribe, fit, alignment) of their
    weakest membership when they have no room for another tribe; with room (fewer than
    `max_memberships` tribes), nothing: they join beside their tribes (-1, their fit, 0)."""
    p = s.people
    tribe, fit, alignment = weakest(s, persons)
    if p.width == 1:
        return tribe, fit, alignment
    room = p.count_memberships(persons) < p.width
    return (np.where(room, NO_TRIBE, tribe).astype(np.int32),
            np.where(room, p.fit[persons], fit).astype(np.float32),
            np.where(room, 0.0, alignment).astype(np.float32))


def choose_voluntarily(s: State, rules: Rules, approval: float,
                       within_unit_free: bool = False) -> None:
    """Switch, found or leave, for the people who reconsider this step.

    Each move happens only with probability `approval` (one draw per person); with
    `within_unit_free`, a switch into a tribe whose leader is in the person's formal unit needs
    no approval. A person who may belong to several tribes and has room for another joins it
    beside their tribes (compared with their effort-weighted fit); without room, the move
    replaces their weakest membership (compared with their fit there); they leave their weakest
    membership when its fit is below `leave_threshold`.
    """
    p, tribes, cfg, rng = s.people, s.tribes, s.cfg, s.rng
    n = p.n
    active = np.flatnonzero(p.active[:n])
    consider = active[rng.random(len(active)) < cfg.consider_rate]
    if len(consider) == 0:
        return
    given, current_fit, _ = giving_up(s, consider)
    best_tribe = np.full(len(consider), NO_TRIBE, dtype=np.int32)
    best_fit = np.full(len(consider), -np.inf, dtype=np.float32)
    for candidate in (s.communities.tribe_heard_of(rng, p, tribes, consider),
                      tribe_of_a_tie(rng, p, consider)):
        valid = np.flatnonzero((candidate >= 0) & (p.slot_of(consider, candidate) < 0))
        if len(valid) == 0:
            continue
        fit = fit_in(s, rules, consider[valid], candidate[valid])[0]
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
    # founding takes initiative: only those it moves estimate a tribe of their own
    found = (approved & ~switch
             & (rng.random(len(consider)) < cfg.found_rate * p.initiative[consider]))
    tempted = np.flatnonzero(found)
    founder = founder_fit(s, rules, consider[tempted], cfg.cofound_alignment)
    found[tempted] = founder > (np.maximum(current_fit[tempted], best_fit[tempted])
                                + cfg.switch_threshold)
    poorest, poorest_fit, _ = weakest(s, consider)
    leave = (approved & ~switch & ~found & (poorest >= 0)
             & (poorest_fit < cfg.leave_threshold))
    if p.width == 1:
        s.move(consider[switch], best_tribe[switch], "switch")
        s.leave_all(consider[leave], "leave")
    else:
        beside = switch & (given < 0) & (p.tribe[consider] >= 0)
        s.move(consider[switch & ~beside], best_tribe[switch & ~beside], "switch",
               leaving=given[switch & ~beside])
        s.move(consider[beside], best_tribe[beside], "join", leaving=NO_TRIBE)
        s.move(consider[leave], NO_TRIBE, "leave", leaving=poorest[leave])
    moved = switch & (given >= 0)  # from one tribe to another
    s.switched = (given[moved].astype(np.int64), best_tribe[moved].astype(np.int64))
    busy = np.zeros(n, dtype=bool)
    busy[consider[switch | leave]] = True
    found_tribes(s, rules, consider[found], busy)


def tribe_of_a_tie(rng: np.random.Generator, p: People, persons: np.ndarray) -> np.ndarray:
    """The tribe of one random tie of each person (-1 if that slot is empty or unaffiliated;
    a tie in several tribes speaks of their primary one)."""
    slot = rng.integers(0, p.tie_to.shape[1], size=len(persons))
    target = p.tie_to[persons, slot]
    tribe = p.tribe[target]
    heard: np.ndarray = np.where((target >= 0) & (p.tie_w[persons, slot] > 0), tribe, NO_TRIBE)
    return heard


def like_minded(s: State, founders: np.ndarray, threshold: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """(founder position, person) pairs: ties of each founder whose passions align with the
    founder's at least `threshold` and better than with the tribe they would give up (none if
    they have room for another tribe)."""
    p = s.people
    targets = p.tie_to[founders]
    slots = np.flatnonzero(((targets >= 0) & (p.tie_w[founders] > 0)).ravel())
    owner, peer = slots // targets.shape[1], targets.ravel()[slots]
    fit = row_dot(p.passion[founders[owner]], p.passion[peer])
    keep = (fit >= threshold) & (fit > giving_up(s, peer)[2]) & p.active[peer]
    return owner[keep], peer[keep]


def found_tribes(s: State, rules: Rules, founders: np.ndarray, busy: np.ndarray) -> None:
    """Each founder starts a tribe around their passion with like-minded ties who are free to
    move (a person claimed by several founders follows the first); the purpose is
    norm(p_founder + sum of the co-founders' passions), and the founder leads it as the
    leadership policy allows. Founders and co-founders give up what `giving_up` says."""
    if len(founders) == 0:
        return
    p = s.people
    owner, peer = like_minded(s, founders, s.cfg.cofound_alignment)
    taken = busy.copy()
    taken[founders] = True
    free = ~taken[peer]
    owner, peer = owner[free], peer[free]
    peer, first = np.unique(peer, return_index=True)
    owner = owner[first]
    shared = group_sum(owner, p.passion[peer], len(founders)) + p.passion[founders]
    ids = s.create_tribes(shared, Origin.FOUNDED, overhead=rules.leadership.overhead())
    if p.width == 1:
        s.move(founders, ids, "found")
        s.move(peer, ids[owner], "cofound")
    else:
        s.move(founders, ids, "found", leaving=giving_up(s, founders)[0])
        s.move(peer, ids[owner], "cofound", leaving=giving_up(s, peer)[0])
    s.events.add(s.clock, "founded", founders, ids, -1, "bottom-up")
    rules.leadership.lead_new_tribes(s, ids, founders, "founder")


def assign_by_skill(s: State, rules: Rules, persons: np.ndarray) -> None:
    """Place each person in the best skill match among `pull_candidates` random living teams
    with room below `max_tribe_size`; a team fills up in order of the persons' rows. Whoever
    finds no room after three rounds of draws goes to new teams management forms."""
    p, tribes, cfg, rng = s.people, s.tribes, s.cfg, s.rng
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
        s.move(persons[placed], chosen[placed], "assigned")
        persons = persons[~placed]
    if len(persons):
        create_teams(s, rules, persons)


def create_teams(s: State, rules: Rules, persons: np.ndarray,
                 groups: np.ndarray | None = None) -> np.ndarray:
    """Management forms teams of `team_size` from `persons` within each group (formal unit),
    sorted by main skill, each with a mandate drawn from the market; the most skilled member
    leads, as the leadership policy allows. Return the new team ids.

    A mandate is norm(h + e_theta) with theta drawn with the market's shares and
    h_k ~ Gamma(0.3, 0.3); a team's skill demand is its members' summed skills, normalized.
    """
    cfg, rng, p, tribes = s.cfg, s.rng, s.people, s.tribes
    groups = np.zeros(len(persons), np.int64) if groups is None else np.asarray(groups)
    main_skill = p.skill[persons].argmax(axis=1)
    rank = rank_within(groups, main_skill)
    local = rank // cfg.team_size
    per_group = np.zeros(int(groups.max()) + 1, dtype=np.int64)
    np.maximum.at(per_group, groups, local + 1)
    offset = np.concatenate([[0], np.cumsum(per_group)[:-1]])
    team = offset[groups] + local
    n_teams = int(per_group.sum())
    theme = rng.choice(cfg.themes, size=n_teams, p=s.market.shares)
    mandate = rng.gamma(0.3, 0.3, size=(n_teams, cfg.themes))
    mandate[np.arange(n_teams), theme] += 1.0
    ids = s.create_tribes(mandate, Origin.INITIAL, overhead=rules.leadership.overhead())
    skills = group_sum(team, p.skill[persons], n_teams)
    tribes.demand[ids] = skills / skills.sum(axis=1, keepdims=True)
    s.move(persons, ids[team], "assigned")
    leaders = tribes.member_argmax(p, p.top_skill[: p.n])[ids]
    s.events.add(s.clock, "founded", leaders, ids, -1, "management")
    rules.leadership.lead_new_tribes(s, ids, leaders, "management")
    return ids


def decide(s: State, rules: Rules) -> None:
    """The membership policy: voluntary moves, then placement of the unaffiliated."""
    s.switched = (EMPTY, EMPTY)
    rules.membership.decide(s, rules)
    p = s.people
    rules.membership.place(s, rules, np.flatnonzero(p.active[: p.n] & (p.tribe[: p.n] < 0)))


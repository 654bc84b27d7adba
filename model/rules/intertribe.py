"""Conflict between tribes: what two tribes contest, and how the rule resolves it.

Tribes contest three things:
- an item: two tribes' free slots claim the same backlog item at intake (pull);
- a person: a member switches from one tribe to another (decide.membership);
- a purpose: each living tribe meets one other at random each step, and their purposes overlap
  when pi_a . pi_b >= `overlap_threshold` (and they are not in the same constellation).

A contest becomes a conflict with probability `rivalry` (0: tribes never dispute, and nothing
below happens). The intertribe policy resolves it:

| policy      | contested item goes to       | overlapping purposes       | effort | ties |
|-------------|------------------------------|----------------------------|--------|------|
| market      | the better fit (pull score)  | stay: the market decides   | 0      | 1    |
| escalation  | the better skill match       | the smaller tribe yields   | 1      | 0    |
| negotiation | the better fit               | both yield half            | 1      | 0    |
| separation  | the closer purpose           | both yield: themes divided | 0      | 1    |

(Escalation's skill match is what a superior sees; separation's closer purpose is the
tribe's territory.)

A person's move stands under every policy (whether people may move is the membership policy's
question); the conflict over it costs as the policy says. Overlapping tribes divide the themes
they share: on each theme where the other tribe's purpose weighs more, a tribe that yields a
share lambda keeps 1 - lambda of its weight there, pi_a <- norm(pi_a (1 - lambda [pi_b >
pi_a])), asked of the purpose policy (a fixed mandate refuses): separation divides them
(lambda = 1 for both: each theme stays with the tribe that cares more), negotiation meets
half-way (lambda = 1/2 for both), and under escalation the smaller tribe yields (lambda = 1),
the larger keeps its purpose. Each conflict costs each of its two tribes `intertribe_effort`
times the policy's effort factor as governance overhead in the next work (act.work; the tribe's
effort falls by min(overhead, 1)), and weakens every tie between the two tribes' members by the
share `intertribe_ties` times the policy's ties factor. The policies follow the conflict-handling
modes of Thomas (1976) (competing, collaborating, avoiding) and Galbraith's (1974) referral of
exceptions up the hierarchy; competition between groups strains the relations between their
members (Sherif et al. 1961), while negotiation and referral spend time instead (De Dreu and
Weingart 2003 on the costs of conflict).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from agents.person import NO_TRIBE
from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics.groups import group_argmax
from numerics.rows import normalize_rows, row_dot

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class IntertribeParams(Params):
    """When tribes come into conflict with each other, and what it costs."""

    group = "intertribe"

    intertribe: str = policy("intertribe", "market", "how a conflict between two tribes is "
                             "resolved")
    rivalry: float = param(0.0, "chance that a contest between two tribes (an item both claim, "
                           "a member moving, overlapping purposes) becomes a conflict", 0, 1)
    overlap_threshold: float = param(0.9, "purpose similarity at which two tribes' purposes "
                                     "overlap", 0, 1)
    intertribe_effort: float = param(0.05, "share of a step's effort each tribe spends on a "
                                     "conflict (times the policy's effort factor)", 0, 1)
    intertribe_ties: float = param(0.1, "share of the tie weight between two tribes' members "
                                   "a conflict destroys (times the policy's ties factor)", 0, 1)


class IntertribePolicy(Policy, ABC):
    """How a conflict between two tribes is resolved (the contract of every intertribe policy).

    Attributes:
        effort_factor, ties_factor: what a conflict costs under the policy, as multiples of
            `intertribe_effort` and `intertribe_ties`.
        pending: (tribe a, tribe b) ids of the conflicts over items at the last intake, whose
            cost falls on the next step.
    """

    kind = "intertribe"
    effort_factor: ClassVar[float] = 0.0
    ties_factor: ClassVar[float] = 0.0

    def attach(self, s: State) -> None:
        """No conflicts are pending at the start."""
        self.pending: tuple[np.ndarray, np.ndarray] = (EMPTY, EMPTY)

    @abstractmethod
    def award(self, s: State, items: np.ndarray, first: np.ndarray, second: np.ndarray
              ) -> np.ndarray:
        """Which of two tribes gets each contested item (rows of the board's items): `first`
        is the better fit by the pull score, `second` the runner-up; return the chosen tribe
        of each."""

    @abstractmethod
    def settle_overlap(self, s: State, rules: Rules, a: np.ndarray, b: np.ndarray) -> None:
        """Resolve conflicts over overlapping purposes between tribes a and b."""


def step_apart(s: State, rules: Rules, a: np.ndarray, b: np.ndarray, share_a: float,
               share_b: float) -> None:
    """Tribes a and b divide the themes they share: on each theme where the other's purpose
    weighs more, a tribe gives up the share `share_a` (for a; `share_b` for b) of its weight,
    pi_a <- norm(pi_a (1 - share_a [pi_b > pi_a])) (a zero result keeps pi_a), each against the
    other's purpose before either moved; the purpose policy is asked to adopt the new purposes
    (a fixed mandate refuses). With both shares 1 the purposes become orthogonal (but for
    themes of equal weight)."""
    tribes = s.tribes
    old_a, old_b = tribes.purpose[a].copy(), tribes.purpose[b].copy()
    for movers, own, other, share in ((a, old_a, old_b, share_a), (b, old_b, old_a, share_b)):
        if share == 0 or len(movers) == 0:
            continue
        kept = np.where(other > own, np.float32(1 - share), np.float32(1))
        moved = normalize_rows((own * kept).astype(np.float32))
        keep = ~moved.any(axis=1)
        moved[keep] = own[keep]
        rules.purpose.adopt(s, movers, moved)


@register("market")
class Market(IntertribePolicy):
    """Competition: the better-fit tribe takes a contested item; overlapping purposes stay and
    the market decides between them; the rivalry strains ties."""

    effort_factor = 0.0
    ties_factor = 1.0

    def award(self, s: State, items: np.ndarray, first: np.ndarray, second: np.ndarray
              ) -> np.ndarray:
        """The better fit."""
        return first

    def settle_overlap(self, s: State, rules: Rules, a: np.ndarray, b: np.ndarray) -> None:
        """Nothing changes."""


@register("escalation")
class Escalation(IntertribePolicy):
    """A common superior (management) decides: a contested item goes to the tribe whose
    skills match it better, and of two overlapping tribes the smaller steps aside; deciding
    takes both tribes' time."""

    effort_factor = 1.0
    ties_factor = 0.0

    def award(self, s: State, items: np.ndarray, first: np.ndarray, second: np.ndarray
              ) -> np.ndarray:
        """The better skill match (needs_j . S_t); the first on a tie."""
        needs = s.board.items.needs[items]
        profile = s.tribes.skill_profile
        better: np.ndarray = np.where(row_dot(needs, profile[second])
                                      > row_dot(needs, profile[first]), second, first)
        return better

    def settle_overlap(self, s: State, rules: Rules, a: np.ndarray, b: np.ndarray) -> None:
        """The smaller tribe yields every theme the larger cares more about (a on a tie)."""
        size = s.tribes.size
        smaller = np.where(size[b] < size[a], b, a)
        larger = np.where(size[b] < size[a], a, b)
        step_apart(s, rules, smaller, larger, 1.0, 0.0)


@register("negotiation")
class Negotiation(IntertribePolicy):
    """The tribes negotiate: a contested item goes to the better fit, and overlapping tribes
    each move half-way apart; negotiating takes both tribes' time."""

    effort_factor = 1.0
    ties_factor = 0.0

    def award(self, s: State, items: np.ndarray, first: np.ndarray, second: np.ndarray
              ) -> np.ndarray:
        """The better fit."""
        return first

    def settle_overlap(self, s: State, rules: Rules, a: np.ndarray, b: np.ndarray) -> None:
        """Both yield half their weight on the themes the other cares more about."""
        step_apart(s, rules, a, b, 0.5, 0.5)


@register("separation")
class Separation(IntertribePolicy):
    """The tribes separate: a contested item goes to the tribe whose purpose is closer to it
    (its territory), and overlapping tribes both move fully apart; the rivalry strains ties."""

    effort_factor = 0.0
    ties_factor = 1.0

    def award(self, s: State, items: np.ndarray, first: np.ndarray, second: np.ndarray
              ) -> np.ndarray:
        """The closer purpose (pi_t . purpose_j); the first on a tie."""
        purpose = s.board.items.purpose[items]
        pi = s.tribes.purpose
        closer: np.ndarray = np.where(row_dot(purpose, pi[second]) > row_dot(purpose, pi[first]),
                                      second, first)
        return closer

    def settle_overlap(self, s: State, rules: Rules, a: np.ndarray, b: np.ndarray) -> None:
        """Both yield the themes the other cares more about: each theme stays with one."""
        step_apart(s, rules, a, b, 1.0, 1.0)


def contest_items(s: State, rules: Rules, claimed: np.ndarray, slots: np.ndarray,
                  score: np.ndarray, winner: np.ndarray) -> np.ndarray:
    """At a pull intake: items claimed by two tribes or more are contested; each contest
    becomes a conflict with probability `rivalry`, which the policy resolves between the two
    best-scoring tribes. `claimed`, `slots` and `score` are the claims (item row, tribe, pull
    score); `winner` is, per item row, the winning claim (-1: unclaimed). Return the winners
    after the conflicts."""
    if s.cfg.rivalry == 0:
        return winner
    n_items = len(winner)
    first_claim = winner[claimed]
    rival = slots != slots[first_claim]
    claims = np.flatnonzero(rival)
    runner = group_argmax(claimed[claims], score[claims], n_items)
    contested = np.flatnonzero(runner >= 0)
    if len(contested) == 0:
        return winner
    disputed = s.rng.random(len(contested)) < s.cfg.rivalry
    contested = contested[disputed]
    second_claim = claims[runner[contested]]
    first, second = slots[winner[contested]], slots[second_claim]
    chosen = rules.intertribe.award(s, contested, first, second)
    changed = chosen == second
    winner = winner.copy()
    winner[contested[changed]] = second_claim[changed]
    s.events.add(s.clock, "intertribe_conflict", -1, first, second, "item")
    a, b = rules.intertribe.pending
    ids = s.tribes.id  # ids: rows may be dropped before the cost is paid
    rules.intertribe.pending = (np.concatenate([a, ids[first]]),
                                np.concatenate([b, ids[second]]))
    return winner


def decide(s: State, rules: Rules) -> None:
    """Conflicts over members who moved this step and over overlapping purposes, then the cost
    of every conflict (those over items at the last intake too)."""
    cfg, tribes, rng = s.cfg, s.tribes, s.rng
    a, b = (tribes.rows(ids) for ids in rules.intertribe.pending)
    rules.intertribe.pending = (EMPTY, EMPTY)
    if cfg.rivalry == 0 and len(a) == 0:
        return
    if cfg.rivalry > 0:
        old, new = s.switched
        moved = rng.random(len(old)) < cfg.rivalry
        old, new = old[moved], new[moved]
        s.events.add(s.clock, "intertribe_conflict", -1, old, new, "member")
        one, two = overlapping(s, rules)
        s.events.add(s.clock, "intertribe_conflict", -1, one, two, "purpose")
        rules.intertribe.settle_overlap(s, rules, *settled_once(one, two, tribes.n))
        a = np.concatenate([a, old, one]).astype(np.int64)
        b = np.concatenate([b, new, two]).astype(np.int64)
    pay(s, rules, a, b)


def overlapping(s: State, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """Each living tribe meets one other at random; pairs whose purposes overlap (and who are
    not in the same constellation) are in conflict with probability `rivalry`."""
    tribes, cfg, rng = s.tribes, s.cfg, s.rng
    living = tribes.living()
    if len(living) < 2:
        return EMPTY, EMPTY
    pick = rng.integers(0, len(living) - 1, size=len(living))
    other = living[pick + (pick >= np.arange(len(living)))]
    overlap = row_dot(tribes.purpose[living], tribes.purpose[other]) >= cfg.overlap_threshold
    overlap &= ~rules.federation.together(s, living, other)
    overlap &= rng.random(len(living)) < cfg.rivalry
    return living[overlap].astype(np.int64), other[overlap].astype(np.int64)


def settled_once(a: np.ndarray, b: np.ndarray, n_tribes: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The pairs whose two tribes are in no other pair: a tribe settles one overlap a step."""
    ends = np.bincount(np.concatenate([a, b]), minlength=n_tribes)
    once = (ends[a] == 1) & (ends[b] == 1)
    return a[once], b[once]


def pay(s: State, rules: Rules, a: np.ndarray, b: np.ndarray) -> None:
    """Each conflict between tribes a and b costs each `intertribe_effort` times the policy's
    effort factor in overhead, and weakens the ties between their members by the share
    `intertribe_ties` times the policy's ties factor."""
    cfg, tribes, p = s.cfg, s.tribes, s.people
    # only tribes that still exist pay (one that ended keeps the state it ended with)
    both = (a >= 0) & (b >= 0)
    a, b = a[both], b[both]
    alive = tribes.alive[a] & tribes.alive[b]
    a, b = a[alive], b[alive]
    if len(a) == 0:
        return
    chosen = rules.intertribe
    effort = cfg.intertribe_effort * chosen.effort_factor
    if effort > 0:
        np.add.at(tribes.overhead, np.concatenate([a, b]), np.float32(effort))
    loss = cfg.intertribe_ties * chosen.ties_factor
    if loss > 0:
        key = np.unique(np.concatenate([a * tribes.n + b, b * tribes.n + a]))
        members = p.members()
        own = p.tribe[members].astype(np.int64)
        involved = members[np.isin(own, np.concatenate([a, b]))]
        targets = p.tie_to[involved]
        target_tribe = np.where(targets >= 0, p.tribe[np.maximum(targets, 0)], NO_TRIBE)
        pair = p.tribe[involved].astype(np.int64)[:, None] * tribes.n + target_tribe
        hit = (target_tribe >= 0) & np.isin(pair, key)
        weights = p.tie_w[involved]
        weights[hit] *= np.float32(1.0 - loss)
        p.tie_w[involved] = weights

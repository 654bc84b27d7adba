"""Opportunism and peer confirmation: how much of a person's work serves themselves, which
peer reviews whose work, what review catches, and how the tribe sanctions what it catches.

Trait. A person's opportunism w_i is the share of their effort that serves themselves rather
than the tribe (claiming credit, shirking, taking the attractive side of the work). It is drawn
at hire: w_i = B_i Y_i, B_i ~ Bernoulli(`opportunist_share`), Y_i ~ Beta(2, 2) (mean 0.5): most
people are not opportunists; those who are differ in how far. Experiments on public goods find
such a minority of free riders among mostly conditional cooperators (Fischbacher, Gaechter and
Fehr 2001; Kurzban and Houser 2005). The share is 0 by default: nobody is an opportunist.

Work (act.work). An opportunist puts e'_i (1 - w_i) into the tribe's items; the rest,
e'_i w_i, serves themselves and shows only in their reputation, which grows by the
contribution their whole effort would have made (credit claimed for work not done).

Review (act.flow), by particular peers (`review_by = "peers"`; by default review is a capacity
of the tribe and nobody in particular reviews). Members take their tribe's items in turn
(`model.rules.work.attribute_work`), and the member who last worked on an item is its author.
Each reviewed item gets a reviewer, a uniformly drawn other member of the tribe; a review costs
the reviewer `review_effort` of their next step's effort (reviewing is work: at most all of
it). The item carries its author's opportunism with probability w_a (shortcuts, a claim for
work not done); the reviewer catches it with probability

    catch = detection (s_r . needs_j + t_ra) / 2

(`detection`; s_r . needs_j the reviewer's skill in what the item needs, t_ra their tie to the
author, both in [0, 1]: a skilled reviewer sees the shortcut, and one who knows the author
knows how they work). A caught item is rejected: it is reworked like an item sent back for
carelessness (`rework_effort` of its effort again), its author loses `caught_penalty` of their
reputation, and the sanction policy acts. Every item sent back at peer review is logged
(`rejected`: the author, the tribe, the reviewer; "caught" or "careless").

Sanctions (the sanction policy): `none`; `leader`: the tribe's leader (if it has one, and it is
not the author) sanctions; `peers`: the reviewer sanctions; `exclude`: the tribe excludes the
author (they leave it). A sanction by a leader or a peer deters: the author's opportunism
falls by `sanction_strength` (w <- w (1 - sanction_strength)), and sanctioning costs the
sanctioner `sanction_effort` of their next step's effort (costly punishment sustains
cooperation: Fehr and Gaechter 2000; Ostrom 1990's graduated sanctions by the community's own
members). Every sanction is logged (`sanctioned`: the author, the tribe, the sanctioner (-1 for
an exclusion), the policy).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.person import NOBODY
from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics.groups import group_order, random_members
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

STREAM = 1  # the stream of this concern's draws (`State.stream`)


@dataclass(frozen=True)
class OpportunismParams(Params):
    """Who serves themselves, who reviews whose work, and how the tribe sanctions."""

    group = "opportunism"

    sanction: str = policy("sanction", "none", "what happens to an opportunist peers catch")
    opportunist_share: float = param(0.0, "share of people who are opportunists (their "
                                     "opportunism ~ Beta(2, 2)); 0: nobody", 0, 1)
    review_by: str = param("tribe", "who reviews: the tribe as a capacity (nobody in "
                           "particular), or particular peers who spend effort and can catch "
                           "opportunists", choices=("tribe", "peers"))
    review_effort: float = param(0.05, "share of a reviewer's next step's effort one review "
                                 "takes (review_by = peers)", 0, 1)
    detection: float = param(0.8, "chance that a reviewer with full skill and a full tie to "
                             "the author catches a flawed item", 0, 1)
    caught_penalty: float = param(0.5, "share of their reputation a caught opportunist loses",
                                  0, 1)
    sanction_strength: float = param(0.5, "share of their opportunism a sanction deters", 0, 1)
    sanction_effort: float = param(0.05, "share of the sanctioner's next step's effort a "
                                   "sanction takes", 0, 1)


class Conduct(Table):
    """Per person: how much of their work serves themselves, and what review did about it."""

    opportunism = Column(np.float32, 0.0, doc="share of effort that serves oneself, now")
    opportunism_trait = Column(np.float32, 0.0, doc="the opportunism drawn at hire, kept")
    load = Column(np.float32, 0.0, doc="share of the next step's effort taken by reviewing "
                  "and sanctioning")
    caught = Column(np.int32, 0, doc="times caught at review")
    sanctioned = Column(np.int32, 0, doc="times sanctioned")


class Authorship(Table):
    """Per work item: who worked on it last."""

    author = Column(np.int32, NOBODY, doc="the member who last worked on it (-1: nobody yet)",
                    refers="people")


@dataclass
class ReviewCounts:
    """What peer review and opportunism did this step (read by the metrics)."""

    caught: int = 0
    shirked: float = 0.0  # effort opportunists withheld from their tribes' items
    rework: float = 0.0  # effort to redo the items they were caught on
    reviewing: float = 0.0  # effort reviewers spent (taken from their next step)


class SanctionPolicy(Policy):
    """What happens to an opportunist peers catch (the contract of every sanction policy).

    Attributes:
        conduct: per person, their opportunism and what review did about it.
        authorship: per work item, who worked on it last.
        counts: what review and opportunism did this step.
    """

    kind = "sanction"

    def attach(self, s: State) -> None:
        """Conduct grows with the people (drawn at hire), authorship with the items."""
        self.conduct = Conduct(s.people.allocated)
        s.attach_to_people(self.conduct)
        self.authorship = Authorship(s.board.items.allocated)
        s.attach_to_items(self.authorship)
        self.counts = ReviewCounts()
        conduct = self.conduct

        def draw(s: State, rows: np.ndarray) -> None:
            draw_opportunism(s, conduct, rows)

        s.hire_hooks.append(draw)

    @abstractmethod
    def sanction(self, s: State, authors: np.ndarray, tribes: np.ndarray,
                 reviewers: np.ndarray) -> None:
        """Sanction the caught `authors` in `tribes`, whom `reviewers` caught."""

    def deter(self, s: State, authors: np.ndarray, tribes: np.ndarray,
              sanctioners: np.ndarray) -> None:
        """A sanction by a person: the author's opportunism falls by `sanction_strength`, the
        sanctioner spends `sanction_effort` of their next step; logged."""
        if len(authors) == 0:
            return
        conduct, cfg = self.conduct, self.cfg
        # each sanction deters: an author sanctioned twice in a step keeps (1 - strength)^2
        np.multiply.at(conduct.opportunism, authors, np.float32(1.0 - cfg.sanction_strength))
        np.add.at(conduct.sanctioned, authors, 1)
        np.add.at(conduct.load, sanctioners, np.float32(cfg.sanction_effort))
        s.events.add(s.clock, "sanctioned", authors, tribes, sanctioners, self.name)


@register("none")
class NoSanction(SanctionPolicy):
    """Nothing happens beyond the rejected work and the lost reputation."""

    def sanction(self, s: State, authors: np.ndarray, tribes: np.ndarray,
                 reviewers: np.ndarray) -> None:
        """Nothing."""


@register("leader")
class LeaderSanctions(SanctionPolicy):
    """The tribe's leader sanctions (nothing happens in a tribe without one, or when the
    leader is the author)."""

    params = ("sanction_strength", "sanction_effort")

    def sanction(self, s: State, authors: np.ndarray, tribes: np.ndarray,
                 reviewers: np.ndarray) -> None:
        """The leader deters the author, at a cost to the leader's effort."""
        leader = s.tribes.leader[tribes]
        by = (leader >= 0) & (leader != authors)
        self.deter(s, authors[by], tribes[by], leader[by])


@register("peers")
class PeerSanctions(SanctionPolicy):
    """The peer who caught the opportunist sanctions."""

    params = ("sanction_strength", "sanction_effort")

    def sanction(self, s: State, authors: np.ndarray, tribes: np.ndarray,
                 reviewers: np.ndarray) -> None:
        """The reviewer deters the author, at a cost to the reviewer's effort."""
        self.deter(s, authors, tribes, reviewers)


@register("exclude")
class Exclusion(SanctionPolicy):
    """The tribe excludes the caught opportunist: they leave it."""

    def sanction(self, s: State, authors: np.ndarray, tribes: np.ndarray,
                 reviewers: np.ndarray) -> None:
        """Caught authors leave the tribe they were caught in (once each)."""
        if len(authors) == 0:
            return
        key = authors.astype(np.int64) * (s.tribes.n + 1) + tribes
        _, first = np.unique(key, return_index=True)
        first = np.sort(first)
        authors, tribes = authors[first], tribes[first]
        np.add.at(self.conduct.sanctioned, authors, 1)
        s.events.add(s.clock, "sanctioned", authors, tribes, -1, self.name)
        s.move(authors, -1, "excluded", leaving=tribes)


def draw_opportunism(s: State, conduct: Conduct, rows: np.ndarray) -> None:
    """The opportunism of new hires: B Y, B ~ Bernoulli(opportunist_share), Y ~ Beta(2, 2),
    from this concern's own stream (so that drawing it changes no other draw)."""
    share = s.cfg.opportunist_share
    if share <= 0 or len(rows) == 0:
        return
    rng = s.stream(STREAM)
    level = np.where(rng.random(len(rows)) < share, rng.beta(2.0, 2.0, len(rows)), 0.0)
    conduct.opportunism[rows] = level
    conduct.opportunism_trait[rows] = level


def shirking(s: State, rules: Rules, members: np.ndarray) -> np.ndarray | None:
    """The share of each membership's effort that serves the person (their opportunism; None
    when nobody is an opportunist)."""
    if s.cfg.opportunist_share <= 0:
        return None
    share: np.ndarray = rules.sanction.conduct.opportunism[members]
    return share


def effort_load(s: State, rules: Rules, members: np.ndarray) -> np.ndarray | None:
    """The share of each membership's effort left after last step's reviews and sanctions
    took theirs, 1 - min(load, 1), and the loads cleared (None when nobody carries one)."""
    conduct = rules.sanction.conduct
    load = conduct.load[: s.people.n]
    if not load.any():
        return None
    left: np.ndarray = 1.0 - np.minimum(load[members], np.float32(1.0))
    load[:] = 0.0
    return left


def review(s: State, rules: Rules, reviewed: np.ndarray, sent_back: np.ndarray) -> np.ndarray:
    """Peer review of the `reviewed` items (`sent_back`: those already sent back for
    carelessness): each gets its author and a reviewer; the reviewer may catch a flawed item.
    Caught items are rejected too; their authors lose reputation and are sanctioned. Return
    which items were caught."""
    p, board, cfg = s.people, s.board, s.cfg
    items = board.items
    chosen = rules.sanction
    conduct, authorship = chosen.conduct, chosen.authorship
    rng = s.stream(STREAM)
    caught = np.zeros(len(reviewed), dtype=bool)
    if len(reviewed) == 0 or not p.count_memberships().any():
        return caught
    tribe = items.tribe[reviewed]
    flat, members, member_tribe = p.pairs()
    group = tribe.astype(np.int64) + 1
    order, start, count = group_order(member_tribe + 1, s.tribes.n + 1)
    # the author: who last worked on the item, if still a member; else a member drawn
    author = authorship.author[reviewed].astype(np.int64)
    slot = p.slot_of(np.maximum(author, 0), tribe)
    known = (author >= 0) & (slot >= 0)
    drawn = random_members(rng, order, start, count, group)
    at_pair = np.where(known, np.searchsorted(flat, np.maximum(author, 0) * p.width
                                              + np.maximum(slot, 0)), drawn)
    author = np.where(at_pair >= 0, members[np.maximum(at_pair, 0)], -1)
    # the reviewer: another member, drawn uniformly (none in a tribe of one)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    size = count[group]
    pick = start[group] + (rng.random(len(reviewed)) * np.maximum(size - 1, 0)).astype(np.int64)
    own = position[np.maximum(at_pair, 0)] if len(order) else pick
    pick = pick + (pick >= own)  # skip the author
    ok = (size >= 2) & (author >= 0)
    reviewer = np.where(ok, members[order[np.minimum(pick, max(len(order) - 1, 0))]]
                        if len(order) else -1, -1)
    has = reviewer >= 0
    np.add.at(conduct.load, reviewer[has], np.float32(cfg.review_effort))
    chosen.counts.reviewing += float(has.sum()) * cfg.review_effort
    # a flawed item, and whether the reviewer sees it
    flaw = rng.random(len(reviewed)) < np.where(author >= 0, conduct.opportunism[
        np.maximum(author, 0)], 0.0)
    chance = catch_chance(s, np.maximum(reviewer, 0), np.maximum(author, 0), reviewed)
    caught = has & flaw & (rng.random(len(reviewed)) < chance)
    log = (sent_back | caught) & (author >= 0)
    for why, which in (("caught", caught), ("careless", log & ~caught)):
        s.events.add(s.clock, "rejected", author[which], tribe[which], reviewer[which], why)
    if s.activity is not None:
        result = np.where(caught, "caught", np.where(sent_back, "careless", "accepted"))
        part = reviewed
        for act, who, whom, which in (("reviewed", reviewer, author, has & (author >= 0)),
                                      ("was_reviewed", author, reviewer, author >= 0)):
            s.activity.add(s.clock, act, who[which], tribe[which], items.item[part[which]],
                           items.part[part[which]], whom[which], -1, result[which])
    if caught.any():
        authors, tribes_caught = author[caught], tribe[caught]
        chosen.counts.caught += int(caught.sum())
        chosen.counts.rework += float((cfg.rework_effort * items.effort[reviewed[caught]]).sum())
        np.add.at(conduct.caught, authors, 1)
        penalty = np.ones(p.n, dtype=np.float32)
        np.multiply.at(penalty, authors, np.float32(1.0 - cfg.caught_penalty))
        hit = np.unique(authors)
        p.reputation[hit] *= penalty[hit]
        chosen.sanction(s, authors, tribes_caught, reviewer[caught])
    return caught


def catch_chance(s: State, reviewers: np.ndarray, authors: np.ndarray, items_reviewed: np.ndarray
                 ) -> np.ndarray:
    """The chance that each reviewer catches a flawed item by the matching author:
    detection (s_r . needs_j + t_ra) / 2, with the reviewer's tie to the author t_ra (0 if
    none)."""
    p, items = s.people, s.board.items
    skill = np.einsum("ij,ij->i", p.skill[reviewers].astype(np.float64),
                      items.needs[items_reviewed].astype(np.float64))
    tied = p.tie_to[reviewers] == authors[:, None]
    tie = np.where(tied, p.tie_w[reviewers], 0.0).max(axis=1, initial=0.0)
    chance: np.ndarray = s.cfg.detection * (np.minimum(skill, 1.0) + tie) / 2
    return chance

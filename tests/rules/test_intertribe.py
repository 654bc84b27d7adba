"""Conflict between tribes and its resolution (model/rules/intertribe.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.kanban import READY
from model.rules.intertribe import pay, step_apart
from tests.helpers import make, members_of, new_tribes, reconfigure, run_phase, unit

POLICIES = ("market", "escalation", "negotiation", "separation")


def contest(policy, fit_first, seed=1):
    """Two tribes A and B (of 4 people each, nobody else in a tribe) both want one backlog
    item. `fit_first` gives (alignment, skill match) of A and of B with the item. Return which
    tribe took it (0: A, 1: B) and the model."""
    # one free ready slot each, so that both slots look at the item
    m = make(people=8, intertribe=policy, rivalry=1.0, arrival_rate=0.0, seed=seed,
             wip_ready=1)
    themes, domains = m.cfg.themes, m.cfg.domains
    m.state.leave_all(np.arange(m.people.n), "test")
    (align_a, skill_a), (align_b, skill_b) = fit_first
    # purposes with the given alignment to the item's purpose (theme 0)
    a, b = new_tribes(m, [unit(themes, (0, align_a), (1, np.sqrt(1 - align_a**2))),
                          unit(themes, (0, align_b), (2, np.sqrt(1 - align_b**2)))])
    m.state.move(np.arange(8), np.repeat([a, b], 4).astype(np.int32), "test")
    needs = np.zeros(domains, dtype=np.float32)
    needs[0] = 1.0
    m.tribes.skill_profile[a] = 0.0
    m.tribes.skill_profile[a, 0] = skill_a
    m.tribes.skill_profile[b] = 0.0
    m.tribes.skill_profile[b, 0] = skill_b
    m.board.add(unit(themes, (0, 1.0))[None, :], needs[None, :], np.array([5.0]),
                np.array([1.0]), 0)
    m.rules.work.intake(m.state, m.rules)
    taken = m.board.items.tribe[m.board.in_stage(READY)]
    assert len(taken) == 1
    return [a, b].index(int(taken[0])), m


@pytest.mark.parametrize("policy", POLICIES)
def test_the_policies_resolve_a_contested_item_differently(policy):
    # A fits better overall (1.0 + 0.5 > 0.6 + 0.8) and by purpose; B's skills match better
    skilled_b = ((1.0, 0.5), (0.6, 0.8))
    # A fits better overall (0.6 + 0.95 > 1.0 + 0.5) and by skills; B's purpose is closer
    close_b = ((0.6, 0.95), (1.0, 0.5))
    expected = {"market": (0, 0), "negotiation": (0, 0), "escalation": (1, 0),
                "separation": (0, 1)}[policy]
    got = (contest(policy, skilled_b)[0], contest(policy, close_b)[0])
    assert got == expected
    # every contest that became a conflict is logged, between the two tribes
    _, m = contest(policy, skilled_b)
    events = m.event_log()
    conflicts = events[events["event"] == "intertribe_conflict"]
    assert len(conflicts) == 1 and conflicts["detail"].iloc[0] == "item"


def test_without_rivalry_a_contest_is_no_conflict():
    m = make(people=200, rivalry=0.0, arrival_rate=0.2)
    m.run(30)
    assert m.metrics["intertribe_conflicts"] == 0
    assert (m.event_log()["event"] == "intertribe_conflict").sum() == 0


@pytest.mark.parametrize("policy", POLICIES)
def test_a_conflict_costs_effort_and_ties_as_the_policy_says(policy):
    m = make(people=80, intertribe=policy, intertribe_effort=0.1, intertribe_ties=0.5)
    p, tribes = m.people, m.tribes
    a, b, c = tribes.living()[:3]
    # everyone in a is tied to someone in b and someone in c
    for member in members_of(m, a):
        p.tie_to[member, :2] = [members_of(m, b)[0], members_of(m, c)[0]]
        p.tie_w[member, :2] = 0.8
    tribes.overhead[:] = 0.0
    pay(m.state, m.rules, np.array([a]), np.array([b]))
    chosen = m.rules.intertribe
    assert tribes.overhead[a] == tribes.overhead[b] == pytest.approx(0.1 * chosen.effort_factor)
    assert tribes.overhead[c] == 0.0
    members = members_of(m, a)
    assert np.allclose(p.tie_w[members, 0], 0.8 * (1 - 0.5 * chosen.ties_factor))
    assert np.allclose(p.tie_w[members, 1], 0.8)  # ties to a third tribe are untouched
    assert {policy: (chosen.effort_factor, chosen.ties_factor)} == {
        "market": {"market": (0.0, 1.0)}, "escalation": {"escalation": (1.0, 0.0)},
        "negotiation": {"negotiation": (1.0, 0.0)},
        "separation": {"separation": (0.0, 1.0)}}[policy]


def test_the_cost_of_a_conflict_over_an_item_falls_on_the_next_step_of_work():
    _, m = contest("negotiation", ((1.0, 0.5), (0.6, 0.8)))
    a, b = m.tribes.living()[-2:]
    assert len(m.rules.intertribe.pending[0]) == 1
    m.tribes.overhead[:] = 0.0
    run_phase(m, "decide.intertribe")
    assert m.tribes.overhead[a] == m.tribes.overhead[b] == pytest.approx(
        m.cfg.intertribe_effort)
    assert len(m.rules.intertribe.pending[0]) == 0


@pytest.mark.parametrize("policy", POLICIES)
def test_overlapping_purposes_are_settled_as_the_policy_says(policy):
    m = make(people=80, intertribe=policy, purpose="co_created")
    themes = m.cfg.themes
    a, b = m.tribes.living()[:2]
    m.tribes.size[a], m.tribes.size[b] = 8, 4  # b is the smaller
    # a cares more about theme 0, b about theme 2; both care about theme 0
    m.tribes.purpose[a] = unit(themes, (0, 2.0), (1, 1.0))
    m.tribes.purpose[b] = unit(themes, (0, 1.0), (2, 1.0), (1, 2.0))
    old_a, old_b = m.tribes.purpose[a].copy(), m.tribes.purpose[b].copy()
    before = float(old_a @ old_b)
    m.rules.intertribe.settle_overlap(m.state, m.rules, np.array([a]), np.array([b]))
    new_a, new_b = m.tribes.purpose[a], m.tribes.purpose[b]
    overlap = float(new_a @ new_b)
    if policy == "market":  # nothing changes
        assert overlap == pytest.approx(before)
    elif policy == "escalation":  # the smaller tribe (b) yields; the larger stays
        assert np.array_equal(new_a, old_a)
        assert new_b[0] == 0.0 and new_b[1] > 0 and new_b[2] > 0
    elif policy == "negotiation":  # both yield half where the other cares more
        assert 0.0 < overlap < before
        assert new_a[1] < old_a[1] and new_b[0] < old_b[0]
    else:  # separation: each theme stays with the tribe that cares more: orthogonal
        assert overlap == pytest.approx(0.0, abs=1e-7)
        assert new_a[0] > 0 and new_b[1] > 0
    # a fixed mandate refuses to move
    fixed = make(people=80, intertribe="separation", purpose="fixed")
    fa, fb = fixed.tribes.living()[:2]
    before = fixed.tribes.purpose[[fa, fb]].copy()
    step_apart(fixed.state, fixed.rules, np.array([fa]), np.array([fb]), 1.0, 1.0)
    assert np.array_equal(fixed.tribes.purpose[[fa, fb]], before)


def test_a_member_who_moves_between_tribes_can_start_a_conflict():
    m = make(people=80, rivalry=1.0, intertribe="escalation")
    a, b = m.tribes.living()[:2]
    mover = members_of(m, a)[0]
    m.state.move(np.array([mover]), b, "switch")
    m.state.switched = (np.array([a]), np.array([b]))
    reconfigure(m, overlap_threshold=1.0)  # no overlap: only the move
    m.tribes.purpose[: m.tribes.n] = np.eye(m.cfg.themes, dtype=np.float32)[
        np.arange(m.tribes.n) % m.cfg.themes]
    run_phase(m, "decide.intertribe")
    events = m.event_log()
    conflicts = events[events["event"] == "intertribe_conflict"]
    member = conflicts[conflicts["detail"] == "member"]
    assert len(member) == 1
    assert (member["tribe"].iloc[0], member["other"].iloc[0]) == (m.tribes.id[a], m.tribes.id[b])
    assert m.people.tribe[mover] == b  # the move stands


def test_rivalry_shows_in_the_step_table():
    m = make(people=200, rivalry=0.5, arrival_rate=0.1, intertribe="negotiation")
    table = m.run(40)
    events = m.event_log()
    counted = events[(events["event"] == "intertribe_conflict") & (events["step"] >= 1)]
    assert table["intertribe_conflicts"].iloc[1:].sum() == len(counted) > 0

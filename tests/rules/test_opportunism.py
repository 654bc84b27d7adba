"""Opportunists and peer confirmation (model/rules/opportunism.py, review in work.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.kanban import REVIEW
from model.rules import opportunism
from tests.helpers import add_items, make, members_of, new_tribes, observe, run_phase


def test_opportunism_is_drawn_at_hire_from_its_own_stream_with_the_documented_distribution():
    m = make(people=4000, opportunist_share=0.3)
    level = m.rules.sanction.conduct.opportunism[: m.people.n]
    opportunists = level > 0
    assert opportunists.mean() == pytest.approx(0.3, abs=0.03)
    assert level[opportunists].mean() == pytest.approx(0.5, abs=0.03)  # Beta(2, 2)
    assert level[opportunists].var() == pytest.approx(0.05, abs=0.01)  # ab/((a+b)^2(a+b+1))
    # the model's own stream is untouched: the people drawn are the same as without
    plain = make(people=4000)
    assert np.array_equal(plain.people.passion[: plain.people.n], m.people.passion[: m.people.n])
    assert not make(people=500).rules.sanction.conduct.opportunism[:500].any()


def pair(m, author_skill: float, tie: float):
    """A new tribe of two (an author, a reviewer) with an opportunist author; return them."""
    tribe = int(new_tribes(m, [np.eye(m.cfg.themes, dtype=np.float32)[0]])[0])
    author, reviewer = (int(x) for x in members_of(m, 0)[:2])
    m.state.move(np.array([author, reviewer]), tribe, "test")
    p = m.people
    p.skill[reviewer] = author_skill
    p.tie_to[reviewer] = -1
    p.tie_w[reviewer] = 0.0
    if tie > 0:
        p.tie_to[reviewer, 0] = author
        p.tie_w[reviewer, 0] = tie
    m.rules.sanction.conduct.opportunism[author] = 1.0  # every item of theirs is flawed
    observe(m)
    return tribe, author, reviewer


@pytest.mark.parametrize(("skill", "tie"), [(0.1, 0.0), (0.9, 0.0), (0.1, 0.9), (0.9, 0.9)])
def test_a_reviewer_catches_more_often_the_more_skilled_and_tied_they_are(skill, tie):
    m = make(people=40, review_by="peers", detection=0.8)
    tribe, author, reviewer = pair(m, skill, tie)
    rows = add_items(m, tribe, REVIEW, np.zeros(4000), remaining=0.0)
    m.rules.sanction.authorship.author[rows] = author
    caught = opportunism.review(m.state, m.rules, rows, np.zeros(len(rows), dtype=bool))
    # skill . needs: uniform needs over the domains, every skill at `skill`
    expected = 0.8 * (skill + tie) / 2
    assert caught.mean() == pytest.approx(expected, abs=0.025)
    events = m.event_log().query("event == 'rejected' and detail == 'caught'")
    assert len(events) == caught.sum()
    assert (events["person"] == author).all() and (events["other"] == reviewer).all()
    # each review took the reviewer's effort for the next step
    assert m.rules.sanction.conduct.load[reviewer] == pytest.approx(0.05 * len(rows), rel=1e-4)


def caught_share(untie: bool = False, unskill: bool = False) -> float:
    """The share of flawed items caught when everyone is an opportunist and every tribe
    reviews many items, in an organization that has worked for a while (its ties and skills
    as they grew), optionally with every tie or half of every skill taken away."""
    m = make(people=300, review_by="peers")
    m.run(20)
    observe(m)
    p = m.people
    m.rules.sanction.conduct.opportunism[: p.n] = 1.0
    if untie:
        p.tie_w[: p.n] = 0.0
    if unskill:
        p.skill[: p.n] *= 0.5
    rows = np.concatenate([add_items(m, int(t), REVIEW, np.zeros(300), remaining=0.0)
                           for t in m.tribes.living() if m.tribes.size[t] >= 2])
    caught = opportunism.review(m.state, m.rules, rows, np.zeros(len(rows), dtype=bool))
    return float(caught.mean())


def test_in_an_organization_peers_catch_more_when_more_tied_and_more_skilled():
    both = caught_share()
    assert both > 1.15 * caught_share(untie=True)
    assert both > 1.3 * caught_share(unskill=True)


@pytest.mark.parametrize("rule", ["none", "leader", "peers", "exclude"])
def test_caught_opportunists_fare_as_the_sanction_rule_says(rule):
    m = make(people=60, review_by="peers", sanction=rule, sanction_strength=0.5,
             caught_penalty=0.5, leadership="appointed")
    tribe, author, reviewer = pair(m, 1.0, 1.0)
    leader = int(m.tribes.leader[tribe]) if m.tribes.leader[tribe] >= 0 else None
    if leader is None or leader == author:  # a leader who is not the author
        m.tribes.leader[tribe] = reviewer
        leader = reviewer
    m.people.reputation[author] = 2.0
    rows = add_items(m, tribe, REVIEW, np.zeros(40), remaining=0.0)
    m.rules.sanction.authorship.author[rows] = author
    conduct = m.rules.sanction.conduct
    caught = opportunism.review(m.state, m.rules, rows[:1], np.zeros(1, dtype=bool))
    while not caught.any():  # until this reviewer (detection 0.8 at full skill and tie) catches
        caught = opportunism.review(m.state, m.rules, rows[:1], np.zeros(1, dtype=bool))
    assert m.people.reputation[author] < 2.0  # caught: reputation lost under every rule
    sanctioned = m.event_log().query("event == 'sanctioned'")
    if rule == "none":
        assert sanctioned.empty
        assert conduct.opportunism[author] == 1.0 and m.people.tribe[author] == tribe
    elif rule in ("leader", "peers"):
        assert conduct.opportunism[author] == pytest.approx(0.5)
        sanctioner = leader if rule == "leader" else reviewer
        assert sanctioned["other"].tolist() == [sanctioner]
        assert m.people.tribe[author] == tribe
    else:
        assert conduct.opportunism[author] == 1.0
        assert m.people.slot_of(np.array([author]), np.array([tribe]))[0] == -1
        left = m.event_log().query("event == 'left' and detail == 'excluded'")
        assert left["person"].tolist() == [author]
        assert sanctioned["person"].tolist() == [author]


def test_without_a_leader_the_leader_rule_does_not_sanction():
    m = make(people=40, review_by="peers", sanction="leader", leadership="distributed")
    tribe, author, _ = pair(m, 1.0, 1.0)
    m.tribes.leader[tribe] = -1
    rows = add_items(m, tribe, REVIEW, np.zeros(200), remaining=0.0)
    m.rules.sanction.authorship.author[rows] = author
    caught = opportunism.review(m.state, m.rules, rows, np.zeros(len(rows), dtype=bool))
    assert caught.any()
    assert m.event_log().query("event == 'sanctioned'").empty
    assert m.rules.sanction.conduct.opportunism[author] == 1.0


def test_opportunists_keep_effort_back_and_claim_its_credit():
    m = make(people=80, opportunist_share=0.0)
    observe(m)
    p = m.people
    member = int(members_of(m, 0)[0])
    add_items(m, 0, 2, np.zeros(3), remaining=50.0)  # work in doing for tribe 0
    before = p.reputation[member]
    run_phase(m, "act.work")
    honest = float(p.contribution[member])
    gain_honest = p.reputation[member] - before * (1 - m.cfg.reputation_decay)
    assert honest > 0 and gain_honest == pytest.approx(honest, rel=1e-4)

    m = make(people=80, opportunist_share=1e-9)  # turn the mechanism on, nobody drawn
    observe(m)
    p = m.people
    m.rules.sanction.conduct.opportunism[member] = 0.6
    add_items(m, 0, 2, np.zeros(3), remaining=50.0)
    before = p.reputation[member]
    run_phase(m, "act.work")
    kept_back = float(p.contribution[member])
    gain = p.reputation[member] - before * (1 - m.cfg.reputation_decay)
    assert kept_back < 0.5 * honest  # 40% of the effort went to the tribe
    assert gain > 2 * kept_back  # the credit claimed for the rest
    assert m.rules.sanction.counts.shirked > 0


def test_the_step_table_counts_what_review_caught_and_cost():
    m = make(people=150, opportunist_share=0.4, review_by="peers", sanction="peers",
             arrival_rate=0.1)
    table = m.run(50)
    events = m.event_log()
    caught = events.query("event == 'rejected' and detail == 'caught' and step > 0")
    per_step = caught.groupby("step").size()
    assert table["opportunists_caught"].sum() == len(caught) > 0
    assert (table.set_index("step")["opportunists_caught"].reindex(per_step.index)
            == per_step).all()
    assert (table["opportunism_cost"] > 0).all() or table["opportunism_cost"].iloc[1:].gt(0).all()
    assert table["review_effort"].iloc[1:].sum() == pytest.approx(
        0.05 * table["reviewed"].iloc[1:].sum(), rel=0.05)  # tribes of one are not reviewed
    # rejected items are reworked: every rejection is a reworked item
    rejected = events.query("event == 'rejected' and step > 0")
    assert len(rejected) == table["reworked"].iloc[1:].sum()


def test_review_by_the_tribe_names_no_reviewer_and_catches_nobody():
    m = make(people=150, opportunist_share=0.4, arrival_rate=0.1)
    table = m.run(30)
    assert table["opportunists_caught"].sum() == 0
    assert table["review_effort"].sum() == 0
    assert m.event_log().query("event == 'rejected'").empty
    assert table["opportunism_cost"].iloc[1:].gt(0).all()  # they still keep effort back


def test_every_sanction_deters_even_two_of_one_author_in_a_step():
    """An author sanctioned twice in one step keeps (1 - sanction_strength)^2 of their
    opportunism, is counted twice, and costs both sanctioners effort (ODD 3.14.1)."""
    m = make(people=40, review_by="peers", sanction="peers", sanction_strength=0.5,
             sanction_effort=0.1)
    tribe, author, reviewer = pair(m, 1.0, 1.0)
    conduct = m.rules.sanction.conduct
    before = float(conduct.opportunism[author])
    m.rules.sanction.deter(m.state, np.array([author, author]), np.array([tribe, tribe]),
                           np.array([reviewer, reviewer]))
    assert conduct.opportunism[author] == pytest.approx(before * 0.25)
    assert conduct.sanctioned[author] == 2
    assert conduct.load[reviewer] == pytest.approx(0.2)

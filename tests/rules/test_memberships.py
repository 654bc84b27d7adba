"""Several tribes at once (`max_memberships`; model/state.py, model/rules/membership.py,
work.py, fit.py, leadership.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules.work import member_effort
from tests.helpers import make, members_of, observe, reconfigure, run_phase, unit


def two_tribes(**overrides: object):
    """A model whose people may belong to three tribes, observed once."""
    overrides.setdefault("max_memberships", 3)
    m = make(**overrides)
    observe(m)
    return m


def test_a_move_beside_keeps_the_other_memberships_and_slots_stay_filled_first():
    m = two_tribes()
    s, p = m.state, m.people
    person = int(members_of(m, 0)[0])
    s.move(np.array([person]), 1, "join", leaving=-1)
    s.move(np.array([person]), 2, "join", leaving=-1)
    assert p.memberships[person].tolist() == [0, 1, 2]
    assert m.tribes.size[1] == len(members_of(m, 1)) + 1  # members_of reads the primary tribe
    # leaving the primary tribe moves the others up, with what was observed about them
    p.alignment_m[person] = [0.1, 0.2, 0.3]
    s.move(np.array([person]), -1, "leave", leaving=0)
    assert p.memberships[person].tolist() == [1, 2, -1]
    assert p.tribe[person] == 1
    assert p.alignment_m[person].tolist() == pytest.approx([0.2, 0.3, 0.0])
    # moving into a tribe one already belongs to only leaves the other
    s.move(np.array([person]), 2, "switch", leaving=1)
    assert p.memberships[person].tolist() == [2, -1, -1]
    log = m.event_log()
    mine = log[log["person"] == person]
    assert mine["event"].tolist()[-2:] == ["left", "left"]  # left 0, then left 1 for 2
    assert (mine.query("event == 'joined'")["detail"] == "join").sum() == 2
    # with no free slot, a join beside is skipped
    s.move(np.array([person]), 1, "join", leaving=-1)
    s.move(np.array([person]), 3, "join", leaving=-1)
    s.move(np.array([person]), 4, "join", leaving=-1)
    assert sorted(p.memberships[person].tolist()) == [1, 2, 3]


def test_leave_all_empties_every_slot_and_keeps_sizes():
    m = two_tribes()
    s, p = m.state, m.people
    persons = members_of(m, 0)[:3]
    s.move(persons, 1, "join", leaving=-1)
    s.leave_all(persons, "exit")
    assert (p.memberships[persons] == -1).all()
    block = p.memberships[: p.n]
    assert np.array_equal(m.tribes.size[: m.tribes.n],
                          np.bincount(block[block >= 0], minlength=m.tribes.n))


@pytest.mark.parametrize("width", [1, 3])
def test_people_with_room_join_a_better_tribe_beside_their_own(width):
    m = two_tribes(max_memberships=width, consider_rate=1.0, found_rate=0.0,
                   switch_threshold=0.0, leave_threshold=0.0)
    p = m.people
    before = p.count_memberships().copy()
    run_phase(m, "decide.membership")
    after = p.count_memberships()
    joined = m.event_log().query("event == 'joined'")
    if width == 1:
        assert (after <= 1).all() and (joined["detail"] == "join").sum() == 0
    else:
        assert (after > before).sum() > 5  # people joined beside their tribe
        assert (joined["detail"] == "join").sum() == (after > before).sum()


def test_without_room_a_move_gives_up_the_weakest_membership():
    m = two_tribes(max_memberships=2, consider_rate=1.0, found_rate=0.0, switch_threshold=0.0,
                   leave_threshold=0.0)
    p, s = m.people, m.state
    persons = members_of(m, 0)
    others = np.array([t for t in m.tribes.living() if t != 0])
    s.move(persons, others[: len(persons)] if len(others) >= len(persons)
           else np.resize(others, len(persons)), "join", leaving=-1)
    observe(m)
    full = persons[p.count_memberships(persons) == 2]
    fits = p.fit_m[full].copy()
    held = p.memberships[full].copy()
    run_phase(m, "decide.membership")
    switched = m.event_log().query("event == 'left' and detail == 'switch'")
    assert len(switched) > 0
    for person, tribe in zip(switched["person"], switched["tribe"], strict=True):
        row = int(np.flatnonzero(full == person)[0]) if person in full else None
        if row is None:
            continue
        assert tribe == held[row][np.argmin(fits[row])]  # the weakest went


def test_a_person_in_several_tribes_divides_their_effort():
    m = two_tribes(membership_cost=0.0)
    p, s = m.people, m.state
    person = int(members_of(m, 0)[0])
    flat, members, tribe = p.pairs()
    alone = member_effort(s, flat, members, tribe)[members == person].sum()
    s.move(np.array([person]), 1, "join", leaving=-1)
    flat, members, tribe = p.pairs()
    both = member_effort(s, flat, members, tribe)[members == person]
    assert len(both) == 2
    assert both == pytest.approx([alone / 2, alone / 2], rel=1e-6)
    # switching between tribes costs effort, within switch_loss_max
    reconfigure(m, membership_cost=0.2)
    costly = member_effort(s, flat, members, tribe)[members == person]
    assert costly.sum() == pytest.approx(0.8 * alone, rel=1e-6)
    reconfigure(m, membership_cost=1.0, switch_loss_max=0.75)
    assert member_effort(s, flat, members, tribe)[members == person].sum() == pytest.approx(
        0.25 * alone, rel=1e-6)


def test_effort_split_by_fit_gives_more_to_the_better_fitting_tribe():
    m = two_tribes(effort_split="fit")
    p, s = m.people, m.state
    person = int(members_of(m, 0)[0])
    s.move(np.array([person]), 1, "join", leaving=-1)
    p.fit_m[person, :2] = [0.8, 0.2]
    flat, members, _ = p.pairs()
    shares = p.effort_shares(flat, members, by_fit=True)[members == person]
    assert shares == pytest.approx([0.81 / 1.02, 0.21 / 1.02], rel=1e-6)


def test_fit_and_leadership_are_per_membership():
    m = two_tribes(leadership="appointed")
    p, s, tribes = m.people, m.state, m.tribes
    person = int(members_of(m, 0)[0])
    s.move(np.array([person]), 1, "join", leaving=-1)
    p.passion[person] = unit(m.cfg.themes, (0, 1.0))
    tribes.purpose[0] = unit(m.cfg.themes, (0, 1.0))
    tribes.purpose[1] = unit(m.cfg.themes, (1, 1.0))
    observe(m)
    assert p.alignment_m[person, 0] == pytest.approx(1.0)
    assert p.alignment_m[person, 1] == pytest.approx(0.0, abs=1e-6)
    assert p.fit_m[person, 0] > p.fit_m[person, 1]
    assert p.fit[person] == pytest.approx(p.fit_m[person, :2].mean(), rel=1e-5)
    # as a leader of each tribe, the person's quality is their alignment with that tribe
    p.reputation[person] = 5.0
    rules = m.rules.leadership
    quality = rules.person_quality(s, m.rules, np.array([person, person]), np.array([0, 1]))
    assert quality[0] > 0.5 and quality[1] == pytest.approx(0.0, abs=1e-6)


def test_a_tribe_that_ends_releases_only_that_membership():
    m = two_tribes()
    p, s = m.people, m.state
    persons = members_of(m, 0)[:4]
    s.move(persons, 1, "join", leaving=-1)
    s.end_tribes(np.array([1]), "dissolved")
    assert (p.memberships[persons, 0] == 0).all() and (p.memberships[persons, 1] == -1).all()


def test_several_memberships_over_a_run_raise_memberships_mean_and_keep_the_invariants():
    from tests.test_invariants import check_invariants, current_membership, replayed_membership

    one = make(people=120, consider_rate=0.3).run(60)
    m = make(people=120, consider_rate=0.3, max_memberships=3)
    for _ in range(60):
        m.step()
        check_invariants(m)
    table = m.step_table()
    assert table["memberships_mean"].iloc[-1] > 1.1
    assert one["memberships_mean"].max() <= 1.0
    assert np.array_equal(replayed_membership(m), current_membership(m))

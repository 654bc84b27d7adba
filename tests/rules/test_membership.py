"""Membership and founding (model/rules/membership.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules.fit import founder_fit
from numerics.rows import normalize_rows
from tests.helpers import (
    make,
    observe,
    opposed_tribe,
    reconfigure,
    run_phase,
)


@pytest.mark.parametrize("membership", ["voluntary", "assigned"])
def test_members_leave_an_opposed_purpose_only_when_membership_is_voluntary(membership):
    m = make(membership=membership, purpose="fixed", passion_drift=0.0, conflict="consent",
             exit_base=0.0, quit_rate=0.0, split_division=1.0, conflict_threshold=1.0,
             consider_rate=0.5)
    members = opposed_tribe(m)
    m.run(30)
    stayed = np.mean(m.people.tribe[members] == 0)
    if membership == "voluntary":
        assert stayed < 0.3
    else:
        assert stayed == 1.0


def test_nobody_moves_by_choice_under_assigned_membership():
    m = make("hierarchy", people=120)
    m.run(120)
    events = m.event_log()
    voluntary = events[events["detail"].isin(["switch", "found", "cofound", "leave"])]
    assert voluntary.empty
    assert (events["event"] == "joined").any()  # management still places newcomers


def test_unfit_people_with_initiative_found_tribes_with_like_minded_ties():
    m = make(people=150, found_rate=1.0, switch_threshold=0.0, cofound_alignment=0.0)
    m.people.initiative[: m.people.n] = 1.0
    m.run(3)
    events = m.event_log()
    founded = events[(events["event"] == "founded") & (events["detail"] == "bottom-up")]
    assert len(founded) > 0
    cofounders = events[events["detail"] == "cofound"]
    assert len(cofounders) > 0
    joined = events[(events["event"] == "joined") & (events["detail"] == "found")]
    joined_pairs = set(zip(joined["person"], joined["tribe"], strict=True))
    for founder, tribe in founded[["person", "tribe"]].itertuples(index=False):
        assert m.tribes.origin[tribe] == 1
        assert (founder, tribe) in joined_pairs


def test_members_whose_fit_is_below_leave_threshold_leave_their_tribe():
    def decide(threshold=None):
        # everyone reconsiders; nobody can switch (a gain of 1 is impossible) or found
        m = make(consider_rate=1.0, switch_threshold=1.0, found_rate=0.0)
        observe(m)
        n = m.people.n
        before, fit = m.people.tribe[:n].copy(), m.people.fit[:n].copy()
        if threshold is None:  # halfway between two middle fits: about half are below
            ordered = np.unique(fit)
            threshold = float(ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2
        reconfigure(m, leave_threshold=threshold)
        run_phase(m, "decide.membership")
        return before, fit, threshold, m.people.tribe[:n].copy(), m

    before, fit, threshold, after, m = decide()
    assert (before >= 0).all()
    unfit = fit < threshold
    assert 0.3 < unfit.mean() < 0.7
    assert (after[unfit] == -1).all()  # below the threshold: unaffiliated
    assert np.array_equal(after[~unfit], before[~unfit])  # the others stay
    left = m.event_log().query("event == 'left' and detail == 'leave'")
    assert sorted(left["person"]) == np.flatnonzero(unfit).tolist()
    before, _, _, after, _ = decide(threshold=0.0)
    assert np.array_equal(after, before)  # nobody's fit is below 0


def test_people_hear_of_tribes_only_through_themes_they_care_about():
    themes = 8

    def heard(threshold):
        m = make(people=400, themes=themes, interest_threshold=threshold)
        p, tribes = m.people, m.tribes
        living = tribes.living()
        # the tribes' main themes are 0..3; nobody's purpose leans to themes 4..7
        main = np.arange(len(living)) % 4
        tribes.purpose[living] = 0.1
        tribes.purpose[living, main] = 1.0
        tribes.purpose[living] = normalize_rows(tribes.purpose[living])
        # each person cares about theme k (weight 0.6) above 0.4 and about the others (0.30)
        # below it
        k = np.arange(p.n) % themes
        passion = np.full((p.n, themes), 0.302, dtype=np.float32)
        passion[np.arange(p.n), k] = 0.6
        p.passion[: p.n] = normalize_rows(passion)
        assert (p.passion[np.arange(p.n), k] > 0.59).all()
        assert (np.sort(p.passion[: p.n], axis=1)[:, -2] < 0.31).all()
        tribe = m.communities.tribe_heard_of(m.rng, p, tribes, np.arange(p.n))
        heard_theme = np.where(tribe >= 0, np.argmax(tribes.purpose[np.maximum(tribe, 0)], axis=1),
                               -1)
        return k, tribe, heard_theme

    k, tribe, theme = heard(0.4)
    cared = k < 4
    assert (theme[cared] == k[cared]).all()  # a tribe of the one theme they care about
    assert (tribe[~cared] == -1).all()  # no tribe has their theme: they hear of none
    # at the maximum threshold nobody has an interest: the theme is drawn from all themes in
    # proportion to passion (ODD 3.4), so a person hears of their own theme's tribes with
    # probability 0.6 / (0.6 + 7 * 0.30) = 0.22 and of any tribe with 0.45 when theirs has none
    k, tribe, theme = heard(1.0)
    cared = k < 4
    assert 0.08 < np.mean(theme[cared] == k[cared]) < 0.37
    assert 0.28 < np.mean(tribe[~cared] >= 0) < 0.62


def test_hybrid_approval_limits_moves():
    """Foundings and leavings need management's approval under hybrid membership (switches
    within one's formal unit do not: tests/test_formal_units.py)."""
    def moves(rate):
        m = make(membership="hybrid", approval_rate=rate, people=300, seed=3,
                 leave_threshold=0.45, consider_rate=0.5)  # many want to leave
        m.run(40)
        events = m.event_log()
        return int(events["detail"].isin(["found", "leave"]).sum())

    assert moves(0.0) == 0
    assert moves(1.0) > 2 * moves(0.2) > 0


def switches_and_leaders(m, steps: int):
    """Each voluntary switch over `steps` steps, with the target's leader and the units as they
    were when the person decided."""
    rows = []
    for _ in range(steps):
        leader, unit = m.tribes.leader.copy(), m.people.unit.copy()
        seen = len(m.event_log())
        m.step()
        events = m.event_log().iloc[seen:]
        moves = events[(events["event"] == "joined") & (events["detail"] == "switch")]
        for person, tribe in zip(moves["person"], moves["tribe"], strict=True):
            rows.append(leader[tribe] >= 0 and unit[leader[tribe]] == unit[person])
    return np.array(rows, dtype=bool), m.event_log()


def test_without_approval_people_move_only_within_their_unit():
    m = make("matrix", people=300, approval_rate=0.0, consider_rate=1.0)
    within, events = switches_and_leaders(m, 20)
    assert len(within) > 20 and within.all()
    later = events[events["step"] > 0]
    assert not ((later["event"] == "founded") & (later["detail"] == "bottom-up")).any()
    assert not ((later["event"] == "left") & (later["detail"] == "leave")).any()


def test_with_approval_people_also_move_across_units():
    m = make("matrix", people=300, approval_rate=1.0, consider_rate=1.0)
    within, _ = switches_and_leaders(m, 20)
    assert (~within).sum() > 5  # across units, approved by management


def test_voluntary_membership_ignores_units():
    """Under plain voluntary membership a unit never grants or withholds a move: with the same
    seed, the same switches happen whatever the units are."""
    a = make("purposeful", people=200, seed=5)
    b = make("purposeful", people=200, seed=5)
    b.people.unit[: b.people.n] = np.arange(b.people.n) % 7  # other units
    a.run(15)
    b.run(15)
    assert a.event_log().equals(b.event_log())


def test_founding_is_reachable_at_the_defaults_and_compares_with_current_fit():
    m = make("purposeful", people=300, seed=2)
    m.run(200)
    events = m.event_log()
    bottom_up = events[(events["event"] == "founded") & (events["detail"] == "bottom-up")]
    assert len(bottom_up) > 0
    # nobody founds when founding cannot beat the current fit by the switching margin
    never = make("purposeful", people=300, seed=2, switch_threshold=1.0)
    never.run(200)
    events = never.event_log()
    assert not ((events["event"] == "founded") & (events["detail"] == "bottom-up")).any()


def test_founder_fit_is_the_fit_function_on_a_tribe_of_ones_own():
    m = make(people=60, w_alignment=0.4, w_skill=0.3, w_belonging=0.2, w_leader=0.1)
    observe(m)
    person = np.array([5])
    p = m.people
    skill = p.skill[5].astype(np.float64)
    targets = p.tie_to[5]
    alike = np.array([t >= 0 and float(p.passion[5] @ p.passion[t]) >= 0.8 for t in targets])
    weight = float(p.tie_w[5][alike].sum())
    reputation = float(p.reputation[5])
    expected = (0.4 + 0.3 * (skill @ skill) / skill.sum() + 0.2 * (1 - np.exp(-weight))
                + 0.1 * reputation / (reputation + m.rules.leadership.reputation_ref))
    assert founder_fit(m.state, m.rules, person, 0.8)[0] == pytest.approx(expected, rel=1e-5)

"""Tribes of tribes: constellations (model/rules/federation.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.kanban import BACKLOG, READY
from model.rules.federation import NO_CONSTELLATION
from tests.helpers import make, members_of, observe, reconfigure, run_phase, set_step, unit
from tests.rules.test_handoff import finish, two_part_item


def federating(**overrides):
    """A model whose tribes federate at every chance (80 people: 10 tribes): two tribes with
    the same purpose on theme 0, two on theme 1, and the rest each on a theme of its own."""
    overrides.setdefault("people", 80)
    m = make(federation="voluntary", federate_rate=1.0, consider_rate=0.0, **overrides)
    themes = m.cfg.themes
    living = m.tribes.living()
    for k, t in enumerate(living):
        theme = k // 2 if k < 4 else k - 2
        m.tribes.purpose[t] = unit(themes, (min(theme, themes - 1), 1.0))
    return m


def constellation_of(m, tribes):
    return m.rules.federation.federated.constellation[np.asarray(tribes)]


def test_tribes_with_related_purposes_federate_and_others_do_not():
    m = federating(federate_threshold=0.9)
    living = m.tribes.living()
    for _ in range(200):  # tribes meet at random: enough meetings for each pair to meet
        run_phase(m, "decide.federation")
    c = constellation_of(m, living)
    # the pairs with the same purpose federated, each into its own constellation
    assert c[0] >= 0 and c[0] == c[1]
    assert c[2] >= 0 and c[2] == c[3] and c[2] != c[0]
    cons = m.rules.federation.constellations
    assert cons.size[c[0]] == 2 and cons.alive[c[0]]
    # tribes of unrelated purposes federated with nobody
    assert (c[4:] == NO_CONSTELLATION).all()
    events = m.event_log()
    assert (events["event"] == "constellation_formed").sum() >= 4  # one per founding tribe
    # the shared purpose of two tribes of one purpose is that purpose
    assert np.allclose(cons.purpose[c[0]], m.tribes.purpose[living[0]], atol=1e-6)


def test_the_shared_purpose_is_co_created_from_its_tribes_by_size():
    m = federating(federate_threshold=0.5, refine_rate=1.0, purpose="co_created")
    themes = m.cfg.themes
    a, b = m.tribes.living()[:2]
    m.tribes.purpose[a] = unit(themes, (0, 1.0), (1, 0.3))
    m.tribes.purpose[b] = unit(themes, (0, 1.0), (2, 0.3))
    for _ in range(100):
        run_phase(m, "decide.federation")
        if constellation_of(m, [a])[0] >= 0 and constellation_of(m, [a])[0] == \
                constellation_of(m, [b])[0]:
            break
    c = int(constellation_of(m, [a])[0])
    assert c >= 0 and constellation_of(m, [b])[0] == c
    # with sizes 6 and 2, what the tribes propose weighs a three times as much as b
    m.tribes.size[b] = 2
    m.tribes.size[a] = 6
    run_phase(m, "decide.federation")
    expected = 6 * m.tribes.purpose[a] + 2 * m.tribes.purpose[b]
    expected /= np.linalg.norm(expected)
    assert np.allclose(m.rules.federation.constellations.purpose[c], expected, atol=1e-5)
    # under fixed purposes the shared purpose is a mandate: it stays as formed
    fixed = federating(federate_threshold=0.5, purpose="fixed")
    fa = fixed.tribes.living()[0]
    fixed.tribes.purpose[fa] = unit(themes, (0, 1.0), (1, 0.3))
    for _ in range(100):
        run_phase(fixed, "decide.federation")
    fc = int(constellation_of(fixed, [fa])[0])
    assert fc >= 0
    formed = fixed.rules.federation.constellations.purpose[fc].copy()
    fixed.tribes.size[fa] = 1
    run_phase(fixed, "decide.federation")
    assert np.array_equal(fixed.rules.federation.constellations.purpose[fc], formed)


def test_a_drifting_tribe_leaves_and_a_constellation_of_one_dissolves():
    m = federating(federate_threshold=0.9, secede_threshold=0.6)
    a, b = m.tribes.living()[:2]
    for _ in range(200):
        run_phase(m, "decide.federation")
    c = int(constellation_of(m, [a])[0])
    assert c >= 0
    m.tribes.purpose[a] = unit(m.cfg.themes, (5, 1.0))  # drifts away from the shared purpose
    reconfigure(m, federate_rate=0.0)
    run_phase(m, "decide.federation")
    assert constellation_of(m, [a])[0] == NO_CONSTELLATION
    assert constellation_of(m, [b])[0] == NO_CONSTELLATION  # left alone: dissolved
    cons = m.rules.federation.constellations
    assert not cons.alive[c] and cons.size[c] == 0 and cons.ended[c] == m.steps
    events = m.event_log()
    left = events[events["event"] == "constellation_left"]
    assert set(left["detail"]) >= {"drifted", "dissolved"}
    assert (events["event"] == "constellation_dissolved").sum() == 1


def test_no_constellation_exceeds_its_largest_size():
    m = federating(people=200, federate_threshold=0.0, secede_threshold=0.0,
                   constellation_max=3)
    for _ in range(100):
        run_phase(m, "decide.federation")
    cons = m.rules.federation.constellations
    assert cons.size[: cons.n].max() == 3
    assert (cons.size[cons.living()] >= 2).all()


@pytest.mark.parametrize("leadership", ["emergent", "appointed", "distributed"])
def test_the_constellation_leader_is_chosen_as_the_leadership_policy_says(leadership):
    m = federating(federate_threshold=0.9, leadership=leadership)
    observe(m)
    run_phase(m, "decide.leadership")
    for _ in range(200):
        run_phase(m, "decide.federation")
    a, b = m.tribes.living()[:2]
    c = int(constellation_of(m, [a])[0])
    assert c >= 0
    leader = m.rules.federation.constellations.leader[c]
    p = m.people
    if leadership == "distributed":
        assert leader == -1
        return
    candidates = m.tribes.leader[[a, b]]
    assert leader in candidates
    if leadership == "appointed":
        assert p.top_skill[leader] == p.top_skill[candidates].max()
    else:
        standing = p.reputation[candidates] * (0.5 + 0.5 * p.alignment[candidates])
        assert leader == candidates[np.argmax(standing)]
    # coordination quality is the leader's quality
    led = a if leader == candidates[0] else b
    quality = m.rules.leadership.person_quality(m.state, m.rules, np.array([leader]),
                                                np.array([led]))[0]
    assert m.rules.federation.constellations.quality[c] == pytest.approx(quality)


def test_members_meet_the_members_of_sister_tribes():
    m = federating(federate_threshold=0.9, meet_rate=0.0, meet_tie=0.2)
    observe(m)
    a, b = m.tribes.living()[:2]
    for _ in range(200):
        run_phase(m, "decide.federation")
    assert constellation_of(m, [a])[0] == constellation_of(m, [b])[0] >= 0
    reconfigure(m, meet_rate=1.0)
    p = m.people

    def across():
        members = members_of(m, a)
        return float((p.tie_w[members] * (p.tribe[p.tie_to[members]] == b)).sum())

    def outside(lone):
        members = members_of(m, lone)
        return float((p.tie_w[members] * (p.tribe[p.tie_to[members]] != lone)).sum())

    lone = m.tribes.living()[-1]
    assert constellation_of(m, [lone])[0] == NO_CONSTELLATION
    before, before_lone = across(), outside(lone)
    run_phase(m, "decide.federation")
    # every member of a met a member of b: a new tie of 0.2, or an old one grown toward 1
    members = members_of(m, a)
    assert (p.tribe[p.tie_to[members]] == b).any(axis=1).all()
    assert across() > before + 0.1 * len(members)
    # members of a tribe outside any constellation meet nobody
    assert outside(lone) == before_lone


def handed_off_part(m, upstream):
    first, second = two_part_item(m, effort=(4.0, 4.0))
    finish(m, np.array([first]), tribe=upstream)
    return int(m.board.items.id[second])


def test_a_constellation_routes_its_hand_offs_to_a_sister_tribe_at_once():
    m = federating(federate_threshold=0.9, arrival_rate=0.0)
    observe(m)
    a, b = m.tribes.living()[:2]
    for _ in range(200):
        run_phase(m, "decide.federation")
    assert constellation_of(m, [a])[0] == constellation_of(m, [b])[0] >= 0
    set_step(m, 5)
    inside = handed_off_part(m, a)
    # a part handed off by a tribe outside any constellation waits in the backlog
    lone = m.tribes.living()[-1]
    outside = handed_off_part(m, lone)
    m.rules.federation.route(m.state, m.rules)  # the flow routes before the tribes' intake
    items = m.board.items
    row_in, row_out = items.rows(np.array([inside, outside]))
    assert items.stage[row_in] == READY and items.tribe[row_in] == b
    assert items.stage[row_out] == BACKLOG
    run_phase(m, "act.hand-offs")
    assert m.board.handoffs_inside_step == 1 and m.board.handoff_wait_step == 0


def test_a_constellation_discounts_the_hand_off_cost_by_its_coordination():
    m = federating(federate_threshold=0.9, constellation_discount=0.6, handoff_cost=1.0,
                   arrival_rate=0.0)
    observe(m)
    run_phase(m, "decide.leadership")
    a, b = m.tribes.living()[:2]
    for _ in range(200):
        run_phase(m, "decide.federation")
    c = int(constellation_of(m, [a])[0])
    assert c >= 0
    quality = float(m.rules.federation.constellations.quality[c])
    m.tribes.skill_profile[b] = 0.0  # far in skills: a hand-off costs something
    m.tribes.skill_profile[b, 0] = 1.0
    m.tribes.skill_profile[a] = 0.0
    m.tribes.skill_profile[a, 1] = 1.0
    part = handed_off_part(m, a)
    row = int(m.board.items.rows(np.array([part]))[0])
    m.board.move(np.array([row]), READY, 0, np.array([b], dtype=np.int32))
    run_phase(m, "act.hand-offs")
    # same purpose, orthogonal skills: d = 1/2; discount 0.6 (1 + q) / 2
    expected = 1.0 * 0.5 * (1 - 0.6 * (1 + quality) / 2) * 4.0
    assert m.board.items.remaining[row] - 4.0 == pytest.approx(expected, rel=1e-5)


def test_constellations_lower_the_wait_at_hand_offs():
    def wait(federation, seed):
        m = make(preset="purposeful", people=240, seed=seed, history_steps=0,
                 cross_tribe_share=0.5, federation=federation, federate_rate=0.2,
                 federate_threshold=0.5, secede_threshold=0.3)
        table = m.run(200)
        late = table[table["step"] > 60]
        return late["handoff_wait_steps"].sum() / late["handoffs"].sum()

    alone = np.array([wait("none", seed) for seed in (1, 2, 3)])
    federated = np.array([wait("voluntary", seed) for seed in (1, 2, 3)])
    assert (federated < alone).all()

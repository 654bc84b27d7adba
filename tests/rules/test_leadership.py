"""Champions and leaders (model/rules/leadership.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np

from tests.helpers import (
    make,
    members_of,
)


def test_peers_make_a_reputable_aligned_member_the_leader():
    m = make(leadership="emergent", consider_rate=0.0, exit_base=0.0, quit_rate=0.0,
             split_division=1.0, conflict_threshold=1.0, endorse_sample=3)
    members = members_of(m, 0)
    star = members[-1]
    m.people.passion[star] = m.tribes.purpose[0]
    m.people.reputation[star] = 50.0
    assert m.tribes.leader[0] != star
    m.run(8)
    assert m.tribes.leader[0] == star
    changes = m.event_log().query("event == 'leader_changed' and tribe == 0")
    assert star in changes["person"].tolist()


def test_appointed_leaders_are_the_most_skilled_member():
    m = make("hierarchy", exit_base=0.0, quit_rate=0.0)
    m.run(5)
    for tribe in m.tribes.living():
        members = members_of(m, tribe)
        best = members[np.argmax(m.people.skill[members].max(axis=1))]
        assert m.tribes.leader[tribe] == best


def test_rotating_leadership_changes_hands_every_period():
    m = make(leadership="rotating", rotation_period=5, membership="assigned",
             exit_base=0.0, quit_rate=0.0, conflict_threshold=1.0)
    m.run(21)
    changes = m.event_log().query("event == 'leader_changed' and tribe == 0")
    assert len(changes) >= 4
    assert (np.diff(changes["step"]) % 5 == 0).all()


def test_distributed_roles_have_no_single_leader_but_champions():
    m = make("holacracy")
    m.run(10)
    living = m.tribes.living()
    assert (m.tribes.leader[living] == -1).all()
    assert (m.tribes.value_champion[living] >= 0).all()
    assert (m.tribes.leader_quality[living] > 0).any()


def test_champions_are_members_most_attuned_to_market_and_craft():
    m = make()
    m.run(3)
    market = m.market.demand
    p = m.people
    for tribe in m.tribes.living()[:5]:
        members = members_of(m, tribe)
        fit = p.passion[members] @ market.astype(np.float32)
        assert m.tribes.value_champion[tribe] == members[np.argmax(fit)]
        craft = p.initiative[members] * p.top_skill[members]
        assert m.tribes.innovation_champion[tribe] == members[np.argmax(craft)]


def test_leader_hysteresis_keeps_incumbents():
    def changes(hysteresis):
        m = make(people=200, leader_hysteresis=hysteresis, seed=2)
        return int(m.run(60)["leader_changes"].iloc[5:].sum())

    assert changes(100.0) < changes(0.0)

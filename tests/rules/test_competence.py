"""Leaders' competences, IOHAI (model/rules/competence.py, quality and selection in
leadership.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules import competence
from tests.helpers import make, members_of, observe, reconfigure, run_phase


def test_competences_are_drawn_at_hire_from_their_own_stream():
    m = make(people=4000)
    table = m.rules.development.competences
    for name in competence.LEARNABLE:
        values = table.array(name)[: m.people.n]
        assert values.mean() == pytest.approx(2 / 7, abs=0.01)  # Beta(2, 5)
        assert values.var() == pytest.approx(10 / (49 * 8), abs=0.004)
    assert not np.array_equal(table.insight[:100], table.agility[:100])


def test_leader_quality_weighs_competence_against_standing():
    m = make(people=80, leadership="appointed")
    observe(m)
    s, rules, p = m.state, m.rules, m.people
    leaders = m.tribes.leader[m.tribes.living()]
    tribes = m.tribes.living()
    p.reputation[leaders] = np.linspace(0.5, 3.0, len(leaders)).astype(np.float32)
    ref = rules.leadership.reputation_ref
    standing = p.reputation[leaders] / (p.reputation[leaders] + ref)
    mean = competence.competence(s, rules, leaders)
    expected_mean = (p.initiative[leaders] + sum(
        rules.development.competences.array(name)[leaders] for name in competence.LEARNABLE)) / 5
    assert mean == pytest.approx(expected_mean, rel=1e-6)
    alignment = p.alignment[leaders]
    quality = rules.leadership.person_quality(s, rules, leaders, tribes)
    assert quality == pytest.approx(alignment * standing, rel=1e-5)  # w = 0: as before
    for w in (0.5, 1.0):
        reconfigure(m, competence_weight=w)
        quality = rules.leadership.person_quality(s, rules, leaders, tribes)
        assert quality == pytest.approx(alignment * ((1 - w) * standing + w * mean), rel=1e-5)
    # distributed roles are judged the same way
    reconfigure(m, competence_weight=1.0)
    run_phase(m, "decide.leadership")  # picks the champions
    holders = m.tribes.value_champion[tribes]
    assert (holders >= 0).all()
    judged = rules.leadership.person_quality(s, rules, np.maximum(holders, 0), tribes)
    assert judged == pytest.approx(p.alignment[holders] * competence.competence(s, rules, holders),
                                   rel=1e-5)


@pytest.mark.parametrize("rule", ["none", "training", "learning"])
def test_those_who_lead_develop_their_competences_as_the_policy_says(rule):
    m = make(people=120, development=rule, leadership="appointed", training_rate=0.05,
             learning_rate=0.01, training_cost=0.3)
    table = m.rules.development.competences
    before = {name: table.array(name)[: m.people.n].copy() for name in competence.LEARNABLE}
    observe(m)
    run_phase(m, "decide.leadership")
    leaders = competence.leading(m.state, m.rules)
    assert len(leaders) > 5
    others = np.setdiff1d(np.arange(m.people.n), leaders)
    run_phase(m, "decide.development")
    rate = {"none": 0.0, "training": 0.05, "learning": 0.01}[rule]
    for name in competence.LEARNABLE:
        now = table.array(name)[: m.people.n]
        assert now[leaders] == pytest.approx(before[name][leaders]
                                             + rate * (1 - before[name][leaders]), rel=1e-5)
        assert np.array_equal(now[others], before[name][others])
    # training costs the trainees' effort in this step's work; learning by leading is free
    _, members, _ = m.people.pairs()
    left = competence.training_left(m.state, m.rules, members)
    if rule == "training":
        assert left is not None
        assert left[np.isin(members, leaders)] == pytest.approx(0.7)
        assert (left[~np.isin(members, leaders)] == 1).all()
    else:
        assert left is None


def test_under_distributed_roles_the_role_holders_develop():
    m = make(people=120, preset="holacracy", development="learning")
    observe(m)
    run_phase(m, "decide.leadership")
    holders = competence.leading(m.state, m.rules)
    tribes = m.tribes.living()
    assert (m.tribes.leader[tribes] < 0).all()
    roles = np.concatenate([m.tribes.value_champion[tribes], m.tribes.innovation_champion[tribes]])
    assert set(holders.tolist()) == set(roles[roles >= 0].tolist())


def test_peers_choose_leaders_by_the_competence_they_perceive():
    def leaders_competence(weight: float) -> float:
        values = []
        for seed in range(3):
            m = make(people=200, seed=seed, competence_weight=weight, perception_noise=0.05,
                     endorse_sample=3)
            m.run(60)
            tribes = m.tribes.living()
            leaders = m.tribes.leader[tribes]
            leaders = leaders[leaders >= 0]
            values.append(competence.competence(m.state, m.rules, leaders).mean())
        return float(np.mean(values))

    assert leaders_competence(1.0) > leaders_competence(0.0) + 0.03


def test_perception_is_noisy_but_centred_on_competence():
    m = make(people=300, competence_weight=1.0, perception_noise=0.1)
    persons = members_of(m, 0)[:1].repeat(4000)
    seen = competence.perceived(m.state, m.rules, persons)
    truth = competence.competence(m.state, m.rules, persons[:1])[0]
    assert seen.mean() == pytest.approx(truth, abs=0.01)
    assert seen.std() == pytest.approx(0.1, abs=0.02)

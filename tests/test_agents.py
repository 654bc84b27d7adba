"""The Mesa interface: agents are views of the arrays; Mesa's tools work on the model."""

import mesa
import numpy as np
import pandas as pd
import pytest

from agents import Community, Person, Tribe
from model import Organization, Recording
from tests.helpers import make


def test_person_agents_read_and_write_the_arrays():
    m = make()
    person = m.person(5)
    assert isinstance(person, Person) and isinstance(person, mesa.Agent)
    assert np.array_equal(person.passion, m.people.passion[5])
    assert person.tribe_id == m.people.tribe[5]
    assert person.tribe.index == m.people.tribe[5]
    person.engagement = 0.9
    assert m.people.engagement[5] == np.float32(0.9)
    assert set(person.ties) <= set(range(m.people.n))
    assert person.tenure == 0 and person.active and person.exit_reason == ""
    cfg = m.cfg
    practitioner = int(np.flatnonzero(m.people.top_skill[: m.people.n]
                                      >= cfg.practice_threshold)[0])
    agent = m.person(practitioner)
    passion, skill = m.people.passion[practitioner], m.people.skill[practitioner]
    assert agent.interests == np.flatnonzero(passion >= cfg.interest_threshold).tolist()
    assert agent.practices == np.flatnonzero(skill >= cfg.practice_threshold).tolist()
    assert practitioner in m.communities_of_practice[agent.practices[0]].member_ids


def test_every_person_and_living_tribe_has_an_agent_and_dead_tribes_lose_theirs():
    m = make(people=150, outside_option=0.9)  # people leave, and are replaced
    m.run(40)
    active = np.flatnonzero(m.people.active[: m.people.n])
    assert m.people.n > len(active) > 0
    registered = {agent.index for agent in m.agents_by_type[Person]}
    assert registered == set(active.tolist())  # leavers leave the model's agents too
    gone = int(np.flatnonzero(~m.people.active[: m.people.n])[0])
    assert m.person(gone).index == gone and not m.person(gone).active  # still inspectable
    assert np.isclose(m.agents_by_type[Person].agg("engagement", np.mean),
                      m.people.engagement[active].mean(dtype=np.float64))
    living = set(m.tribes.living().tolist())
    agents = {agent.index for agent in m.agents_by_type[Tribe]}
    assert agents == living
    ended = np.flatnonzero(~m.tribes.alive[: m.tribes.n])
    assert len(ended) > 0 and all(m.tribe(t) is None for t in ended)


def test_tribe_agent_shows_roles_board_and_limits():
    m = make()
    m.run(10)
    tribe = m.tribe(m.tribes.living()[0])
    assert tribe.size == len(tribe.members) > 0
    assert tribe.leader is None or tribe.leader.tribe_id == tribe.index
    assert set(tribe.board) == {"ready", "doing", "review"}
    assert tribe.wip_limits == {"ready": m.cfg.wip_ready, "doing": m.cfg.wip_doing,
                                "review": m.cfg.wip_review}
    assert len(tribe.board["doing"]) <= m.cfg.wip_doing


def test_communities_follow_passions_and_skills():
    m = make(interest_threshold=0.5, practice_threshold=0.5)
    coi = m.communities_of_interest[2]
    assert isinstance(coi, Community)
    expected = np.flatnonzero(m.people.passion[: m.people.n, 2] >= 0.5).tolist()
    assert coi.member_ids == expected
    cop = m.communities_of_practice[1]
    assert cop.member_ids == np.flatnonzero(m.people.skill[: m.people.n, 1] >= 0.5).tolist()


def test_agentset_tools_work_on_people():
    m = make()
    m.run(5)
    people = m.agents_by_type[Person]
    engagement = m.people.engagement[: m.people.n][m.people.active[: m.people.n]]
    mean = people.agg("engagement", np.mean)
    assert np.isclose(mean, engagement.mean(dtype=np.float64))
    engaged = people.select(lambda a: a.engagement > 0.5)
    assert len(engaged) == int((engagement > 0.5).sum())


def test_datacollector_holds_one_row_per_step():
    m = make()
    m.run(12)
    table = m.datacollector.get_model_vars_dataframe()
    assert len(table) == 13
    assert table["step"].tolist() == list(range(13))


def test_graph_has_active_people_and_their_ties():
    m = make()
    m.run(10)
    graph = m.graph()
    assert set(graph.nodes) == set(np.flatnonzero(m.people.active[: m.people.n]).tolist())
    assert graph.number_of_edges() > 0
    *_, data = next(iter(graph.edges(data=True)))
    assert data["weight"] > 0


def test_snapshots_at_an_interval():
    m = make()
    m.run(12, recording=Recording(snapshot_every=5))
    people, tribes = m.snapshots()
    assert sorted(people["step"].unique()) == [5, 10]
    assert sorted(tribes["step"].unique()) == [5, 10]
    assert len(people[people["step"] == 5]) >= m.cfg.people


def test_views_are_made_only_when_asked_for():
    m = make(people=60)
    m.run(5)
    assert m.views.people == {} and m.views.tribes == {}  # the step made none
    m.person(3)
    assert set(m.views.people) == {3}
    agents = m.agents  # reading the agents makes a view of every active person
    active = np.flatnonzero(m.people.active[: m.people.n])
    assert {a.index for a in agents if isinstance(a, Person)} == set(active.tolist())
    assert len([a for a in agents if isinstance(a, Community)]) == m.cfg.themes + m.cfg.domains


def test_agents_refuse_to_step_and_point_to_the_model():
    m = make(people=30)
    with pytest.raises(RuntimeError, match="model.step"):
        m.agents.shuffle_do("step")
    with pytest.raises(RuntimeError, match="model.step"):
        m.person(0).step()


def test_agent_reporters_are_recorded_when_asked_for():
    m = make(people=40, recording=Recording(agents=True))
    m.run(3)
    data = m.datacollector.get_agent_vars_dataframe().reset_index()
    people = data[data["kind"] == "Person"]
    last = people[people["Step"] == people["Step"].max()].set_index("AgentID")
    views = {m.person(int(row)).unique_id: int(row)
             for row in np.flatnonzero(m.people.active[: m.people.n])}
    assert set(last.index) == set(views)
    for agent_id, row in views.items():
        assert last.loc[agent_id, "engagement"] == pytest.approx(float(m.people.engagement[row]))
        assert last.loc[agent_id, "tribe"] == m.people.tribe[row]
    assert set(data["kind"]) == {"Person", "Tribe", "Community"}
    plain = make(people=40)
    plain.run(3)
    assert not plain.datacollector.agent_reporters  # nothing per agent unless asked for


def test_seed_is_the_same_as_rng():
    by_rng = Organization(people=50, rng=9).run(20)
    by_seed = Organization(people=50, seed=9).run(20)
    pd.testing.assert_frame_equal(by_rng, by_seed)

"""The presets really differ in what happens."""

import pytest

from model import Organization


@pytest.fixture(scope="module")
def runs():
    result = {}
    for preset in ("hierarchy", "purposeful", "holacracy", "matrix"):
        m = Organization(preset=preset, rng=8, people=250)
        m.run(200)
        result[preset] = m
    return result


def test_under_hierarchy_nobody_switches_or_founds(runs):
    events = runs["hierarchy"].event_log()
    assert not events["detail"].isin(["switch", "found", "cofound", "leave"]).any()
    assert runs["hierarchy"].step_table()["switches"].sum() == 0


def test_under_purposeful_tribes_are_founded_and_dissolved_and_leaders_emerge(runs):
    events = runs["purposeful"].event_log()
    assert ((events["event"] == "founded") & (events["detail"] == "bottom-up")).any()
    assert (events["event"] == "dissolved").any()
    emerged = events[(events["event"] == "leader_changed") & (events["detail"] == "emergent")]
    assert len(emerged) > 0
    assert runs["purposeful"].step_table()["switches"].sum() > 0


def test_holacracy_has_no_single_leaders(runs):
    m = runs["holacracy"]
    assert (m.tribes.leader[m.tribes.living()] == -1).all()


def test_push_without_limits_carries_more_wip_than_pull(runs):
    hierarchy = runs["hierarchy"].step_table()["wip"].iloc[-50:].mean()
    purposeful = runs["purposeful"].step_table()["wip"].iloc[-50:].mean()
    assert hierarchy > purposeful


def test_matrix_moves_are_fewer_than_purposeful_moves(runs):
    def moves(m):
        return int(m.event_log()["detail"].isin(["switch", "found", "leave"]).sum())

    assert 0 < moves(runs["matrix"]) < moves(runs["purposeful"])

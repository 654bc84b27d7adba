"""Invariants that hold under any configuration, checked after every step."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import Person, Tribe
from model import PRESETS, Organization
from model.kanban import BACKLOG, DOING, READY, REVIEW
from model.metrics import METRICS
from model.policy import policy_names
from tests.helpers import set_step


def check_invariants(m: Organization) -> None:
    """Assert every structural invariant of the model's state."""
    p, tribes, board = m.people, m.tribes, m.board
    n, nt = p.n, tribes.n
    tribe = p.tribe[:n]
    # a person is in at most one tribe, a living one, and only while active
    assert ((tribe >= -1) & (tribe < nt)).all()
    assert (tribe[~p.active[:n]] == -1).all()
    assert tribes.alive[tribe[tribe >= 0]].all()
    # the tribe sizes kept by Organization.move agree with the per-person tribe index; Mesa
    # agents exist for exactly the living tribes and every person
    counted = np.bincount(tribe[tribe >= 0], minlength=nt)
    assert np.array_equal(tribes.size[:nt], counted)
    assert {a.index for a in m.agents_by_type.get(Tribe, [])} == set(tribes.living().tolist())
    # Person agents are registered for the active people; leavers keep a view via person(row)
    registered = {a.index for a in m.agents_by_type.get(Person, [])}
    assert registered == set(np.flatnonzero(p.active[:n]).tolist())
    assert all(m.person(int(p.id[row])).index == row for row in range(n))
    check_membership_views(m)
    # leaders and champions are members of their tribe
    for role in (tribes.leader, tribes.value_champion, tribes.innovation_champion):
        holders = role[:nt]
        held = np.flatnonzero((holders >= 0) & tribes.alive[:nt])
        assert (tribe[holders[held]] == held).all()
    # work is conserved: arrived = backlog + in progress + done + expired
    in_progress = board.wip()
    assert board.arrived_total == (board.backlog() + in_progress + board.done_total
                                   + board.expired_total)
    # items on boards belong to living tribes; WIP limits hold under pull
    items = board.items
    on_board = items.stage[: items.n] >= READY
    assert tribes.alive[items.tribe[: items.n][on_board]].all()
    limits = m.rules.work.limits()
    if limits is not None:
        counts = board.stage_counts(nt)
        for stage in (READY, DOING, REVIEW):
            assert counts[:, stage].max(initial=0) <= limits[stage]
    # no NaN or infinity anywhere in the state
    for table in (p, tribes, items):
        for name in table.columns:
            column = table.array(name)[: table.n]
            if column.dtype.kind == "f":
                assert np.isfinite(column).all(), name
    # bounded quantities stay in bounds
    assert ((p.engagement[:n] >= 0) & (p.engagement[:n] <= 1)).all()
    assert ((p.skill[:n] >= 0) & (p.skill[:n] <= 1)).all()
    assert (p.reputation[:n] >= 0).all()
    # step table: lead times are missing exactly when nothing finished, the ratios when their
    # denominator is 0; nothing else is missing, and every value is within its bounds
    row = m.metrics
    for name in ("lead_time", "customer_lead_time"):
        assert np.isnan(row[name]) == (row["throughput"] == 0)
    assert np.isnan(row["served"]) == (row["arrived"] == 0)
    assert np.isnan(row["utilization"]) == (row["capacity"] == 0)
    assert np.isnan(row["rework_share"]) == (row["reviewed"] == 0)
    ratios = {"lead_time", "customer_lead_time", "served", "utilization", "rework_share"}
    assert all(np.isfinite(v) for k, v in row.items() if k not in ratios)
    for metric in METRICS:
        value = row[metric.name]
        assert np.isnan(value) or metric.low <= value <= metric.high, metric.name


def check_membership_views(m: Organization) -> None:
    """The membership lists of the Mesa agents agree with the per-person tribe index: each
    living tribe's agent lists exactly the people whose index names it, and each person's agent
    points to that tribe's agent."""
    p, tribes = m.people, m.tribes
    tribe = p.tribe[: p.n]
    order = np.argsort(tribe, kind="stable")
    bounds = np.searchsorted(tribe[order], tribes.living(), side="left"), np.searchsorted(
        tribe[order], tribes.living(), side="right")
    for t, lo, hi in zip(tribes.living().tolist(), *bounds, strict=True):
        agent = m.tribe(int(tribes.id[t]))
        assert agent is not None and agent.index == t
        members = agent.members
        assert [a.index for a in members] == order[lo:hi].tolist()
        assert all(a.tribe is agent for a in members)
        assert agent.size == tribes.size[t]
    for row in np.flatnonzero(tribe < 0).tolist():
        assert m.person(int(p.id[row])).tribe is None


def replayed_membership(m: Organization) -> np.ndarray:
    """Each person's tribe (by id) as the event log tells it: the tribe of their last join or
    leave (a leave names the tribe moved to, -1 for none); -1 for people never moved. Indexed
    by person id."""
    events = m.event_log()
    moves = events[events["event"].isin(["joined", "left"])]
    person = moves["person"].to_numpy()
    now = np.where(moves["event"] == "joined", moves["tribe"], moves["other"])
    last = len(person) - 1 - np.unique(person[::-1], return_index=True)[1]
    replayed = np.full(m.people.issued, -1, dtype=np.int64)
    replayed[person[last]] = now[last]
    return replayed


configs = st.fixed_dictionaries({
    "preset": st.sampled_from(sorted(PRESETS)),
    "people": st.integers(2, 60),
    "membership": st.sampled_from(policy_names("membership")),
    "leadership": st.sampled_from(policy_names("leadership")),
    "purpose": st.sampled_from(policy_names("purpose")),
    "work": st.sampled_from(policy_names("work")),
    "conflict": st.sampled_from(policy_names("conflict")),
    "hiring": st.sampled_from(policy_names("hiring")),
    "team_size": st.integers(1, 12),
    "unit_size": st.integers(1, 50),
    "arrival_rate": st.floats(0, 0.5),
    "consider_rate": st.floats(0, 1),
    "exit_base": st.floats(0, 0.05),
    "turbulence": st.floats(0, 1),
    "wip_doing": st.integers(1, 4),
    "min_tribe_size": st.integers(1, 4),
    "max_tribe_size": st.integers(4, 15),
    "merge_check_rate": st.floats(0, 1),
    "effort_dist": st.sampled_from(["fixed", "exponential", "lognormal"]),
    "shelf_life": st.integers(0, 20),
    "history_steps": st.integers(0, 20),
    "seed": st.integers(0, 2**32 - 1),
})


STEPS = 120  # long enough for tribes to be founded, split, merge and dissolve


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_invariants_hold_under_random_configurations(settings_):
    settings_ = dict(settings_)
    preset, seed = settings_.pop("preset"), settings_.pop("seed")
    m = Organization(preset=preset, rng=seed, **settings_)
    check_invariants(m)
    for step in range(1, STEPS + 1):
        m.step()
        check_invariants(m)
        if step % 50 == 0:  # every membership change is logged, so the log replays it
            assert np.array_equal(replayed_membership(m), m.people.tribe[: m.people.n])


def test_invariants_hold_on_a_long_run_of_every_preset():
    for preset in sorted(PRESETS):
        m = Organization(preset=preset, rng=11, people=150)
        for _ in range(150):
            m.step()
        check_invariants(m)
        assert np.array_equal(replayed_membership(m), m.people.tribe[: m.people.n])


def test_tribe_sizes_are_current_after_every_phase():
    for preset in sorted(PRESETS):
        m = Organization(preset=preset, rng=5, people=200)
        for _ in range(60):
            set_step(m, m.steps + 1)  # what mesa.Model's step wrapper does
            for phase in m.plan:
                phase.run(m.state, m.rules)
                tribe = m.people.tribe[: m.people.n]
                counted = np.bincount(tribe[tribe >= 0], minlength=m.tribes.n)
                assert np.array_equal(m.tribes.size[: m.tribes.n], counted), phase.label

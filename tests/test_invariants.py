"""Invariants that hold under any configuration, checked after every step."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agents import Person, Tribe
from model import PRESETS, Organization
from model.kanban import BACKLOG, BLOCKED, DOING, GONE, NOT_WAITING, READY, REVIEW
from model.metrics import METRICS
from model.policy import policy_names
from tests.helpers import set_step


def check_invariants(m: Organization) -> None:
    """Assert every structural invariant of the model's state."""
    p, tribes, board = m.people, m.tribes, m.board
    n, nt = p.n, tribes.n
    block = p.memberships[:n]
    # a person belongs to at most max_memberships tribes (one per slot, filled slots first,
    # the primary tribe in slot 0), each living and held once, and only while active
    assert block.shape[1] == m.cfg.max_memberships
    assert ((block >= -1) & (block < nt)).all()
    assert (block[~p.active[:n]] == -1).all()
    filled = block >= 0
    assert (filled[:, 1:] <= filled[:, :-1]).all()
    assert np.array_equal(p.tribe[:n], block[:, 0])
    assert tribes.alive[block[filled]].all()
    ordered = np.sort(block, axis=1)
    assert not ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)).any()
    # the tribe sizes kept by State.move agree with the memberships, and so does the membership
    # index (rebuilt as the observe phase does); Mesa agents exist for exactly the living
    # tribes and every person
    counted = np.bincount(block[filled], minlength=nt)
    assert np.array_equal(tribes.size[:nt], counted)
    m.state.index_members()
    order, start, count = m.state.index
    assert np.array_equal(count[1:], counted)
    assert (p.flat("memberships")[order[start[1]:]] == np.repeat(np.arange(nt), counted)).all()
    # a person in several tribes divides their effort: the shares add up to 1
    flat, person, _ = p.pairs()
    for split in ("equal", "fit"):
        shares = p.effort_shares(flat, person, split == "fit")
        if shares is not None:
            total = np.bincount(person, weights=shares, minlength=n)
            assert np.allclose(total[filled[:, 0]], 1.0, atol=1e-5)
            assert (shares > 0).all()
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
        assert (p.slot_of(holders[held], held) >= 0).all()
    # work is conserved: arrived = backlog + in progress + done + expired
    in_progress = board.wip()
    assert board.arrived_total == (board.backlog() + in_progress + board.done_total
                                   + board.expired_total)
    # items on boards belong to living tribes; WIP limits hold under pull
    items = board.items
    on_board = items.stage[: items.n] >= READY
    assert tribes.alive[items.tribe[: items.n][on_board]].all()
    check_parts(m)
    check_constellations(m)
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
    assert np.isnan(row["quit_skill"]) == (row["exits_voluntary"] == 0)
    ratios = {"lead_time", "customer_lead_time", "served", "utilization", "rework_share",
              "quit_skill"}
    assert all(np.isfinite(v) for k, v in row.items() if k not in ratios)
    for metric in METRICS:
        value = row[metric.name]
        assert np.isnan(value) or metric.low <= value <= metric.high, metric.name


def check_parts(m: Organization) -> None:
    """Every part of an item is in exactly one place: blocked behind the part before it, in
    the backlog, on one living tribe's board, or gone (done or expired); an open item has one
    current part, the parts before it are gone and those after it blocked."""
    items = m.board.items
    k = items.n
    stage, tribe = items.stage[:k], items.tribe[:k]
    assert np.isin(stage, [BLOCKED, GONE, BACKLOG, READY, DOING, REVIEW]).all()
    assert (tribe[stage >= READY] >= 0).all()
    assert (tribe[(stage == BACKLOG) | (stage == BLOCKED)] == -1).all()
    open_ = stage >= BACKLOG
    item, part = items.item[:k], items.part[:k]
    current, index = np.unique(item[open_], return_index=True)
    assert len(current) == open_.sum(), "an item with two current parts"
    current_part = dict(zip(current.tolist(), part[open_][index].tolist(), strict=True))
    # a blocked part waits behind its item's current part (its item is still open)
    for blocked_item, blocked_part in zip(item[stage == BLOCKED].tolist(),
                                          part[stage == BLOCKED].tolist(), strict=True):
        assert blocked_item in current_part and blocked_part > current_part[blocked_item]
    # parts of an open item before its current part are no longer open
    for row in np.flatnonzero(stage == GONE).tolist():
        if item[row] in current_part:
            assert part[row] < current_part[item[row]]
    # a part is handed off only after a tribe did the one before it
    later = open_ & (part > 0)
    assert (items.handoff_since[:k][~later] == NOT_WAITING).all()


def check_constellations(m: Organization) -> None:
    """A tribe is in at most one constellation, a living one; sizes agree with the tribes'
    index; a living constellation has two tribes or more (up to its largest size), and its
    leader leads one of them."""
    federation = m.rules.federation
    cons, tribes = federation.constellations, m.tribes
    living = tribes.living()
    c = federation.federated.constellation[living]
    inside = c[c >= 0]
    assert cons.alive[inside].all()
    assert np.array_equal(cons.size[: cons.n], np.bincount(inside, minlength=cons.n)[: cons.n])
    alive = cons.living()
    assert ((cons.size[alive] >= 2) & (cons.size[alive] <= m.cfg.constellation_max)).all()
    lead = cons.leader[alive]
    held = lead >= 0
    # (a person in several tribes may lead any of them)
    leads = tribes.leader[living][:, None] == lead[held][None, :]
    sister = federation.federated.constellation[living][:, None] == alive[held][None, :]
    assert (leads & sister).any(axis=0).all()


def check_membership_views(m: Organization) -> None:
    """The membership lists of the Mesa agents agree with the people's memberships: each
    living tribe's agent lists exactly the people with a membership in it, and each person's
    agent lists the agents of their tribes (the primary first)."""
    p, tribes = m.people, m.tribes
    _, person, tribe = p.pairs()
    for t in tribes.living().tolist():
        agent = m.tribe(int(tribes.id[t]))
        assert agent is not None and agent.index == t
        members = agent.members
        assert [a.index for a in members] == person[tribe == t].tolist()
        assert all(agent in a.tribes for a in members)
        assert agent.size == tribes.size[t]
    for row in np.flatnonzero(p.active[: p.n]).tolist():
        view = m.person(int(p.id[row]))
        held = [t for t in p.memberships[row].tolist() if t >= 0]
        assert [a.index for a in view.tribes] == held
        assert (view.tribe is None) == (not held)


def replayed_membership(m: Organization) -> np.ndarray:
    """Each person's tribes (by id) as the event log tells them, replaying every join and
    leave in order, as a (people, max_memberships) array sorted within each row (-1 for an
    empty slot, at the end). Indexed by person id."""
    events = m.event_log()
    moves = events[events["event"].isin(["joined", "left"])]
    held: dict[int, list[int]] = {}
    for event, person, tribe in zip(moves["event"], moves["person"], moves["tribe"],
                                    strict=True):
        tribes_of = held.setdefault(int(person), [])
        if event == "joined":
            tribes_of.append(int(tribe))
        else:
            tribes_of.remove(int(tribe))
    replayed = np.full((m.people.issued, m.cfg.max_memberships), -1, dtype=np.int64)
    for person, tribes_of in held.items():
        replayed[person, : len(tribes_of)] = sorted(tribes_of)
    return replayed


def current_membership(m: Organization) -> np.ndarray:
    """The people's tribes (by id) now, sorted within each row as `replayed_membership`."""
    p = m.people
    block = np.where(p.memberships[: p.n] >= 0, m.tribes.id[np.maximum(p.memberships[: p.n], 0)],
                     -1)
    ordered = np.sort(np.where(block >= 0, block, np.iinfo(np.int64).max), axis=1)
    return np.where(ordered == np.iinfo(np.int64).max, -1, ordered)


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
    "max_memberships": st.sampled_from([1, 1, 2, 3]),
    "effort_split": st.sampled_from(["equal", "fit"]),
    "cross_tribe_share": st.sampled_from([0.0, 0.3, 1.0]),
    "cross_tribe_parts": st.integers(2, 4),
    "federation": st.sampled_from(policy_names("federation")),
    "federate_rate": st.floats(0, 1),
    "federate_threshold": st.floats(0, 1),
    "constellation_max": st.integers(2, 6),
    "intertribe": st.sampled_from(policy_names("intertribe")),
    "rivalry": st.sampled_from([0.0, 0.5, 1.0]),
    "objectives": st.sampled_from(policy_names("objectives")),
    "objective_weight": st.floats(0, 3),
    "shocks": st.sampled_from(["", "layoff:5:0.3", "surge:3:1:20,freeze:10:1:30",
                               "collapse:2:1:50,layoff:40:0.5", "slump:1:1:10,boom:20:2:20"]),
    "layoff": st.sampled_from(policy_names("layoff")),
    "response": st.sampled_from(policy_names("response")),
    "seed": st.integers(0, 2**32 - 1),
})


STEPS = 120  # long enough for tribes to be founded, split, merge and dissolve


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
# a hand-off during the established organization's history (negative steps)
@example(
    settings_={"preset": "constellation", "people": 8, "membership": "voluntary",
               "leadership": "emergent", "purpose": "fixed", "work": "pull",
               "conflict": "arbitration", "hiring": "replace", "team_size": 2, "unit_size": 3,
               "arrival_rate": 0.25, "consider_rate": 1.0, "exit_base": 0.0, "turbulence": 0.0,
               "wip_doing": 1, "min_tribe_size": 2, "max_tribe_size": 4, "merge_check_rate": 0.0,
               "effort_dist": "fixed", "shelf_life": 0, "history_steps": 12, "max_memberships": 1,
               "effort_split": "equal", "cross_tribe_share": 1.0, "cross_tribe_parts": 4,
               "federation": "none", "federate_rate": 0.0, "federate_threshold": 0.0,
               "constellation_max": 2, "intertribe": "market", "rivalry": 0.0,
               "objectives": "none", "objective_weight": 0.0, "seed": 0},
)
def test_invariants_hold_under_random_configurations(settings_):
    settings_ = dict(settings_)
    preset, seed = settings_.pop("preset"), settings_.pop("seed")
    m = Organization(preset=preset, rng=seed, **settings_)
    check_invariants(m)
    for step in range(1, STEPS + 1):
        m.step()
        check_invariants(m)
        if step % 50 == 0:  # every membership change is logged, so the log replays it
            assert np.array_equal(replayed_membership(m), current_membership(m))


def test_invariants_hold_on_a_long_run_of_every_preset():
    for preset in sorted(PRESETS):
        m = Organization(preset=preset, rng=11, people=150)
        for _ in range(150):
            m.step()
        check_invariants(m)
        assert np.array_equal(replayed_membership(m), current_membership(m))


def test_tribe_sizes_are_current_after_every_phase():
    for preset in sorted(PRESETS):
        m = Organization(preset=preset, rng=5, people=200)
        for _ in range(60):
            set_step(m, m.steps + 1)  # what mesa.Model's step wrapper does
            for phase in m.plan:
                phase.run(m.state, m.rules)
                block = m.people.memberships[: m.people.n]
                counted = np.bincount(block[block >= 0], minlength=m.tribes.n)
                assert np.array_equal(m.tribes.size[: m.tribes.n], counted), phase.label

"""Work across tribes: items in parts, hand-offs between boards and what they cost
(model/kanban.py, model/market.py, model/rules/handoff.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.kanban import BACKLOG, BLOCKED, DOING, GONE, READY, REVIEW
from model.rules.handoff import distance
from tests.helpers import make, new_tribes, run_phase, set_step, unit


def two_part_item(m, effort=(2.0, 3.0), value=1.0):
    """One item of two parts in the backlog; return the rows of its parts."""
    cfg = m.cfg
    before = m.board.items.n
    m.board.add(unit(cfg.themes, (0, 1.0))[None, :], np.full((2, cfg.domains), 1 / cfg.domains),
                np.asarray(effort), np.asarray([value]), m.steps, parts=np.asarray([2]))
    return np.arange(before, m.board.items.n)


def row_of(m, part_id):
    """The current row of a part (rows move when done parts are dropped)."""
    return int(m.board.items.rows(np.array([part_id]))[0])


def finish(m, rows, tribe):
    """Put parts on `tribe`'s board and confirm them (they are done); return hand-offs."""
    board = m.board
    board.move(rows, REVIEW, m.steps, np.full(len(rows), tribe, dtype=np.int32))
    board.items.remaining[rows] = 0.0
    return board.finish(rows, np.zeros(len(rows)), m.steps)


def test_a_part_waits_for_the_part_before_it_and_the_item_is_done_with_its_last_part():
    m = make()
    board = m.board
    board.restart_totals()
    first, second = two_part_item(m)
    items = board.items
    assert items.stage[first] == BACKLOG and items.stage[second] == BLOCKED
    assert items.item[second] == items.id[first] and items.next_part[first] == items.id[second]
    assert items.value[first] == items.value[second] == pytest.approx(0.5)
    assert board.backlog() == 1 and board.wip() == 0
    board.arrived_total = 1  # only this item
    set_step(m, 4)
    items.wip_age[first] = 3
    items.active_steps[first] = 2
    handed = finish(m, np.array([first]), tribe=0)
    assert handed.tolist() == [second]
    # the next part waits in the backlog as committed work, keeping the item's history
    assert items.stage[second] == BACKLOG and items.previous_tribe[second] == 0
    assert items.handoff_since[second] == 4
    assert items.wip_age[second] == 3 and items.active_steps[second] == 2
    assert board.done_step == 0 and board.backlog() == 0 and board.wip() == 1
    assert board.arrived_total == board.backlog() + board.wip() + board.done_total
    # taken by another tribe three steps later: its wait is counted once
    set_step(m, 7)
    board.move(np.array([second]), READY, 7, np.array([1], dtype=np.int32))
    assert board.picked_up(7).tolist() == [second]
    assert (board.handoffs_step, board.handoff_wait_step) == (1, 3)
    assert board.picked_up(8).tolist() == []
    finish(m, np.array([second]), tribe=1)
    assert items.stage[second] == GONE
    assert board.done_step == 1 and board.cross_done_step == 1 and board.active_done_step == 2
    assert board.arrived_total == board.backlog() + board.wip() + board.done_total


def test_an_expired_first_part_takes_the_parts_behind_it():
    m = make()
    first, _ = two_part_item(m)
    m.board.items.since[first] = -100
    m.board.age_and_expire(0, shelf_life=10)
    assert m.board.expired_step == 1  # one item expired, not two
    assert m.board.items.n == 0 or (m.board.items.stage[: m.board.items.n] != BLOCKED).all()


def test_the_market_makes_cross_tribe_items_in_the_given_share():
    m = make(cross_tribe_share=0.4, cross_tribe_parts=3, arrival_rate=2.0, effort_dist="fixed",
             effort_mean=6.0)
    board = m.board
    rng = np.random.default_rng(3)
    before = board.items.n
    count = sum(m.state.market.arrive(rng, board, 80, 0) for _ in range(20))
    rows = np.arange(before, board.items.n)
    items = board.items
    first = rows[items.part[rows] == 0]
    assert len(first) == count
    share = np.mean(items.parts[first] == 3)
    assert abs(share - 0.4) < 0.05
    assert set(np.unique(items.parts[first])) == {1, 3}
    # a three-part item's parts share its effort and value, each with its own skill needs
    chain = rows[items.item[rows] == items.id[first[items.parts[first] == 3][0]]]
    assert items.part[chain].tolist() == [0, 1, 2]
    assert np.allclose(items.effort[chain], 2.0)
    assert np.allclose(items.needs[chain].sum(axis=1), 1.0)
    assert not np.allclose(items.needs[chain[0]], items.needs[chain[1]])


def test_a_tribe_never_pulls_back_the_part_it_handed_off():
    m = make(people=40, arrival_rate=0.0)
    living = m.tribes.living()
    first, second = two_part_item(m)
    finish(m, np.array([first]), tribe=int(living[0]))
    part = m.board.items.id[second]
    # only the tribe that handed it off has free slots: the part stays in the backlog
    m.tribes.alive[living[1:]] = False
    run_phase(m, "act.flow")
    assert m.board.items.stage[row_of(m, part)] == BACKLOG
    m.tribes.alive[living[1:]] = True
    run_phase(m, "act.flow")
    assert m.board.items.stage[row_of(m, part)] == READY
    assert m.board.items.tribe[row_of(m, part)] != living[0]


def test_push_never_gives_a_part_back_to_the_team_that_handed_it_off():
    m = make("hierarchy", people=40, arrival_rate=0.0)
    living = m.tribes.living()
    first, second = two_part_item(m)
    finish(m, np.array([first]), tribe=int(living[0]))
    part = m.board.items.id[second]
    m.tribes.capacity[living] = 10.0
    for _ in range(5):
        run_phase(m, "act.flow")
    assert m.board.items.stage[row_of(m, part)] == DOING
    assert m.board.items.tribe[row_of(m, part)] != living[0]


def test_the_handoff_cost_grows_with_the_distance_between_the_two_tribes():
    m = make(people=20, handoff_cost=0.5)
    themes, domains = m.cfg.themes, m.cfg.domains
    a, near, mid, far = new_tribes(m, [unit(themes, (0, 1.0)), unit(themes, (0, 1.0)),
                                       unit(themes, (0, 1.0), (1, 1.0)), unit(themes, (1, 1.0))])
    skills = np.eye(domains, dtype=np.float32)
    m.tribes.skill_profile[[a, near, mid]] = skills[0]
    m.tribes.skill_profile[far] = skills[1]
    d = distance(m.state, np.array([a, a, a, -1]), np.array([near, mid, far, near]))
    # same purpose and skills: 0; half-shared purpose: (1 - cos 45 deg) / 2; nothing shared
    # and no upstream tribe: 1
    assert d == pytest.approx([0.0, (1 - np.sqrt(0.5)) / 2, 1.0, 1.0], abs=1e-6)
    extra = []
    for downstream in (near, mid, far):
        first, second = two_part_item(m, effort=(4.0, 4.0))
        finish(m, np.array([first]), tribe=a)
        m.board.move(np.array([second]), READY, 0, np.array([downstream], dtype=np.int32))
        run_phase(m, "act.hand-offs")  # (drops no rows)
        extra.append(m.board.items.remaining[second] - 4.0)
    assert extra == pytest.approx([0.0, 0.5 * 4.0 * (1 - np.sqrt(0.5)) / 2, 0.5 * 4.0], abs=1e-5)
    # an upstream tribe that has ended: nobody to ask, the full cost
    m.tribes.alive[a] = False
    assert distance(m.state, np.array([a]), np.array([near]))[0] == 1.0


def test_cross_tribe_work_is_measured_in_the_step_table():
    m = make(people=150, cross_tribe_share=0.5, arrival_rate=0.05)
    table = m.run(120)
    late = table[table["step"] > 40]
    assert late["cross_done"].sum() > 0
    share = late["cross_done"].sum() / late["throughput"].sum()
    assert 0.25 < share < 0.75
    ratio = late["handoff_wait_steps"].sum() / late["handoffs"].sum()
    assert ratio > 0
    done = late[late["throughput"] > 0]
    assert np.allclose(done["flow_efficiency"],
                       done["active_steps_done"] / done["lead_steps_done"])
    assert (late["flow_efficiency"] <= 1).all()


def test_with_the_new_mechanisms_off_their_columns_are_present_and_zero():
    from model import PRESETS

    zero = ["cross_done", "cross_tribe_share", "handoffs", "handoff_wait_steps", "handoff_wait",
            "handoffs_inside", "coordinated_share", "constellations",
            "constellation_size_mean", "intertribe_conflicts", "value_objective",
            "objective_share"]
    for preset in sorted(set(PRESETS) - {"constellation"}):
        table = make(preset, people=120).run(30)
        assert (table[zero] == 0).all().all(), preset
        # flow efficiency measures every item's flow, not a new mechanism
        assert (table["flow_efficiency"].iloc[5:] > 0).any()

"""Work, Kanban flow and the work policies (model/rules/work.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.kanban import BACKLOG, DOING, GONE, READY, REVIEW
from model.metrics import summarize_run
from model.rules.work import (
    effort_capacity,
    innovate,
    oldest_within,
    open_effort,
    rework_chance,
)
from tests.helpers import (
    add_items,
    make,
    new_tribes,
    observe,
    reconfigure,
    run_phase,
    set_step,
)


def test_the_innovation_champion_raises_effectiveness_in_the_slack_and_it_ages():
    m = make(innovation_rate=0.1, innovation_decay=0.05, max_effectiveness=2.0)
    observe(m)
    run_phase(m, "decide.leadership")
    p, t = m.people, m.tribes
    record = m.rules.work.record
    living = t.living()
    champion = t.innovation_champion[living].copy()
    assert (champion >= 0).all()
    t.innovation_champion[living[0]] = -1  # a tribe without a champion only ages
    record.effectiveness[living] = 1.5
    record.slack[living] = np.linspace(0.0, 1.0, len(living))
    innovate(m.state, m.rules)
    drive = p.initiative[champion] * p.top_skill[champion]
    drive[0] = 0.0
    expected = (1.5 + 0.1 * drive * record.slack[living] * (2.0 - 1.5)
                - 0.05 * (1.5 - 1.0))
    assert np.allclose(record.effectiveness[living], expected, rtol=1e-6)
    # without slack the champion adds nothing: effectiveness only ages
    assert record.effectiveness[living[0]] == pytest.approx(1.475)
    # a more driven champion, with more slack, raises it faster
    assert np.ptp(drive[1:]) > 0.05


def test_pull_never_exceeds_wip_limits():
    m = make(people=150, wip_ready=2, wip_doing=1, wip_review=1, arrival_rate=0.3)
    for _ in range(60):
        m.step()
        counts = m.board.stage_counts(m.tribes.n)
        assert counts[:, READY].max() <= 2
        assert counts[:, DOING].max() <= 1
        assert counts[:, REVIEW].max() <= 1
    assert m.metrics["done_total"] > 0


def test_push_assigns_up_to_each_teams_estimated_capacity_and_queues_the_rest():
    m = make("hierarchy", people=150, arrival_rate=0.3, shelf_life=0)
    for _ in range(40):
        m.step()
        # after intake, a team's open work exceeds its room by less than one item
        capacity = effort_capacity(m.state, m.rules.work)[: m.tribes.n]
        largest = m.board.items.effort[: m.board.items.n].max()
        assert (open_effort(m.state) <= capacity * m.cfg.load_horizon + largest + 1e-3).all()
    assert m.board.backlog() > 0  # what teams cannot take waits in the backlog
    counts = m.board.stage_counts(m.tribes.n)
    assert counts[:, DOING].max() > m.cfg.wip_doing  # without WIP limits


def test_push_admits_each_routed_part_to_the_tribe_it_was_routed_to():
    # a constellation's hand-offs enter doing oldest hand-off first, each on its own tribe's
    # board (the tribes must follow the parts when they are put in hand-off order)
    m = make("hierarchy", people=80, arrival_rate=0.0)
    m.step()  # capacities from a step's work: every team has room
    rows = add_items(m, 0, BACKLOG, [0, 0, 0])
    m.board.move(rows, BACKLOG, 0)
    m.board.items.handoff_since[rows] = [7, 5, 6]  # neither in row order nor in tribe order
    m.board.items.part[rows] = 1
    tribes = np.array([1, 2, 3], dtype=np.int32)
    m.rules.work.admit(m.state, rows, tribes)
    assert (m.board.items.stage[rows] == DOING).all()
    assert m.board.items.tribe[rows].tolist() == [1, 2, 3]


def test_work_needs_a_peer_to_confirm_it():
    m = make(people=60, min_tribe_size=1, max_tribe_size=2, consider_rate=0.0,
             exit_base=0.0, quit_rate=0.0, grace_period=1000, merge_check_rate=0.0)
    # everyone alone in a tribe of one
    ids = new_tribes(m, m.people.passion[: m.people.n])
    m.state.move(np.arange(m.people.n), ids, "test")
    m.run(40)
    assert m.metrics["done_total"] == 0
    assert len(m.board.in_stage(REVIEW)) > 0


def test_items_move_oldest_first_in_every_column_and_done_work_delivers_value():
    # ODD 3.8 flow: oldest items (earliest to enter their column) first within a column
    m = make(people=80, review_rate=0.25, wip_review=6, wip_doing=4, cost_of_delay=0.1,
             rework_rate=0.0)
    tribe = 0
    assert m.tribes.size[tribe] == 8  # confirms floor(0.25 * 8 + U) = 2 items a step
    set_step(m, 20)
    # rows in an order unrelated to age
    review = add_items(m, tribe, REVIEW, [9, 2, 7, 1, 5, 3], remaining=0.0, value=2.0)
    finished = add_items(m, tribe, DOING, [8, 3, 6, 4], remaining=0.0)
    ready = add_items(m, tribe, READY, [6, 9, 2, 8, 5])
    m.board.items.wip_age[review] = [4, 5, 6, 7, 8, 9]
    items = m.board.items
    uid = {name: items.id[rows].copy() for name, rows in
           (("review", review), ("finished", finished), ("ready", ready))}
    run_phase(m, "act.flow")
    stage_of = dict(zip(items.id[: items.n].tolist(), items.stage[: items.n].tolist(),
                        strict=True))
    # review -> done: the two oldest (entered at 1 and 2) are confirmed
    done = [stage_of.get(u, GONE) == GONE for u in uid["review"]]
    assert done == [False, True, False, True, False, False]
    # 6 - 4 = 2 free review slots: the two oldest finished items (3 and 4) go to review
    assert [stage_of[u] for u in uid["finished"]] == [DOING, REVIEW, DOING, REVIEW]
    # 4 - 2 = 2 free doing slots: the two oldest ready items (2 and 5) start
    assert [stage_of[u] for u in uid["ready"]] == [READY, READY, DOING, READY, DOING]
    # a done item delivers value (0.5 + 0.5 alignment) exp(-cost_of_delay lead time)
    assert m.board.value_step == pytest.approx(2.0 * (np.exp(-0.1 * 5) + np.exp(-0.1 * 7)),
                                               rel=1e-5)
    assert m.board.lead_time_step == 5 + 7


def test_review_confirms_about_review_rate_times_size_items_a_step():
    m = make(people=40, review_rate=0.3, rework_rate=0.0)
    sizes = [1, 2, 5, 20]
    ids = new_tribes(m, np.eye(m.cfg.themes, dtype=np.float32)[: len(sizes)])
    start = 0
    for tribe, size in zip(ids, sizes, strict=True):
        m.state.move(np.arange(start, start + size), np.full(size, tribe, np.int32), "test")
        start += size
    steps = 400
    for tribe, size in zip(ids, sizes, strict=True):
        add_items(m, tribe, REVIEW, np.zeros((int(0.3 * size) + 1) * steps + 10), remaining=0.0)
    done = np.zeros((steps, len(ids)))
    for step in range(steps):
        before = m.tribes.done_total[ids].copy()
        run_phase(m, "act.flow")
        done[step] = m.tribes.done_total[ids] - before
    expected = 0.3 * np.array(sizes)
    assert (done[:, 0] == 0).all()  # a tribe of one cannot confirm its own work
    for k in range(1, len(sizes)):
        assert set(np.unique(done[:, k])) <= {np.floor(expected[k]), np.floor(expected[k]) + 1}
        assert abs(done[:, k].mean() - expected[k]) < 0.12


def test_lower_wip_limit_shortens_lead_time():
    def lead(wip):
        m = make(people=200, wip_doing=wip, wip_ready=wip, seed=2)
        table = m.run(200)
        done = table["throughput"].iloc[100:].sum()
        return (table["lead_time"].iloc[100:] * table["throughput"].iloc[100:]).sum() / done

    assert lead(1) < lead(8)


def test_backlog_items_expire_after_their_shelf_life():
    m = make(people=50, arrival_rate=1.0, shelf_life=5)
    m.run(20)
    assert m.metrics["expired_total"] > 0
    items = m.board.items
    backlog = items.stage[: items.n] == BACKLOG
    assert (m.steps - items.since[: items.n][backlog] < 5).all()


def test_ties_grow_by_working_together_and_decay_otherwise():
    m = make(consider_rate=0.0, conflict_threshold=1.0, split_division=1.0, exit_base=0.0,
             quit_rate=0.0)
    p = m.people

    def inside_weight():
        n = p.n
        inside = p.tribe[p.tie_to[:n]] == p.tribe[:n, None]
        return float((p.tie_w[:n] * inside).sum())

    before = inside_weight()
    m.run(20)
    assert inside_weight() > 1.5 * before
    # no growth, and nothing else that adds ties: no exits, so no hires introduced to contacts
    idle = make(tie_decay=0.1, tie_growth=0.0, exit_base=0.0, quit_rate=0.0,
                consider_rate=0.0, hiring="none")
    start = idle.people.tie_w[: idle.people.n].sum()
    idle.run(10)
    assert np.isclose(idle.people.tie_w[: idle.people.n].sum(), start * 0.9**10, rtol=1e-4)


def test_cost_of_delay_lowers_delivered_value_only():
    def run(cost):
        m = make(people=150, purpose="co_created", cost_of_delay=cost, seed=4)
        m.run(60)
        return m.metrics["done_total"], m.metrics["value_total"]

    done_free, value_free = run(0.0)
    done_costly, value_costly = run(0.2)
    assert done_free == done_costly > 0
    assert value_costly < 0.5 * value_free


def test_juggling_more_items_than_members_costs_progress():
    def progress(cost):
        # management pushes up to 1000 steps of estimated capacity: members juggle items
        m = make("hierarchy", people=60, arrival_rate=2.0, seed=6, load_horizon=1000.0)
        m.run(2)
        reconfigure(m, switch_cost=cost)
        items = m.board.items
        doing = np.flatnonzero(items.stage[: items.n] == DOING)
        before = items.remaining[doing].copy()
        run_phase(m, "act.work")
        tribe = items.tribe[doing]
        moved = np.bincount(tribe, weights=before - items.remaining[doing], minlength=m.tribes.n)
        size = np.maximum(m.tribes.size[: m.tribes.n], 1)
        per_member = np.bincount(tribe, minlength=m.tribes.n) / size
        return moved, per_member

    free, per_member = progress(0.0)
    costly, _ = progress(0.2)
    busy = (per_member > 1) & (free > 0)
    assert busy.any()
    # each extra item per member costs 20% of the effort, up to switch_loss_max (75%)
    loss = np.minimum(0.2 * (per_member[busy] - 1), 0.75)
    assert np.allclose(costly[busy] / free[busy], 1 - loss, rtol=1e-3)
    assert (loss == 0.75).any() and (loss < 0.75).any()  # both sides of the bound


def test_coordination_cost_lowers_capacity_per_member():
    m = make(people=200, coordination_cost=0.2)
    m.run(3)
    p, t = m.people, m.tribes
    living = t.living()
    members = p.tribe[: p.n] >= 0
    effort = np.bincount(p.tribe[: p.n][members], weights=p.engagement[: p.n][members]
                         * (1 - t.overhead[p.tribe[: p.n][members]]), minlength=t.n)
    expected = (effort[living] * m.rules.work.record.effectiveness[living]
                / (1 + 0.2 * (t.size[living] - 1)))
    run_phase(m, "act.work")
    assert np.allclose(t.capacity[living], expected, rtol=1e-4)


def test_innovation_needs_slack_so_an_overloaded_organization_does_not_improve():
    def effectiveness(**settings: object) -> float:
        m = make(innovation_rate=0.2, **settings)
        m.run(60)
        return float(m.rules.work.record.effectiveness[m.tribes.living()].mean())

    quiet = make(innovation_rate=0.0)
    quiet.run(30)
    assert np.allclose(quiet.rules.work.record.effectiveness[quiet.tribes.living()], 1.0)
    with_slack = effectiveness(arrival_rate=0.01)
    overloaded = effectiveness(arrival_rate=0.5)
    assert with_slack > 1.2 and with_slack <= make().cfg.max_effectiveness
    assert overloaded < 1 + 0.5 * (with_slack - 1)


def test_review_sends_careless_work_back_and_rework_costs_capacity():
    def run(**settings: object) -> dict[str, float]:
        m = make(people=200, arrival_rate=0.3, seed=3, **settings)
        return summarize_run(m.run(150))

    careful, careless = run(rework_rate=0.0), run(rework_rate=1.0)
    assert careful["rework_share"] == 0.0
    assert careless["rework_share"] > 0.1
    # under load, rework takes capacity: fewer items done
    assert careless["throughput"] < 0.95 * careful["throughput"]
    assert careless["capacity"] < careful["capacity"]


def test_rework_chance_is_the_documented_function_of_care():
    m = make(people=120, rework_rate=0.6)
    m.run(5)
    living = m.tribes.living()
    quality = m.rules.work.record.quality[living]
    assert ((quality > 0) & (quality <= 1)).all()
    assert np.allclose(rework_chance(m.state, m.rules.work)[living], 0.6 * (1 - quality))
    # quality is the effort-weighted engagement of those who worked
    p, t = m.people, m.tribes
    members = np.flatnonzero(p.tribe[: p.n] == living[0])
    effort = p.engagement[members] * (1 - min(t.overhead[living[0]], 1.0))
    observed = (effort * p.engagement[members]).sum() / effort.sum()
    run_phase(m, "act.work")
    assert m.rules.work.record.quality[living[0]] == pytest.approx(observed, rel=1e-5)


def test_sent_back_items_stay_in_review_and_are_reworked():
    m = make(people=80, rework_rate=1.0, rework_effort=0.5, review_rate=0.5)
    m.rules.work.record.quality[0] = 0.0  # no care at all: everything reviewed goes back
    items = add_items(m, 0, REVIEW, [1, 2], remaining=0.0)
    effort = m.board.items.effort[items].copy()
    run_phase(m, "act.flow")
    assert (m.board.items.stage[items] == REVIEW).all()
    assert np.allclose(m.board.items.remaining[items], 0.5 * effort)
    assert m.board.reworked_step == 2 and m.board.done_step == 0
    run_phase(m, "act.work")  # rework takes the tribe's effort like work in doing
    assert (m.board.items.remaining[items] < 0.5 * effort).all()


@pytest.mark.parametrize("room", [0.0, 0.5, 7.0, 300.0, 5_000.0, 1e9])
def test_push_looks_at_the_oldest_backlog_up_to_the_room_and_no_further(room):
    """However long the backlog, the rows taken are those whose effort before them is below
    the room: as with the cumulative sum over the whole backlog (the search runs over
    growing prefixes, several of them for a long backlog and a large room)."""
    rng = np.random.default_rng(3)
    effort = rng.gamma(2.0, 1.0, 10_000).astype(np.float32)
    effort[::97] = 0.0  # a part with nothing left to do takes no room
    rows = rng.permutation(len(effort))
    before = np.cumsum(effort[rows], dtype=np.float64) - effort[rows]
    assert oldest_within(effort, rows, room) == np.count_nonzero(before < room)

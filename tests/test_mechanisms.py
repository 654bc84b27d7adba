"""Each mechanism has a test that fails if the mechanism breaks."""

from __future__ import annotations

import numpy as np
import pytest

from agents.arrays import normalize_rows
from model.kanban import BACKLOG, DOING, READY, REVIEW
from tests.conftest import make, members_of


def opposed_tribe(m, tribe: int = 0) -> np.ndarray:
    """Make tribe `tribe`'s purpose orthogonal to its members' passions; return the members."""
    members = members_of(m, tribe)
    passion = np.zeros(m.cfg.themes, dtype=np.float32)
    passion[0] = 1.0
    m.people.passion[members] = passion
    purpose = np.zeros(m.cfg.themes, dtype=np.float32)
    purpose[1] = 1.0
    m.tribes.purpose[tribe] = purpose
    return members


# ---------------------------------------------------------------------- membership
@pytest.mark.parametrize("membership", ["voluntary", "assigned"])
def test_members_leave_an_opposed_purpose_only_when_membership_is_voluntary(membership):
    m = make(membership=membership, purpose="fixed", passion_drift=0.0, conflict="consent",
             exit_base=0.0, exit_sensitivity=0.0, split_division=1.0, conflict_threshold=1.0,
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
    m = make(people=150, found_rate=1.0, found_threshold=1.0, switch_threshold=1.0,
             cofound_alignment=0.0)
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


def test_hybrid_approval_limits_moves():
    def moves(rate):
        m = make(membership="hybrid", approval_rate=rate, people=150, seed=3)
        m.run(40)
        events = m.event_log()
        return int(events["detail"].isin(["switch", "found", "leave"]).sum())

    assert moves(0.0) == 0
    assert moves(1.0) > moves(0.1) > 0


# ---------------------------------------------------------------------- exit and hiring
def test_exit_grows_with_the_outside_option():
    def exits(option):
        m = make(people=300, outside_option=option, exit_base=0.0, hiring="none", seed=5)
        m.people.commitment[: m.people.n] = 0.2
        m.run(20)
        return m.metrics["exits_total"]

    assert exits(0.0) == 0
    assert exits(1.0) > 20


def test_replacement_hiring_keeps_headcount_and_none_shrinks_it():
    replace = make(people=200, exit_base=0.02, hiring="replace")
    replace.run(30)
    assert replace.metrics["headcount"] == 200
    assert replace.metrics["exits_total"] > 0
    assert replace.people.n == 200 + replace.metrics["exits_total"]
    none = make(people=200, exit_base=0.02, hiring="none")
    none.run(30)
    assert none.metrics["headcount"] == 200 - none.metrics["exits_total"] < 200


def test_people_who_exit_leave_their_tribe_and_stay_gone():
    m = make(people=200, exit_base=0.05)
    m.run(20)
    gone = ~m.people.active[: m.people.n]
    assert gone.any()
    assert (m.people.tribe[: m.people.n][gone] == -1).all()
    assert (m.people.exit_step[: m.people.n][gone] > 0).all()


# ---------------------------------------------------------------------- leadership
def test_peers_make_a_reputable_aligned_member_the_leader():
    m = make(leadership="emergent", consider_rate=0.0, exit_base=0.0, exit_sensitivity=0.0,
             split_division=1.0, conflict_threshold=1.0)
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
    m = make("hierarchy", exit_base=0.0, exit_sensitivity=0.0)
    m.run(5)
    for tribe in m.tribes.living():
        members = members_of(m, tribe)
        best = members[np.argmax(m.people.skill[members].max(axis=1))]
        assert m.tribes.leader[tribe] == best


def test_rotating_leadership_changes_hands_every_period():
    m = make(leadership="rotating", rotation_period=5, membership="assigned",
             exit_base=0.0, exit_sensitivity=0.0, conflict_threshold=1.0)
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
    for tribe in m.tribes.living()[:5]:
        members = members_of(m, tribe)
        fit = m.people.passion[members] @ market.astype(np.float32)
        assert m.tribes.value_champion[tribe] == members[np.argmax(fit)]


# ---------------------------------------------------------------------- Kanban
def test_pull_never_exceeds_wip_limits():
    m = make(people=150, wip_ready=2, wip_doing=1, wip_review=1, arrival_rate=0.3)
    for _ in range(60):
        m.step()
        counts = m.board.stage_counts(m.tribes.n)
        assert counts[:, READY].max() <= 2
        assert counts[:, DOING].max() <= 1
        assert counts[:, REVIEW].max() <= 1
    assert m.metrics["done_total"] > 0


def test_push_piles_up_work_beyond_any_limit():
    m = make("hierarchy", people=150, arrival_rate=0.3)
    m.run(40)
    counts = m.board.stage_counts(m.tribes.n)
    assert counts[:, DOING].max() > 10
    assert m.board.count(BACKLOG) == 0  # management pushes the whole backlog


def test_work_needs_a_peer_to_confirm_it():
    m = make(people=60, min_tribe_size=1, max_tribe_size=2, consider_rate=0.0,
             exit_base=0.0, exit_sensitivity=0.0, grace_period=1000, merge_check_rate=0.0)
    # everyone alone in a tribe of one
    ids = m.tribes.create(m.people.passion[: m.people.n], m.steps, origin=1)
    m.move(np.arange(m.people.n), ids, "test")
    m.run(40)
    assert m.metrics["done_total"] == 0
    assert m.board.count(REVIEW) > 0


def test_items_are_pulled_in_order_and_finished_work_delivers_value():
    m = make(people=100, arrival_rate=0.1)
    m.run(60)
    table = m.step_table()
    assert table["done_total"].iloc[-1] > 0
    assert table["value_total"].iloc[-1] > 0
    assert (table["value_total"].diff().dropna() >= 0).all()


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


@pytest.mark.parametrize("dist", ["fixed", "exponential", "lognormal"])
def test_effort_distributions_have_the_configured_mean(dist):
    m = make(people=2000, effort_dist=dist, effort_mean=4.0, arrival_rate=1.0)
    m.run(1)
    items = m.board.items
    effort = items.effort[: items.n]
    assert abs(effort.mean() - 4.0) < 0.3
    if dist == "fixed":
        assert (effort == 4.0).all()


def test_market_drifts_only_with_turbulence():
    calm = make(turbulence=0.0)
    before = calm.market.shares.copy()
    calm.run(10)
    assert np.allclose(calm.market.shares, before)
    rough = make(turbulence=0.5)
    before = rough.market.shares.copy()
    rough.run(10)
    assert not np.allclose(rough.market.shares, before)


# ---------------------------------------------------------------------- orient
def test_practice_communities_pull_skills_toward_stronger_peers():
    m = make(doing_learning=0.0, practice_learning=0.5, practice_threshold=0.3, exit_base=0.0,
             exit_sensitivity=0.0)
    p = m.people
    p.skill[: p.n, 0] = 0.2
    p.skill[:10, 0] = 0.9       # strong practitioners
    p.skill[10:20, 0] = 0.35    # weak practitioners
    m.run(3)
    assert (p.skill[10:20, 0] > 0.4).all()
    assert np.allclose(p.skill[20 : p.n, 0], 0.2)  # not in the community: no learning


def test_engagement_moves_toward_fit():
    m = make()
    p = m.people
    p.engagement[: p.n] = 1.0
    from model.plan import observe, orient

    observe(m)
    orient(m)
    assert (p.engagement[: p.n] < 1.0).all()


def test_members_passions_drift_toward_the_purpose():
    m = make(passion_drift=0.2, purpose="fixed", consider_rate=0.0)
    members = members_of(m, 0)
    purpose = m.tribes.purpose[0].copy()
    before = m.people.passion[members] @ purpose
    m.run(5)
    stayed = members[m.people.tribe[members] == 0]
    after = m.people.passion[stayed] @ purpose
    assert (after > before[np.isin(members, stayed)]).all()


def test_ties_grow_by_working_together_and_decay_otherwise():
    m = make(consider_rate=0.0, conflict_threshold=1.0, split_division=1.0, exit_base=0.0,
             exit_sensitivity=0.0)
    p = m.people

    def inside_weight():
        n = p.n
        inside = p.tribe[p.tie_to[:n]] == p.tribe[:n, None]
        return float((p.tie_w[:n] * inside).sum())

    before = inside_weight()
    m.run(20)
    assert inside_weight() > 1.5 * before
    idle = make(tie_decay=0.1, tie_growth=0.0)
    start = idle.people.tie_w[: idle.people.n].sum()
    idle.run(10)
    assert np.isclose(idle.people.tie_w[: idle.people.n].sum(), start * 0.9**10, rtol=1e-4)


# ---------------------------------------------------------------------- life cycle and purpose
def test_small_tribes_dissolve_after_grace_and_release_their_items():
    m = make(people=100, grace_period=0, min_tribe_size=5, consider_rate=0.0)
    tribe = int(m.tribes.living()[0])
    members = members_of(m, tribe)
    m.move(members[3:], np.full(len(members) - 3, -1, np.int32), "test")
    m.run(1)
    assert not m.tribes.alive[tribe]
    assert (m.people.tribe[members] != tribe).all()
    items = m.board.items
    assert not (items.tribe[: items.n][items.stage[: items.n] >= READY] == tribe).any()
    assert tribe in m.event_log().query("event == 'dissolved'")["tribe"].tolist()


def test_oversized_tribes_split():
    m = make(people=100, max_tribe_size=12, consider_rate=0.0)
    ids = m.tribes.living()
    m.move(np.arange(40), np.full(40, ids[0], np.int32), "test")
    m.run(1)
    assert m.tribes.size[ids[0]] <= 21
    assert (m.event_log()["event"] == "split").any()


def test_tribes_with_converged_purposes_merge():
    m = make(people=16, team_size=8, unit_size=16, merge_check_rate=1.0, merge_similarity=0.99,
             consider_rate=0.0, max_tribe_size=40, conflict_threshold=1.0, split_division=1.0)
    a, b = m.tribes.living()
    m.tribes.purpose[b] = m.tribes.purpose[a]
    m.run(1)
    merged = m.event_log().query("event == 'merged'")
    pair = {int(a), int(b)}
    assert any({t, o} == pair for t, o in merged[["tribe", "other"]].itertuples(index=False))
    assert m.tribes.alive[a] != m.tribes.alive[b]


def test_co_created_purpose_moves_toward_members_passions():
    m = make(purpose="co_created", refine_rate=0.3, consider_rate=0.0, reorient_every=0,
             market_pull=0.0)
    members = members_of(m, 0)
    shared = normalize_rows(m.people.passion[members].mean(axis=0, keepdims=True))[0]
    before = float(m.tribes.purpose[0] @ shared)
    m.run(3)
    assert float(m.tribes.purpose[0] @ shared) > before


def test_fixed_purpose_never_changes():
    m = make("hierarchy")
    before = m.tribes.purpose[: m.tribes.n].copy()
    m.run(30)
    assert np.array_equal(m.tribes.purpose[: len(before)], before)


def test_tribes_pivot_after_a_run_of_poor_results():
    m = make(purpose="pivoting", pivot_patience=3, pivot_threshold=1e6)
    m.run(4)
    pivots = m.event_log().query("event == 'pivoted'")
    assert len(pivots) > 0
    assert (m.tribes.pivots[: m.tribes.n] > 0).any()


# ---------------------------------------------------------------------- conflict
def conflicted(conflict: str):
    m = make(conflict=conflict, conflict_threshold=0.3, consider_rate=0.0, split_division=1.0,
             leadership="appointed")
    members = members_of(m, 0)
    half = members[: len(members) // 2]
    opposed_tribe(m)
    m.people.passion[half] = m.tribes.purpose[0]
    from model.plan import observe

    observe(m)
    return m, members, half


def test_exit_rule_removes_dissenters():
    m, members, half = conflicted("exit")
    m.run(1)
    dissenters = np.setdiff1d(members, half)
    assert (m.people.tribe[dissenters] != 0).all()


def test_consent_integrates_passions_at_a_cost_in_effort():
    m, members, _ = conflicted("consent")
    m.run(1)
    shared = normalize_rows(m.people.passion[members].mean(axis=0, keepdims=True))[0]
    assert float(m.tribes.purpose[0] @ shared) > 0.99
    assert m.tribes.overhead[0] == pytest.approx(m.cfg.consent_overhead)


def test_arbitration_costs_overruled_members_engagement():
    m, members, half = conflicted("arbitration")
    leader = m.tribes.leader[0]
    assert leader >= 0
    m.people.passion[leader] = m.tribes.purpose[0]
    before = m.people.engagement[members].copy()
    from model.plan import conflict

    m.tribes.count_members(m.people)
    conflict(m)
    overruled = m.people.alignment[members] < m.people.alignment[leader]
    assert overruled.any()
    assert (m.people.engagement[members][overruled] < before[overruled]).all()


# ---------------------------------------------------------------------- ties at hire and start
def test_initial_ties_go_to_team_and_unit_colleagues():
    m = make(people=400, unit_size=40, team_size=8, initial_ties=4)
    p = m.people
    n = p.n
    source = np.repeat(np.arange(n), p.tie_to.shape[1])
    target = p.tie_to[:n].ravel()
    tied = target >= 0
    source, target = source[tied], target[tied]
    assert (p.unit[source] == p.unit[target]).all()
    same_team = np.mean(p.tribe[source] == p.tribe[target])
    assert 0.5 <= same_team < 1.0  # half the slots go to team-mates, the rest to the unit
    assert tied.sum() > 3 * n


def test_a_new_hire_is_introduced_to_the_leavers_contacts():
    m = make(people=100, initial_ties=4)
    leaver = 7
    contacts = {j for j in m.people.tie_to[leaver] if j >= 0}
    m.people.active[leaver] = False
    hire = m.hire(np.array([leaver]))[0]
    p = m.people
    ties = {int(j) for j, w in zip(p.tie_to[hire], p.tie_w[hire], strict=True) if j >= 0 and w > 0}
    assert ties and ties <= contacts
    assert m.people.unit[hire] == m.people.unit[leaver]


# ---------------------------------------------------------------------- flow and effort
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
    from model.plan import work

    def progress(cost):
        m = make("hierarchy", people=60, arrival_rate=2.0, seed=6)
        m.run(2)
        m.cfg = m.cfg.replace(switch_cost=cost)
        items = m.board.items
        doing = np.flatnonzero(items.stage[: items.n] == DOING)
        before = items.remaining[doing].copy()
        work(m)
        tribe = items.tribe[doing]
        moved = np.bincount(tribe, weights=before - items.remaining[doing], minlength=m.tribes.n)
        size = np.maximum(m.tribes.size[: m.tribes.n], 1)
        per_member = np.bincount(tribe, minlength=m.tribes.n) / size
        return moved, per_member

    free, per_member = progress(0.0)
    costly, _ = progress(1.0)
    busy = (per_member > 1) & (free > 0)
    assert busy.any()
    assert np.allclose(costly[busy] / free[busy], 1 / (1 + (per_member[busy] - 1)), rtol=1e-3)


def test_coordination_cost_lowers_capacity_per_member():
    m = make(people=200, coordination_cost=0.2)
    m.run(3)
    p, t = m.people, m.tribes
    living = t.living()
    members = p.tribe[: p.n] >= 0
    effort = np.bincount(p.tribe[: p.n][members], weights=p.engagement[: p.n][members]
                         * (1 - t.overhead[p.tribe[: p.n][members]]), minlength=t.n)
    expected = effort[living] * t.effectiveness[living] / (1 + 0.2 * (t.size[living] - 1))
    from model.plan import work

    work(m)
    assert np.allclose(t.capacity[living], expected, rtol=1e-4)


def test_innovation_champions_raise_effectiveness():
    quiet = make(innovation_rate=0.0)
    quiet.run(30)
    assert np.allclose(quiet.tribes.effectiveness[quiet.tribes.living()], 1.0)
    busy = make(innovation_rate=0.2)
    busy.run(30)
    effectiveness = busy.tribes.effectiveness[busy.tribes.living()]
    assert effectiveness.mean() > 1.2 and effectiveness.max() <= busy.cfg.max_effectiveness


def test_leader_hysteresis_keeps_incumbents():
    def changes(hysteresis):
        m = make(people=200, leader_hysteresis=hysteresis, seed=2)
        return int(m.run(60)["leader_changes"].iloc[5:].sum())

    assert changes(100.0) < changes(0.0)


# ---------------------------------------------------------------------- fit
def test_fit_combines_belonging_and_overload_as_documented():
    m = make(w_alignment=0.0, w_skill=0.0, w_leader=0.0, w_belonging=1.0, w_workload=0.5,
             belonging_scale=2.0)
    p, t = m.people, m.tribes
    person = int(members_of(m, 0)[0])
    inside = p.tribe[p.tie_to[person]] == 0
    weight = float((p.tie_w[person] * inside).sum())
    t.overload[0] = 0.0
    fit = p.fit_in(np.array([person]), np.array([0]), t, m.cfg)[0][0]
    assert fit == pytest.approx(1 - np.exp(-weight / 2.0), rel=1e-5)
    t.overload[0] = 0.4
    loaded = p.fit_in(np.array([person]), np.array([0]), t, m.cfg)[0][0]
    assert loaded == pytest.approx(max(fit - 0.5 * 0.4, 0.0), rel=1e-5)

"""Each mechanism has a test that fails if the mechanism breaks."""

from __future__ import annotations

import numpy as np
import pytest

from agents.arrays import normalize_rows
from model import lifecycle, plan
from model.kanban import BACKLOG, DOING, GONE, READY, REVIEW
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


def unit(themes: int, *weights: tuple[int, float]) -> np.ndarray:
    """A unit vector over `themes` themes with the given (theme, weight) entries."""
    vector = np.zeros(themes, dtype=np.float32)
    for theme, weight in weights:
        vector[theme] = weight
    return vector / np.linalg.norm(vector)


def add_items(m, tribe: int, stage: int, since, remaining: float = 1.0, value: float = 1.0
              ) -> np.ndarray:
    """Put one item per entry of `since` on `tribe`'s board in `stage`, entered at that step;
    return their rows. The items' purpose is the tribe's and their needs are uniform."""
    since = np.asarray(since)
    count = len(since)
    board, cfg = m.board, m.cfg
    before = board.items.n
    board.add(np.repeat(m.tribes.purpose[tribe][None, :], count, axis=0),
              np.full((count, cfg.domains), 1.0 / cfg.domains), np.full(count, 1.0),
              np.full(count, value), 0)
    rows = np.arange(before, board.items.n)
    board.move(rows, stage, 0, np.full(count, tribe, dtype=np.int32))
    board.items.since[rows] = since
    board.items.remaining[rows] = remaining
    return rows


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


def test_members_whose_fit_is_below_leave_threshold_leave_their_tribe():
    def decide(threshold=None):
        # everyone reconsiders; nobody can switch (a gain of 1 is impossible) or found
        m = make(consider_rate=1.0, switch_threshold=1.0, found_rate=0.0)
        plan.observe(m)
        n = m.people.n
        before, fit = m.people.tribe[:n].copy(), m.people.fit[:n].copy()
        if threshold is None:  # halfway between two middle fits: about half are below
            ordered = np.unique(fit)
            threshold = float(ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2
        m.cfg = m.cfg.replace(leave_threshold=threshold)
        plan.membership(m)
        return before, fit, threshold, m.people.tribe[:n].copy(), m

    before, fit, threshold, after, m = decide()
    assert (before >= 0).all()
    unfit = fit < threshold
    assert 0.3 < unfit.mean() < 0.7
    assert (after[unfit] == -1).all()  # below the threshold: unaffiliated
    assert np.array_equal(after[~unfit], before[~unfit])  # the others stay
    left = m.event_log().query("event == 'left' and detail == 'leave'")
    assert sorted(left["person"]) == np.flatnonzero(unfit).tolist()
    before, _, _, after, _ = decide(threshold=0.0)
    assert np.array_equal(after, before)  # nobody's fit is below 0


def test_people_hear_of_tribes_only_through_themes_they_care_about():
    themes = 8

    def heard(threshold):
        m = make(people=400, themes=themes, interest_threshold=threshold)
        p, tribes = m.people, m.tribes
        living = tribes.living()
        # the tribes' main themes are 0..3; nobody's purpose leans to themes 4..7
        main = np.arange(len(living)) % 4
        tribes.purpose[living] = 0.1
        tribes.purpose[living, main] = 1.0
        tribes.purpose[living] = normalize_rows(tribes.purpose[living])
        # each person cares about theme k (weight 0.6) above 0.4 and about the others (0.30)
        # below it
        k = np.arange(p.n) % themes
        passion = np.full((p.n, themes), 0.302, dtype=np.float32)
        passion[np.arange(p.n), k] = 0.6
        p.passion[: p.n] = normalize_rows(passion)
        assert (p.passion[np.arange(p.n), k] > 0.59).all()
        assert (np.sort(p.passion[: p.n], axis=1)[:, -2] < 0.31).all()
        tribe = m.communities.tribe_heard_of(m.rng, p, tribes, np.arange(p.n))
        heard_theme = np.where(tribe >= 0, np.argmax(tribes.purpose[np.maximum(tribe, 0)], axis=1),
                               -1)
        return k, tribe, heard_theme

    k, tribe, theme = heard(0.4)
    cared = k < 4
    assert (theme[cared] == k[cared]).all()  # a tribe of the one theme they care about
    assert (tribe[~cared] == -1).all()  # no tribe has their theme: they hear of none
    # at the maximum threshold nobody has an interest: the theme is drawn from all themes in
    # proportion to passion (ODD 3.4), so a person hears of their own theme's tribes with
    # probability 0.6 / (0.6 + 7 * 0.30) = 0.22 and of any tribe with 0.45 when theirs has none
    k, tribe, theme = heard(1.0)
    cared = k < 4
    assert 0.08 < np.mean(theme[cared] == k[cared]) < 0.37
    assert 0.28 < np.mean(tribe[~cared] >= 0) < 0.62


def test_hybrid_approval_limits_moves():
    """Foundings and leavings need management's approval under hybrid membership (switches
    within one's formal unit do not: tests/test_formal_units.py)."""
    def moves(rate):
        m = make(membership="hybrid", approval_rate=rate, people=300, seed=3,
                 leave_threshold=0.45, consider_rate=0.5)  # many want to leave
        m.run(40)
        events = m.event_log()
        return int(events["detail"].isin(["found", "leave"]).sum())

    assert moves(0.0) == 0
    assert moves(1.0) > 2 * moves(0.2) > 0


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


def test_people_with_low_commitment_leave_more_often():
    m = make(people=2000, exit_base=0.0, exit_sensitivity=0.5, outside_option=0.6,
             hiring="none")
    p = m.people
    n = p.n
    p.top_skill[:n] = 0.5  # everyone's outside option is 0.6 (0.5 + 0.5 * 0.5) = 0.45
    p.engagement[:n] = 0.5
    low = np.arange(n) % 2 == 0
    p.commitment[:n] = np.where(low, 0.1, 0.9)
    probability, _ = p.exit_probability(m.cfg)
    assert np.allclose(probability[low], 0.5 * (0.45 - 0.1))
    assert (probability[~low] == 0).all()
    plan.exits(m)
    gone = ~p.active[:n]
    assert not gone[~low].any()
    assert 0.12 < gone[low].mean() < 0.23  # 0.175 expected
    assert (p.exit_reason[:n][gone] == 2).all()  # disengaged


def test_commitment_follows_engagement_which_follows_fit():
    m = make(engagement_rate=0.1, commitment_rate=0.03)
    p = m.people
    n = p.n
    p.fit[:n], p.engagement[:n], p.commitment[:n] = 0.9, 0.5, 0.2
    plan.orient(m)
    engagement = 0.5 + 0.1 * (0.9 - 0.5)
    assert np.allclose(p.engagement[:n], engagement)
    assert np.allclose(p.commitment[:n], 0.2 + 0.03 * (engagement - 0.2))


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
    p = m.people
    for tribe in m.tribes.living()[:5]:
        members = members_of(m, tribe)
        fit = p.passion[members] @ market.astype(np.float32)
        assert m.tribes.value_champion[tribe] == members[np.argmax(fit)]
        craft = p.initiative[members] * p.top_skill[members]
        assert m.tribes.innovation_champion[tribe] == members[np.argmax(craft)]


def test_the_innovation_champion_raises_effectiveness_by_their_drive():
    m = make(innovation_rate=0.1, innovation_decay=0.05, max_effectiveness=2.0)
    plan.observe(m)
    plan.leadership(m)
    p, t = m.people, m.tribes
    living = t.living()
    champion = t.innovation_champion[living].copy()
    assert (champion >= 0).all()
    alone = living[0]
    t.innovation_champion[alone] = -1  # a tribe without a champion falls back toward 1
    t.effectiveness[living] = 1.5
    t.innovate(p, m.cfg)
    drive = p.initiative[champion] * p.top_skill[champion]
    expected = 1.5 + 0.1 * drive * (2.0 - 1.5)
    expected[0] = 1.5 - 0.05 * (1.5 - 1.0)
    assert np.allclose(t.effectiveness[living], expected, rtol=1e-6)
    # a more driven champion raises effectiveness faster
    assert np.ptp(drive[1:]) > 0.05


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


def test_items_move_oldest_first_in_every_column_and_done_work_delivers_value():
    # ODD 3.8 flow: oldest items (earliest to enter their column) first within a column
    m = make(people=80, review_rate=0.25, wip_review=6, wip_doing=4, cost_of_delay=0.1)
    tribe = 0
    assert m.tribes.size[tribe] == 8  # confirms floor(0.25 * 8 + U) = 2 items a step
    m.steps = 20
    # rows in an order unrelated to age
    review = add_items(m, tribe, REVIEW, [9, 2, 7, 1, 5, 3], value=2.0)
    finished = add_items(m, tribe, DOING, [8, 3, 6, 4], remaining=0.0)
    ready = add_items(m, tribe, READY, [6, 9, 2, 8, 5])
    m.board.items.wip_age[review] = [4, 5, 6, 7, 8, 9]
    items = m.board.items
    uid = {name: items.uid[rows].copy() for name, rows in
           (("review", review), ("finished", finished), ("ready", ready))}
    plan.flow(m)
    stage_of = dict(zip(items.uid[: items.n].tolist(), items.stage[: items.n].tolist(),
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
    m = make(people=40, review_rate=0.3)
    sizes = [1, 2, 5, 20]
    ids = m.tribes.create(np.eye(m.cfg.themes, dtype=np.float32)[: len(sizes)], m.steps,
                          origin=1)
    start = 0
    for tribe, size in zip(ids, sizes, strict=True):
        m.move(np.arange(start, start + size), np.full(size, tribe, np.int32), "test")
        start += size
    steps = 400
    for tribe, size in zip(ids, sizes, strict=True):
        add_items(m, tribe, REVIEW, np.zeros((int(0.3 * size) + 1) * steps + 10))
    done = np.zeros((steps, len(ids)))
    for step in range(steps):
        before = m.tribes.done_total[ids].copy()
        plan.flow(m)
        done[step] = m.tribes.done_total[ids] - before
    expected = 0.3 * np.array(sizes)
    assert (done[:, 0] == 0).all()  # a tribe of one cannot confirm its own work
    for k in range(1, len(sizes)):
        assert set(np.unique(done[:, k])) <= {np.floor(expected[k]), np.floor(expected[k]) + 1}
        assert abs(done[:, k].mean() - expected[k]) < 0.12


def test_arrivals_are_poisson_in_the_active_headcount():
    m = make(people=200, arrival_rate=0.2, turbulence=0.0)
    m.people.active[100:200] = False  # only the 100 active people bring work: mean 20
    counts = np.empty(2000)
    for k in range(len(counts)):
        plan.arrivals(m)
        counts[k] = m.arrived_step
    assert abs(counts.mean() - 20) < 0.5  # standard error 0.1
    assert abs(counts.var() - 20) < 4  # Poisson: variance = mean (standard error 0.64)


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
    # no growth, and nothing else that adds ties: no exits, so no hires introduced to contacts
    idle = make(tie_decay=0.1, tie_growth=0.0, exit_base=0.0, exit_sensitivity=0.0,
                consider_rate=0.0, hiring="none")
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


@pytest.mark.parametrize("purpose", ["pivoting", "fixed"])
def test_a_merged_purpose_is_the_size_weighted_mean_of_the_two(purpose):
    m = make(people=16, team_size=8, unit_size=16, merge_check_rate=1.0, merge_similarity=0.0,
             max_tribe_size=40, purpose=purpose)
    a, b = m.tribes.living()
    m.move(members_of(m, b)[:2], np.full(2, a, np.int32), "test")  # sizes 10 and 6
    themes = m.cfg.themes
    m.tribes.purpose[a], m.tribes.purpose[b] = unit(themes, (0, 1.0)), unit(themes, (1, 1.0))
    lifecycle.merge(m)
    assert m.tribes.alive[a] and not m.tribes.alive[b]  # the smaller joins the larger
    assert m.tribes.size[a] == 16
    if purpose == "fixed":  # a mandate stays the larger tribe's
        assert np.array_equal(m.tribes.purpose[a], unit(themes, (0, 1.0)))
    else:  # norm(10 e0 + 6 e1), neither the keeper's purpose nor the plain mean
        assert np.allclose(m.tribes.purpose[a], unit(themes, (0, 10.0), (1, 6.0)), atol=1e-6)


@pytest.mark.parametrize("split_division", [0.4, 1.0])
def test_a_divided_tribe_splits_below_its_maximum_size(split_division):
    m = make(split_division=split_division, max_tribe_size=25, min_tribe_size=3)
    members = opposed_tribe(m)  # passions e0, purpose e1
    half = members[: len(members) // 2]
    m.people.passion[half] = m.tribes.purpose[0]
    dissenters = np.setdiff1d(members, half)
    plan.observe(m)
    assert m.tribes.division[0] == pytest.approx(0.5)
    assert 2 * m.cfg.min_tribe_size <= m.tribes.size[0] < m.cfg.max_tribe_size
    tribes_before = m.tribes.n
    lifecycle.split(m)
    new = np.flatnonzero(m.tribes.parent[tribes_before : m.tribes.n] == 0) + tribes_before
    if split_division < 0.5:
        assert len(new) == 1  # the dissenters (who prefer their own passion) leave together
        assert (m.people.tribe[dissenters] == new[0]).all()
        assert (m.people.tribe[half] == 0).all()
        assert np.allclose(m.tribes.purpose[new[0]], m.people.passion[dissenters[0]])
    else:
        assert len(new) == 0
        assert (m.people.tribe[members] == 0).all()


def test_purposes_are_reoriented_to_members_mean_passion_exactly_when_due():
    every = 5
    m = make(purpose="co_created", refine_rate=0.0, market_pull=0.0, reorient_every=every,
             passion_drift=0.0, consider_rate=0.0, exit_base=0.0, exit_sensitivity=0.0,
             conflict_threshold=1.0, split_division=1.0, merge_check_rate=0.0)
    t = m.tribes
    living = t.living()
    for step in range(1, 2 * every + 1):
        before = t.purpose[living].copy()
        m.step()
        assert m.steps == step and np.array_equal(t.living(), living)
        shared = np.stack([m.people.passion[members_of(m, tribe)].mean(axis=0)
                           for tribe in living])
        shared = normalize_rows(shared.astype(np.float32))
        if step % every == 0:
            assert not np.allclose(before, shared, atol=1e-3)
            assert np.allclose(t.purpose[living], shared, atol=1e-6)
            # move the purposes away again, to see the next re-orientation
            t.purpose[living] = normalize_rows(t.purpose[living] + m.market.demand)
        else:
            assert np.allclose(t.purpose[living], before, atol=1e-6)


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


@pytest.mark.parametrize("w_leader", [0.2, 0.0])
def test_a_better_leader_raises_members_fit(w_leader):
    m = make(w_leader=w_leader)
    p, t, cfg = m.people, m.tribes, m.cfg
    plan.observe(m)
    n = p.n
    before = p.fit[:n].copy()
    members = members_of(m, 0)
    assert t.leader_quality[0] == 0.0 and (before[members] < 0.8).all()
    t.leader_quality[0] = 0.5
    p.observe(t, cfg)
    total = cfg.w_alignment + cfg.w_skill + cfg.w_belonging + cfg.w_leader
    assert np.allclose(p.fit[members] - before[members], w_leader * 0.5 / total, atol=1e-6)
    others = np.setdiff1d(np.arange(n), members)
    assert np.array_equal(p.fit[others], before[others])

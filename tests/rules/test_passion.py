"""Passion that can be found: intensity, discovery and pivots in life (model/rules/passion.py,
its effects in fit.py, work.py and orient.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from model.rules import passion
from model.rules.fit import fit_in
from tests.helpers import make, members_of, observe, reconfigure, run_phase


def test_intensity_is_drawn_as_documented_and_is_1_by_default():
    m = make(people=4000, intensity_mean=0.4, intensity_concentration=4.0)
    drawn = m.rules.discovery.passions.intensity[: m.people.n]
    # Beta(1.6, 2.4): mean 0.4, variance ab / ((a + b)^2 (a + b + 1)) = 0.048
    assert drawn.mean() == pytest.approx(0.4, abs=0.01)
    assert drawn.var() == pytest.approx(0.048, abs=0.005)
    plain = make(people=4000)
    assert (plain.rules.discovery.passions.intensity[: plain.people.n] == 1).all()
    # drawn from the concern's own stream: the people are the same people
    assert np.array_equal(plain.people.passion[:4000], m.people.passion[:4000])


def test_intensity_scales_how_much_alignment_matters_to_fit():
    m = make(people=80, intensity_mean=0.5)
    observe(m)
    s, rules, p = m.state, m.rules, m.people
    persons = members_of(m, 0)
    tribes = p.tribe[persons]
    intensity = rules.discovery.passions.intensity
    cfg = m.cfg

    def fits(level: float) -> tuple[np.ndarray, ...]:
        intensity[persons] = level
        m.tribes.purpose[0] = p.passion[persons[0]]  # alignment varies across the members
        fit, alignment, skill_use, belonging = fit_in(s, rules, persons, tribes)
        return fit, alignment, skill_use, belonging

    fit, alignment, skill_use, belonging = fits(1.0)
    total = cfg.w_alignment + cfg.w_skill + cfg.w_belonging + cfg.w_leader
    expected = (cfg.w_alignment * alignment + cfg.w_skill * skill_use
                + cfg.w_belonging * belonging + cfg.w_leader * m.tribes.leader_quality[0]) / total
    assert fit == pytest.approx(np.clip(expected, 0, 1), abs=1e-6)
    indifferent, _, _, _ = fits(0.0)
    rest = (cfg.w_skill * skill_use + cfg.w_belonging * belonging
            + cfg.w_leader * m.tribes.leader_quality[0]) / (total - cfg.w_alignment)
    assert indifferent == pytest.approx(np.clip(rest, 0, 1), abs=1e-6)  # alignment ignored
    spread = (np.corrcoef(fit, alignment)[0, 1], np.corrcoef(indifferent, alignment)[0, 1])
    assert spread[0] > spread[1]


def test_passionate_people_withhold_effort_from_work_outside_their_purpose():
    m = make(people=80, intensity_mean=0.5, meaning_effort=0.4)
    observe(m)
    s, rules, p = m.state, m.rules, m.people
    flat, members, _ = p.pairs()
    intensity = rules.discovery.passions.intensity
    intensity[members] = 1.0
    p.flat("alignment_m")[flat] = 0.0
    assert passion.meaning_left(s, rules, flat, members) == pytest.approx(0.6)
    p.flat("alignment_m")[flat] = 1.0
    assert passion.meaning_left(s, rules, flat, members) == pytest.approx(1.0)
    intensity[members] = 0.0
    p.flat("alignment_m")[flat] = 0.0
    assert passion.meaning_left(s, rules, flat, members) == pytest.approx(1.0)
    reconfigure(m, meaning_effort=0.0)
    assert passion.meaning_left(s, rules, flat, members) is None


def test_meaning_effort_lowers_the_work_done_on_misaligned_purposes():
    def capacity(meaning: float) -> float:
        m = make(people=120, meaning_effort=meaning, purpose="fixed", membership="assigned")
        table = m.run(20)
        return float(table["capacity"].iloc[-5:].mean())

    assert capacity(0.5) < 0.9 * capacity(0.0)


def test_discovery_moves_passions_slowly_and_drift_pulls_back_to_the_own_passion():
    m = make(people=300, discovery="discovering", discovery_rate=0.02, life_pivot_rate=0.0)
    p = m.people
    before = p.passion[: p.n].copy()
    for _ in range(25):
        run_phase(m, "orient.passions")
    after = p.passion[: p.n]
    assert np.allclose(np.linalg.norm(after, axis=1), 1.0, atol=1e-5)
    assert (after >= 0).all()
    moved = 1 - np.einsum("ij,ij->i", after, before)
    assert 0.005 < moved.mean() < 0.2
    # the person's own passion moved with it, and is what drift pulls back to
    own = m.rules.discovery.passions.anchor[: p.n]
    assert np.allclose(own, after, atol=1e-6)
    assert passion.anchor(m.state, m.rules) is m.rules.discovery.passions.anchor
    plain = make(people=20)
    assert passion.anchor(plain.state, plain.rules) is plain.people.passion_origin
    assert np.array_equal(p.passion_origin[: p.n], before)  # the passion at hire is kept


def test_life_pivots_draw_a_new_passion_at_their_rate_and_are_logged():
    m = make(people=2000, discovery="discovering", discovery_rate=0.0, life_pivot_rate=0.01,
             intensity_mean=0.5)
    p = m.people
    before = p.passion[: p.n].copy()
    intensity = m.rules.discovery.passions.intensity[: p.n].copy()
    for _ in range(10):
        run_phase(m, "orient.passions")
    pivots = m.event_log().query("event == 'life_pivot'")
    assert len(pivots) == pytest.approx(0.01 * 10 * 2000, rel=0.2)
    who = np.unique(pivots["person"].to_numpy())
    changed = np.flatnonzero(~np.all(p.passion[: p.n] == before, axis=1))
    assert set(changed.tolist()) == set(who.tolist())
    assert (m.rules.discovery.passions.intensity[who] != intensity[who]).mean() > 0.9
    table = m.run(5)
    assert table["life_pivots"].iloc[1:].sum() > 0


def test_drift_pulls_passions_back_to_the_passion_people_found_themselves():
    m = make(people=80, discovery="discovering", passion_drift=1e-6, passion_anchor=0.5,
             discovery_rate=0.0, life_pivot_rate=0.0)
    observe(m)
    p = m.people
    members = members_of(m, 0)
    own = np.zeros(m.cfg.themes, dtype=np.float32)
    own[0] = 1.0
    m.rules.discovery.passions.anchor[members] = own
    before = p.passion[members, 0].copy()
    run_phase(m, "orient.engagement")
    # halfway toward the own passion, not toward the one at hire
    assert (p.passion[members, 0] - before).mean() > 0.1

"""Pressure and outside options (model/rules/pressure.py): scheduled shocks, layoff rules, and
how people who cannot leave respond (exit, neglect, voice).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from agents.person import ExitReason
from experiments.experiment import ExperimentError
from experiments.spec import parse_experiment
from model import Config, ConfigError, Organization
from model.metrics import RECOVERY_BEFORE, RECOVERY_HOLD, after_shock
from model.rules import exit as exit_rule
from model.rules import pressure, work
from model.rules.pressure import Shock, parse_shocks
from tests.helpers import make, observe, run_phase, set_step


def test_a_schedule_is_read_from_text_tables_or_shocks_into_one_canonical_text():
    text = "surge:30:0.5:20, layoff:10:0.2"
    canonical = "layoff:10:0.2,surge:30:0.5:20"
    assert parse_shocks(text) == canonical
    assert parse_shocks([{"step": 30, "kind": "surge", "size": 0.5, "duration": 20},
                         {"step": 10, "kind": "layoff", "size": 0.2}]) == canonical
    assert parse_shocks([Shock(10, "layoff", 0.2), Shock(30, "surge", 0.5, 20)]) == canonical
    assert Config.build(shocks=text).shocks == canonical
    assert Config.build().shocks == ""


@pytest.mark.parametrize("bad", ["layof:10:0.2", "layoff:10", "layoff:ten:0.2",
                                 "layoff:10:1.5", "slump:10:-0.1", "layoff:10:0.2:5",
                                 "surge:-1:0.5", "freeze:10:0.5:0"])
def test_a_bad_schedule_is_refused_in_one_line_naming_the_parameter_and_what_is_allowed(bad):
    with pytest.raises(ConfigError) as error:
        Config.build(shocks=bad)
    message = str(error.value)
    assert "\n" not in message and message.startswith("shocks: ") and "allowed:" in message


@pytest.mark.parametrize("rule", ["random", "seniority", "performance"])
def test_a_layoff_removes_its_share_as_its_rule_says_and_is_logged(rule):
    m = make(people=200, seed=3, shocks="layoff:6:0.25", layoff=rule)
    m.run(5)
    p = m.people
    before = np.flatnonzero(p.active[: p.n])
    hired, reputation = p.hired[before].copy(), p.reputation[before].copy()
    m.run(1)
    laid_off = np.flatnonzero(p.exit_reason[: p.n] == ExitReason.LAYOFF)
    assert len(laid_off) == round(0.25 * len(before)) == 50
    assert not p.active[laid_off].any() and (p.exit_step[laid_off] == 6).all()
    assert (p.memberships[laid_off] < 0).all()  # they left their tribes
    chosen = np.isin(before, laid_off)
    if rule == "seniority":  # last in, first out
        assert hired[chosen].min() >= hired[~chosen].max()
    elif rule == "performance":  # the lowest reputations
        assert reputation[chosen].max() <= reputation[~chosen].min()
    events = m.event_log()
    exits = events.query("event == 'exited' and detail == 'layoff'")
    assert sorted(exits["person"]) == sorted(p.id[laid_off])
    assert (exits["step"] == 6).all()
    shocks = events.query("event == 'shock'")
    assert shocks[["step", "detail"]].values.tolist() == [[6, "layoff 0.25"]]
    row = m.step_table().set_index("step").loc[6]
    assert row["shock"] == "layoff" and row["layoffs"] == 50
    assert m.step_table().set_index("step").loc[5, "shock"] == ""
    # the laid-off are not replaced: hires that step replace only that step's other leavers
    hires = events.query("event == 'hired' and step == 6")
    assert not np.isin(hires["other"], p.id[laid_off]).any()


def test_a_surge_and_a_slump_scale_arrivals_while_they_last():
    surge = make(people=300, seed=2, shocks="surge:3:1:4")
    table = surge.run(10).set_index("step")
    plain = make(people=300, seed=2).run(10).set_index("step")
    during = table.index.isin(range(3, 7))
    assert (table.loc[during, "shock"] == "surge").all()
    assert (table.loc[~during, "shock"] == "").all()
    assert np.allclose(table.loc[during, "offered"],
                       2 * surge.cfg.arrival_rate * table.loc[during, "headcount"])
    assert table.loc[during, "arrived"].sum() > 1.5 * plain.loc[during, "arrived"].sum()
    # before the surge the two runs are the same, bit for bit
    assert table.loc[:2].drop(columns="shock").equals(plain.loc[:2].drop(columns="shock"))
    slump = make(people=300, seed=2, shocks="slump:3:1:4").run(10).set_index("step")
    assert (slump.loc[during, "arrived"] == 0).all()


def test_a_hiring_freeze_replaces_only_the_share_it_lets_through():
    kwargs = {"people": 300, "seed": 4, "exit_base": 0.02}
    frozen = make(**kwargs, shocks="freeze:1:1:20").run(20)
    assert frozen["hires"].iloc[1:].sum() == 0 < frozen["exits"].iloc[1:].sum()
    half = make(**kwargs, shocks="freeze:1:0.5:20").run(20)
    ratio = half["hires"].iloc[1:].sum() / half["exits"].iloc[1:].sum()
    assert 0.35 < ratio < 0.65
    free = make(**kwargs).run(20)
    assert free["hires"].iloc[1:].sum() == free["exits"].iloc[1:].sum()


def test_a_collapse_or_boom_of_outside_options_scales_the_outside_option():
    m = make(people=100, seed=5)
    observe(m)
    base = exit_rule.outside_value(m.state).copy()
    for factor in (0.25, 1.5):
        m.state.conditions.outside = factor
        assert np.allclose(exit_rule.outside_value(m.state), factor * base)
    m.state.conditions.outside = 1.0
    # and the shocks set it while they last
    m = make(people=100, seed=5, shocks="collapse:2:0.75:3,boom:6:0.5")
    for step in range(1, 8):
        m.step()
        expected = {2: 0.25, 3: 0.25, 4: 0.25, 6: 1.5}.get(step, 1.0)
        assert m.state.conditions.outside == pytest.approx(expected)


def trapped_model(response: str) -> Organization:
    """A model after some steps, in which some people's fit has fallen below their
    commitment."""
    m = make(people=400, seed=6, response=response, history_steps=20)
    m.run(10)
    p = m.people
    n = p.n
    p.commitment[:n] = np.where(np.arange(n) % 2 == 0, 0.9, p.commitment[:n])
    observe(m)
    return m


def test_when_leaving_is_not_viable_the_dissatisfied_stay_and_withhold_effort_under_neglect():
    m = trapped_model("neglect")
    s, p = m.state, m.people
    rows = np.flatnonzero(p.active[: p.n])
    dissatisfied = np.maximum(p.commitment[rows] - p.fit[rows], 0.0)
    assert (dissatisfied > 0).mean() > 0.4
    quits, neglect = {}, {}
    for outside in (1.0, 0.0):  # normal outside options, then a collapse
        s.conditions.outside = outside
        quits[outside] = exit_rule.quit_probability(s)[rows]
        pressure.respond(s, m.rules)
        neglect[outside] = m.rules.response.stance.neglect[rows].copy()
        gap = (exit_rule.outside_value(s)[rows] - exit_rule.staying_value(s)[rows]) \
            / m.cfg.quit_noise
        viable = 1 / (1 + np.exp(-gap))
        assert np.allclose(neglect[outside], np.minimum(dissatisfied * (1 - viable), 1),
                           atol=1e-6)
    # with outside options collapsed, nobody is pushed out (quits fall) but those whose fit is
    # below their commitment withhold more effort; the satisfied withhold none
    assert (quits[0.0] < quits[1.0]).all()
    more = dissatisfied > 0
    assert (neglect[0.0][more] > neglect[1.0][more]).all()
    assert (neglect[0.0][~more] == 0).all()
    # and the work phase takes it from their effort
    flat, members, tribe = p.pairs()
    left = work.effort_left(s, m.rules, flat, members, tribe)
    assert left is not None
    assert np.allclose(left, 1 - m.rules.response.stance.neglect[members])


def test_under_exit_only_nobody_withholds_effort_whatever_their_options():
    m = trapped_model("exit")
    m.state.conditions.outside = 0.0
    pressure.respond(m.state, m.rules)
    assert not m.rules.response.stance.neglect.any()
    flat, members, tribe = m.people.pairs()
    assert pressure.effort_kept(m.state, m.rules, members) is None


def test_a_collapse_of_outside_options_lowers_effort_without_exits_under_neglect():
    """Whole runs: the same organization under a collapse of outside options and without,
    both under neglect. In the step the options collapse (the two runs are the same until
    then) more effort is withheld and fewer people quit; over the collapse, fewer quit."""
    kwargs = {"people": 400, "seed": 8, "response": "neglect", "history_steps": 50}
    collapsed = make(**kwargs, shocks="collapse:1:1:40").run(40).set_index("step")
    normal = make(**kwargs).run(40).set_index("step")
    assert collapsed.loc[1, "neglect"] > 1.2 * normal.loc[1, "neglect"] > 0
    assert collapsed.loc[1, "exits_voluntary"] <= normal.loc[1, "exits_voluntary"]
    assert collapsed["exits_voluntary"].sum() < 0.5 * normal["exits_voluntary"].sum()
    assert collapsed.loc[1, "capacity"] < normal.loc[1, "capacity"]
    exit_only = make(**{**kwargs, "response": "exit"}, shocks="collapse:1:1:40").run(40)
    assert (exit_only["neglect"] == 0).all()


def test_voice_raises_the_division_of_the_voices_tribes_by_their_mean_voice():
    m = trapped_model("voice")
    s, tribes = m.state, m.tribes
    living = tribes.living()
    before = tribes.division[living].copy()
    s.conditions.outside = 0.0
    pressure.respond(s, m.rules)
    stance, p = m.rules.response.stance, m.people
    rows = np.flatnonzero(p.active[: p.n])
    trapped = pressure.trapped_dissatisfaction(s, rows)
    assert np.allclose(stance.voice[rows], p.commitment[rows] * trapped, atol=1e-6)
    assert np.allclose(stance.neglect[rows], np.minimum((1 - p.commitment[rows]) * trapped, 1),
                       atol=1e-6)
    _, members, tribe = p.pairs()
    mean = (np.bincount(tribe, weights=stance.voice[members], minlength=tribes.n)[living]
            / tribes.size[living])
    assert np.allclose(tribes.division[living], before + mean, atol=1e-6)
    assert (mean > 0).any()


def test_voice_brings_conflict_into_the_open():
    kwargs = {"people": 300, "seed": 9, "history_steps": 50, "shocks": "collapse:1:1:60",
              "voice_weight": 5.0}
    voiced = make(**kwargs, response="voice").run(60)["conflicts"].sum()
    silent = make(**kwargs, response="neglect").run(60)["conflicts"].sum()
    assert voiced > silent


def test_with_no_shock_the_pressure_phase_changes_nothing():
    m = make(people=100, seed=1)
    run_phase(m, "pressure.shocks")
    c = m.state.conditions
    assert (c.demand, c.outside, c.freeze, c.active) == (1.0, 1.0, 0.0, [])


def test_the_recovery_after_the_first_shock_is_measured_as_documented():
    steps = np.arange(200)
    throughput = np.full(200, 10.0)
    throughput[100:130] = 4.0  # falls at the shock, back from step 130
    engagement = np.full(200, 0.6)
    shock = np.where((steps >= 100) & (steps < 110), "layoff+surge", "")
    table = pd.DataFrame({"step": steps, "throughput": throughput, "engagement": engagement,
                          "shock": shock, "exits_voluntary": np.where(steps >= 100, 1, 0),
                          "quitters_skill": np.where(steps >= 100, 0.8, 0.0),
                          "top_skill": np.full(200, 0.7)})
    result = after_shock(table)
    assert result["shock_step"] == 100
    # the first step from which the next RECOVERY_HOLD steps average at least 95% of 10
    hold = RECOVERY_HOLD
    expected = next(k for k in range(100) if throughput[100 + k: 100 + k + hold].mean() >= 9.5)
    assert result["recovery_throughput"] == expected == 130 - 100 - 1
    assert result["recovered_throughput"] == 1.0
    assert result["recovery_engagement"] == 0.0  # it never fell
    assert result["quits_after_shock"] == 100
    assert result["quit_skill_after_shock"] == pytest.approx(0.8)
    # never back within the run: NaN, not recovered
    table.loc[100:, "throughput"] = 4.0
    result = after_shock(table)
    assert math.isnan(result["recovery_throughput"]) and result["recovered_throughput"] == 0.0
    # no shock: NaN throughout
    assert all(math.isnan(v) for v in after_shock(table.assign(shock="")).values())
    assert RECOVERY_BEFORE == 50


def test_an_experiment_file_schedules_shocks_as_tables():
    data = {"experiment": {"steps": 10, "replicates": 1, "seed": 1},
            "shocks": [{"step": 5, "kind": "layoff", "size": 0.2},
                       {"step": 5, "kind": "surge", "size": 0.5, "duration": 3}]}
    experiment = parse_experiment(data)
    assert experiment.base["shocks"] == "layoff:5:0.2,surge:5:0.5:3"
    with pytest.raises(ExperimentError, match=r"\[\[shocks\]\].*layof"):
        parse_experiment({**data, "shocks": [{"step": 5, "kind": "layof", "size": 0.2}]})
    with pytest.raises(ExperimentError, match="base.shocks"):
        parse_experiment({**data, "base": {"shocks": "layoff:5:0.2"}})
    with pytest.raises(ExperimentError, match="missing"):
        parse_experiment({**data, "shocks": [{"step": 5, "kind": "layoff"}]})


def test_set_step_helper_is_consistent_with_the_schedule():
    """A shock starting at the model's current step is applied by the next step's phase."""
    m = make(people=100, seed=1, shocks="layoff:3:0.1")
    set_step(m, 2)
    m.step()
    assert m.state.clock == 3 and m.metrics["layoffs"] == 10

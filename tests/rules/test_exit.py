"""Leaving the organization (model/rules/exit.py): a base hazard, and quits that respond to fit,
commitment and the outside option.

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np
import pytest

from agents.person import ExitReason
from model.metrics import summarize_run
from model.rules.exit import quit_probability
from tests.helpers import make, run_phase


def test_quit_probability_is_the_documented_logit():
    m = make(people=50, quit_rate=0.2, quit_noise=0.1, outside_option=0.6, history_steps=0)
    p = m.people
    n = p.n
    p.top_skill[:n] = 0.5  # everyone's outside option: 0.6 (0.5 + 0.5 * 0.5) = 0.45
    p.fit[:n] = np.linspace(0.0, 1.0, n)
    p.commitment[:n] = 0.4
    value = (p.fit[:n] + 0.4) / 2
    expected = 0.2 / (1 + np.exp(-(0.45 - value) / 0.1))
    assert np.allclose(quit_probability(m.state), expected, rtol=1e-5)
    p.active[0] = False
    assert quit_probability(m.state)[0] == 0.0


def quits_and_attrition(**settings: object) -> tuple[float, float]:
    """Exits by reason per person-step, one exit phase over a large population."""
    m = make(people=4000, hiring="none", history_steps=0, **settings)
    run_phase(m, "observe")
    run_phase(m, "decide.exit")
    p = m.people
    reason = p.exit_reason[: p.n]
    return ((reason == ExitReason.VOLUNTARY).mean(), (reason == ExitReason.ATTRITION).mean())


def test_attrition_is_the_base_hazard_whatever_the_fit():
    _, attrition = quits_and_attrition(exit_base=0.05, quit_rate=0.0)
    assert attrition == pytest.approx(0.05, abs=0.012)
    quits, attrition = quits_and_attrition(exit_base=0.05, quit_rate=0.0, outside_option=1.0)
    assert quits == 0.0 and attrition == pytest.approx(0.05, abs=0.012)


def test_quits_rise_with_the_outside_option_and_only_quits_do():
    low, attrition_low = quits_and_attrition(outside_option=0.1, quit_rate=0.3)
    high, attrition_high = quits_and_attrition(outside_option=0.9, quit_rate=0.3)
    assert high > 3 * low > 0
    assert abs(attrition_high - attrition_low) < 0.005


def test_quits_rise_as_fit_falls():
    m = make(people=4000, hiring="none", history_steps=0, quit_rate=0.3)
    run_phase(m, "observe")
    p = m.people
    n = p.n
    p.commitment[:n] = 0.5
    half = np.arange(n) % 2 == 0
    p.fit[:n] = np.where(half, 0.2, 0.8)
    run_phase(m, "decide.exit")
    voluntary = p.exit_reason[:n] == ExitReason.VOLUNTARY
    assert voluntary[half].mean() > 3 * voluntary[~half].mean() > 0


def test_some_exits_are_voluntary_at_the_defaults_and_respond_to_the_option():
    def run(option: float) -> dict[str, float]:
        return summarize_run(make(people=300, seed=3, outside_option=option).run(200))

    default, better_elsewhere = run(0.35), run(0.6)
    assert default["exits_voluntary"] > 0.05 and default["exits_attrition"] > 0.05
    assert better_elsewhere["exits_voluntary"] > 1.5 * default["exits_voluntary"]


def test_people_who_exit_leave_their_tribe_and_stay_gone():
    m = make(people=200, exit_base=0.05)
    m.run(20)
    gone = ~m.people.active[: m.people.n]
    assert gone.any()
    assert (m.people.tribe[: m.people.n][gone] == -1).all()
    left = m.people.exit_step[: m.people.n][gone]
    assert (left >= -m.cfg.history_steps).all()
    events = m.event_log()
    assert set(events[events["event"] == "exited"]["detail"]) <= {"attrition", "voluntary"}

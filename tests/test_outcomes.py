"""Governance can reach outcomes: above capacity, throughput falls short of arrivals, and the
mechanisms through which rules act (meaning, care, skills, innovation) move capacity."""

from __future__ import annotations

import numpy as np

from model import Organization
from model.metrics import summarize_run

LOAD = {"people": 240, "arrival_rate": 0.12, "history_steps": 0}


def overloaded(seed: int = 4, steps: int = 150, **settings: object) -> dict[str, float]:
    return summarize_run(Organization(rng=seed, **{**LOAD, **settings}).run(steps))


def test_above_capacity_throughput_is_below_arrivals_and_capacity_binds():
    summary = overloaded()
    assert summary["served"] < 0.8
    assert summary["throughput"] < summary["arrived"]
    assert 0.6 < summary["throughput"] / summary["capacity"] <= 1.05


def test_skills_that_age_faster_lower_capacity():
    steady = overloaded(skill_obsolescence=0.0)
    aging = overloaded(skill_obsolescence=1.0)
    assert aging["top_skill"] < steady["top_skill"] - 0.05
    assert aging["capacity"] < 0.9 * steady["capacity"]
    assert aging["throughput"] < 0.9 * steady["throughput"]


def test_meaning_raises_effort_and_capacity():
    """The same organization, whose people care about their tribes' mandates or not."""
    def run(aligned: bool) -> dict[str, float]:
        m = Organization(rng=4, purpose="fixed", membership="assigned", **LOAD)
        p, tribes = m.people, m.tribes
        if aligned:
            members = np.flatnonzero(p.tribe[: p.n] >= 0)
            p.passion[members] = tribes.purpose[p.tribe[members]]
        return summarize_run(m.run(150))

    meaningful, meaningless = run(True), run(False)
    assert meaningful["alignment"] > meaningless["alignment"] + 0.3
    assert meaningful["engagement"] > meaningless["engagement"] + 0.05
    assert meaningful["capacity"] > 1.1 * meaningless["capacity"]
    assert meaningful["throughput"] > 1.1 * meaningless["throughput"]
    assert meaningful["rework_share"] < meaningless["rework_share"]

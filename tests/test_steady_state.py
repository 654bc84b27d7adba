"""Runs reach a steady state, found and not assumed: every run starts from the same established
organization, summaries leave the transient out by MSER-5, and at the defaults every preset's
work in progress stays bounded and obeys Little's law on the window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import PRESETS, Organization
from model.metrics import summarize_run
from model.window import BATCH, mser, truncation


def test_mser_finds_the_end_of_a_known_transient():
    rng = np.random.default_rng(0)
    steps = np.arange(1000)
    transient = 5.0 * np.exp(-steps / 40)  # below the noise after about 65 steps
    series = 10.0 + transient + rng.normal(0, 1, len(steps))
    cut = mser(series)
    assert 50 <= cut <= 300 and cut % BATCH == 0
    # the window's mean is the steady state's; the whole run's is biased by the transient
    assert abs(series[cut:].mean() - 10.0) < 0.1 < series.mean() - 10.0
    assert mser(10.0 + rng.normal(0, 1, len(steps))) <= 100  # stationary: keeps nearly all


def test_mser_keeps_at_least_half_of_a_trending_series():
    series = np.linspace(0, 100, 1003)  # never settles: the truncation stops at its limit
    cut = mser(series)
    assert cut == 3 + BATCH * (1000 // BATCH // 2)
    table = pd.DataFrame({"step": np.arange(1004), "throughput": np.r_[0, series],
                          "wip": np.r_[0, series], "capacity": np.r_[0, series]})
    assert truncation(table) == (cut, True)  # and says so


@pytest.fixture(scope="module")
def runs() -> dict[str, pd.DataFrame]:
    return {preset: Organization(preset=preset, rng=7, people=300).run(1200)
            for preset in sorted(PRESETS)}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_settles_at_its_defaults(runs, preset):
    table = runs[preset]
    summary = summarize_run(table)
    window = table[table["step"] >= summary["window_start"]]
    assert summary["window_end"] == 1200 and len(window) >= 600
    # work in progress is bounded: it does not grow between the halves of the window
    first, second = np.array_split(window["wip"].to_numpy(), 2)
    assert second.mean() < 1.15 * first.mean() + 5
    assert window["wip"].max() < 3 * window["wip"].mean() + 20
    # Little's law on the window: mean WIP = throughput x mean lead time, within 2%
    little = summary["throughput"] * summary["lead_time"]
    assert abs(window["wip"].mean() - little) / window["wip"].mean() < 0.02


def test_every_run_starts_from_the_same_established_organization():
    starts = {preset: Organization(preset=preset, rng=3, people=200) for preset in PRESETS}
    frames = [m.people_frame().drop(columns=["recognition"]) for m in starts.values()]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])  # paired: only the rules differ
    m = starts["purposeful"]
    events = m.event_log()
    assert events["step"].min() == -m.cfg.history_steps  # the history is in the log
    assert m.step_table()["step"].tolist() == [0]
    assert m.metrics["done_total"] == 0 and m.metrics["exits_total"] == 0
    assert m.metrics["retention"] == 1.0
    # the established organization works: its people learned and its flow is running
    fresh = Organization(preset="purposeful", rng=3, people=200, history_steps=0)
    assert m.metrics["top_skill"] > fresh.metrics["top_skill"] + 0.05
    assert m.metrics["wip"] > 0 and fresh.metrics["wip"] == 0


def test_load_above_capacity_is_not_all_served():
    table = Organization(preset="purposeful", rng=2, people=300, arrival_rate=0.12).run(400)
    summary = summarize_run(table)
    assert summary["served"] < 0.9 and summary["utilization"] > 1.0
    assert summary["expired"] > 0

"""The step table's metrics measure what they say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.metrics import (
    BY_NAME,
    LABELS,
    METRICS,
    SHOCK_METRICS,
    SUMMARY_KINDS,
    sorting,
    summarize_run,
)
from numerics.stats import gini
from tests.helpers import make


def gini_by_pairs(values: np.ndarray) -> float:
    """Gini from its definition: mean absolute difference over all pairs / (2 * mean)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.abs(values[:, None] - values[None, :]).mean() / (2 * values.mean()))


@pytest.mark.parametrize("values, expected", [
    ([3.0, 3.0, 3.0, 3.0], 0.0),  # equal shares
    ([0.0, 0.0, 0.0, 5.0], 3 / 4),  # one of n holds everything: (n - 1) / n
    ([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 9 / 10),
    ([4.0, 1.0, 3.0, 2.0], 0.25),  # sum |xi - xj| = 20 over 16 pairs, mean 2.5: 20 / (2*16*2.5)
    ([1.0, 1.0, 4.0], 1 / 3),  # 2 * (3 + 3) / (2 * 9 * 2)
    ([0.0, 0.0], 0.0),  # nothing to share
    ([], 0.0),
])
def test_gini_of_known_vectors(values, expected):
    assert gini(np.array(values, dtype=np.float32)) == pytest.approx(expected, abs=1e-12)


def test_gini_is_invariant_to_order_and_scale():
    values = np.random.default_rng(0).lognormal(size=50)
    assert gini(values) == pytest.approx(gini_by_pairs(values), rel=1e-10)
    assert gini(values[::-1] * 7.0) == pytest.approx(gini(values), rel=1e-10)


def test_the_step_tables_gini_is_that_of_active_peoples_cumulated_contribution():
    # people leave (and are not replaced), so the active people are not everyone
    m = make(people=120, exit_base=0.02, hiring="none")
    table = m.run(30)
    p = m.people
    active = p.active[: p.n]
    assert (~active).any()
    contribution = p.contribution_total[: p.n]
    assert (contribution[~active] > 0).any()  # the leavers' contribution must not count
    expected = gini_by_pairs(contribution[active])
    assert 0.05 < expected < 0.95
    assert table["gini_contribution"].iloc[-1] == pytest.approx(expected, rel=1e-9)
    assert gini_by_pairs(contribution) != pytest.approx(expected, rel=1e-3)
    # this step's contribution is not what the metric describes
    assert gini_by_pairs(p.contribution[: p.n][active]) != pytest.approx(expected, rel=1e-3)


def test_every_step_table_column_is_declared_once():
    table = make(people=40).run(3)
    assert list(table.columns) == ["step", *(metric.name for metric in METRICS),
                                   *(label.name for label in LABELS)]
    assert len(BY_NAME) == len(METRICS) + len(SHOCK_METRICS)
    assert all(label.meaning for label in LABELS)
    assert all(metric.summary == "shock" for metric in SHOCK_METRICS)
    for metric in (*METRICS, *SHOCK_METRICS):
        assert metric.meaning and metric.unit and metric.label
        assert metric.summary in SUMMARY_KINDS
        assert metric.low < metric.high


def test_a_run_summary_follows_each_metrics_declared_kind():
    table = pd.DataFrame({"step": np.arange(7)})
    rng = np.random.default_rng(2)
    for metric in METRICS:
        table[metric.name] = rng.random(7)
    table["throughput"] = [0, 0, 0, 0, 2, 0, 1]
    table.loc[[4, 6], "lead_time"] = [3.0, 9.0]
    table.loc[[5], "lead_time"] = np.nan  # nothing finished: no lead time
    summary = summarize_run(table, warmup=0.5)  # window: steps 4, 5, 6
    assert (summary["window_start"], summary["window_end"]) == (4, 6)
    for metric in METRICS:
        window = table[metric.name].iloc[4:]
        if metric.summary == "final":
            assert summary[metric.name] == window.iloc[-1], metric.name
        elif metric.summary == "mean":
            assert summary[metric.name] == pytest.approx(window.mean()), metric.name
        elif metric.summary == "ratio":
            top, bottom = (table[c].iloc[4:].sum() for c in metric.ratio_of)
            assert summary[metric.name] == pytest.approx(top / bottom), metric.name
    assert summary["lead_time"] == pytest.approx((2 * 3.0 + 1 * 9.0) / 3)
    # an empty window falls back to the last step
    assert summarize_run(table, warmup=1.0)["window_start"] == 6


def test_sorting_measures_compare_co_members_with_everyone_and_a_shuffle():
    m = make(people=40, history_steps=0)
    p, t = m.people, m.tribes
    rng = np.random.default_rng(1)
    members = np.flatnonzero(p.tribe[: p.n] >= 0)
    passion = rng.random((len(members), m.cfg.themes)).astype(np.float32)
    passion /= np.linalg.norm(passion, axis=1, keepdims=True)
    p.passion[members] = passion
    tribe = p.tribe[members]
    similarity = passion.astype(np.float64) @ passion.T.astype(np.float64)
    same = tribe[:, None] == tribe[None, :]
    off = ~np.eye(len(members), dtype=bool)
    expected_within = similarity[same & off].mean()
    expected_between = similarity[~same].mean()
    # the shuffle's expectation: each member's passion against a random member's purpose
    purposes = t.purpose[tribe].astype(np.float64)
    expected_baseline = (passion.astype(np.float64) @ purposes.T).mean()
    result = sorting(m.state)
    assert result["similarity_within"] == pytest.approx(expected_within, rel=1e-5)
    assert result["similarity_between"] == pytest.approx(expected_between, rel=1e-5)
    assert result["alignment_baseline"] == pytest.approx(expected_baseline, rel=1e-5)
    origin = p.passion_origin[members].astype(np.float64)
    assert result["alignment_original"] == pytest.approx(
        np.einsum("ij,ij->i", origin, purposes).mean(), rel=1e-5)


def test_voluntary_membership_sorts_people_by_passion():
    summary = summarize_run(make("purposeful", people=300, seed=2, history_steps=0).run(150))
    assert summary["similarity_within"] > summary["similarity_between"] + 0.05
    assert summary["alignment"] > summary["alignment_baseline"] + 0.05
    assigned = summarize_run(make("hierarchy", people=300, seed=2, history_steps=0).run(150))
    assert (summary["similarity_within"] - summary["similarity_between"]
            > assigned["similarity_within"] - assigned["similarity_between"])

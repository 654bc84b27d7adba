"""The step table's metrics measure what they say."""

from __future__ import annotations

import numpy as np
import pytest

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

"""Runs recorded before a change that should not move numbers are reproduced bit for bit, with
the compiled kernels and with their numpy twins (`tests/golden.py` records them).

Every recorded column is compared exactly. Columns added since the recording (step-table
metrics, per-person traits of mechanisms that are off by default) may follow the recorded ones
only if `golden.ADDED` names them; a categorical column is compared by its values, so that a
new category (a new kind of event, a new exit reason) does not count as a change."""

from __future__ import annotations

import pandas as pd
import pytest

from numerics import kernels
from tests import golden


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every categorical column as its values (text)."""
    frame = frame.copy()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(str).astype(object)
    return frame


@pytest.mark.parametrize("compiled", [True, False], ids=["numba", "numpy"])
@pytest.mark.parametrize("name", sorted(golden.CASES))
def test_recorded_run_is_reproduced_bit_for_bit(name, compiled, monkeypatch):
    if compiled and not kernels.numba_available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(kernels, "COMPILED", compiled)
    recorded = golden.load(name)
    fresh = golden.run_case(name)
    for table in golden.TABLES:
        columns = list(recorded[table].columns)
        extra = [c for c in fresh[table].columns if c not in columns]
        assert set(extra) <= golden.ADDED[table], (name, table, set(extra) - golden.ADDED[table])
        pd.testing.assert_frame_equal(comparable(fresh[table][columns]),
                                      comparable(recorded[table]), check_exact=True,
                                      obj=f"{name} {table}")

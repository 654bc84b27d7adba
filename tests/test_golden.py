"""Runs recorded before a change that should not move numbers are reproduced bit for bit, with
the compiled kernels and with their numpy twins (`tests/golden.py` records them). Columns added
since the recording (new metrics, new state) are not part of the comparison: every recorded
column must be there, unchanged; categorical columns (the event log's kinds, exit reasons) are
compared as names (the list of categories may have grown)."""

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
        before, now = recorded[table], fresh[table]
        missing = set(before.columns) - set(now.columns)
        assert not missing, f"{name} {table}: columns {sorted(missing)} disappeared"
        pd.testing.assert_frame_equal(comparable(now[list(before.columns)]), comparable(before),
                                      check_exact=True, obj=f"{name} {table}")

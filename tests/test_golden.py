"""Runs recorded before a change that should not move numbers are reproduced bit for bit, with
the compiled kernels and with their numpy twins (`tests/golden.py` records them)."""

from __future__ import annotations

import pandas as pd
import pytest

from numerics import kernels
from tests import golden


@pytest.mark.parametrize("compiled", [True, False], ids=["numba", "numpy"])
@pytest.mark.parametrize("name", sorted(golden.CASES))
def test_recorded_run_is_reproduced_bit_for_bit(name, compiled, monkeypatch):
    if compiled and not kernels.numba_available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(kernels, "COMPILED", compiled)
    recorded = golden.load(name)
    fresh = golden.run_case(name)
    for table in golden.TABLES:
        pd.testing.assert_frame_equal(fresh[table], recorded[table], check_exact=True,
                                      obj=f"{name} {table}")

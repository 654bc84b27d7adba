"""A seed fixes a run bit for bit; different seeds give different runs."""

import pandas as pd
import pytest

from model import PRESETS, Organization, Recording


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_same_seed_gives_identical_tables(preset):
    a = Organization(preset=preset, rng=42, people=120)
    b = Organization(preset=preset, rng=42, people=120)
    pd.testing.assert_frame_equal(a.run(60), b.run(60))
    pd.testing.assert_frame_equal(a.event_log(), b.event_log())
    pd.testing.assert_frame_equal(a.people_frame(), b.people_frame())
    pd.testing.assert_frame_equal(a.tribes_frame(), b.tribes_frame())


def test_different_seeds_differ():
    a = Organization(rng=1, people=120).run(40)
    b = Organization(rng=2, people=120).run(40)
    assert not a.equals(b)


def test_a_run_in_pieces_equals_a_run_in_one_go():
    whole = Organization(rng=9, people=100)
    whole.run(30)
    pieces = Organization(rng=9, people=100)
    pieces.run(10)
    pieces.run(20)
    pd.testing.assert_frame_equal(whole.step_table(), pieces.step_table())


def test_event_log_can_be_switched_off_without_changing_the_run():
    on = Organization(rng=3, people=100)
    off = Organization(rng=3, people=100, recording=Recording(events=False))
    pd.testing.assert_frame_equal(on.run(30), off.run(30))
    assert off.event_log().empty and not on.event_log().empty


_RUN = """
import hashlib, sys
import numpy as np
from model import Config, Organization
from model.market import Market
from numerics.stats import gini
table = Organization(preset=sys.argv[1], rng=5, people=150, cross_tribe_share=0.3,
                     federation="voluntary", history_steps=20).run(40)
digest = hashlib.sha256(table.select_dtypes("number").to_numpy(dtype=float).tobytes())
# the computations that once went through BLAS, on many inputs
rng = np.random.default_rng(0)
market = Market(rng, Config.build())
for size in rng.integers(2, 3000, 200):
    digest.update(np.float64(gini(rng.random(size))).tobytes())
    market.log_weights = rng.normal(0, 1, 8)
    digest.update(market.demand.tobytes())
print(digest.hexdigest())
"""


@pytest.mark.parametrize("preset", ["purposeful", "hierarchy"])
def test_a_run_does_not_depend_on_the_cpu_kernels_of_blas(preset):
    # OpenBLAS picks its kernels by CPU, and they sum in different orders: a run must not go
    # through BLAS, or its numbers would depend on the machine (the core type is forced here)
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    digests = set()
    for core in ("Haswell", "Prescott", None):  # None: the kernels OpenBLAS picks itself
        env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_CORETYPE"}
        env |= {"PYTHONPATH": str(root)} | ({"OPENBLAS_CORETYPE": core} if core else {})
        result = subprocess.run([sys.executable, "-c", _RUN, preset], env=env, cwd=root,
                                capture_output=True, text=True, check=True)
        digests.add(result.stdout.strip())
    assert len(digests) == 1

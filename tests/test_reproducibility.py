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

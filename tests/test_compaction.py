"""Long runs stay bounded: rows of people who left and of tribes that ended are dropped (after
archiving their final state) without changing the run, and ids stay valid everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import ConfigError, Organization, Recording, state
from tests.test_invariants import check_invariants, replayed_membership

SETTINGS = {"people": 120, "exit_base": 0.02, "history_steps": 20, "consider_rate": 0.3}


def outputs(m: Organization) -> dict[str, pd.DataFrame]:
    return {"steps": m.step_table(), "events": m.event_log(), "people": m.people_frame(),
            "tribes": m.tribes_frame()}


@pytest.mark.parametrize("preset", ["purposeful", "hierarchy", "holacracy"])
def test_compaction_changes_nothing_but_the_size_of_the_tables(preset, monkeypatch):
    kept = Organization(preset=preset, rng=8, **SETTINGS)
    kept.run(300)
    monkeypatch.setattr(state, "MIN_DROP", 40)
    compact = Organization(preset=preset, rng=8, **SETTINGS)
    for _ in range(300):
        compact.step()
        check_invariants(compact)
    assert compact.state.departed and compact.people.n < kept.people.n  # it did compact
    if preset != "hierarchy":  # where tribes end (under hierarchy few do)
        assert compact.state.dissolved and compact.tribes.n < kept.tribes.n
    assert compact.people.n <= 2 * compact.people.count_active() + 40
    for name, frame in outputs(kept).items():
        pd.testing.assert_frame_equal(outputs(compact)[name], frame, check_exact=True, obj=name)
    # ids stay valid: the event log replays every person's membership, by id
    p, tribes = compact.people, compact.tribes
    current = np.full(p.issued, -1)
    current[p.id[: p.n]] = np.where(p.tribe[: p.n] >= 0, tribes.id[np.maximum(p.tribe[: p.n], 0)],
                                    -1)
    assert np.array_equal(replayed_membership(compact)[:, 0], current)  # one tribe each
    # a person who left and was archived answers for their absence, not with stale data
    gone = int(compact.state.departed[0][0])
    view = compact.person(gone)
    assert not view.active
    with pytest.raises(LookupError, match="archived"):
        _ = view.engagement


def test_a_streamed_event_log_is_the_log_held_in_memory(tmp_path):
    held = Organization(rng=4, **SETTINGS)
    held.run(120)
    folder = tmp_path / "events"
    streamed = Organization(rng=4, recording=Recording(event_folder=folder), **SETTINGS)
    streamed.events.flush_at = 500  # write a file every 500 events
    streamed.run(120)
    assert len(streamed.events.files) > 2 and streamed.events._held < 500
    pd.testing.assert_frame_equal(streamed.event_log(), held.event_log())
    pd.testing.assert_frame_equal(pd.read_parquet(folder), held.event_log().iloc[
        : sum(len(pd.read_parquet(path)) for path in streamed.events.files)])
    pd.testing.assert_frame_equal(streamed.step_table(), held.step_table())
    assert streamed.events.latest(5).equals(held.events.latest(5))
    with pytest.raises(ConfigError, match="event_folder"):
        Organization(rng=4, recording=Recording(event_folder=str(folder)), **SETTINGS)
    with pytest.raises(OSError, match="event folder"):  # never over an existing folder
        Organization(rng=4, recording=Recording(event_folder=folder), **SETTINGS)

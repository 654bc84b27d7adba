"""The formal organization beside the voluntary one (hybrid membership, the matrix preset)."""

from __future__ import annotations

import numpy as np

from tests.conftest import make


def switches_and_leaders(m, steps: int):
    """Each voluntary switch over `steps` steps, with the target's leader and the units as they
    were when the person decided."""
    rows = []
    for _ in range(steps):
        leader, unit = m.tribes.leader.copy(), m.people.unit.copy()
        seen = len(m.event_log())
        m.step()
        events = m.event_log().iloc[seen:]
        moves = events[(events["event"] == "joined") & (events["detail"] == "switch")]
        for person, tribe in zip(moves["person"], moves["tribe"], strict=True):
            rows.append(leader[tribe] >= 0 and unit[leader[tribe]] == unit[person])
    return np.array(rows, dtype=bool), m.event_log()


def test_without_approval_people_move_only_within_their_unit():
    m = make("matrix", people=300, approval_rate=0.0, consider_rate=1.0)
    within, events = switches_and_leaders(m, 20)
    assert len(within) > 20 and within.all()
    later = events[events["step"] > 0]
    assert not ((later["event"] == "founded") & (later["detail"] == "bottom-up")).any()
    assert not ((later["event"] == "left") & (later["detail"] == "leave")).any()


def test_with_approval_people_also_move_across_units():
    m = make("matrix", people=300, approval_rate=1.0, consider_rate=1.0)
    within, _ = switches_and_leaders(m, 20)
    assert (~within).sum() > 5  # across units, approved by management


def test_voluntary_membership_ignores_units():
    """Under plain voluntary membership a unit never grants or withholds a move: with the same
    seed, the same switches happen whatever the units are."""
    a = make("purposeful", people=200, seed=5)
    b = make("purposeful", people=200, seed=5)
    b.people.unit[: b.people.n] = np.arange(b.people.n) % 7  # other units
    a.run(15)
    b.run(15)
    assert a.event_log().equals(b.event_log())

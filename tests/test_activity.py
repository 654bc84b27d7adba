"""A day in the life (model/activity.py): the per-person activity record, kept on request.

It is off by default, changes no number when on, agrees with the event log and with the
people's state, and run.py --activity writes it beside the event log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import ConfigError, Organization, Recording
from tests.test_cli import cli

SETTINGS = {"preset": "constellation", "people": 200, "review_by": "peers",
            "opportunist_share": 0.3, "federate_threshold": 0.5, "history_steps": 50}
STEPS = 40


@pytest.fixture(scope="module")
def recorded() -> Organization:
    m = Organization(rng=2, recording=Recording(activity=True), **SETTINGS)
    m.run(STEPS)
    return m


def test_the_record_is_off_by_default_and_asking_for_it_then_is_refused_in_one_line():
    m = Organization(rng=2, people=50, history_steps=0)
    m.run(2)
    assert m.state.activity is None
    with pytest.raises(ConfigError) as error:
        m.day_in_the_life(0)
    assert "\n" not in str(error.value) and "allowed:" in str(error.value)
    with pytest.raises(ConfigError):
        m.keep(Recording(activity=True))  # chosen when the model is built


def test_recording_activity_changes_no_number(recorded):
    plain = Organization(rng=2, **SETTINGS)
    plain.run(STEPS)
    assert recorded.step_table().equals(plain.step_table())
    assert recorded.event_log().equals(plain.event_log())
    acts, _ = recorded.activity()
    # every kind of act happened in this run, so every hook was exercised
    assert set(acts["activity"].unique()) == {"worked", "worked_with", "reviewed",
                                              "was_reviewed", "met"}


def test_reviews_in_the_record_are_the_rejections_in_the_event_log(recorded):
    acts, _ = recorded.activity()
    events = recorded.event_log()
    rejected = events[(events["event"] == "rejected") & (events["step"] >= 1)]
    was = acts[(acts["activity"] == "was_reviewed") & (acts["detail"] != "accepted")]
    key = ["step", "person", "other", "detail"]
    left = rejected[key].sort_values(key).reset_index(drop=True)
    right = was[key].sort_values(key).reset_index(drop=True)
    assert len(left) > 10
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    # each review is seen from both sides
    reviewed = acts[acts["activity"] == "reviewed"]
    mirror = reviewed.rename(columns={"person": "other", "other": "person"})
    was_all = acts[(acts["activity"] == "was_reviewed") & (acts["other"] >= 0)]
    key = ["step", "person", "other", "item", "part", "detail"]
    pd.testing.assert_frame_equal(
        mirror[key].sort_values(key).reset_index(drop=True),
        was_all[key].sort_values(key).reset_index(drop=True), check_dtype=False)


def test_a_persons_tribe_over_time_is_what_the_event_log_says(recorded):
    _, standing = recorded.activity()
    events = recorded.event_log()
    moves = events[events["event"].isin(["joined", "left"]) & (events["step"] >= 1)]
    for person in standing["person"].unique()[:60]:
        mine = standing[standing["person"] == person].set_index("step")["tribe"]
        changed = mine.index[1:][mine.to_numpy()[1:] != mine.to_numpy()[:-1]]
        logged = set(moves.loc[moves["person"] == person, "step"])
        assert set(changed) <= logged, person
        for step in changed:
            joined = moves[(moves["person"] == person) & (moves["step"] == step)
                           & (moves["event"] == "joined")]
            assert mine[step] in set(joined["tribe"]) | {-1}
    # people who exit have no standing after they left, and one up to the step before
    exits = events[(events["event"] == "exited") & (events["step"] >= 1)]
    for person, step in exits[["person", "step"]].head(20).itertuples(index=False):
        steps = standing.loc[standing["person"] == person, "step"]
        assert steps.max() == step - 1


def test_acts_are_done_within_the_tribes_the_state_says(recorded):
    """An act's tribe is the person's tribe at the end of the step, unless the log says they
    left it later in that step (excluded at review)."""
    acts, standing = recorded.activity()
    tribe_at = standing.set_index(["step", "person"])["tribe"]
    events = recorded.event_log()
    left = set(events.loc[events["event"] == "left", ["step", "person", "tribe"]]
               .itertuples(index=False, name=None))
    for kind in ("worked", "worked_with", "reviewed", "was_reviewed", "met"):
        rows = acts[acts["activity"] == kind]
        at = tribe_at.reindex(pd.MultiIndex.from_frame(rows[["step", "person"]])).to_numpy()
        differ = rows[at != rows["tribe"].to_numpy()]
        assert set(differ[["step", "person", "tribe"]].itertuples(index=False, name=None)) \
            <= left, kind
    # a colleague is of the same tribe; a person met is of the sister tribe named
    for kind, column in (("worked_with", "tribe"), ("met", "other_tribe")):
        rows = acts[acts["activity"] == kind]
        at = tribe_at.reindex(pd.MultiIndex.from_frame(
            rows[["step", "other"]].rename(columns={"other": "person"}))).to_numpy()
        differ = rows[at != rows[column].to_numpy()]
        assert set(differ[["step", "other", column]].itertuples(index=False, name=None)) \
            <= left, kind
    met = acts[acts["activity"] == "met"]
    assert (met["tribe"] != met["other_tribe"]).all()
    # the items worked on were on their tribe's board: their ids are items that arrived
    worked = acts[acts["activity"] == "worked"]
    assert (worked["item"] >= 0).all() and (worked["part"] == 0).all()


def test_day_in_the_life_is_a_tidy_table_of_one_persons_steps(recorded):
    _, standing = recorded.activity()
    person = int(standing["person"].iloc[7])
    day = recorded.day_in_the_life(person, steps=range(10, 20))
    assert list(day["step"].unique()) == list(range(10, 20))
    assert (day["person"] == person).all()
    assert {"activity", "item", "other", "other_tribe", "detail", "fit", "alignment",
            "skill_use", "belonging", "engagement", "leader_quality"} <= set(day.columns)
    p = recorded.people
    row = p.rows(np.array([person]))[0]
    last = recorded.day_in_the_life(person, steps=range(STEPS, STEPS + 1))
    assert last["engagement"].iloc[0] == pytest.approx(float(p.engagement[row]))
    assert last["fit"].iloc[0] == pytest.approx(float(p.fit[row]))
    acts, _ = recorded.activity()
    mine = acts[(acts["person"] == person) & acts["step"].between(10, 19)]
    assert (day["activity"] != "-").sum() == len(mine)


def test_run_py_writes_the_activity_beside_the_event_log(tmp_path):
    out = tmp_path / "run"
    result = cli("--steps", "8", "--people", "60", "--activity", "--out", str(out))
    assert result.returncode == 0, result.stderr
    acts = pd.read_parquet(out / "activity.parquet")
    standing = pd.read_parquet(out / "standing.parquet")
    assert (out / "events.parquet").exists()
    assert set(acts["activity"]) >= {"worked"} and standing["step"].max() == 8
    assert '"activity": true' in (out / "config.json").read_text()
    plain = cli("--steps", "8", "--people", "60", "--out", str(tmp_path / "plain"))
    assert plain.returncode == 0 and not (tmp_path / "plain" / "activity.parquet").exists()

"""Life histories from the event log, survival curves, tail fits, sensitivity indices."""

from __future__ import annotations

import numpy as np
import pytest

from experiments import load_experiment, run_sweep, sensitivity
from experiments.history import (
    employment_spells,
    heavy_tail,
    leader_spells,
    median_survival,
    membership_spells,
    purpose_drift,
    survival,
)
from model import Organization, Recording


@pytest.fixture(scope="module")
def model():
    m = Organization(people=200, rng=4, recording=Recording(snapshot_every=10))
    m.run(120)
    return m


def test_open_membership_spells_are_the_current_memberships(model):
    spells = membership_spells(model.event_log(), model.steps)
    assert (spells["duration"] >= 0).all()
    open_ = spells[~spells["ended"]]
    p = model.people
    current = {(i, int(p.tribe[i])) for i in np.flatnonzero(p.tribe[: p.n] >= 0)}
    assert set(zip(open_["person"], open_["tribe"], strict=True)) == current
    assert len(open_) == len(current)


def test_open_leader_spells_are_the_current_leaders(model):
    spells = leader_spells(model.event_log(), model.steps)
    open_ = spells[~spells["ended"]]
    t = model.tribes
    living = t.living()
    current = {(int(k), int(t.leader[k])) for k in living if t.leader[k] >= 0}
    assert set(zip(open_["tribe"], open_["person"], strict=True)) == current


def test_employment_spells_follow_hires_and_exits(model):
    spells = employment_spells(model.people_frame(), model.steps)
    # exits_total counts the exits since step 0; the spells go back to the history before it
    since = spells["ended"] & (spells["end"] > 0)
    assert int(since.sum()) == model.metrics["exits_total"]
    assert (spells["start"] < 0).any()
    assert (spells.loc[~spells["ended"], "end"] == model.steps).all()


def test_kaplan_meier_matches_a_hand_computed_case():
    curve = survival(np.array([1, 2, 2, 3, 4]), np.array([True, True, False, True, False]))
    # at risk 5 -> one dies at 1: 4/5; at 2: 4 at risk, one dies: 4/5*3/4; at 3: 2 at risk
    expected = {1.0: 0.8, 2.0: 0.6, 3.0: 0.3}
    for time, value in expected.items():
        assert curve.loc[curve["time"] == time, "survival"].iloc[0] == pytest.approx(value)
    assert median_survival(curve) == 3.0


def test_heavy_tail_tells_light_from_heavy_tails():
    rng = np.random.default_rng(1)
    light = heavy_tail(rng.geometric(0.15, 1000))
    assert light["verdict"] == "light" and light["R"] < 0 and light["p"] < 0.1
    pareto = heavy_tail(np.floor((rng.pareto(1.5, 1000) + 1) * 3).astype(int))
    assert pareto["verdict"] == "heavy" and pareto["R"] > 0
    assert 2.0 < pareto["alpha"] < 3.0  # the discrete sizes' exponent is about 1.5 + 1
    assert pareto["xmin"] >= 3 and 0 < pareto["n_tail"] <= 1000
    assert heavy_tail(np.array([4, 4, 5, 5]))["verdict"] == "cannot tell"  # too few values
    few = heavy_tail(rng.geometric(0.15, 12))
    assert few["verdict"] in ("cannot tell", "light") and few["n"] == 12

def test_purpose_drift_is_zero_under_fixed_purposes():
    m = Organization(preset="hierarchy", people=100, rng=2,
                     recording=Recording(snapshot_every=5))
    m.run(30)
    drift = purpose_drift(m.snapshots()[1])
    assert len(drift) > 0 and np.allclose(drift["drift"], 0, atol=1e-6)


def test_morris_indices_rank_an_inert_parameter_last(tmp_path):
    path = tmp_path / "morris.toml"
    path.write_text("""
[experiment]
steps = 60
replicates = 2
seed = 3
design = "morris"
samples = 4
[base]
people = 60
[factors]
preset = ["hierarchy", "purposeful"]
arrival_rate = { low = 0.01, high = 0.1 }
rotation_period = { low = 2, high = 40 }
""")
    run_sweep(load_experiment(path), tmp_path / "out", workers=0, progress=False)
    table = sensitivity(tmp_path / "out", "throughput")
    assert set(table["preset"]) == {"hierarchy", "purposeful"}
    for _, group in table.groupby("preset"):
        indices = group.set_index("parameter")["mu_star"]
        # neither preset rotates its leaders: the parameter has no effect on the model
        assert indices["rotation_period"] == 0.0
        assert indices["arrival_rate"] > 0


def test_leader_spells_agree_with_the_recorded_leaders_at_every_step():
    m = Organization(people=200, rng=1)
    history = {}  # (tribe, person) -> steps led
    for _ in range(150):
        m.step()
        t = m.tribes
        for tribe in t.living():
            if t.leader[tribe] >= 0:
                history.setdefault((int(tribe), int(t.leader[tribe])), set()).add(m.steps)
    spells = leader_spells(m.event_log(), m.steps)
    assert (spells["duration"] >= 0).all()
    led = {}
    for row in spells.itertuples(index=False):
        led.setdefault((row.tribe, row.person), set()).update(range(max(row.start, 1),
                                                                    row.end + (not row.ended)))
    # each step someone was recorded as leader is covered by one of their spells
    for key, steps in history.items():
        assert steps <= led.get(key, set()), key
    assert set(spells["why"][spells["ended"]]) <= {"emergent", "appointed", "switch", "leave",
                                                   "exit", "conflict", "dissolved", "merged",
                                                   "split", "assigned", "found", "cofound"}


def test_founders_leaderships_are_logged():
    m = Organization(people=300, rng=2, found_rate=1.0, switch_threshold=0.0, history_steps=0)
    m.run(5)
    events = m.event_log()
    founded = events[(events["event"] == "founded") & (events["detail"] == "bottom-up")]
    led = events[(events["event"] == "leader_changed") & (events["detail"] == "founder")]
    assert len(founded) > 0
    assert set(zip(founded["person"], founded["tribe"], strict=True)) == set(
        zip(led["person"], led["tribe"], strict=True))


def test_survival_band_is_defined_where_survival_reaches_zero(recwarn):
    curve = survival(np.array([1, 2, 2, 3, 5]), np.ones(5, dtype=bool))
    assert curve["survival"].iloc[-1] == 0.0
    assert curve[["low", "high"]].notna().all().all()
    assert (curve["low"] <= curve["survival"]).all() and (curve["survival"] <= curve["high"]).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]

"""The command line: default run, overrides, outputs and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=300)


def test_default_run_prints_a_summary():
    result = cli("--steps", "30")
    assert result.returncode == 0, result.stderr
    assert "purposeful: 300 people, 30 steps, seed 0" in result.stdout
    assert "throughput" in result.stdout and "retention" in result.stdout


def test_overrides_and_outputs(tmp_path):
    out = tmp_path / "run"
    result = cli("--preset", "hierarchy", "--steps", "25", "--people", "60", "--seed", "3",
                 "--set", "wip_doing=2", "--set", "turbulence=0.2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    steps = pd.read_parquet(out / "steps.parquet")
    events = pd.read_parquet(out / "events.parquet")
    assert len(steps) == 26 and steps["headcount"].iloc[0] == 60
    assert {"step", "event", "person", "tribe"} <= set(events.columns)
    config = (out / "config.json").read_text()
    assert '"wip_doing": 2' in config and '"membership": "assigned"' in config
    assert not list(out.glob(".tmp-*"))


def test_csv_output_matches_the_python_interface(tmp_path):
    from model import Organization

    result = cli("--steps", "15", "--people", "50", "--seed", "4", "--format", "csv",
                 "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    # CSV writes "no shock" as an empty field: read the text column as text
    written = pd.read_csv(tmp_path / "steps.csv")
    written["shock"] = ["" if pd.isna(name) else name for name in written["shock"]]
    expected = Organization(people=50, rng=4).run(15)
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)


@pytest.mark.parametrize(("args", "words"), [
    (["--preset", "anarchy"], ["preset", "anarchy", "hierarchy"]),
    (["--set", "exit_base=2"], ["exit_base", "2", "[0, 1]"]),
    (["--set", "nonsense=1"], ["nonsense", "no such parameter"]),
    (["--set", "membership=chaos"], ["membership", "chaos", "voluntary"]),
    (["--set", "people"], ["--set", "NAME=VALUE"]),
    (["--set", "people=ten"], ["people", "ten", "allowed: a whole number in [1,"]),
    (["--set", "effort_dist=maybe"],
     ["effort_dist", "maybe", "allowed: fixed, exponential, lognormal"]),
    (["--set", "min_tribe_size=50"], ["min_tribe_size", "50", "allowed:"]),
    (["--people", "-4"], ["--people", "-4", "allowed: a whole number >= 1"]),
    (["--steps", "-1"], ["--steps", "-1"]),
    (["--out", "/proc/no-such-folder/run"], ["--out", "/proc/no-such-folder/run", "allowed:"]),
])
def test_bad_input_gets_one_clear_message_and_a_nonzero_exit(args, words):
    result = cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one message, no usage block
    for word in words:
        assert word in result.stderr


def test_bad_input_leaves_earlier_results_intact(tmp_path):
    assert cli("--steps", "5", "--people", "20", "--out", str(tmp_path)).returncode == 0
    before = (tmp_path / "steps.parquet").read_bytes()
    result = cli("--steps", "5", "--set", "exit_base=7", "--out", str(tmp_path))
    assert result.returncode != 0
    assert (tmp_path / "steps.parquet").read_bytes() == before


def test_help_lists_presets_and_parameters():
    result = cli("--help")
    assert result.returncode == 0
    for word in ("hierarchy", "matrix", "purposeful", "holacracy", "wip_doing",
                 "outside_option", "turbulence", "--set"):
        assert word in result.stdout


def test_profile_prints_every_phase():
    result = cli("--profile", "--steps", "5", "--people", "100")
    assert result.returncode == 0, result.stderr
    for phase in ("market.arrivals", "observe.fit", "decide.membership", "act.flow",
                  "record.metrics"):
        assert phase in result.stdout
    assert "ns per person-step" in result.stdout


def test_an_unusable_out_folder_is_refused_before_the_run(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("--steps", "100000", "--out", str(blocker / "run"))  # would take minutes
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--out" in result.stderr and blocker.read_text() == "not a folder"


def test_output_settings_stream_the_event_log_and_keep_snapshots(tmp_path):
    plain, streamed = tmp_path / "plain", tmp_path / "streamed"
    common = ["--steps", "12", "--people", "40", "--seed", "2", "--snapshot-every", "5"]
    assert cli(*common, "--out", str(plain)).returncode == 0
    result = cli(*common, "--stream-events", "--out", str(streamed))
    assert result.returncode == 0, result.stderr
    assert "events/" in result.stdout
    assert sorted(p.name for p in streamed.iterdir()) == [
        "config.json", "events", "people_snapshots.parquet", "steps.parquet",
        "tribes_snapshots.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(streamed / "events"),
                                  pd.read_parquet(plain / "events.parquet"))
    snapshots = pd.read_parquet(plain / "people_snapshots.parquet")
    assert sorted(set(snapshots["step"])) == [0, 5, 10]
    # a folder holding a streamed run's outputs is replaced whole by the next run
    assert cli("--steps", "3", "--people", "10", "--no-events", "--out",
               str(streamed)).returncode == 0
    assert sorted(p.name for p in streamed.iterdir()) == ["config.json", "steps.parquet"]


@pytest.mark.parametrize(("args", "words"), [
    (["--stream-events"], ["--stream-events", "--out"]),
    (["--stream-events", "--no-events", "--out", "x"], ["--stream-events", "--no-events"]),
    (["--stream-events", "--format", "csv", "--out", "x"], ["--stream-events", "parquet"]),
    (["--snapshot-every", "5"], ["--snapshot-every", "--out"]),
])
def test_output_settings_that_cannot_work_are_refused(tmp_path, args, words):
    result = cli(*args, "--steps", "3", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr
    assert list(tmp_path.iterdir()) == []

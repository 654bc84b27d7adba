"""Experiment sweeps: files, designs, seeds, executors, resumption, failures, analysis."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from experiments import (
    ExperimentError,
    Store,
    conditions,
    load_experiment,
    provenance,
    replicate_seeds,
    run_sweep,
    summarize,
)
from experiments import task as task_module
from experiments.analysis import (
    bounds,
    draw_figures,
    format_summary,
    interval,
    title,
    write_summary,
)

ROOT = Path(__file__).resolve().parents[1]

SMALL = """
[experiment]
name = "small"
steps = 30
replicates = 3
seed = 7
outputs = "steps"
keep_every = 5
baseline = "hierarchy"
[base]
people = 40
[factors]
preset = ["hierarchy", "purposeful"]
wip_doing = [1, 3]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def runs_without_order(folder: Path) -> pd.DataFrame:
    return Store(folder).read_runs().sort_values("run_id").reset_index(drop=True)


# ---------------------------------------------------------------------- files and designs
def test_the_governance_experiment_covers_every_preset_at_two_loads():
    from model import PRESETS

    experiment = load_experiment(ROOT / "experiments" / "governance.toml")
    conds = conditions(experiment)
    assert {c.preset for c in conds} == set(PRESETS)
    loads = {c.values["arrival_rate"] for c in conds}
    assert len(loads) == 2 and all(len([c for c in conds if c.preset == p]) == 2
                                   for p in PRESETS)
    assert experiment.replicates >= 20 and experiment.warmup is None


def test_grid_crosses_levels(tmp_path):
    experiment = load_experiment(write(tmp_path, SMALL))
    conds = conditions(experiment)
    assert len(conds) == 4
    assert {(c.preset, c.values["wip_doing"]) for c in conds} == {
        ("hierarchy", 1), ("hierarchy", 3), ("purposeful", 1), ("purposeful", 3)}
    assert all(c.config(experiment).people == 40 for c in conds)


def test_lhs_and_sobol_sample_inside_the_ranges_and_cross_levels(tmp_path):
    for design, samples, expected in (("lhs", 5, 5 * 2), ("sobol", 4, 4 * (2 + 2) * 2)):
        text = f"""
[experiment]
steps = 5
replicates = 1
seed = 3
design = "{design}"
samples = {samples}
[factors]
preset = ["hierarchy", "holacracy"]
outside_option = {{ low = 0.2, high = 0.6 }}
wip_doing = {{ low = 1, high = 5 }}
"""
        conds = conditions(load_experiment(write(tmp_path, text)))
        assert len(conds) == expected
        assert all(0.2 <= c.values["outside_option"] <= 0.6 for c in conds)
        assert all(isinstance(c.values["wip_doing"], int) for c in conds)
        # each sampled point appears under both presets (paired)
        points = {}
        for c in conds:
            points.setdefault((c.values["outside_option"], c.values["wip_doing"]), set()).add(
                c.preset)
        assert all(len(v) == 2 for v in points.values())


def test_list_design_takes_explicit_settings(tmp_path):
    text = """
[experiment]
steps = 5
replicates = 2
seed = 1
design = "list"
[[settings]]
preset = "hierarchy"
[[settings]]
preset = "purposeful"
wip_doing = 2
"""
    conds = conditions(load_experiment(write(tmp_path, text)))
    assert [(c.preset, c.values) for c in conds] == [("hierarchy", {}),
                                                     ("purposeful", {"wip_doing": 2})]


def test_whole_number_levels_of_a_float_parameter_are_floats(tmp_path):
    text = """
[experiment]
steps = 10
replicates = 2
seed = 5
[base]
people = 30
[factors]
outside_option = [0, 0.5]
turbulence = [0, 0.1]
"""
    experiment = load_experiment(write(tmp_path, text))
    assert experiment.levels == {"outside_option": [0.0, 0.5], "turbulence": [0.0, 0.1]}
    assert all(isinstance(v, float) for levels in experiment.levels.values() for v in levels)
    out = tmp_path / "out"
    run_sweep(experiment, out, workers=0, progress=False)
    runs = pd.read_parquet(out / "runs")  # every run file has the same column types
    assert len(runs) == 8 and runs["outside_option"].dtype == np.float64
    summary = summarize(out)
    assert summary.estimates.query("metric == 'throughput'")["n"].tolist() == [2] * 4
    listed = load_experiment(write(tmp_path, """
[experiment]
steps = 5
replicates = 1
seed = 1
design = "list"
[[settings]]
outside_option = 1
[[settings]]
wip_doing = 2.0
""", "list.toml"))
    assert listed.settings == [{"outside_option": 1.0}, {"wip_doing": 2}]
    assert isinstance(listed.settings[0]["outside_option"], float)
    assert isinstance(listed.settings[1]["wip_doing"], int)


def test_a_folder_whose_files_disagree_on_a_columns_type_still_loads(tmp_path):
    text = SMALL.replace('wip_doing = [1, 3]', 'outside_option = [0.25, 0.5]')
    out = tmp_path / "out"
    run_sweep(load_experiment(write(tmp_path, text)), out, workers=0, progress=False)
    # a file as an older version wrote it: a whole-number level stored as an integer
    first = min((out / "runs").glob("*.parquet"))
    frame = pd.read_parquet(first)
    frame["outside_option"] = 0
    frame.to_parquet(first, index=False)
    runs = Store(out).read_runs()
    assert len(runs) == 12 and runs["outside_option"].dtype == np.float64
    assert sorted(set(runs["outside_option"])) == [0.0, 0.25, 0.5]
    assert summarize(out).runs == 12


def test_list_design_runs_have_every_factors_column(tmp_path):
    text = """
[experiment]
steps = 5
replicates = 2
seed = 1
design = "list"
[base]
people = 20
[[settings]]
preset = "hierarchy"
[[settings]]
preset = "purposeful"
wip_doing = 2
membership = "assigned"
"""
    out = tmp_path / "out"
    run_sweep(load_experiment(write(tmp_path, text)), out, workers=0, progress=False)
    for path in (out / "runs").glob("*.parquet"):  # null where the condition does not set it
        schema = pq.read_schema(path)
        assert schema.field("wip_doing").type == pa.int64()
        assert pa.types.is_string(schema.field("membership").type) \
            or pa.types.is_large_string(schema.field("membership").type)
    for runs in (pd.read_parquet(out / "runs"), Store(out).read_runs()):
        runs = runs.set_index("run_id").sort_index()
        assert runs["wip_doing"].isna().tolist() == [True, True, False, False]
        assert runs["wip_doing"].dropna().tolist() == [2, 2]
        assert runs["membership"].isna().tolist() == [True, True, False, False]
        assert runs["membership"].dropna().tolist() == ["assigned", "assigned"]


def test_seeds_are_paired_across_conditions_and_distinct_across_replicates(tmp_path):
    experiment = load_experiment(write(tmp_path, SMALL))
    seeds = replicate_seeds(experiment)
    assert len(set(seeds)) == len(seeds)
    run_sweep(experiment, tmp_path / "out", workers=0, progress=False)
    runs = Store(tmp_path / "out").read_runs()
    per_replicate = runs.groupby("replicate")["seed"].nunique()
    assert (per_replicate == 1).all()
    assert runs.groupby("replicate")["seed"].first().tolist() == seeds


@pytest.mark.parametrize(("text", "words"), [
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[factors]\nwip_doin = [1, 2]\n",
     ["factors.wip_doin", "no such parameter", "wip_doing"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[factors]\npreset = ['anarchy']\n",
     ["factors.preset", "anarchy", "hierarchy"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\ndesign = 'lhs'\n[factors]\n"
     "outside_option = { low = 0.6, high = 0.2 }\n"),
     ["factors.outside_option", "must be below"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\ndesign = 'random'\n",
     ["experiment.design", "random", "grid", "sobol"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[factors]\nexit_base = [0.1, 2.0]\n",
     ["factors.exit_base", "2.0", "[0, 1]"]),
    ("[experiment]\nsteps = 5\nreplicates = 0\nseed = 1\n",
     ["experiment.replicates", "allowed: 1 to 10,000"]),
    ("[experiment]\nsteps = 2.5\nreplicates = 1\nseed = 1\n",
     ["experiment.steps", "2.5 is not an integer"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\nwarmup = 'half'\n",
     ["experiment.warmup", "'half' is not a number"]),
    ("[experiment]\nname = 3\nsteps = 5\nreplicates = 1\nseed = 1\n",
     ["experiment.name", "3 is not a string"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\n", ["experiment.seed", "missing"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\nstpes = 3\n",
     ["experiment.stpes", "unknown key"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[base]\npeople = -3\n",
     ["base", "people", "-3"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[factors]\n"
     "preset = \"__import__('os').system('echo hacked')\"\n"),
     ["factors.preset", "neither a list"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[factors]\n"
     "outside_option = { low = 0.2, high = 0.6 }\n"), ["factors.outside_option", "grid"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[factors]\n"
     "membership = { low = 0.2, high = 0.6 }\n"), ["factors.membership", "numeric"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[extra]\nx = 1\n",
     ["extra", "unknown table"]),
    ("[experiment]\nsteps = 5\nreplicates = = 1\n", ["not valid TOML", "line 3"]),
    ("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[base]\npreset = 'hierarchy'\n",
     ["base.preset", "experiment.preset"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n[factors]\n"
     "min_tribe_size = [2, 20]\nmax_tribe_size = [10, 30]\n"),
     ["condition", "min_tribe_size", "max_tribe_size"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\ndesign = 'sobol'\nsamples = 12\n"
     "[factors]\noutside_option = { low = 0.2, high = 0.6 }\n"),
     ["experiment.samples", "12 is not a power of two", "'sobol'", "8 or 16"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\ndesign = 'sobol'\nsamples = 1\n"
     "[factors]\noutside_option = { low = 0.2, high = 0.6 }\n"),
     ["experiment.samples", "1 is not a power of two", "e.g. 2"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\nbaseline = 'anarchy'\n[factors]\n"
     "preset = ['hierarchy', 'matrix']\n"),
     ["experiment.baseline", "anarchy", "preset=hierarchy", "preset=matrix"]),
    (("[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\nbaseline = 'preset=chaos'\n"
     "[factors]\npreset = ['hierarchy', 'matrix']\n"),
     ["experiment.baseline", "no condition has preset=chaos"]),
])
def test_malformed_experiment_files_are_refused_with_the_key_or_line(tmp_path, text, words):
    with pytest.raises(ExperimentError) as error:
        load_experiment(write(tmp_path, text))
    for word in words:
        assert word in str(error.value)


# ---------------------------------------------------------------------- running
def test_local_pool_and_in_process_runs_agree_bit_for_bit(tmp_path):
    experiment = load_experiment(write(tmp_path, SMALL))
    report = run_sweep(experiment, tmp_path / "pool", workers=2, progress=False)
    assert report.stored == 12 and not report.failed
    run_sweep(experiment, tmp_path / "inline", workers=0, progress=False)
    pd.testing.assert_frame_equal(runs_without_order(tmp_path / "pool"),
                                  runs_without_order(tmp_path / "inline"))
    steps = Store(tmp_path / "pool").read_steps()
    assert set(steps["step"]) == {0, 5, 10, 15, 20, 25, 30}


def test_a_local_dask_cluster_gives_the_same_results(tmp_path):
    pytest.importorskip("distributed")
    experiment = load_experiment(write(tmp_path, SMALL))
    run_sweep(experiment, tmp_path / "inline", workers=0, progress=False)
    with socket.socket() as busy, warnings.catch_warnings(record=True) as caught:
        with contextlib.suppress(OSError):  # Dask's default dashboard port, taken
            busy.bind(("127.0.0.1", 8787))
            busy.listen()
        warnings.simplefilter("always")
        report = run_sweep(experiment, tmp_path / "dask", dask_workers=2, progress=False)
    assert not [w for w in caught if "8787" in str(w.message)]  # no dashboard, no port 8787
    assert report.stored == 12 and not report.failed
    pd.testing.assert_frame_equal(runs_without_order(tmp_path / "dask"),
                                  runs_without_order(tmp_path / "inline"))


def test_dask_holds_only_the_runs_in_flight_not_the_finished_ones(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    experiment = load_experiment(write(tmp_path, SMALL))
    window = 2 * 2  # two workers of one thread, twice as many runs in flight
    held = []
    save_run = Store.save_run

    def count_tasks(dask_scheduler) -> int:
        return len(dask_scheduler.tasks)

    def saving(self, run_id, summary, *rest):
        client = distributed.default_client()
        # released runs leave the scheduler asynchronously: give the releases a moment
        deadline = time.monotonic() + 2
        while (tasks := client.run_on_scheduler(count_tasks)) > window \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        held.append(tasks)
        save_run(self, run_id, summary, *rest)

    monkeypatch.setattr(Store, "save_run", saving)
    report = run_sweep(experiment, tmp_path / "dask", dask_workers=2, progress=False)
    assert report.stored == 12 and len(held) == 12
    assert max(held) <= window, held


def test_an_existing_dask_scheduler_by_address_gives_the_same_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    experiment = load_experiment(write(tmp_path, SMALL))
    run_sweep(experiment, tmp_path / "inline", workers=0, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        report = run_sweep(experiment, tmp_path / "tcp", scheduler=cluster.scheduler_address,
                           progress=False)
    assert report.stored == 12
    pd.testing.assert_frame_equal(runs_without_order(tmp_path / "tcp"),
                                  runs_without_order(tmp_path / "inline"))


def test_dask_workers_must_run_the_clients_code_and_runs_record_the_workers(tmp_path,
                                                                            monkeypatch):
    distributed = pytest.importorskip("distributed")
    experiment = load_experiment(write(tmp_path, SMALL))
    code = provenance.code_version()  # the workers' (they run this tree)
    packages = provenance.package_versions(provenance.KEY_PACKAGES)
    try:
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
            address = cluster.scheduler_address
            # this client has other model source: refused before anything is written
            monkeypatch.setattr(provenance, "code_version",
                                lambda: {**code, "commit": "feedbeef", "source": "0" * 64})
            with pytest.raises(ExperimentError) as error:
                run_sweep(experiment, tmp_path / "out", scheduler=address, progress=False)
            assert "model source" in str(error.value) and "feedbeef" in str(error.value)
            assert code["source"][:12] in str(error.value)
            assert not (tmp_path / "out").exists()
            # another numpy version
            monkeypatch.setattr(provenance, "code_version", lambda: code)
            monkeypatch.setattr(provenance, "package_versions",
                                lambda names: {**packages, "numpy": "0.0.1"})
            with pytest.raises(ExperimentError, match=r"numpy .*0\.0\.1"):
                run_sweep(experiment, tmp_path / "out", scheduler=address, progress=False)
            assert not (tmp_path / "out").exists()
            # the same source under another label (say, a copy without git): it runs, and
            # every run records the code version of the worker that ran it
            monkeypatch.setattr(provenance, "package_versions", lambda names: packages)
            monkeypatch.setattr(provenance, "code_version",
                                lambda: {**code, "commit": "client-commit", "dirty": False})
            report = run_sweep(experiment, tmp_path / "out", scheduler=address,
                               progress=False)
        assert report.stored == 12
        runs = Store(tmp_path / "out").read_runs()
        assert set(runs["code"]) == {provenance.code_label(code)}
        assert Store(tmp_path / "out").read_manifest()["code"]["commit"] == "client-commit"
    finally:
        provenance.environment.cache_clear()


def test_an_unreachable_scheduler_gets_a_clear_error(tmp_path):
    distributed = pytest.importorskip("distributed")
    experiment = load_experiment(write(tmp_path, SMALL))
    with pytest.raises(ExperimentError, match="cannot connect"):
        run_sweep(experiment, tmp_path / "out", scheduler="tcp://127.0.0.1:9", progress=False,
                  connect_timeout=2)
    for address, reason in (("foo", "missing port"), ("xyz://host:1", "unknown address scheme"),
                            ("tcp://:8786", "no host name")):
        with pytest.raises(ExperimentError) as error:
            run_sweep(experiment, tmp_path / "out", scheduler=address, progress=False)
        for word in ("--scheduler", repr(address), reason, "tcp://HOST:PORT"):
            assert word in str(error.value)
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster, \
            pytest.raises(ExperimentError, match="has no workers"):
        run_sweep(experiment, tmp_path / "out", scheduler=cluster.scheduler_address,
                  progress=False, connect_timeout=1)
    assert not (tmp_path / "out").exists()  # nothing written before the cluster answers
    result = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep",
                             str(write(tmp_path, SMALL)), "--out", str(tmp_path / "out"),
                             "--scheduler", "foo"], capture_output=True, text=True, check=False,
                            timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--scheduler: 'foo' is not a scheduler address" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    experiment = load_experiment(write(tmp_path, SMALL))
    real = task_module.run_task

    def flaky(task):
        if task.condition == 1 and task.replicate == 2:
            return real(task_module.Task(**{**task.__dict__, "steps": -1}))
        return real(task)

    monkeypatch.setattr(task_module, "run_task", flaky)
    report = run_sweep(experiment, tmp_path / "out", workers=0, progress=False)
    assert report.stored == 11
    assert report.failed == ["c00001-r0002"]
    record = Store(tmp_path / "out").failures()["c00001-r0002"]
    assert "steps" in record["error"] and record["settings"]["wip_doing"] == 3
    # started again, the failed run is not retried unless asked
    again = run_sweep(experiment, tmp_path / "out", workers=0, progress=False)
    assert again.stored == 0 and again.failed == ["c00001-r0002"]
    monkeypatch.setattr(task_module, "run_task", real)
    retried = run_sweep(experiment, tmp_path / "out", workers=0, progress=False,
                        retry_failed=True)
    assert retried.stored == 1 and not retried.failed
    assert len(Store(tmp_path / "out").done()) == 12 and not Store(tmp_path / "out").failures()


@pytest.mark.parametrize("executor", [{"workers": 2}, {"dask_workers": 2}],
                         ids=["processes", "dask"])
def test_a_run_whose_worker_dies_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch,
                                                                   executor):
    if "dask_workers" in executor:
        dask = pytest.importorskip("dask")
        pytest.importorskip("distributed")
        # Dask runs a task again on other workers before it gives up: at once, for the test
        monkeypatch.setitem(dask.config.config, "distributed",
                            {**dask.config.config["distributed"],
                             "scheduler": {**dask.config.config["distributed"]["scheduler"],
                                           "allowed-failures": 0}})
    experiment = load_experiment(write(tmp_path, SMALL))
    out = tmp_path / "out"
    monkeypatch.setenv(task_module.FAULT, "crash:c00002-r0001")  # that run's process exits
    report = run_sweep(experiment, out, progress=False, **executor)
    failed = report.failed
    if "workers" in executor:  # the runs in flight with it were run again, each alone
        assert failed == ["c00002-r0001"]
    else:  # Dask's scheduler also suspects the runs queued on the dead worker
        assert "c00002-r0001" in failed
    assert report.stored == 12 - len(failed)
    assert all(Store(out).failures()[run]["error"].startswith("worker died") for run in failed)
    again = run_sweep(experiment, out, progress=False, **executor)  # not retried unasked
    assert again.stored == 0 and again.failed == sorted(failed)
    monkeypatch.delenv(task_module.FAULT)
    retried = run_sweep(experiment, out, progress=False, retry_failed=True, workers=0)
    assert retried.stored == len(failed) and not retried.failed
    run_sweep(experiment, tmp_path / "inline", workers=0, progress=False)
    pd.testing.assert_frame_equal(runs_without_order(out), runs_without_order(tmp_path / "inline"))


def test_a_sweep_killed_part_way_resumes_to_exactly_the_expected_runs(tmp_path):
    text = SMALL.replace("steps = 30", "steps = 300").replace("replicates = 3",
                                                               "replicates = 6")
    path = write(tmp_path, text)
    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out),
               "--workers", "2", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(Store(out).done()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    stored = len(Store(out).done())
    assert 3 <= stored < 24, "the sweep was not interrupted part-way"
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert f"{24 - stored} runs stored" in result.stdout or len(Store(out).done()) == 24
    expected = {f"c{c:05d}-r{r:04d}" for c in range(4) for r in range(6)}
    assert Store(out).done() == expected
    assert not list((out / "runs").glob(".tmp-*"))
    reference = tmp_path / "reference"
    run_sweep(load_experiment(path), reference, workers=0, progress=False)
    pd.testing.assert_frame_equal(runs_without_order(out), runs_without_order(reference))


def _children(pid: int) -> set[int]:
    """Processes descended from `pid`."""
    try:
        import psutil
    except ImportError:
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            parents[int(stat.parent.name)] = int(fields[1])
        found, frontier = set(), {pid}
        while frontier:
            frontier = {child for child, parent in parents.items() if parent in frontier}
            found |= frontier
        return found
    return {child.pid for child in psutil.Process(pid).children(recursive=True)}


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_pool_workers_exit_when_the_sweep_process_is_killed(tmp_path):
    text = SMALL.replace("steps = 30", "steps = 2000").replace("replicates = 3",
                                                                "replicates = 6")
    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "run.py"), "sweep", str(write(tmp_path, text)),
               "--out", str(out), "--workers", "2", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not Store(out).done() and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _children(process.pid)
        assert len(workers) >= 2 and process.poll() is None, "the sweep is not running"
        os.kill(process.pid, signal.SIGKILL)  # the sweep process only, not its group
        process.wait()
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers)), "worker processes outlived the sweep"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def test_sampled_conditions_get_distinct_labels_and_summaries(tmp_path):
    text = """
[experiment]
steps = 10
replicates = 2
seed = 1
design = "lhs"
samples = 6
[base]
people = 30
[factors]
wip_doing = { low = 1, high = 3 }
"""
    experiment = load_experiment(write(tmp_path, text))
    labels = [c.label for c in conditions(experiment)]
    assert len(set(labels)) == len(labels) == 6
    run_sweep(experiment, tmp_path / "out", workers=0, progress=False)
    summary = summarize(tmp_path / "out")
    assert summary.estimates.query("metric == 'throughput'")["n"].tolist() == [2] * 6


def test_bad_result_folders_and_baselines_get_clear_errors(tmp_path):
    file = tmp_path / "a-file"
    file.write_text("x")
    with pytest.raises(ExperimentError, match="not a folder"):
        run_sweep(load_experiment(write(tmp_path, SMALL)), file, workers=0, progress=False)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    with pytest.raises(ExperimentError, match="manifest"):
        summarize(broken)
    text = """
[experiment]
steps = 5
replicates = 2
seed = 1
design = "list"
baseline = "hierarchy"
[base]
people = 20
[[settings]]
preset = "hierarchy"
[[settings]]
preset = "purposeful"
wip_doing = 2
"""
    with pytest.raises(ExperimentError, match="experiment.baseline.*counterpart"):
        load_experiment(write(tmp_path, text, "list.toml"))  # refused before any run
    run_sweep(load_experiment(write(tmp_path, text.replace('baseline = "hierarchy"', ""),
                                    "list.toml")), tmp_path / "list", workers=0, progress=False)
    with pytest.raises(ExperimentError, match="counterpart"):
        summarize(tmp_path / "list", baseline="hierarchy")
    assert len(summarize(tmp_path / "list", baseline="preset=hierarchy").paired) > 0


def test_every_run_records_the_code_it_ran_with(tmp_path):
    run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
              progress=False)
    runs = Store(tmp_path / "out").read_runs()
    manifest = Store(tmp_path / "out").read_manifest()
    assert runs["code"].nunique() == 1 and runs["code"].iloc[0]
    assert len(manifest["sessions"]) == 1
    run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
              progress=False)
    assert len(Store(tmp_path / "out").read_manifest()["sessions"]) == 2


def test_results_of_another_experiment_are_not_mixed(tmp_path):
    run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
              progress=False)
    other = write(tmp_path, SMALL.replace("seed = 7", "seed = 8"), "other.toml")
    with pytest.raises(ExperimentError, match="different experiment"):
        run_sweep(load_experiment(other), tmp_path / "out", workers=0, progress=False)


def test_the_manifest_records_file_hash_code_and_packages(tmp_path):
    path = write(tmp_path, SMALL)
    run_sweep(load_experiment(path), tmp_path / "out", workers=0, progress=False)
    manifest = Store(tmp_path / "out").read_manifest()
    import hashlib

    assert manifest["experiment"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["runs_expected"] == 12
    assert manifest["experiment"]["text"] == path.read_text()
    assert {"python", "numpy", "numba", "mesa", "pandas"} <= set(manifest["packages"])
    assert "commit" in manifest["code"]


# ---------------------------------------------------------------------- analysis
def test_summary_has_intervals_and_paired_differences(tmp_path):
    run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
              progress=False)
    summary = summarize(tmp_path / "out")
    assert summary.baseline == "preset=hierarchy"
    est = summary.estimates.query("metric == 'throughput'")
    assert len(est) == 4 and (est["n"] == 3).all()
    assert ((est["low"] <= est["mean"]) & (est["mean"] <= est["high"])).all()
    runs = Store(tmp_path / "out").read_runs()
    label, base = "preset=purposeful wip_doing=3", "preset=hierarchy wip_doing=3"
    a = runs[runs["label"] == label].set_index("replicate")["throughput"]
    b = runs[runs["label"] == base].set_index("replicate")["throughput"]
    paired = summary.paired.query("metric == 'throughput' and label == @label")
    assert paired["baseline"].iloc[0] == base  # compared within the same wip_doing level
    assert paired["difference"].iloc[0] == pytest.approx((a - b).mean())
    base_row = summary.paired.query("metric == 'throughput' and label == @base")
    assert base_row["difference"].iloc[0] == 0
    single = summarize(tmp_path / "out", baseline="preset=hierarchy wip_doing=1")
    assert set(single.paired["baseline"]) == {"preset=hierarchy wip_doing=1"}
    with pytest.raises(ExperimentError, match="baseline"):
        summarize(tmp_path / "out", baseline="anarchy")
    text = format_summary(summary)
    assert "paired difference" in text and label in text
    written = write_summary(summary, tmp_path / "out") + draw_figures(tmp_path / "out", summary)
    names = {p.name for p in written}
    assert {"summary.csv", "paired-preset=hierarchy.csv", "estimates.png", "estimates.svg",
            "paired-preset=hierarchy.png", "paired-preset=hierarchy.svg", "time_series.png",
            "time_series.svg"} <= names
    assert pd.read_csv(tmp_path / "out" / "summary.csv").shape[0] == len(summary.estimates)


def test_intervals_are_clipped_to_the_range_a_metric_can_take(tmp_path):
    shares = np.array([1.0, 1.0, 0.9])
    mean, low, high, n = interval(shares, within=bounds("retention"))
    unclipped = interval(shares)
    assert unclipped[2] > 1.0 and high == 1.0 and low == unclipped[1] < mean and n == 3
    assert interval(np.array([0.0, 0.0, 0.3]), within=bounds("throughput"))[1] == 0.0
    assert bounds("exits_total") == (0.0, np.inf) and bounds("no_such") == (-np.inf, np.inf)
    run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
              progress=False)
    summary = summarize(tmp_path / "out", metrics=("retention", "throughput", "unaffiliated"))
    for row in summary.estimates.itertuples():
        low_end, high_end = bounds(row.metric)
        assert low_end <= row.low <= row.mean <= row.high <= high_end
    for row in summary.paired.query("metric == 'retention'").itertuples():
        assert -1 <= row.low <= row.high <= 1


def test_stored_tables_load_directly_in_pandas(tmp_path):
    run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
              progress=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs")
    assert len(runs) == 12 and np.isfinite(runs["throughput"]).all()
    steps = pd.read_parquet(tmp_path / "out" / "steps")
    assert {"run_id", "step", "throughput", "retention"} <= set(steps.columns)


def test_sweep_and_summarize_from_the_command_line(tmp_path):
    path = write(tmp_path, SMALL)
    out = tmp_path / "out"
    cli = [sys.executable, str(ROOT / "run.py")]
    result = subprocess.run(cli + ["sweep", str(path), "--out", str(out), "--workers", "1",
                                   "--quiet"], capture_output=True, text=True, check=False,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "12 runs stored" in result.stdout and "runs/hour" in result.stdout
    result = subprocess.run(cli + ["summarize", str(out)], capture_output=True, text=True,
                            check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "throughput" in result.stdout and (out / "figures" / "time_series.png").exists()
    bad = write(tmp_path, SMALL.replace('"hierarchy", "purposeful"', '"hierarchy", "chaos"'),
                "bad.toml")
    result = subprocess.run(cli + ["sweep", str(bad), "--out", str(tmp_path / "bad")],
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "factors.preset" in result.stderr and "chaos" in result.stderr
    assert not (tmp_path / "bad").exists()


def test_summaries_warn_when_runs_come_from_different_code(tmp_path):
    run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
              progress=False)
    first = min((tmp_path / "out" / "runs").glob("*.parquet"))
    frame = pd.read_parquet(first)
    frame["code"] = "0123456789abcdef-older"
    frame.to_parquet(first, index=False)
    summary = summarize(tmp_path / "out")
    assert len(summary.codes) == 2
    assert any(line.startswith("warning: the runs come from 2 code versions")
               for line in format_summary(summary).splitlines())


def test_a_folder_another_sweep_is_writing_to_is_refused(tmp_path):
    experiment = load_experiment(write(tmp_path, SMALL))
    out = tmp_path / "out"
    with Store(out).owned(), pytest.raises(ExperimentError, match="another sweep is writing"):
        run_sweep(experiment, out, workers=0, progress=False)
    assert run_sweep(experiment, out, workers=0, progress=False).stored == 12


@pytest.mark.parametrize("umask", [0o022, 0o007])
def test_result_files_get_the_mode_of_new_files(tmp_path, umask):
    previous = os.umask(umask)
    try:
        run_sweep(load_experiment(write(tmp_path, SMALL)), tmp_path / "out", workers=0,
                  progress=False)
    finally:
        os.umask(previous)
    out = tmp_path / "out"
    files = [out / "manifest.json", out / "conditions.parquet",
             *(out / "runs").glob("*.parquet"), *(out / "steps").glob("*.parquet")]
    assert len(files) == 2 + 12 + 12
    assert {path.stat().st_mode & 0o777 for path in files} == {0o666 & ~umask}


def test_a_killed_writers_half_written_files_are_removed_on_resume(tmp_path):
    experiment = load_experiment(write(tmp_path, SMALL))
    out = tmp_path / "out"
    run_sweep(experiment, out, workers=0, progress=False)
    leftovers = [out / "runs" / ".tmp-abc.parquet", out / ".tmp-def.json"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    again = run_sweep(experiment, out, workers=0, progress=False)
    assert again.stored == 0 and again.skipped == 12
    assert not any(path.exists() for path in leftovers)
    assert len(Store(out).read_runs()) == 12


def test_the_experiments_package_has_no_import_loop():
    import ast
    import graphlib

    graph = {}
    for path in (ROOT / "experiments").glob("*.py"):
        uses = set()
        for node in ast.walk(ast.parse(path.read_text())):  # imports in functions count too
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("experiments"):
                uses |= ({alias.name for alias in node.names} if node.module == "experiments"
                         else {node.module.split(".")[1]})
            elif isinstance(node, ast.Import):
                uses |= {alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("experiments.")}
        graph[path.stem] = uses - {path.stem, "__init__"}
    del graph["__init__"]
    assert list(graphlib.TopologicalSorter(graph).static_order())  # CycleError if a loop


# ---------------------------------------------------------------------- what summaries say
def test_summaries_name_the_window_and_how_every_metric_is_summarized(tmp_path):
    from model.metrics import BY_NAME

    fixed = SMALL.replace("keep_every = 5", "keep_every = 5\nwarmup = 0.5")
    run_sweep(load_experiment(write(tmp_path, fixed)), tmp_path / "out", workers=0,
              progress=False)
    summary = summarize(tmp_path / "out")
    assert summary.window == (16, 30) and summary.steps == 30  # warm-up 0.5 of 30 steps
    for table in (summary.estimates, summary.paired):  # read from the metric declarations
        assert set(table["metric"]) == {m for m in BY_NAME if m in set(table["metric"])}
        assert len(set(table["metric"])) >= 30
        assert all(row.summary == BY_NAME[row.metric].kind and row.unit == BY_NAME[row.metric].unit
                   for row in table.itertuples())
    text = format_summary(summary)
    for words in ("window: steps 16-30 of 30", "95% CI, Student t over replicates",
                  "throughput (items/step): mean over the window",
                  "retention (share): value at the last step",
                  "lead time (steps): mean over the items done in the window"):
        assert words in text
    # without a warm-up, each run's window starts after its own transient (MSER-5)
    run_sweep(load_experiment(write(tmp_path, SMALL, "mser.toml")), tmp_path / "mser",
              workers=0, progress=False)
    runs = Store(tmp_path / "mser").read_runs()
    mser = summarize(tmp_path / "mser")
    if runs["window_start"].nunique() > 1:
        assert mser.window is None
        assert f"MSER-5 truncation: from step {runs['window_start'].min():.0f}" in \
            format_summary(mser)
    else:
        assert mser.window == (runs["window_start"].iloc[0], 30)


def test_summaries_warn_below_five_replicates(tmp_path):
    few = summarize(_swept(tmp_path, replicates=4))
    assert few.replicates == 4
    assert "only 4 replicates" in format_summary(few) and "fewer than 5" in few.warnings[0]
    enough = summarize(_swept(tmp_path, replicates=5))
    assert enough.replicates == 5 and not enough.warnings
    assert "warning" not in format_summary(enough)


def _swept(tmp_path: Path, replicates: int) -> Path:
    text = (SMALL.replace("replicates = 3", f"replicates = {replicates}")
            .replace("steps = 30", "steps = 10").replace("people = 40", "people = 20"))
    out = tmp_path / f"out{replicates}"
    run_sweep(load_experiment(write(tmp_path, text, f"r{replicates}.toml")), out, workers=0,
              progress=False)
    return out


def test_figures_show_labels_units_n_window_interval_and_paired_differences(tmp_path):
    fixed = SMALL.replace("keep_every = 5", "keep_every = 5\nwarmup = 0.5")
    run_sweep(load_experiment(write(tmp_path, fixed)), tmp_path / "out", workers=0,
              progress=False)
    summary = summarize(tmp_path / "out")
    written = {p.name for p in draw_figures(tmp_path / "out", summary)}
    assert written == {f"{name}.{ext}" for ext in ("png", "svg") for name in
                       ("estimates", "paired-preset=hierarchy", "time_series")}
    figures = tmp_path / "out" / "figures"
    for name, words in (
            ("estimates", ["throughput (items/step)", "lead time (steps)", "retention (share)",
                           "value at the last step"]),
            ("paired-preset=hierarchy", ["difference in throughput (items/step)",
                                         "against preset=hierarchy", "same seeds",
                                         "preset=purposeful wip_doing=3"]),
            ("time_series", ["step", "retention (share)", "summary window"])):
        svg = (figures / f"{name}.svg").read_text()  # text kept as text, not as paths
        for word in [*words, "steps 16-30 of 30", "95% CI, Student t over replicates",
                     "n = 3 replicates"]:
            assert word in svg, (name, word)
        assert (figures / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_baseline_keeps_its_own_paired_file(tmp_path):
    out = tmp_path / "out"
    run_sweep(load_experiment(write(tmp_path, SMALL)), out, workers=0, progress=False)
    cli = [sys.executable, str(ROOT / "run.py"), "summarize", str(out), "--no-figures"]
    first = subprocess.run(cli, capture_output=True, text=True, check=False, timeout=300)
    assert first.returncode == 0, first.stderr
    before = (out / "paired-preset=hierarchy.csv").read_bytes()
    second = subprocess.run([*cli, "--baseline", "preset=hierarchy wip_doing=1"],
                            capture_output=True, text=True, check=False, timeout=300)
    assert second.returncode == 0, second.stderr
    assert (out / "paired-preset=hierarchy.csv").read_bytes() == before
    other = [p.name for p in out.glob("paired-preset=hierarchy_wip_doing=1-*.csv")]
    assert len(other) == 1 and other[0] in second.stdout
    table = pd.read_csv(out / other[0])
    assert set(table["baseline"]) == {"preset=hierarchy wip_doing=1"}


def test_an_experiment_names_the_metrics_summarize_prints_beside_the_headline(tmp_path):
    text = SMALL.replace('baseline = "hierarchy"', 'baseline = "hierarchy"\n'
                         'report = ["served", "utilization"]')
    run_sweep(load_experiment(write(tmp_path, text)), tmp_path / "out", workers=0,
              progress=False)
    summary = summarize(tmp_path / "out")
    assert summary.report == ("served", "utilization")
    header = format_summary(summary).splitlines()
    assert any(title("served") in line and title("throughput") in line for line in header)
    plain = SMALL.replace('name = "small"', 'name = "plain"')
    run_sweep(load_experiment(write(tmp_path, plain, "plain.toml")), tmp_path / "plain",
              workers=0, progress=False)
    assert title("served") not in format_summary(summarize(tmp_path / "plain"))


@pytest.mark.parametrize("report, message", [
    ('["served", "nonsense"]', "experiment.report: 'nonsense' is not a metric; allowed: "),
    ('["served", "served"]', "names a metric twice"),
    ('"served"', "is not an array"),
    ('[3]', "3 is not a metric"),
])
def test_a_report_of_unknown_metrics_is_refused_in_one_line(tmp_path, report, message):
    text = SMALL.replace('baseline = "hierarchy"', f'baseline = "hierarchy"\nreport = {report}')
    with pytest.raises(ExperimentError, match=re.escape(message)) as refused:
        load_experiment(write(tmp_path, text))
    assert "\n" not in str(refused.value)


def test_parent_baselines_pair_each_ablation_with_its_unchanged_condition(tmp_path):
    from experiments.designs import baselines, conditions_table

    experiment = load_experiment(ROOT / "experiments" / "ablations.toml")
    found, _ = baselines(conditions_table(conditions(experiment)), "parent")
    for label, parent in found.items():
        own, base = set(label.split()), set(parent.split())
        # the parent sets the preset and the load and nothing else; the change is the rest
        assert {s.split("=")[0] for s in base} == {"preset", "arrival_rate"} and base <= own
    assert sum(label == parent for label, parent in found.items()) == 8  # 4 presets x 2 loads
    text = """
[experiment]
name = "ablate"
steps = 20
replicates = 2
seed = 3
design = "list"
baseline = "parent"
[base]
people = 40
[[settings]]
preset = "matrix"
[[settings]]
preset = "matrix"
switch_cost = 0.0
[[settings]]
preset = "hierarchy"
[[settings]]
preset = "hierarchy"
work = "pull"
"""
    run_sweep(load_experiment(write(tmp_path, text)), tmp_path / "out", workers=0,
              progress=False)
    paired = summarize(tmp_path / "out").paired.query("metric == 'throughput'")
    by = dict(zip(paired["label"], paired["baseline"], strict=True))
    assert by == {"preset=matrix": "preset=matrix",
                  "preset=matrix switch_cost=0": "preset=matrix",
                  "preset=hierarchy": "preset=hierarchy",
                  "preset=hierarchy work=pull": "preset=hierarchy"}

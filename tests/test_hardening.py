"""Hardening (issue #14): every reproducer of the audit, as a test.

Refusals are one line on stderr that names the parameter or path, the value (shortened when
huge) and what is allowed, with exit code 2, before the run, and leave files already written
untouched. The sections follow the issue: 1 command line, 2 experiment files, 3 results
folders and Dask, 5 security (4, bounded state, is the model's).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments import ExperimentError, Store, load_experiment, run_sweep, summarize

ROOT = Path(__file__).resolve().parents[1]

TINY = """
[experiment]
name = "tiny"
steps = 12
replicates = 2
seed = 3
outputs = "steps"
keep_every = 1
baseline = "hierarchy"
[base]
people = 20
[factors]
preset = ["hierarchy", "purposeful"]
"""


# ---------------------------------------------------------------------- helpers
def cli(*argv: str) -> tuple[int, str, str]:
    """run.py's main in this process: exit code, stdout, stderr."""
    import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def cli_process(*argv: str | bytes, limit_file_size: int | None = None,
                timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """run.py in a process of its own; `limit_file_size` makes every file it writes beyond
    that many bytes fail with EFBIG, as a full disk fails a write."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run([sys.executable, str(ROOT / "run.py"), *argv], cwd=ROOT,
                          capture_output=True, timeout=timeout, check=False,
                          env={**os.environ, "PURPOSEFUL_NUMBA": "0", **env},
                          preexec_fn=limit if limit_file_size else None)


def refused(code: int, err: str, *words: str) -> str:
    """Assert a clean refusal; return its line."""
    assert code == 2, (code, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every file (its bytes), folder and link under `folder`."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = f"link to {os.readlink(path)}"
        elif path.is_dir():
            found[name] = "folder"
        else:
            found[name] = path.read_bytes()
    return found


def write(folder: Path, text: str, name: str = "exp.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def swept(tmp_path: Path, text: str = TINY, name: str = "out") -> Path:
    out = tmp_path / name
    report = run_sweep(load_experiment(write(tmp_path, text)), out, workers=0, progress=False)
    assert report.stored == report.expected
    return out


# ====================================================================== 1. command line
def test_an_out_path_component_over_255_characters_is_refused_before_the_run(tmp_path):
    start = time.monotonic()
    code, _, err = cli("--steps", "100000", "--out", str(tmp_path / ("x" * 300) / "run"))
    line = refused(code, err, "--out", "too long")
    assert len(line) < 400 and time.monotonic() - start < 30  # refused, not run


@pytest.mark.parametrize("name", ["steps.parquet", "events.parquet", "config.json"])
def test_a_folder_where_an_output_file_goes_is_refused_before_the_run(tmp_path, name):
    out = tmp_path / "run"
    assert cli("--steps", "3", "--people", "10", "--out", str(out))[0] == 0
    (out / name).unlink()
    (out / name).mkdir()
    before = tree(out)
    start = time.monotonic()
    code, _, err = cli("--steps", "100000", "--out", str(out))
    refused(code, err, "--out", name, "allowed")
    assert time.monotonic() - start < 30 and tree(out) == before


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs /sys/kernel")
def test_a_system_folder_is_refused_before_the_run():
    start = time.monotonic()
    code, _, err = cli("--steps", "100000", "--out", "/sys/kernel")
    refused(code, err, "--out", "/sys/kernel")
    assert time.monotonic() - start < 30


def test_a_disk_that_fills_while_writing_leaves_the_earlier_outputs_whole(tmp_path):
    out = tmp_path / "run"
    # 4,000 people: an event log much larger than the step table (whose size is mostly its
    # columns' metadata)
    first = cli_process("--steps", "5", "--people", "4000", "--seed", "1", "--out", str(out),
                        "--quiet")
    assert first.returncode == 0, first.stderr
    sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    # room for the step table (written first) but not for the event log
    limit = (sizes["steps.parquet"] + sizes["events.parquet"]) // 2
    assert sizes["steps.parquet"] * 1.3 < limit < sizes["events.parquet"] * 0.7, sizes
    before = tree(tmp_path)
    result = cli_process("--steps", "5", "--people", "4000", "--seed", "2", "--out", str(out),
                         "--quiet", limit_file_size=limit)
    refused(result.returncode, result.stderr.decode(), "--out", "File too large",
            "nothing was replaced")
    assert tree(tmp_path) == before  # the old run's files, all of them, and nothing else


def test_a_run_replaces_its_outputs_all_together(tmp_path):
    out = tmp_path / "run"
    assert cli("--steps", "3", "--people", "10", "--out", str(out), "--format", "csv")[0] == 0
    assert cli("--steps", "3", "--people", "10", "--seed", "4", "--out", str(out))[0] == 0
    # the csv files of the first run went with it: the folder holds one run's outputs
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "events.parquet",
                                                     "steps.parquet"]
    assert json.loads((out / "config.json").read_text())["seed"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left
    assert (out.stat().st_mode & 0o777) == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_folder_holding_anything_but_a_runs_outputs_is_not_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    code, _, err = cli("--steps", "3", "--people", "10", "--out", str(tmp_path))
    refused(code, err, "--out", "notes.txt", "allowed")
    assert tree(tmp_path) == before


def test_an_out_name_that_is_not_utf8_is_written(tmp_path):
    out = os.fsencode(tmp_path) + b"/run-\xff"
    result = cli_process("--steps", "3", "--people", "10", "--out", out)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == [b"config.json", b"events.parquet", b"steps.parquet"]
    with open(os.path.join(out, b"steps.parquet"), "rb") as file:
        assert len(pd.read_parquet(file)) == 4
    assert b"run-\\xff" in result.stdout  # named, not a UnicodeEncodeError


@pytest.mark.parametrize("args", [["--steps", str(2**63)], ["--steps", str(2**63), "--quiet"],
                                  ["--steps", "1000001"]])
def test_steps_have_an_upper_bound(args):
    start = time.monotonic()
    refused(*cli(*args)[::2], "--steps", "allowed", "1,000,000")
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(("args", "words"), [
    (["--port", "70000"], ["--port", "70000", "65535"]),
    (["--port", "0"], ["--port", "0", "65535"]),
    (["--host", "not a host"], ["--host", "'not a host'"]),
    (["--host", ""], ["--host", "''", "allowed"]),
    (["--host", "192.0.2.1"], ["--host", "192.0.2.1"]),  # an address of no interface here
])
def test_viz_refuses_a_bad_host_or_port_before_starting(args, words):
    start = time.monotonic()
    refused(*cli("viz", *args)[::2], *words)
    assert time.monotonic() - start < 20


def test_viz_warns_when_the_app_would_be_reachable_from_other_machines():
    import run

    for host in ("0.0.0.0", "::", "10.1.2.3"):
        assert "other machines" in run.host_warning(host)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert run.host_warning(host) is None


@pytest.mark.parametrize(("args", "words"), [
    (["--out", ""], ["--out", "''", "allowed"]),
    (["--out", "~/x"], ["--out", "'~/x'", "~"]),
    (["--profile", "--out", "D"], ["--out", "--profile"]),
    (["--format", "csv"], ["--format", "--out"]),
    (["--people", "20", "--set", "people=40"], ["--set", "people", "--people"]),
    (["--set", "people=20", "--set", "people=40"], ["--set", "people", "twice"]),
    (["--ste", "5"], ["--ste"]),
    (["--steps", "١٠"], ["--steps", "allowed"]),
    (["--steps", "1_0"], ["--steps", "'1_0'", "allowed"]),
    (["--people", "1_0"], ["--people", "'1_0'"]),
    (["--set", "people=1_0"], ["people", "'1_0'", "allowed"]),
    (["--set", "outside_option=٠.٥"], ["outside_option", "allowed"]),
    (["--set", "outside_option=nan"], ["outside_option", "allowed"]),
    (["--set", "PEOPLE=5"], ["PEOPLE", "did you mean 'people'"]),
    (["--set", "seed=3"], ["seed", "--seed"]),
    (["--set", "steps=3"], ["steps", "--steps"]),
    (["--set", "preset=matrix"], ["preset", "--preset"]),
])
def test_inputs_once_accepted_silently_are_refused(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    slow = [] if "--steps" in args else ["--steps", "100000"]  # refused before the run
    refused(*cli(*args, *slow)[::2], *words)
    assert list(tmp_path.iterdir()) == []  # no literal "~", no D


@pytest.mark.parametrize("args", [["--set", "membership=" + "x" * 10_000],
                                  ["--set", "x" * 10_000 + "=1"],
                                  ["--preset", "x" * 10_000],
                                  ["--steps", "9" * 10_000],
                                  ["--format", "x" * 10_000],
                                  ["--out", "x" * 10_000],
                                  ["--" + "x" * 10_000],
                                  ["sweep", "x" * 10_000, "--out", "y"],
                                  ["summarize", "x" * 10_000]])
def test_a_huge_bad_value_is_not_echoed_whole(args):
    line = refused(*cli(*args)[::2], "characters")  # shortened, saying how long it was
    assert len(line) < 500


def test_output_piped_into_a_reader_that_stops_early_ends_quietly():
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--steps", "30",
                                "--people", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.readline()  # as `| head -1` does
    process.stdout.close()
    errors = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors
    assert process.returncode in (0, 141)


@pytest.mark.parametrize("stream", [[], ["--stream-events"]])
def test_an_interrupted_run_writes_nothing_and_says_so(tmp_path, stream):
    out = tmp_path / "run"
    # as from a terminal, whatever this test runner inherited (a background job of a shell
    # starts with SIGINT ignored, and so would the run)
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--steps", "1000000",
                                "--people", "50", "--out", str(out), *stream],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stderr.read(1)  # the progress bar: the run has started
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    last = errors.decode().replace("\r", "\n").strip().splitlines()[-1]
    assert process.returncode == 130 and "Traceback" not in errors.decode(), errors
    assert last == "run.py: interrupted; nothing was written"
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_help_still_exits_zero():
    code, out, _ = cli("--help")
    assert code == 0 and "--set" in out
    code, out, _ = cli("sweep", "--help")
    assert code == 0 and "--scheduler" in out


# ====================================================================== 2. experiment files
HEAD = "[experiment]\nsteps = 5\nreplicates = 1\nseed = 1\n"


def load_text(tmp_path: Path, text: str):
    return load_experiment(write(tmp_path, text))


@pytest.mark.parametrize("depth", [60, 100_000])
def test_deep_nesting_is_refused(tmp_path, depth):
    text = HEAD + "[factors]\nwip_doing = " + "[" * depth + "1" + "]" * depth + "\n"
    with pytest.raises(ExperimentError, match="nested"):
        load_text(tmp_path, text)


@pytest.mark.parametrize("level", ['[["hierarchy"]]', "[{ a = 1 }]", "[1]", "[true]"])
def test_a_preset_level_that_is_not_a_name_is_refused(tmp_path, level):
    with pytest.raises(ExperimentError, match="factors.preset"):
        load_text(tmp_path, HEAD + f"[factors]\npreset = {level}\n")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_a_warmup_that_is_not_a_finite_share_is_refused(tmp_path, value):
    with pytest.raises(ExperimentError, match=r"experiment\.warmup.*finite.*\[0, 1\)"):
        load_text(tmp_path, HEAD + f"warmup = {value}\n")


def test_the_manifest_is_strict_json(tmp_path):
    from experiments.store import write_json

    out = swept(tmp_path)

    def refuse(constant):
        raise ValueError(f"{constant} in the manifest")

    json.loads((out / "manifest.json").read_text(), parse_constant=refuse)
    with pytest.raises(ValueError, match="JSON"):  # NaN would not be JSON: refused, not written
        write_json({"warmup": math.nan}, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


@pytest.mark.parametrize(("design", "words"), [
    (("design = 'sobol'\nsamples = 1099511627776\n[factors]\n"
     "outside_option = { low = 0.2, high = 0.6 }\n"),
     ["experiment.samples", "allowed", "100,000"]),
    ("design = 'sobol'\nsamples = 1048576\n[factors]\noutside_option = { low = 0.2, high = 0.6 }\n",
     ["experiment.samples", "1048576", "100,000"]),
    ("design = 'sobol'\nsamples = 65536\n[factors]\noutside_option = { low = 0.2, high = 0.6 }\n",
     ["experiment.samples", "196,608 conditions", "at most 100,000"]),
    ("design = 'lhs'\nsamples = 10000000\n[factors]\noutside_option = { low = 0.2, high = 0.6 }\n",
     ["experiment.samples", "allowed", "100,000"]),
    (("design = 'morris'\nsamples = 10000000\n[factors]\n"
     "outside_option = { low = 0.2, high = 0.6 }\n"), ["experiment.samples", "100,000"]),
    ("[factors]\n" + "".join(f"{name} = [{', '.join(str(v / 10) for v in range(10))}]\n"
                             for name in ("outside_option", "turbulence", "exit_base",
                                          "switch_threshold", "tie_growth", "tie_decay",
                                          "innovation_rate", "innovation_decay")),
     ["[factors]", "100,000,000 conditions", "at most 100,000"]),
    ("[factors]\nwip_doing = [" + ", ".join(map(str, range(1, 11))) + "]\n"
     "outside_option = [" + ", ".join(str(k / 10_000) for k in range(10_001)) + "]\n",
     ["[factors]", "100,010 conditions", "at most 100,000"]),
])
def test_oversized_designs_are_refused_at_once_with_the_count_and_the_limit(tmp_path, design,
                                                                            words):
    start = time.monotonic()
    with pytest.raises(ExperimentError) as error:
        load_text(tmp_path, HEAD + design)
    assert time.monotonic() - start < 5
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize(("text", "words"), [
    (HEAD.replace("replicates = 1", "replicates = 1000000000"),
     ["experiment.replicates", "1000000000", "allowed: 1 to 10,000"]),
    (HEAD.replace("replicates = 1", "replicates = 10000")
     + "[factors]\nwip_doing = [" + ", ".join(map(str, range(1, 201))) + "]\n",
     ["experiment.replicates", "2,000,000 runs", "at most 1,000,000"]),
    (HEAD.replace("steps = 5", "steps = 10000000"), ["experiment.steps", "1,000,000"]),
    (HEAD + "keep_every = 10000000\n", ["experiment.keep_every", "1,000,000"]),
])
def test_counts_that_would_hang_before_any_run_are_refused(tmp_path, text, words):
    start = time.monotonic()
    with pytest.raises(ExperimentError) as error:
        load_text(tmp_path, text)
    assert time.monotonic() - start < 5
    for word in words:
        assert word in str(error.value)


def test_an_experiment_file_that_is_not_a_regular_file_or_too_large_is_refused(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    with pytest.raises(ExperimentError, match="not a regular file"):
        load_experiment(fifo)  # opening a FIFO without a writer would block for ever
    with pytest.raises(ExperimentError, match="not a regular file"):
        load_experiment("/dev/zero")
    with pytest.raises(ExperimentError, match="not a regular file"):  # found by the fuzz test
        load_experiment(tmp_path)
    big = write(tmp_path, HEAD + "description = '" + "x" * 10_000_001 + "'\n", "big.toml")
    with pytest.raises(ExperimentError, match="larger than 10,000,000 bytes"):
        load_experiment(big)


def test_messages_about_a_file_shorten_huge_values(tmp_path):
    for text in (HEAD + "design = '" + "x" * 10_000 + "'\n",
                 HEAD + "[factors]\nmembership = ['" + "x" * 10_000 + "']\n",
                 HEAD + "[factors]\n" + "x" * 10_000 + " = [1]\n",
                 HEAD + "[factors]\npreset = '" + "x" * 10_000 + "'\n"):
        with pytest.raises(ExperimentError) as error:
            load_text(tmp_path, text)
        assert len(str(error.value)) < 500 and "\n" not in str(error.value)


# ====================================================================== 3. results folders
def _run_files(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("*.parquet"))


@pytest.mark.parametrize("damage", ["empty", "truncated", "not parquet"])
def test_a_corrupt_run_file_is_moved_aside_and_run_again(tmp_path, damage):
    out = swept(tmp_path)
    reference = Store(out).read_runs().sort_values("run_id").reset_index(drop=True)
    bad = _run_files(out)[1]
    data = bad.read_bytes()
    damaged = {"empty": b"", "truncated": data[: len(data) // 2],
               "not parquet": b"PAR1" + b"\0" * 100}[damage]
    bad.write_bytes(damaged)
    with pytest.raises(ExperimentError) as error:
        summarize(out)
    assert bad.name in str(error.value) and "sweep again" in str(error.value)
    notes: list[str] = []
    report = run_sweep(load_experiment(tmp_path / "exp.toml"), out, workers=0, progress=False,
                       note=notes.append)
    assert report.stored == 1 and report.skipped == report.expected - 1
    assert any(bad.stem in note and "corrupt" in note for note in notes), notes
    assert (out / "corrupt" / "runs" / bad.name).read_bytes() == damaged
    again = Store(out).read_runs().sort_values("run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(again, reference)
    summarize(out)


def test_a_corrupt_step_table_is_moved_aside_with_its_run(tmp_path):
    out = swept(tmp_path)
    bad = min((out / "steps").glob("*.parquet"))
    bad.write_bytes(b"")
    code, _, err = cli("summarize", str(out))
    refused(code, err, bad.name)
    report = run_sweep(load_experiment(tmp_path / "exp.toml"), out, workers=0, progress=False)
    assert report.stored == 1
    assert len(pd.read_parquet(bad)) == 13
    assert cli("summarize", str(out))[0] == 0


@pytest.mark.parametrize(("path", "content"), [
    ("manifest.json", "{not json"),
    ("manifest.json", "[]"),
    ("manifest.json", '{"experiment": 3}'),
    ("manifest.json", '{"experiment": {"name": "x"}}'),
    ("manifest.json", "\udcff"),
    ("conditions.parquet", ""),
    ("conditions.parquet", "PAR1 nonsense"),
    ("failed/c00000-r0000.json", "{half"),
    ("failed/c00000-r0000.json", "[1, 2]"),
])
def test_corrupt_results_files_get_one_line_naming_the_path(tmp_path, path, content):
    out = swept(tmp_path)
    target = out / path
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(content.encode("utf-8", "surrogateescape"))
    for command in (["summarize", str(out)],
                    ["sweep", str(tmp_path / "exp.toml"), "--out", str(out), "--workers", "0"]):
        if command[0] == "sweep" and path == "conditions.parquet":
            continue  # the sweep writes the conditions again: nothing is read from it
        refused(*cli(*command)[::2], str(target))


@pytest.mark.parametrize("path", ["runs", "steps", "failed", "figures"])
def test_a_file_where_a_results_folder_should_be_is_named(tmp_path, path):
    out = swept(tmp_path)
    if (out / path).is_dir():
        for child in (out / path).iterdir():
            child.unlink()
        (out / path).rmdir()
    (out / path).write_text("a file")
    commands = [["summarize", str(out)]]
    if path != "figures":
        commands.append(["sweep", str(tmp_path / "exp.toml"), "--out", str(out),
                         "--workers", "0"])
    for command in commands:
        refused(*cli(*command)[::2], str(out / path), "not a folder")


@pytest.mark.parametrize("path", ["manifest.json", "conditions.parquet", "runs/x.parquet"])
def test_a_folder_where_a_results_file_should_be_is_named(tmp_path, path):
    out = swept(tmp_path)
    target = out / path
    if target.exists():
        target.unlink()
    target.mkdir()
    refused(*cli("summarize", str(out))[::2], str(target))


def test_a_disk_that_fills_during_a_sweep_gives_one_line_and_the_sweep_resumes(tmp_path):
    path = write(tmp_path, TINY.replace("steps = 12", "steps = 200"))
    out = tmp_path / "out"
    result = cli_process("sweep", str(path), "--out", str(out), "--workers", "0", "--quiet",
                         limit_file_size=20_000)
    err = result.stderr.decode()
    refused(result.returncode, err, str(out / "steps"), "File too large", "resume")
    result = cli_process("sweep", str(path), "--out", str(out), "--workers", "0", "--quiet")
    assert result.returncode == 0, result.stderr
    assert len(Store(out).done()) == 4


def test_a_disk_that_fills_during_summarize_gives_one_line(tmp_path):
    out = swept(tmp_path)
    result = cli_process("summarize", str(out), limit_file_size=20_000)
    refused(result.returncode, result.stderr.decode(), str(out), "File too large")


def test_more_workers_than_cores_are_capped_with_a_message(tmp_path):
    path = write(tmp_path, TINY)
    code, out, err = cli("sweep", str(path), "--out", str(tmp_path / "out"), "--workers",
                         "999999999", "--quiet")
    assert code == 0, err
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert f"--workers 999999999 is more than the {cores} cores" in err
    assert "4 runs stored" in out


# ---------------------------------------------------------------------- Dask
@pytest.mark.parametrize(("address", "words"), [
    ("inproc://x", ["--scheduler", "'inproc://x'", "tcp://HOST:PORT"]),
    ("ucx://127.0.0.1:9", ["--scheduler", "'ucx://127.0.0.1:9'", "tcp://HOST:PORT"]),
    ("tls://127.0.0.1:9", ["--scheduler", "'tls://127.0.0.1:9'", "certificate"]),
    ("wss://127.0.0.1:9", ["--scheduler", "'wss://127.0.0.1:9'", "certificate"]),
])
def test_scheduler_addresses_dask_cannot_use_from_here_are_refused(tmp_path, address, words):
    pytest.importorskip("distributed")
    path = write(tmp_path, TINY)
    refused(*cli("sweep", str(path), "--out", str(tmp_path / "out"), "--scheduler",
                 address)[::2], *words)
    assert not (tmp_path / "out").exists()


@contextlib.contextmanager
def fake_server(reply: bytes | None):
    """A TCP server on 127.0.0.1 that answers every connection with `reply`, or never answers
    (None); yields its address."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    held = []

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)
            if reply is not None:
                connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@pytest.mark.parametrize(("reply", "words"), [
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", ["not a Dask scheduler"]),
    (None, ["did not answer", "2 s"]),
])
def test_a_server_that_is_not_a_dask_scheduler_is_refused_in_time(tmp_path, reply, words):
    pytest.importorskip("distributed")
    experiment = load_experiment(write(tmp_path, TINY))
    with fake_server(reply) as address:
        start = time.monotonic()
        with pytest.raises(ExperimentError) as error:
            run_sweep(experiment, tmp_path / "out", scheduler=address, progress=False,
                      connect_timeout=2)
        assert time.monotonic() - start < 15
    for word in ("--scheduler", address, *words):
        assert word in str(error.value)
    assert not (tmp_path / "out").exists()


# ====================================================================== 5. security
def _listening(pids: set[int]) -> list[tuple[str, int]]:
    psutil = pytest.importorskip("psutil")
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            found += [(c.laddr.ip, c.laddr.port) for c in
                      psutil.Process(pid).net_connections(kind="inet")
                      if c.status == psutil.CONN_LISTEN]
    return found


def test_a_local_dask_cluster_listens_on_loopback_only():
    psutil = pytest.importorskip("psutil")
    pytest.importorskip("distributed")
    import ipaddress

    from experiments.cluster import dask_client
    from experiments.provenance import environment

    with dask_client(None, 1, 30, environment()):
        me = psutil.Process()
        sockets = _listening({me.pid, *(p.pid for p in me.children(recursive=True))})
    assert sockets  # the scheduler and its worker do listen...
    assert all(ipaddress.ip_address(ip).is_loopback for ip, _ in sockets), sockets  # ...here


def test_summarize_never_writes_through_a_link_in_the_results_folder(tmp_path):
    out = swept(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victims = tmp_path / "victims"
    victims.mkdir()
    for name in ("summary.csv", "summary.parquet", "paired.csv"):
        (out / name).symlink_to(victim)
    code, _, err = cli("summarize", str(out), "--no-figures")
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert not (out / "summary.csv").is_symlink() and (out / "summary.csv").stat().st_size
    (out / "figures").symlink_to(victims, target_is_directory=True)
    refused(*cli("summarize", str(out))[::2], str(out / "figures"), "link")
    assert list(victims.iterdir()) == [] and victim.read_text() == "precious"


@pytest.mark.parametrize("folder", ["runs", "steps", "failed"])
def test_a_sweep_never_writes_through_a_link_in_the_results_folder(tmp_path, folder):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / folder).symlink_to(elsewhere, target_is_directory=True)
    path = write(tmp_path, TINY)
    refused(*cli("sweep", str(path), "--out", str(out), "--workers", "0")[::2],
            str(out / folder), "link")
    assert list(elsewhere.iterdir()) == []


def test_the_sweep_lock_is_not_taken_through_a_link(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / ".lock").symlink_to(victim)
    refused(*cli("sweep", str(write(tmp_path, TINY)), "--out", str(out), "--workers",
                 "0")[::2], str(out / ".lock"), "link")
    assert victim.read_text() == "precious"


def test_the_out_folder_of_a_run_is_not_a_link(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "link").symlink_to(target, target_is_directory=True)
    refused(*cli("--steps", "3", "--out", str(tmp_path / "link"))[::2], "--out", "link")
    assert list(target.iterdir()) == []


def test_a_results_folder_given_as_a_link_is_refused_before_anything_is_written(tmp_path):
    target = tmp_path / "target"  # found by the fuzz test: the lock was taken, then refused
    target.mkdir()
    (tmp_path / "link").symlink_to(target, target_is_directory=True)
    path = write(tmp_path, TINY)
    refused(*cli("sweep", str(path), "--out", str(tmp_path / "link"), "--workers", "0")[::2],
            str(tmp_path / "link"), "symbolic link", str(target))
    assert list(target.iterdir()) == []
    out = swept(tmp_path)
    (tmp_path / "results-link").symlink_to(out, target_is_directory=True)
    refused(*cli("summarize", str(tmp_path / "results-link"))[::2], "symbolic link")

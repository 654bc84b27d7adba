"""A standing fuzz test of the command line and of experiment files (issue #14, part 6).

Hypothesis drives run.py's `main` and the experiment-file parser in this process with inputs
built from their grammars, mixed with hostile values (huge, non-ASCII, non-finite, nested,
of the wrong type). Every outcome must be a run (exit 0, or an accepted experiment) or a
refusal: exit code 2 with one line on stderr and no file changed, or an `ExperimentError` with
a one-line message. Any other exception fails the test.

The examples are bounded so that the whole file takes about a minute on two cores; set
PURPOSEFUL_FUZZ_EXAMPLES to run more of them (e.g. 2000, for a night).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from experiments import ExperimentError, conditions, load_experiment, parse_experiment
from experiments.experiment import MAX_CONDITIONS, MAX_RUNS
from experiments.spec import DESIGNS, OUTPUTS
from model import PRESETS, Config
from model.policy import POLICY_KINDS, policy_names

SCALE = int(os.environ.get("PURPOSEFUL_FUZZ_EXAMPLES", "0")) or None


def fuzz(examples: int):
    """Hypothesis settings: `examples` examples (or PURPOSEFUL_FUZZ_EXAMPLES), no deadline
    (a run may take a second), no example database and no patch files in the repository
    (the explain phase writes them)."""
    return settings(max_examples=SCALE or examples, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


# ====================================================================== values
PARAMETERS = [spec.name for spec in Config.parameters()]
POLICIES = [name for kind in POLICY_KINDS for name in policy_names(kind)]
HOSTILE = ["", " ", "\n", "\t1", "\udcff", "\x00", "x" * 10_000, "--", "-", "=", "a=b=c",
           "1_0", "١٠", "٠.٥", "1e3", "-0", "+3", " 4 ", "0x10", "2**63", str(2**63),
           "9" * 5_000, "nan", "inf", "-inf", "1e309", "true", "None", "[1]", "{a=1}", "~",
           "~/x", "../x", "é", "🙂", "'", '"', "\\", "$(echo hi)", "%s", "{}"]
SMALL = st.integers(0, 40).map(str)
NUMBER = st.one_of(SMALL, st.integers().map(str), st.floats().map(repr),
                   st.sampled_from(HOSTILE))
TEXT = st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE))
VALUE = st.one_of(SMALL, NUMBER, TEXT, st.sampled_from(POLICIES + sorted(PRESETS)))
NAME = st.one_of(st.sampled_from(PARAMETERS + ["seed", "steps", "preset", "PEOPLE",
                                               "record_events", "snapshot_every"]),
                 st.text(max_size=12))
SET = st.one_of(st.builds("{}={}".format, NAME, VALUE), TEXT)
# --out and other paths stay inside the sandbox: no "/" and no ".." (the sandbox's parent)
LOCAL_NAME = st.text(st.characters(blacklist_characters="/\x00",
                                   blacklist_categories=("Cs",)), min_size=1, max_size=20
                     ).filter(lambda name: name not in (".", ".."))
OUT = st.one_of(st.sampled_from(["out", "out/deeper", "", "~/x", "x" * 300, "afile",
                                 "results", "steps_dir", "linkdir", ".", "fifo"]), LOCAL_NAME)

RUN_OPTION = st.one_of(
    st.tuples(st.just("--preset"), st.one_of(st.sampled_from(sorted(PRESETS)), TEXT)),
    st.tuples(st.just("--steps"), NUMBER),
    st.tuples(st.just("--people"), NUMBER),
    st.tuples(st.just("--seed"), NUMBER),
    st.tuples(st.just("--set"), SET),
    st.tuples(st.just("--out"), OUT),
    st.tuples(st.just("--format"), st.one_of(st.sampled_from(["parquet", "csv"]), TEXT)),
    st.tuples(st.just("--snapshot-every"), NUMBER),
    st.sampled_from([("--no-events",), ("--profile",), ("--quiet",), ("--stream-events",),
                     ("--ste", "3"),
                     ("--Steps", "3"), ("-s",), ("--set",), ("--out",), ("--help",)]),
    st.tuples(TEXT),  # a stray argument
)
# runs stay small: the last --steps and --people win (a bad value earlier is still refused,
# and --set people=... with --people is refused)
SIZE = ["--steps", "2", "--people", "12"]

BAD_HOSTS = ["", " ", "not a host", "192.0.2.1", "x" * 300, "256.256.256.256", "\udcff",
             "host name", "::ffff:999.1.1.1", "-"]
BAD_SCHEDULERS = ["foo", "inproc://x", "tcp://:1", "xyz://a:1", "", "tls://127.0.0.1:1",
                  "ucx://a:1", "wss://127.0.0.1:1", "tcp://" + "x" * 300, "\udcff"]
BAD_COUNTS = ["-1", "x", "1_0", "١", "", "1.5", "9" * 40]
EXPERIMENTS = ["tiny.toml", "bad.toml", "missing.toml", "afile", "results", "fifo",
               "x" * 300, ""]
RESULTS = ["results", "results_corrupt", "missing", "afile", "", "x" * 300, "steps_dir",
           "fifo"]


def flat(options: list[tuple[str, ...]]) -> list[str]:
    return [token for option in options for token in option]


# mostly valid runs, so that the paths that write outputs are exercised too
DEFAULTS = {spec.name: str(spec.default) for spec in Config.parameters()}
GOOD_OPTION = st.one_of(
    st.tuples(st.just("--preset"), st.sampled_from(sorted(PRESETS))),
    st.tuples(st.just("--seed"), SMALL),
    st.tuples(st.just("--set"), st.sampled_from(sorted(DEFAULTS)).map(
        lambda name: f"{name}={DEFAULTS[name]}")),
    st.tuples(st.just("--out"), st.sampled_from(["out", "out/deeper", "new run"])),
    st.tuples(st.just("--format"), st.sampled_from(["parquet", "csv"])),
    st.tuples(st.just("--snapshot-every"), st.sampled_from(["0", "1", "2"])),
    st.sampled_from([("--no-events",), ("--quiet",), ("--stream-events",)]),
)
RUN_ARGV = st.one_of(
    st.lists(RUN_OPTION, max_size=5),
    st.lists(GOOD_OPTION, max_size=5),
    st.tuples(st.lists(GOOD_OPTION, max_size=4), RUN_OPTION).map(lambda both: [*both[0],
                                                                               both[1]]),
).map(lambda options: flat(options) + SIZE)
SWEEP_ARGV = st.builds(
    lambda experiment, out, extra: ["sweep", experiment, "--out", out, *flat(extra),
                                    "--workers", "0"],
    st.one_of(st.sampled_from(EXPERIMENTS), LOCAL_NAME), OUT,
    st.lists(st.one_of(
        st.sampled_from([("--retry-failed",), ("--quiet",), ("--out",), ("--workers",)]),
        st.tuples(st.just("--scheduler"), st.sampled_from(BAD_SCHEDULERS)),
        st.tuples(st.just("--dask-workers"), st.sampled_from(BAD_COUNTS)),
        st.tuples(st.just("--workers"), st.sampled_from(BAD_COUNTS))), max_size=2))
SUMMARIZE_ARGV = st.builds(
    lambda results, extra, figures: ["summarize", results, *flat(extra)]
    + ([] if figures else ["--no-figures"]),
    st.one_of(st.sampled_from(RESULTS), LOCAL_NAME),
    st.lists(st.one_of(st.tuples(st.just("--baseline"), st.one_of(
        st.sampled_from(["hierarchy", "preset=hierarchy", "preset=purposeful", "preset",
                         "=", "preset=chaos"]), TEXT)),
        st.sampled_from([("--baseline",), ("--figures",)])), max_size=2),
    st.sampled_from([False, False, False, True]))  # figures cost a second: one in four
VIZ_ARGV = st.builds(  # never a usable host: nothing is served
    lambda host, port: ["viz", "--host", host, *(["--port", port] if port else [])],
    st.sampled_from(BAD_HOSTS), st.one_of(st.just(""), NUMBER))
GOOD_SWEEP = st.builds(lambda out, quiet: ["sweep", "tiny.toml", "--out", out, "--workers", "0",
                                           *quiet],
                       st.sampled_from(["out", "results", "results_corrupt", "a b"]),
                       st.sampled_from([[], ["--quiet"]]))
GOOD_SUMMARIZE = st.builds(lambda results, baseline: ["summarize", results, "--no-figures",
                                                      *baseline],
                           st.sampled_from(["results", "results_corrupt"]),
                           st.sampled_from([[], ["--baseline", "preset=purposeful"]]))


TINY = """
[experiment]
name = "tiny"
steps = 3
replicates = 2
seed = 1
outputs = "steps"
baseline = "preset=hierarchy"
[base]
people = 10
[factors]
preset = ["hierarchy", "purposeful"]
"""


# ====================================================================== the sandbox
@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """A folder of things the fuzzed inputs name: experiment files, a results folder (and a
    damaged copy), a plain file, a folder where an output file goes, a link, a FIFO."""
    from experiments import run_sweep

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "tiny.toml").write_text(TINY)
        (root / "bad.toml").write_text(TINY.replace("steps = 3", "steps = -3"))
        (root / "afile").write_text("not TOML [[[")
        (root / "steps_dir" / "steps.parquet").mkdir(parents=True)
        (root / "target").mkdir()
        (root / "linkdir").symlink_to(root / "target", target_is_directory=True)
        os.mkfifo(root / "fifo")
        run_sweep(load_experiment(root / "tiny.toml"), root / "results", workers=0,
                  progress=False)
        shutil.copytree(root / "results", root / "results_corrupt")
        damaged = min((root / "results_corrupt" / "runs").glob("*.parquet"))
        damaged.write_bytes(damaged.read_bytes()[:40])
        yield root


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry under `folder` (links not followed): a file's bytes, a link's target."""
    found: dict[str, object] = {}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(parent) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif path.is_dir():
                found[key] = "folder"
            elif path.is_fifo():
                found[key] = "fifo"
            else:
                found[key] = path.read_bytes()
    return found


@contextlib.contextmanager
def sandbox(template: Path) -> Iterator[Path]:
    """A fresh copy of the template as the current folder."""
    previous = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "sandbox"
        shutil.copytree(template, root, symlinks=True, ignore=lambda _, names: [
            name for name in names if name in ("fifo", "linkdir")])
        (root / "linkdir").symlink_to(root / "target", target_is_directory=True)
        os.mkfifo(root / "fifo")
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(previous)


# ====================================================================== the command line
def check_command(template: Path, argv: list[str]) -> None:
    """Run `run.py argv` in a fresh sandbox: exit 0, or exit 2 with one line and no change."""
    import run

    with sandbox(template) as root:
        before = snapshot(root)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run.main(argv)  # any exception fails the test
        event(f"exit {code}")
        errors = err.getvalue()
        assert "Traceback" not in errors
        if code == 2:  # a refusal: one line, and nothing written
            lines = errors.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("run.py"), (argv, errors)
            assert len(lines[0]) <= 2_100, argv
            assert snapshot(root) == before, argv
        else:
            assert code == 0, (argv, code, errors)


@fuzz(250)
@given(argv=RUN_ARGV)
def test_every_run_command_line_runs_or_is_refused_in_one_line(template, argv):
    check_command(template, argv)


@fuzz(80)
@given(argv=st.one_of(GOOD_SWEEP, SWEEP_ARGV))
def test_every_sweep_command_line_runs_or_is_refused_in_one_line(template, argv):
    check_command(template, argv)


@fuzz(80)
@given(argv=st.one_of(GOOD_SUMMARIZE, SUMMARIZE_ARGV))
def test_every_summarize_command_line_runs_or_is_refused_in_one_line(template, argv):
    check_command(template, argv)


@fuzz(50)
@given(argv=VIZ_ARGV)
def test_every_viz_command_line_is_refused_in_one_line(template, argv):
    check_command(template, argv)


# ====================================================================== experiment files
SCALAR = st.one_of(st.integers(), st.floats(), st.text(max_size=10), st.booleans(),
                   st.sampled_from(["hierarchy", "purposeful", "x" * 20_000, "nan"]))
ANY = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4)
                   | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
DEEP = st.integers(1, 5_000).map(lambda depth: _nested(depth))


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def good_or(good: st.SearchStrategy, weight: int = 3) -> st.SearchStrategy:
    """Mostly a valid value, sometimes anything."""
    return st.one_of(*[good] * weight, ANY, DEEP)


SHARES = ["outside_option", "turbulence", "exit_base", "switch_threshold", "tie_growth"]
SHARE = st.floats(0, 1)
GOOD_BASE = st.fixed_dictionaries({"people": st.integers(5, 40)}, optional={
    name: SHARE for name in SHARES[2:]})
GOOD_LEVELS = st.dictionaries(
    st.sampled_from(["preset", *SHARES[:2], "wip_doing"]),
    st.lists(st.floats(0, 1), min_size=1, max_size=3, unique=True), max_size=2,
).map(lambda factors: {name: (sorted(PRESETS)[: len(levels) + 1] if name == "preset" else
                              [int(1 + 4 * x) for x in levels] if name == "wip_doing" else
                              levels)
                       for name, levels in factors.items()})
GOOD_RANGES = st.dictionaries(st.sampled_from(SHARES[:2]), st.tuples(SHARE, SHARE).filter(
    lambda pair: pair[0] < pair[1]).map(lambda pair: {"low": pair[0], "high": pair[1]}),
    min_size=1, max_size=2)
GOOD_DESIGN = st.one_of(
    st.tuples(st.just({"design": "grid"}), GOOD_LEVELS),
    st.tuples(st.sampled_from([{"design": "lhs", "samples": 3},
                               {"design": "sobol", "samples": 2},
                               {"design": "morris", "samples": 2}]),
              st.tuples(GOOD_RANGES, GOOD_LEVELS).map(lambda both: {**both[1], **both[0]})),
)
GOOD_HEAD = st.fixed_dictionaries({
    "steps": st.integers(1, 6), "replicates": st.integers(1, 3),
    "seed": st.integers(0, 2**63 - 1)}, optional={
    "name": st.text(max_size=10), "description": st.text(max_size=10),
    "preset": st.sampled_from(sorted(PRESETS)), "outputs": st.sampled_from(OUTPUTS),
    "keep_every": st.integers(1, 5), "warmup": st.floats(0, 0.99)})


def _valid(head: dict, design: tuple, base: dict) -> dict:
    settings, factors = design
    factors = {name: levels for name, levels in factors.items() if name not in base}
    return {"experiment": {**head, **settings}, "base": base, "factors": factors}


GOOD_DATA = st.one_of(
    st.builds(_valid, GOOD_HEAD, GOOD_DESIGN, GOOD_BASE),
    st.builds(lambda head, base, entries: {"experiment": {**head, "design": "list"},
                                           "base": base, "settings": entries},
              GOOD_HEAD, GOOD_BASE, st.lists(st.fixed_dictionaries({}, optional={
                  "preset": st.sampled_from(sorted(PRESETS)), "wip_doing": st.integers(1, 5)}),
                  min_size=1, max_size=3)),
)
HEAD = st.fixed_dictionaries({}, optional={
    "name": good_or(st.text(max_size=10)),
    "description": good_or(st.text(max_size=10)),
    "preset": good_or(st.sampled_from(sorted(PRESETS))),
    "steps": st.one_of(st.integers(1, 6), st.integers(1, 6), st.integers(), ANY),
    "replicates": st.one_of(st.integers(1, 3), st.integers(1, 3), st.sampled_from(
        [0, 10_000, 10_001, 10**9]), ANY),
    "seed": good_or(st.integers(0, 2**63 - 1)),
    "design": good_or(st.sampled_from(DESIGNS)),
    "samples": good_or(st.sampled_from([1, 2, 3, 4, 8, 12, 2**17, 2**40, 10**7])),
    "outputs": good_or(st.sampled_from(OUTPUTS)),
    "keep_every": good_or(st.integers(1, 5)),
    "warmup": good_or(st.floats(0, 1)),
    "baseline": good_or(st.sampled_from(["hierarchy", "preset=hierarchy", "preset=chaos"])),
    "extra": ANY,
}).map(lambda head: {"steps": 3, "replicates": 1, "seed": 1, **head})
LEVEL = st.one_of(st.integers(-2, 50), st.floats(-1, 2), st.sampled_from(
    sorted(PRESETS) + POLICIES + ["fixed", "lognormal"]), ANY)
FACTOR = st.one_of(st.lists(LEVEL, max_size=4),
                   st.lists(st.integers(1, 50), min_size=300, max_size=400),
                   st.fixed_dictionaries({"low": LEVEL, "high": LEVEL}), ANY)
PARAMETER = st.one_of(st.sampled_from(PARAMETERS + ["preset"]), st.text(max_size=8))
HOSTILE_DATA = st.fixed_dictionaries({"experiment": good_or(HEAD, 8)}, optional={
    "base": good_or(st.dictionaries(PARAMETER, LEVEL, max_size=3)),
    "factors": good_or(st.dictionaries(PARAMETER, FACTOR, max_size=3)),
    "settings": good_or(st.lists(st.dictionaries(PARAMETER, LEVEL, max_size=3), max_size=3)),
    "other": ANY,
})
# valid files, valid files with one value replaced by anything, and anything, equally often
DATA = st.sampled_from([
    GOOD_DATA,
    st.tuples(GOOD_DATA, st.sampled_from(["experiment", "base", "factors"]), st.text(max_size=8),
              good_or(LEVEL, 1)).map(
        lambda edit: {**edit[0], edit[1]: {**edit[0].get(edit[1], {}), edit[2]: edit[3]}}),
    HOSTILE_DATA,
]).flatmap(lambda kind: kind)


def check_refusal(error: ExperimentError) -> None:
    message = str(error)
    assert "\n" not in message and len(message) <= 2_000, message


@fuzz(300)
@given(data=DATA)
def test_every_experiment_is_accepted_within_bounds_or_refused_in_one_line(data):
    try:
        experiment = parse_experiment(data, "fuzz.toml")
        conds = conditions(experiment)  # every condition made and checked
    except ExperimentError as error:
        event("refused")
        check_refusal(error)
        return
    event("accepted")
    assert len(conds) <= MAX_CONDITIONS and len(conds) * experiment.replicates <= MAX_RUNS
    people = max(c.config(experiment).people for c in conds)
    if len(conds) * experiment.replicates * experiment.steps * people <= 300:
        from experiments import run_sweep  # small enough to run: it must run

        with tempfile.TemporaryDirectory() as folder:
            report = run_sweep(experiment, Path(folder) / "out", workers=0, progress=False)
        assert report.stored == report.expected and not report.failed, report
        event("accepted and run")


@fuzz(300)
@given(edits=st.lists(st.tuples(st.integers(0, len(TINY)), st.integers(0, 3),
                                st.text(max_size=6)), min_size=1, max_size=4))
def test_every_mutated_experiment_file_is_loaded_or_refused_in_one_line(edits):
    text = TINY
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            experiment = load_experiment(path)
        except ExperimentError as error:
            event("refused")
            check_refusal(error)
            return
    event("accepted")
    assert len(conditions(experiment)) <= MAX_CONDITIONS

"""Command line: run the organization model, or run and summarize experiment sweeps.

    python run.py                                  # default scenario, summary table
    python run.py --preset hierarchy --steps 500 --people 1000 --seed 7
    python run.py --set wip_doing=2 --set outside_option=0.6 --out results/run1
    python run.py --profile                        # time every phase of the step
    python run.py sweep experiments/governance.toml --out results/governance
    python run.py summarize results/governance
    python run.py viz                              # the interactive app

Every refusal is one line on stderr naming the option or path, the value (shortened when huge)
and what is allowed, with exit code 2, before any work; files already written stay as they
were.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import json
import re
import socket
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import pandas as pd

from experiments.experiment import MAX_STEPS, ExperimentError, named, shown
from experiments.files import check_replaceable, display, staged_folder, write_new
from model import DEFAULT_PRESET, PRESETS, Config, ConfigError, Organization, Recording
from model.config import allowed_values, describe_parameters, unknown_parameter
from model.metrics import BY_NAME, summarize_run
from model.presets import PRESET_SUMMARIES
from model.recording import MAX_SNAPSHOT_EVERY

DEFAULT_STEPS = 1200  # long enough to settle (at 600, MSER-5 reached its limit); the summary
# leaves out the transient (MSER-5)
MAX_SEED = 2**63 - 1  # as an experiment file's seed (a TOML integer)
MAX_VALUE = 200  # characters of a --set value: no parameter's value is longer
# files a run writes into --out (for either format); a folder holding only these is replaced
OUTPUTS = ("config.json", *(f"{table}.{ext}" for table in
                            ("steps", "events", "people_snapshots", "tribes_snapshots",
                             "activity", "standing")
                            for ext in ("parquet", "csv")))
# the folder a streamed event log is written to in --out (one Parquet file per chunk)
STREAMED = ("events",)
# options of the command line that are not parameters, though their names might suggest so
_NOT_PARAMETERS = {"seed": "--seed", "steps": "--steps", "preset": "--preset",
                   "record_events": "--no-events", "snapshot_every": "--snapshot-every",
                   "record_activity": "--activity", "activity": "--activity"}
# the metrics a run's summary prints (their meaning, unit and summary: model.metrics)
SUMMARY = ("throughput", "lead_time", "wip", "backlog", "value", "retention", "exits_total",
           "engagement", "alignment", "tribes", "tribe_size_mean", "unaffiliated",
           "leader_changes", "gini_contribution")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class UsageError(Exception):
    """Bad command-line input; printed in one line without a traceback, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse with no abbreviated options, and errors raised as `UsageError` (one line, no
    usage block) instead of exiting."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str) -> NoReturn:
        # argparse echoes what it did not recognize whole: shorten any huge word of it
        words = [word if len(word) <= 300 else f"{word[:60]}… ({len(word):,} characters)"
                 for word in message.split(" ")]
        raise UsageError(f"{' '.join(words)} (--help shows the usage)")


def one_line(text: str, limit: int = 2000) -> str:
    """A message as one line: whitespace runs (newlines too) become one space, and the whole
    is cut to at most `limit` characters (values in messages are shortened where they are
    named; this is the last guard)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else f"{line[:limit]}… ({len(line):,} characters)"


def fail(prog: str, error: BaseException) -> int:
    """Print a refusal (one line on stderr) and return exit code 2."""
    print(one_line(f"{prog}: error: {error}"), file=sys.stderr)
    return 2


# ---------------------------------------------------------------------- argument types
def count(low: int, high: int | None = None, grouped: bool = True) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, written in ASCII digits (not
    "1_0", not other scripts' digits, which int() would take); `grouped`: the message writes
    the bounds with thousands separators."""
    form = "," if grouped else ""
    allowed = (f"a whole number >= {low:{form}}" if high is None else
               f"a whole number from {low:{form}} to {high:{form}}")

    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?[0-9]+", text.strip(), re.ASCII):
            raise argparse.ArgumentTypeError(f"{shown(text)} is not a whole number written "
                                             f"with the digits 0-9; allowed: {allowed}")
        digits = text.strip().lstrip("+-").lstrip("0")
        if len(digits) > 30 or int(text) < low or high is not None and int(text) > high:
            raise argparse.ArgumentTypeError(f"{named(text.strip())} is out of range; "
                                             f"allowed: {allowed}")
        return int(text)

    return parse


def choice(options: Sequence[str]) -> Callable[[str], str]:
    """An argparse type: one of `options` (a huge value is not echoed whole)."""
    def parse(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(f"unknown value {shown(text)}; allowed: "
                                             f"{', '.join(options)}")
        return text

    return parse


def path_text(option: str) -> Callable[[str], str]:
    """An argparse type: a path as typed (checked by `check_path`)."""
    def parse(text: str) -> str:
        try:
            return check_path(option, text)
        except UsageError as error:
            raise argparse.ArgumentTypeError(str(error).removeprefix(f"{option}: ")) from None

    return parse


def check_path(option: str, text: str) -> str:
    """A path given on the command line: not empty, not starting with a `~` the shell did not
    expand (that would make a folder literally named `~`)."""
    if not text.strip():
        raise UsageError(f"{option}: {text!r} is empty; allowed: a path (use . for the "
                         "current folder)")
    if "\0" in text:
        raise UsageError(f"{option}: {shown(text)} holds a NUL character, which no path can; "
                         "allowed: a path")
    if text.startswith("~"):
        raise UsageError(f"{option}: {shown(text)} starts with ~, which the shell did not "
                         "expand to a home folder; allowed: a path without a leading ~ (write "
                         "it unquoted, or use $HOME)")
    return text


# ---------------------------------------------------------------------- run
def build_parser() -> argparse.ArgumentParser:
    """The argument parser; --help lists presets and every parameter."""
    presets = "\n".join(f"  {name:<12} {PRESET_SUMMARIES[name]}" for name in PRESETS)
    parser = Parser(
        prog="run.py",
        description="Run the Purposeful Enterprise model and print a summary. Other "
                    "commands: `run.py sweep FILE --out DIR`, `run.py summarize DIR`, "
                    "`run.py viz` (each with --help).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(f"presets (default {DEFAULT_PRESET}):\n{presets}\n\n"
                f"parameters for --set (name, default, allowed, meaning):\n"
                f"{describe_parameters()}"))
    parser.add_argument("--preset", type=choice(sorted(PRESETS)), default=DEFAULT_PRESET,
                        help="governance preset")
    parser.add_argument("--steps", type=count(0, MAX_STEPS), default=DEFAULT_STEPS,
                        help=f"steps to run (default {DEFAULT_STEPS}; at most {MAX_STEPS:,})")
    parser.add_argument("--people", type=count(1), default=None,
                        help="people at the start (default: the preset's)")
    parser.add_argument("--seed", type=count(0, MAX_SEED), default=0,
                        help="random seed; the same seed gives the same run (default 0)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="NAME=VALUE", help="set any parameter (repeatable)")
    parser.add_argument("--out", type=path_text("--out"), default=None,
                        help="folder to write steps, events and config to: a new folder, or "
                             "one holding only a previous run's outputs, which are replaced "
                             "all together")
    parser.add_argument("--format", type=choice(("parquet", "csv")), default=None,
                        help="file format for --out (default parquet)")
    parser.add_argument("--no-events", action="store_true",
                        help="do not keep the event log (less memory; no events file)")
    parser.add_argument("--snapshot-every", type=count(0, MAX_SNAPSHOT_EVERY), default=0,
                        metavar="K", help="keep people and tribe snapshots every K steps and "
                                          "write them to --out (default 0: none)")
    parser.add_argument("--stream-events", action="store_true",
                        help="write the event log to --out/events/ while the run goes on, "
                             "instead of holding it in memory (for long runs)")
    parser.add_argument("--activity", action="store_true",
                        help="keep every person's activity record and write it to --out "
                             "beside the event log: activity (what each person did each step) "
                             "and standing (their tribe, fit terms and engagement)")
    parser.add_argument("--profile", action="store_true",
                        help="time every phase of the step and print the plan with timings")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def parse_overrides(pairs: list[str], people: int | None) -> dict[str, object]:
    """Turn NAME=VALUE strings into typed parameter values.

    Raises:
        UsageError: not NAME=VALUE, a name given twice or also as an option, a value too long
            or not a number written in ASCII digits.
        ConfigError: an unknown parameter or a value it does not allow.
    """
    overrides: dict[str, object] = {}
    given: dict[str, str] = {}
    parameters = {spec.name: spec for spec in Config.parameters()}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise UsageError(f"--set: {shown(pair)} is not NAME=VALUE")
        where = f"--set {named(name)}"
        if name in _NOT_PARAMETERS:
            raise UsageError(f"{where}: not a parameter; use {_NOT_PARAMETERS[name]} instead")
        if name not in parameters:
            lower = name.lower()
            if lower in parameters:  # parameter names are lower case
                raise UsageError(f"{where}: no such parameter (did you mean {lower!r}? names "
                                 "are lower case)")
            raise UsageError(f"--set: {unknown_parameter(name)}")
        if name in given:
            raise UsageError(f"{where}: given twice ({shown(given[name])} and {shown(text)}); "
                             "allowed: once")
        if name == "people" and people is not None:
            raise UsageError(f"{where}={named(text)}: --people {people} sets it too; allowed: "
                             "one of them")
        if len(text) > MAX_VALUE:
            raise UsageError(f"{where}: the value {shown(text)} is too long; allowed: at most "
                             f"{MAX_VALUE} characters")
        kind = parameters[name].type
        if kind in ("int", "float", int, float) and not _NUMBER.fullmatch(text):
            whole = "whole " if kind in ("int", int) else ""
            raise UsageError(f"{where}: {shown(text)} is not a {whole}number written with the "
                             f"digits 0-9; allowed: a {whole}number in "
                             f"{allowed_values(parameters[name])}")
        given[name] = text
        overrides[name] = Config.parse_value(name, text)
    return overrides


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """The run summary (`model.metrics.summarize_run`: over the steps after the initial
    transient, which MSER-5 finds) of the headline metrics, one row each: its value and how it
    is summarized, as `model.metrics` declares them. The index's name says the window."""
    summary = summarize_run(table)
    rows = {f"{m.label} ({m.unit})": {"value": summary[m.name], "summary": m.kind}
            for m in (BY_NAME[name] for name in SUMMARY)}
    window = (f"steps {summary['window_start']:.0f}-{summary['window_end']:.0f} of "
              f"{int(table['step'].iloc[-1])}, after the initial transient (MSER-5)")
    if summary["window_at_limit"]:
        window += "; the truncation reached half the run: the run may not have settled"
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(window)


def run_main(argv: list[str]) -> int:
    """`run.py`: one run, its summary, and its outputs in --out."""
    args = build_parser().parse_args(argv)
    check_run_options(args)
    overrides = parse_overrides(args.overrides, args.people)
    if args.people is not None:
        overrides["people"] = args.people
    config = Config.build(args.preset, **overrides)
    out = Path(args.out) if args.out is not None else None
    if out is not None:  # before the run, so that a bad folder costs no time
        try:
            check_replaceable(out, OUTPUTS, STREAMED)
        except ExperimentError as error:
            raise UsageError(f"--out: {error}") from None

    if args.profile:
        from model.plan import profile

        timings = profile(Organization(config, rng=args.seed), args.steps)
        if not args.quiet:
            print(f"step plan of the {args.preset} preset, {config.people} people, "
                  f"{args.steps} steps:")
            print(timings.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
            print(f"total: {timings['ns_per_person_step'].sum():.0f} ns per person-step")
        return 0

    try:
        if out is None:
            model, table = run_model(args, config, None)
            written: list[str] = []
        else:
            with staged_folder(out, OUTPUTS, STREAMED) as staging:
                model, table = run_model(args, config, staging)
                written = write_outputs(staging, model, table, args, config)
    except KeyboardInterrupt:
        print("run.py: interrupted; nothing was written", file=sys.stderr)
        return 130
    except ExperimentError as error:
        raise UsageError(f"--out: {error}") from None
    if not args.quiet:
        print(f"{args.preset}: {config.people} people, {args.steps} steps, seed {args.seed}")
        summary = summarize(table)
        print(f"{summary.index.name}:")
        for label, row in summary.iterrows():
            print(f"  {label:<31} {row['value']:>10,.3f}  {row['summary']}")
        if out is not None:
            print(f"wrote {display(out)}: {', '.join(written)}")
    return 0


def check_run_options(args: argparse.Namespace) -> None:
    """Options that do nothing, or cannot work, together.

    Raises:
        UsageError: --out or --format with --profile, --format, --snapshot-every or
            --stream-events without --out, --stream-events with CSV, without events, or into
            a path that is not UTF-8 (the event files are written by name).
    """
    if args.profile and (args.out is not None or args.format is not None):
        raise UsageError(f"--out/--format: a --profile run writes no outputs; allowed: "
                         f"--profile without --out {named(args.out or '')}".rstrip())
    for option, given in (("--format", args.format), ("--snapshot-every", args.snapshot_every),
                          ("--stream-events", args.stream_events),
                          ("--activity", args.activity)):
        if given and args.out is None:
            raise UsageError(f"{option}: only applies with --out, where the outputs are "
                             "written; allowed: --out DIR with it, or neither")
    if args.stream_events:
        if args.no_events:
            raise UsageError("--stream-events: --no-events keeps no event log to stream; "
                             "allowed: one of them")
        if args.format == "csv":
            raise UsageError("--stream-events: the streamed event files are Parquet; allowed: "
                             "--format parquet (the default) with it")
        try:
            str(Path(args.out).resolve().parent).encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"--stream-events: --out {display(args.out)} is not a UTF-8 "
                             "path, which the streamed event files need; allowed: a UTF-8 "
                             "path, or no --stream-events") from None


def run_model(args: argparse.Namespace, config: Config,
              folder: Path | None) -> tuple[Organization, pd.DataFrame]:
    """Build and run the model; with --stream-events, its event log goes to `folder`/events
    as it grows."""
    streamed = folder / STREAMED[0] if folder is not None and args.stream_events else None
    model = Organization(config, rng=args.seed, recording=Recording(
        events=not args.no_events, snapshot_every=args.snapshot_every, event_folder=streamed,
        activity=args.activity))
    long_run = config.people * args.steps >= 2_000_000
    table = model.run(args.steps, progress=long_run and not args.quiet)
    if streamed is not None:
        model.events.flush()  # the events still held: the folder then holds them all
    return model, table


def write_outputs(folder: Path, model: Organization, table: pd.DataFrame,
                  args: argparse.Namespace, config: Config) -> list[str]:
    """Write a run's outputs into `folder` (new, ours); return their names."""
    fmt = args.format or "parquet"
    tables = {"steps": table}
    if model.recording.events and model.recording.event_folder is None:
        tables["events"] = model.event_log()
    if model.recording.snapshot_every:
        tables["people_snapshots"], tables["tribes_snapshots"] = model.snapshots()
    if model.recording.activity:
        tables["activity"], tables["standing"] = model.activity()
    names = [f"{STREAMED[0]}/"] if model.recording.event_folder is not None else []
    for name, frame in tables.items():
        write_new(folder, f"{name}.{fmt}", partial(_write_table, frame, fmt))
        names.append(f"{name}.{fmt}")
    settings = json.dumps({"preset": args.preset, "seed": args.seed, "steps": args.steps,
                           "recording": {"events": model.recording.events,
                                         "streamed": model.recording.event_folder is not None,
                                         "snapshot_every": model.recording.snapshot_every,
                                         "activity": model.recording.activity},
                           "parameters": config.to_dict()}, indent=2, allow_nan=False)
    write_new(folder, "config.json", lambda file: file.write(settings.encode()))
    return [*names, "config.json"]


def _write_table(frame: pd.DataFrame, fmt: str, file: BinaryIO) -> None:
    if fmt == "parquet":
        frame.to_parquet(file, index=False)
    else:
        frame.to_csv(file, index=False, encoding="utf-8")


# ---------------------------------------------------------------------- sweep, summarize
def sweep_parser() -> argparse.ArgumentParser:
    """Arguments of `run.py sweep`."""
    parser = Parser(
        prog="run.py sweep", description="Run an experiment file's sweep; resumable: the same "
        "command again skips the runs already stored.")
    parser.add_argument("experiment", type=path_text("experiment"),
                        help="experiment file (TOML)")
    parser.add_argument("--out", type=path_text("--out"), required=True,
                        help="results folder")
    parser.add_argument("--workers", type=count(0), default=None,
                        help="local worker processes (default: all cores; 0: this process; "
                             "more than the cores are capped)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="run on an existing Dask cluster (trusted like your shell: Dask "
                             "unpickles what the scheduler sends)")
    parser.add_argument("--dask-workers", type=count(1), default=None,
                        help="start a local Dask cluster with this many workers")
    parser.add_argument("--retry-failed", action="store_true",
                        help="run again the runs recorded as failed")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def summarize_parser() -> argparse.ArgumentParser:
    """Arguments of `run.py summarize`."""
    parser = Parser(
        prog="run.py summarize", description="Estimates with 95%% confidence intervals per "
        "condition, paired differences against a baseline, tables and figures.")
    parser.add_argument("results", type=path_text("results"),
                        help="results folder of a sweep")
    parser.add_argument("--baseline", default=None,
                        help="baseline condition (label or factor value; default: the "
                             "experiment's, else the first condition)")
    parser.add_argument("--no-figures", action="store_true", help="tables only")
    return parser


def sweep_main(argv: list[str]) -> int:
    """`run.py sweep`: returns the exit code (1 if runs failed, 130 if interrupted)."""
    from experiments import load_experiment, run_sweep

    args = sweep_parser().parse_args(argv)
    if args.scheduler is not None and args.dask_workers is not None:
        raise UsageError("--scheduler and --dask-workers exclude each other; allowed: one")
    experiment = load_experiment(args.experiment)
    report = run_sweep(experiment, args.out, workers=args.workers,
                       scheduler=args.scheduler, dask_workers=args.dask_workers,
                       retry_failed=args.retry_failed, progress=not args.quiet,
                       note=lambda text: print(one_line(f"run.py sweep: {text}"),
                                               file=sys.stderr))
    rate = report.stored / report.seconds * 3600 if report.seconds > 0 else 0.0
    print(f"{experiment.name}: {report.stored} runs stored in {report.seconds:.1f} s "
          f"({rate:,.0f} runs/hour), {report.skipped} already done or skipped, "
          f"{len(report.failed)} failed, {report.expected} in the experiment")
    if report.failed:
        print(f"failed runs ({len(report.failed)}): {', '.join(report.failed[:10])}"
              f"{' ...' if len(report.failed) > 10 else ''}; errors in "
              f"{display(Path(args.out) / 'failed')}/; --retry-failed runs them again")
    if report.interrupted:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    return 1 if report.failed else 0


def summarize_main(argv: list[str]) -> int:
    """`run.py summarize`: print and write the tables and figures."""
    from experiments import draw_figures, format_summary, summarize, write_summary

    args = summarize_parser().parse_args(argv)
    results = Path(args.results)
    summary = summarize(results, baseline=args.baseline)
    print(format_summary(summary))
    written = write_summary(summary, results)
    if not args.no_figures:
        written += draw_figures(results, summary)
    print("wrote " + ", ".join(display(p.relative_to(results)) for p in written))
    return 0


# ---------------------------------------------------------------------- viz
def check_host(host: str, port: int) -> None:
    """The app can listen on `host`:`port`: a host name or address of this machine, the port
    free. Checked by binding a socket, as the server will.

    Raises:
        UsageError: the host is empty, unknown or not this machine's, or the port is taken.
    """
    if not host.strip():
        raise UsageError(f"--host: {host!r} is empty (that would listen on every network "
                         "interface); allowed: a host name or address of this machine, e.g. "
                         "127.0.0.1 (the default), or 0.0.0.0 to listen on all")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError, ValueError) as error:
        raise UsageError(f"--host: {shown(host)} is not a host name or address here "
                         f"({getattr(error, 'strerror', None) or error}); allowed: a host name "
                         "or address of this machine, e.g. 127.0.0.1") from None
    family, kind, proto, _, address = found[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            option = "--port" if error.errno == errno.EADDRINUSE else "--host"
            raise UsageError(f"{option}: cannot listen on {shown(host)} port {port} "
                             f"({error.strerror}); allowed: an address of this machine and a "
                             "free port") from None


def host_warning(host: str) -> str | None:
    """A warning if the app on `host` could be reached from other machines (any address the
    host stands for is not a loopback address); None if it is this machine only."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError, ValueError):
        addresses = [host]
    else:
        addresses = [str(info[4][0]) for info in found]
    for address in addresses:
        try:
            loopback = ipaddress.ip_address(address.split("%")[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return (f"warning: --host {named(host)} is not a loopback address: other machines "
                    "on the network can reach the app, which has no login")
    return None


def viz_main(argv: list[str]) -> int:
    """`run.py viz`: serve the interactive app (front-end files fetched once, then offline)."""
    parser = Parser(prog="run.py viz", description="Serve the interactive app (Solara, Mesa's "
                    "SolaraViz) in the browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on "
                        "(default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=count(1, 65535, grouped=False), default=8765)
    args = parser.parse_args(argv)
    check_host(args.host, args.port)
    warning = host_warning(args.host)
    if warning:
        print(f"run.py viz: {warning}", file=sys.stderr, flush=True)
    from viz.assets import ensure_assets

    try:
        ensure_assets()
    except RuntimeError as error:
        raise UsageError(str(error)) from None
    from viz.serve import serve

    return serve(args.host, args.port)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "sweep": sweep_main, "summarize": summarize_main, "viz": viz_main}


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 with one line on stderr for any refusal)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    prog = f"run.py {command}" if command else "run.py"
    try:
        if command is not None:
            return COMMANDS[command](argv[1:])
        return run_main(argv)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except (UsageError, ConfigError, ExperimentError) as error:
        return fail(prog, error)
    except KeyboardInterrupt:  # a sweep stops on its own; this is anything else
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def _console() -> int:
    """`main` for a terminal: output piped into a reader that stops early (`| head`) ends the
    command quietly, as a shell tool does (exit code 141: SIGPIPE)."""
    import os

    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return code


if __name__ == "__main__":
    sys.exit(_console())

"""Command line: run the organization model, or run and summarize experiment sweeps.

    python run.py                                  # default scenario, summary table
    python run.py --preset hierarchy --steps 500 --people 1000 --seed 7
    python run.py --set wip_doing=2 --set outside_option=0.6 --out results/run1
    python run.py --profile                        # time every phase of the step
    python run.py sweep experiments/governance.toml --out results/governance
    python run.py summarize results/governance
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from experiments.store import write_atomically
from model import DEFAULT_PRESET, PRESETS, Config, ConfigError, Organization
from model.config import describe_parameters
from model.presets import PRESET_SUMMARIES

DEFAULT_STEPS = 600  # pull presets settle after about 300 steps; the summary is the second half


class UsageError(Exception):
    """Bad command-line input; printed without a traceback."""


class Parser(argparse.ArgumentParser):
    """argparse, with a one-line error message (no usage block) and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (--help shows the usage)\n")


def _count(minimum: int):
    """An argparse type: a whole number >= `minimum` (argparse names the option)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number; allowed: an integer >= {minimum}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{value} is out of range; allowed: an integer >= {minimum}")
        return value

    return parse


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
    parser.add_argument("--preset", default=DEFAULT_PRESET, help="governance preset")
    parser.add_argument("--steps", type=_count(0), default=DEFAULT_STEPS,
                        help=f"steps to run (default {DEFAULT_STEPS})")
    parser.add_argument("--people", type=_count(1), default=None,
                        help="people at the start (default: the preset's)")
    parser.add_argument("--seed", type=_count(0), default=0,
                        help="random seed; the same seed gives the same run (default 0)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="NAME=VALUE", help="set any parameter (repeatable)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write steps, events and config to")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                        help="file format for --out (default parquet)")
    parser.add_argument("--profile", action="store_true",
                        help="time every phase of the step and print the plan with timings")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def parse_overrides(pairs: list[str]) -> dict[str, object]:
    """Turn NAME=VALUE strings into typed parameter values."""
    overrides: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set: {pair!r} is not NAME=VALUE")
        overrides[name.strip()] = Config.parse_value(name.strip(), text.strip())
    return overrides


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """A short summary: the mean over the second half of the run and the final value."""
    later = table[table["step"] > table["step"].max() / 2]
    rows = {
        "throughput (items/step)": ("throughput", "mean"),
        "lead time (steps)": ("lead_time", "mean"),
        "WIP (items)": ("wip", "mean"),
        "backlog (items)": ("backlog", "mean"),
        "value delivered (per step)": ("value", "mean"),
        "retention": ("retention", "last"),
        "exits (total)": ("exits_total", "last"),
        "engagement": ("engagement", "mean"),
        "alignment": ("alignment", "mean"),
        "tribes": ("tribes", "mean"),
        "tribe size (mean)": ("tribe_size_mean", "mean"),
        "unaffiliated (share)": ("unaffiliated", "mean"),
        "leader changes (per step)": ("leader_changes", "mean"),
        "Gini of contribution": ("gini_contribution", "last"),
    }
    values = {}
    for label, (column, how) in rows.items():
        series = later[column] if len(later) else table[column]
        values[label] = series.iloc[-1] if how == "last" else series.mean()
    return pd.DataFrame({"value": values}).rename_axis(
        f"second half of {int(table['step'].max())} steps")


def write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write a table as Parquet or CSV, atomically."""
    if fmt == "parquet":
        write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))


def sweep_parser() -> argparse.ArgumentParser:
    """Arguments of `run.py sweep`."""
    parser = Parser(
        prog="run.py sweep", description="Run an experiment file's sweep; resumable: the same "
        "command again skips the runs already stored.")
    parser.add_argument("experiment", type=Path, help="experiment file (TOML)")
    parser.add_argument("--out", type=Path, required=True, help="results folder")
    parser.add_argument("--workers", type=_count(0), default=None,
                        help="local worker processes (default: all cores; 0: this process)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="run on an existing Dask cluster")
    parser.add_argument("--dask-workers", type=_count(1), default=None,
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
    parser.add_argument("results", type=Path, help="results folder of a sweep")
    parser.add_argument("--baseline", default=None,
                        help="baseline condition (label or factor value; default: the "
                             "experiment's, else the first condition)")
    parser.add_argument("--no-figures", action="store_true", help="tables only")
    return parser


def sweep_main(argv: list[str]) -> int:
    """`run.py sweep`: returns the exit code (1 if runs failed, 130 if interrupted)."""
    from experiments import ExperimentError, load_experiment, run_sweep

    args = sweep_parser().parse_args(argv)
    if args.scheduler is not None and args.dask_workers is not None:
        print("run.py sweep: error: --scheduler and --dask-workers exclude each other",
              file=sys.stderr)
        return 2
    try:
        experiment = load_experiment(args.experiment)
        report = run_sweep(experiment, args.out, workers=args.workers,
                           scheduler=args.scheduler, dask_workers=args.dask_workers,
                           retry_failed=args.retry_failed, progress=not args.quiet)
    except ExperimentError as error:
        print(f"run.py sweep: error: {error}", file=sys.stderr)
        return 2
    rate = report.stored / report.seconds * 3600 if report.seconds > 0 else 0.0
    print(f"{experiment.name}: {report.stored} runs stored in {report.seconds:.1f} s "
          f"({rate:,.0f} runs/hour), {report.skipped} already done or skipped, "
          f"{len(report.failed)} failed, {report.expected} in the experiment")
    if report.failed:
        print(f"failed runs ({len(report.failed)}): {', '.join(report.failed[:10])}"
              f"{' ...' if len(report.failed) > 10 else ''}; errors in {args.out}/failed/; "
              f"--retry-failed runs them again")
    if report.interrupted:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    return 1 if report.failed else 0


def summarize_main(argv: list[str]) -> int:
    """`run.py summarize`: print and write the tables and figures."""
    from experiments import ExperimentError, draw_figures, format_summary, summarize, write_summary

    args = summarize_parser().parse_args(argv)
    try:
        summary = summarize(args.results, baseline=args.baseline)
    except ExperimentError as error:
        print(f"run.py summarize: error: {error}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    written = write_summary(summary, args.results)
    if not args.no_figures:
        written += draw_figures(args.results, summary)
    print("wrote " + ", ".join(str(p.relative_to(args.results)) for p in written))
    return 0


def viz_main(argv: list[str]) -> int:
    """`run.py viz`: serve the interactive app (front-end files fetched once, then offline)."""
    parser = Parser(prog="run.py viz", description="Serve the interactive app (Solara, Mesa's "
                    "SolaraViz) in the browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on "
                        "(default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=_count(1), default=8765)
    args = parser.parse_args(argv)
    from viz.assets import ensure_assets

    try:
        ensure_assets()
    except RuntimeError as error:
        print(f"run.py viz: error: {error}", file=sys.stderr)
        return 2
    from viz.serve import serve

    return serve(args.host, args.port)


COMMANDS = {"sweep": sweep_main, "summarize": summarize_main, "viz": viz_main}


def prepare_folder(folder: Path) -> None:
    """Create the output folder (if needed) and check it can be written to.

    Raises:
        UsageError: it is a file, or cannot be created or written to.
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out: {str(folder)!r} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out: cannot create {str(folder)!r} ({error.strerror}); "
                         "allowed: a folder that can be created and written to") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--out: {str(folder)!r} is not writable; allowed: a folder that can "
                         "be written to")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = parse_overrides(args.overrides)
        if args.people is not None:
            overrides["people"] = args.people
        config = Config.build(args.preset, **overrides)
        if args.out is not None:  # before the run, so that a bad folder costs no time
            prepare_folder(args.out)
    except (ConfigError, UsageError) as error:
        print(f"run.py: error: {error}", file=sys.stderr)
        return 2

    model = Organization(config, rng=args.seed)
    if args.profile:
        from model.plan import profile

        timings = profile(model, args.steps)
        if not args.quiet:
            print(f"step plan of the {args.preset} preset, {config.people} people, "
                  f"{args.steps} steps:")
            print(timings.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
            print(f"total: {timings['ns_per_person_step'].sum():.0f} ns per person-step")
        return 0

    long_run = config.people * args.steps >= 2_000_000
    table = model.run(args.steps, progress=long_run and not args.quiet)
    if args.out is not None:
        suffix = ".parquet" if args.format == "parquet" else ".csv"
        write_table(table, args.out / f"steps{suffix}", args.format)
        write_table(model.event_log(), args.out / f"events{suffix}", args.format)
        settings = json.dumps({"preset": args.preset, "seed": args.seed, "steps": args.steps,
                               "parameters": config.to_dict()}, indent=2)
        write_atomically(args.out / "config.json", lambda tmp: Path(tmp).write_text(settings))
    if not args.quiet:
        print(f"{args.preset}: {config.people} people, {args.steps} steps, seed {args.seed}")
        with pd.option_context("display.float_format", lambda x: f"{x:,.3f}"):
            print(summarize(table).to_string())
        if args.out is not None:
            print(f"wrote {args.out}/steps{suffix}, events{suffix}, config.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: run the organization model and print or write its results.

    python run.py                                  # default scenario, summary table
    python run.py --preset hierarchy --steps 500 --people 1000 --seed 7
    python run.py --set wip_doing=2 --set outside_option=0.6 --out results/run1
    python run.py --profile                        # time every phase of the step
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from model import DEFAULT_PRESET, PRESETS, Config, ConfigError, Organization
from model.config import describe_parameters
from model.presets import PRESET_SUMMARIES

DEFAULT_STEPS = 300


class UsageError(Exception):
    """Bad command-line input; printed without a traceback."""


def _count(name: str, minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}: {text!r} is not a whole number; allowed: an integer >= {minimum}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{name}: {value} is out of range; allowed: an integer >= {minimum}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; --help lists presets and every parameter."""
    presets = "\n".join(f"  {name:<12} {PRESET_SUMMARIES[name]}" for name in PRESETS)
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Run the Purposeful Enterprise model and print a summary.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(f"presets (default {DEFAULT_PRESET}):\n{presets}\n\n"
                f"parameters for --set (name, default, allowed, meaning):\n"
                f"{describe_parameters()}"))
    parser.add_argument("--preset", default=DEFAULT_PRESET, help="governance preset")
    parser.add_argument("--steps", type=_count("--steps", 0), default=DEFAULT_STEPS,
                        help=f"steps to run (default {DEFAULT_STEPS})")
    parser.add_argument("--people", type=_count("--people", 1), default=None,
                        help="people at the start (default: the preset's)")
    parser.add_argument("--seed", type=_count("--seed", 0), default=0,
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


def write_atomically(path: Path, write) -> None:
    """Call `write(temporary path)` in `path`'s folder, then rename over `path`, so a reader
    never sees a half-written file."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write a table as Parquet or CSV, atomically."""
    if fmt == "parquet":
        write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = parse_overrides(args.overrides)
        if args.people is not None:
            overrides["people"] = args.people
        config = Config.build(args.preset, **overrides)
        if args.out is not None and args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out: {str(args.out)!r} exists and is not a folder")
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
        args.out.mkdir(parents=True, exist_ok=True)
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

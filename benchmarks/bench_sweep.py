"""Sweep throughput: runs per hour of full model runs through the sweep runner.

Not a test: it prints numbers. Run from the repository root:

    python benchmarks/bench_sweep.py                          # 10k people x 1,000 steps, 8 runs
    python benchmarks/bench_sweep.py --people 400 --steps 400 --runs 40 --workers 2

The runs are replicates of one preset, run by `experiments.run_sweep` exactly as
`run.py sweep` runs them (local process pool on every core by default, summaries stored to a
temporary results folder), so the figure includes process start-up, result writing and, with
numba, loading the compiled kernels in every worker.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments import parse_experiment, run_sweep  # noqa: E402
from model import PRESETS  # noqa: E402
from numerics import kernels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--preset", default="purposeful", choices=sorted(PRESETS))
    parser.add_argument("--workers", type=int, default=None,
                        help="local processes (default: every core)")
    args = parser.parse_args()
    experiment = parse_experiment({
        "experiment": {"name": "sweep-benchmark", "steps": args.steps, "replicates": args.runs,
                       "seed": 1, "design": "grid", "outputs": "summary"},
        "base": {"people": args.people},
        "factors": {"preset": [args.preset]},
    })
    workers = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        report = run_sweep(experiment, folder, workers=workers, progress=False)
        seconds = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"{len(report.failed)} runs failed: {report.failed}")
    print(f"{args.runs} runs of {args.people:,} people x {args.steps:,} steps ({args.preset}) "
          f"on {workers} local workers{' with numba' if kernels.COMPILED else ''}: "
          f"{seconds:.1f} s, {args.runs / seconds * 3600:,.0f} runs per hour")


if __name__ == "__main__":
    main()

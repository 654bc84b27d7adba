"""Speed of the full step: nanoseconds per person-step at several population sizes.

Not a test: it prints numbers. Run from the repository root:

    python benchmarks/bench_step.py                      # 1k, 10k, 100k people, purposeful
    python benchmarks/bench_step.py --sizes 1000 10000 --preset hierarchy --steps 50
    python benchmarks/bench_step.py --phases             # also time every phase at each size

The model is built and warmed up (the first steps re-sort the initial organization) before
the timed steps; the figure is wall time of `model.step()` (metrics and data collection
included) divided by the active people summed over the timed steps.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import PRESETS, Organization  # noqa: E402
from model.plan import profile  # noqa: E402


def measure(preset: str, people: int, steps: int, warmup: int, seed: int) -> dict[str, float]:
    """Build, warm up and time one model; return its figures."""
    start = time.perf_counter()
    m = Organization(preset=preset, people=people, rng=seed)
    build = time.perf_counter() - start
    for _ in range(warmup):
        m.step()
    person_steps = 0
    start = time.perf_counter()
    for _ in range(steps):
        person_steps += int(m.people.active[: m.people.n].sum())
        m.step()
    elapsed = time.perf_counter() - start
    return {"preset": preset, "people": people, "steps": steps, "build_s": build,
            "step_ms": elapsed / steps * 1e3, "ns_per_person_step": elapsed / person_steps * 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--preset", default="purposeful", choices=sorted(PRESETS) + ["all"])
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps (default: about 2 million person-steps, 10 to 200)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phases", action="store_true", help="print per-phase timings too")
    args = parser.parse_args()
    presets = sorted(PRESETS) if args.preset == "all" else [args.preset]
    print(f"{'preset':<11} {'people':>9} {'steps':>6} {'build s':>8} {'ms/step':>9} "
          f"{'ns/person-step':>15}")
    for preset in presets:
        for people in args.sizes:
            steps = args.steps or max(10, min(200, 2_000_000 // people))
            row = measure(preset, people, steps, args.warmup, args.seed)
            print(f"{preset:<11} {people:>9,} {steps:>6} {row['build_s']:>8.2f} "
                  f"{row['step_ms']:>9.2f} {row['ns_per_person_step']:>15.0f}", flush=True)
            if args.phases:
                m = Organization(preset=preset, people=people, rng=args.seed)
                for _ in range(args.warmup):
                    m.step()
                table = profile(m, steps)
                print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))


if __name__ == "__main__":
    main()

"""Speed of the full step: nanoseconds per person-step and peak memory, per preset and size.

Not a test: it prints numbers. Run from the repository root:

    python benchmarks/bench_step.py                       # purposeful at 1k, 10k, 100k
    python benchmarks/bench_step.py --preset all --sizes 1000 10000 100000 1000000
    python benchmarks/bench_step.py --sizes 10000 --phases   # and the time of every phase
    python benchmarks/bench_step.py --sizes 1000 10000 --reference   # and the per-agent baseline

Each measurement runs in a fresh process, so that its peak memory (maximum resident set size)
is its own. The model is built and warmed up (the first steps re-sort the initial
organization) before the timed steps; the figure is the wall time of `model.step()` (metrics
and data collection included) divided by the active people summed over the timed steps.

With `--reference`, the per-agent reference implementation of the same rules
(`reference.ReferenceOrganization`) is timed the same way, in its own fresh process, after each
vectorized measurement, and the ratio of the two per-person-step times is printed. It is slow:
by default it times about 200,000 person-steps (at least 2 steps), and sizes above
`--reference-max` are skipped.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import PRESETS, Organization  # noqa: E402
from model.plan import profile  # noqa: E402

REFERENCE_PERSON_STEPS = 200_000


def active_people(m) -> int:
    """Active people of either implementation."""
    if isinstance(m, Organization):
        return int(m.people.active[: m.people.n].sum())
    return len(m.staff)


def measure(preset: str, people: int, steps: int, warmup: int, seed: int,
            phases: bool, implementation: str = "vectorized") -> dict:
    """Build, warm up and time one model in this process; return its figures."""
    if implementation == "reference":
        from reference import ReferenceOrganization as model_class
    else:
        model_class = Organization
    start = time.perf_counter()
    m = model_class(preset=preset, people=people, rng=seed)
    build = time.perf_counter() - start
    for _ in range(warmup):
        m.step()
    person_steps = 0
    start = time.perf_counter()
    for _ in range(steps):
        person_steps += active_people(m)
        m.step()
    elapsed = time.perf_counter() - start
    row = {"preset": preset, "people": people, "steps": steps, "build_s": build,
           "step_ms": elapsed / steps * 1e3, "ns_per_person_step": elapsed / person_steps * 1e9,
           "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if phases and implementation == "vectorized":
        row["phases"] = profile(m, steps).to_dict("records")
    return row


def in_subprocess(preset: str, people: int, steps: int, warmup: int, seed: int,
                  phases: bool, implementation: str = "vectorized") -> dict:
    """`measure` in a fresh Python process."""
    command = [sys.executable, __file__, "--child", preset, str(people), str(steps),
               str(warmup), str(seed), str(int(phases)), implementation]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_row(label: str, people: int, row: dict) -> None:
    """One line of the table."""
    print(f"{label:<11} {people:>9,} {row['steps']:>6} {row['build_s']:>8.2f} "
          f"{row['step_ms']:>9.2f} {row['ns_per_person_step']:>15.0f} "
          f"{row['peak_mib']:>9.0f}", end="", flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        preset, people, steps, warmup, seed, phases, implementation = sys.argv[2:9]
        print(json.dumps(measure(preset, int(people), int(steps), int(warmup), int(seed),
                                 bool(int(phases)), implementation)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--preset", default="purposeful", choices=sorted(PRESETS) + ["all"])
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps (default: about 2 million person-steps, 5 to 200)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phases", action="store_true", help="print per-phase timings too")
    parser.add_argument("--reference", action="store_true",
                        help="also time the per-agent reference implementation and print the "
                             "speed ratio reference / vectorized")
    parser.add_argument("--reference-steps", type=int, default=None,
                        help="timed steps of the reference (default: about "
                             f"{REFERENCE_PERSON_STEPS:,} person-steps, at least 2)")
    parser.add_argument("--reference-max", type=int, default=20_000,
                        help="largest size at which the reference is timed (default 20,000)")
    args = parser.parse_args()
    presets = sorted(PRESETS) if args.preset == "all" else [args.preset]
    print(f"{'preset':<11} {'people':>9} {'steps':>6} {'build s':>8} {'ms/step':>9} "
          f"{'ns/person-step':>15} {'peak MiB':>9}"
          + (f" {'ref/vec':>8}" if args.reference else ""), flush=True)
    for preset in presets:
        for people in args.sizes:
            steps = args.steps or max(5, min(200, 2_000_000 // people))
            warmup = min(args.warmup, steps)
            row = in_subprocess(preset, people, steps, warmup, args.seed, args.phases)
            print_row(preset, people, row)
            print(flush=True)
            for phase in row.get("phases", []):
                print(f"    {phase['phase']:<36} {phase['ns_per_person_step']:>8.0f} ns "
                      f"({phase['share']:.0%})")
            if not args.reference:
                continue
            if people > args.reference_max:
                print(f"  reference skipped at {people:,} people (above --reference-max "
                      f"{args.reference_max:,})", flush=True)
                continue
            ref_steps = args.reference_steps or max(2, -(-REFERENCE_PERSON_STEPS // people))
            ref = in_subprocess(preset, people, ref_steps, min(args.warmup, ref_steps),
                                args.seed, False, "reference")
            print_row("  reference", people, ref)
            ratio = ref["ns_per_person_step"] / row["ns_per_person_step"]
            print(f" {ratio:>7.0f}x", flush=True)


if __name__ == "__main__":
    main()

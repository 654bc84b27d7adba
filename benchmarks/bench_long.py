"""Does a long run slow down? Step time early and late in one long run, per preset.

Not a test: it prints numbers. People who leave and tribes that end are dropped from the tables
once they are as many as those in use (model.state.State.compact), and the event log can stream
to files (Recording(event_folder=...)), so the step time should stay flat:

    python benchmarks/bench_long.py                      # 300 people, 20,000 steps, pull presets
    python benchmarks/bench_long.py --steps 5000 --preset hierarchy

The figure is the mean wall time of a step over 500 steps around step 1,000 and over the last
500 steps, with the rows the tables hold then.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import Organization, Recording  # noqa: E402

WINDOW = 500


def timed(m: Organization, steps: int) -> float:
    """Mean seconds per step over `steps` steps."""
    start = time.perf_counter()
    for _ in range(steps):
        m.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", nargs="+", default=["purposeful", "matrix", "holacracy"])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--steps", type=int, default=20_000)
    args = parser.parse_args()
    print(f"{'preset':<11} {'ms/step @1k':>12} {'ms/step @end':>13} {'ratio':>6} "
          f"{'rows @end':>10} {'ever hired':>10} {'event files':>11}", flush=True)
    for preset in args.preset:
        with tempfile.TemporaryDirectory() as scratch:
            m = Organization(preset=preset, people=args.people, rng=1,
                             recording=Recording(event_folder=Path(scratch) / "events"))
            for _ in range(1_000 - WINDOW // 2):
                m.step()
            early = timed(m, WINDOW)
            for _ in range(args.steps - m.steps - WINDOW):
                m.step()
            late = timed(m, WINDOW)
            print(f"{preset:<11} {early * 1e3:>12.2f} {late * 1e3:>13.2f} "
                  f"{late / early:>6.2f} {m.people.n:>10,} {m.people.issued:>10,} "
                  f"{len(m.events.files):>11}", flush=True)


if __name__ == "__main__":
    main()

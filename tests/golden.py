"""Recorded runs that a change which should not move numbers must reproduce bit for bit.

Each case is a configuration and a seed; its recorded outputs are the step table, the event log
and the final people and tribe tables, stored as Parquet under `tests/data/golden/`. Record
them again (deliberately, when a change is meant to move numbers) with

    python -m tests.golden

and say in the commit which change moved them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

FOLDER = Path(__file__).resolve().parent / "data" / "golden"
PEOPLE, STEPS = 300, 200

# every preset under two seeds, and two combinations that reach the policies no preset uses
CASES: dict[str, dict[str, object]] = {
    **{f"{preset}-s{seed}": {"preset": preset, "rng": seed}
       for preset in ("hierarchy", "matrix", "purposeful", "holacracy") for seed in (1, 2)},
    "rotating-none-s3": {"preset": "purposeful", "rng": 3, "leadership": "rotating",
                         "hiring": "none", "effort_dist": "exponential"},
    "hybrid-push-consent-s4": {"preset": "matrix", "rng": 4, "work": "push",
                               "conflict": "consent", "purpose": "pivoting"},
}
TABLES = ("steps", "events", "people", "tribes")


def run_case(name: str) -> dict[str, pd.DataFrame]:
    """Run one case and return its four tables."""
    from model import Organization

    settings = dict(CASES[name])
    model = Organization(preset=settings.pop("preset"), rng=settings.pop("rng"), people=PEOPLE,
                         **settings)
    steps = model.run(STEPS)
    return {"steps": steps, "events": model.event_log(), "people": model.people_frame(),
            "tribes": model.tribes_frame()}


def path(name: str, table: str) -> Path:
    """Where a case's table is stored."""
    return FOLDER / f"{name}.{table}.parquet"


def load(name: str) -> dict[str, pd.DataFrame]:
    """The recorded tables of a case."""
    return {table: pd.read_parquet(path(name, table)) for table in TABLES}


def record() -> None:
    """Run every case and store its tables."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        for table, frame in run_case(name).items():
            frame.to_parquet(path(name, table), index=False)
        print(f"recorded {name}", file=sys.stderr)


if __name__ == "__main__":
    record()

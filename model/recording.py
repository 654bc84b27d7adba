"""What a run keeps besides the step table, and when: the run's output settings, which are not
model parameters (they change what is kept, never the run's numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.config import ConfigError

MAX_SNAPSHOT_EVERY = 1_000_000


@dataclass(frozen=True)
class Recording:
    """A run's output settings.

    Attributes:
        events: keep the event log (its counts feed the step table either way).
        snapshot_every: keep people and tribe tables every k steps (0: none).
        agents: collect Mesa agent reporters (kind, tribe, engagement, fit) every step in the
            DataCollector; this makes a Mesa view of every person, so it costs a Python call
            per person per step.
        event_folder: stream the event log to Parquet files in this new folder instead of
            holding it all in memory (for long runs); None: hold it in memory.
        activity: keep every person's activity record (`model.activity`: what they worked
            on, with whom, what they reviewed and had reviewed, whom they met from other
            tribes, and their fit terms and engagement every step); off by default, when
            nothing is computed for it.
    """

    events: bool = True
    snapshot_every: int = 0
    agents: bool = False
    event_folder: Path | None = None
    activity: bool = False

    def __post_init__(self) -> None:
        for name in ("events", "agents", "activity"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"recording.{name}: {getattr(self, name)!r} is not allowed; "
                                  "allowed: true or false")
        if self.event_folder is not None and not isinstance(self.event_folder, Path):
            raise ConfigError(f"recording.event_folder: {self.event_folder!r} is not allowed; "
                              "allowed: a pathlib.Path of a new folder, or None")
        every = self.snapshot_every
        if (isinstance(every, bool) or not isinstance(every, int)
                or not 0 <= every <= MAX_SNAPSHOT_EVERY):
            raise ConfigError(f"recording.snapshot_every: {every!r} is not allowed; allowed: a "
                              f"whole number in [0, {MAX_SNAPSHOT_EVERY:,}] (0: no snapshots)")

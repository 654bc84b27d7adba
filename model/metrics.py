"""The metrics: each declared once (meaning, unit, how a run summarizes it, its bounds), measured
every step into the step table, and summarized over a run's window.

The step table, Mesa's DataCollector, the run summaries, the sweep analysis, the command line
and the app all read these declarations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from model.kanban import BACKLOG
from numerics.stats import gini

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

Summary = Literal["mean", "final", "per_item"]

SUMMARY_KINDS: dict[str, str] = {
    "mean": "mean over the window",
    "final": "value at the last step",
    "per_item": "mean over the items done in the window (steps weighted by throughput)",
}


@dataclass(frozen=True)
class Metric:
    """One column of the step table.

    Attributes:
        name: the column name.
        label: a short title for tables and figures.
        meaning: what one step's value is.
        unit: its unit.
        summary: how a run summarizes it over its window (see `SUMMARY_KINDS`).
        low, high: the range its values (and its summaries) can take.
    """

    name: str
    label: str
    meaning: str
    unit: str
    summary: Summary
    low: float = 0.0
    high: float = math.inf

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high): the range the metric can take."""
        return self.low, self.high

    @property
    def kind(self) -> str:
        """How a run summarizes it, in words."""
        return SUMMARY_KINDS[self.summary]

    def summarize(self, window: pd.DataFrame) -> float:
        """The metric's summary over the rows of `window` (a slice of the step table)."""
        if self.summary == "final":
            return float(window[self.name].iloc[-1])
        if self.summary == "mean":
            return float(window[self.name].mean())
        done = float(window["throughput"].sum())
        if done <= 0:
            return math.nan
        return float((window[self.name].fillna(0) * window["throughput"]).sum()) / done


def _share(name: str, label: str, meaning: str, summary: Summary = "mean") -> Metric:
    return Metric(name, label, meaning, "share", summary, 0.0, 1.0)


METRICS: tuple[Metric, ...] = (
    Metric("throughput", "throughput", "items confirmed done in the step", "items/step", "mean"),
    Metric("lead_time", "lead time", "mean steps in WIP of the items done in the step (NaN "
           "when none finished)", "steps", "per_item"),
    Metric("wip", "WIP", "items in ready, doing or review at the end of the step", "items",
           "mean"),
    Metric("backlog", "backlog", "items waiting in the market backlog", "items", "mean"),
    Metric("arrived", "arrivals", "items that arrived in the step", "items/step", "mean"),
    Metric("expired", "expired", "backlog items that expired in the step", "items/step", "mean"),
    Metric("value", "value delivered", "value delivered in the step", "value/step", "mean"),
    Metric("arrived_total", "items arrived", "items arrived so far", "items", "final"),
    Metric("done_total", "items done", "items done so far", "items", "final"),
    Metric("expired_total", "items expired", "items expired so far", "items", "final"),
    Metric("value_total", "value (total)", "value delivered so far", "value", "final"),
    Metric("headcount", "headcount", "active people", "people", "mean"),
    _share("retention", "retention", "share of the starting people still active", "final"),
    Metric("exits", "exits", "people who left the organization in the step", "people/step",
           "mean"),
    Metric("exits_total", "exits (total)", "people who left so far", "people", "final"),
    Metric("hires", "hires", "people hired in the step", "people/step", "mean"),
    _share("engagement", "engagement", "mean engagement of active people"),
    _share("alignment", "alignment", "mean alignment of affiliated people with their tribe's "
           "purpose"),
    _share("fit", "fit", "mean fit of active people"),
    Metric("tribes", "tribes", "living tribes", "tribes", "mean"),
    Metric("tribe_size_mean", "tribe size (mean)", "mean size of living tribes", "people",
           "mean"),
    Metric("tribe_size_max", "tribe size (max)", "size of the largest tribe", "people", "mean"),
    _share("unaffiliated", "unaffiliated", "share of active people in no tribe"),
    Metric("switches", "switches", "voluntary moves from one tribe to another in the step",
           "moves/step", "mean"),
    Metric("founded", "tribes founded", "tribes founded in the step (bottom-up or by "
           "management)", "tribes/step", "mean"),
    Metric("dissolved", "tribes dissolved", "tribes dissolved in the step", "tribes/step",
           "mean"),
    Metric("splits", "splits", "tribe splits in the step", "splits/step", "mean"),
    Metric("merges", "merges", "tribe merges in the step", "merges/step", "mean"),
    Metric("pivots", "pivots", "purpose pivots in the step", "pivots/step", "mean"),
    Metric("conflicts", "conflicts", "tribes in conflict in the step", "tribes/step", "mean"),
    Metric("leader_changes", "leader changes", "tribes whose leader changed in the step",
           "changes/step", "mean"),
    _share("gini_contribution", "Gini of contribution", "Gini coefficient of active people's "
           "cumulated contribution", "final"),
)

BY_NAME: dict[str, Metric] = {metric.name: metric for metric in METRICS}

# step-table columns that count this step's events of a kind
_EVENT_METRICS = {"exits": "exited", "hires": "hired", "founded": "founded",
                  "dissolved": "dissolved", "splits": "split", "merges": "merged",
                  "pivots": "pivoted", "conflicts": "conflict",
                  "leader_changes": "leader_changed"}


def metric(name: str) -> Metric:
    """The declaration of metric `name`.

    Raises:
        KeyError: no such metric (the message lists them).
    """
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"metric: {name!r} is not a metric; allowed: "
                       f"{', '.join(BY_NAME)}") from None


def measure(s: State, rules: Rules) -> None:
    """Measure every metric of the current step into `s.metrics` (order as in METRICS, after
    `step`)."""
    p, tribes, board = s.people, s.tribes, s.board
    n = p.n
    active = p.active[:n]
    headcount = int(active.sum())
    affiliated = active & (p.tribe[:n] >= 0)
    living = tribes.living()
    sizes = tribes.size[living]
    initial = s.cfg.people
    new = s.events.take_counts()
    delta = dict.fromkeys(_EVENT_METRICS.values(), 0)
    for (kind, _), count in new.items():
        delta[kind] = delta.get(kind, 0) + count
    values: dict[str, float] = {
        "throughput": board.done_step,
        "lead_time": board.lead_time_step / board.done_step if board.done_step else np.nan,
        "wip": board.wip(),
        "backlog": board.count(BACKLOG),
        "arrived": s.arrived,
        "expired": board.expired_step,
        "value": board.value_step,
        "arrived_total": board.arrived_total,
        "done_total": board.done_total,
        "expired_total": board.expired_total,
        "value_total": board.value_total,
        "headcount": headcount,
        "retention": float(active[:initial].sum()) / initial,
        "engagement": float(p.engagement[:n][active].mean()) if headcount else 0.0,
        "alignment": float(p.alignment[:n][affiliated].mean()) if affiliated.any() else 0.0,
        "fit": float(p.fit[:n][active].mean()) if headcount else 0.0,
        "tribes": len(living),
        "tribe_size_mean": float(sizes.mean()) if len(sizes) else 0.0,
        "tribe_size_max": int(sizes.max()) if len(sizes) else 0,
        "unaffiliated": 1.0 - affiliated.sum() / headcount if headcount else 0.0,
        "switches": new.get(("joined", "switch"), 0),
        "exits_total": s.events.counts["exited"],
        "gini_contribution": gini(p.contribution_total[:n][active]),
    }
    values.update({name: delta[kind] for name, kind in _EVENT_METRICS.items()})
    s.metrics = {"step": s.clock, **{m.name: values[m.name] for m in METRICS}}


def summary_window(table: pd.DataFrame, warmup: float) -> pd.DataFrame:
    """The rows of a step table after the warm-up: steps t > warmup * T (T the last step), or
    the last row alone if there are none."""
    last = int(table["step"].iloc[-1])
    window = table[table["step"] > warmup * last]
    return window if len(window) else table.iloc[-1:]


def summarize_run(table: pd.DataFrame, warmup: float = 0.5) -> dict[str, float]:
    """A run's summary: every metric summarized over the window after the warm-up, as its
    declaration says, with the window's first and last step."""
    window = summary_window(table, warmup)
    summary = {"window_start": float(window["step"].iloc[0]),
               "window_end": float(window["step"].iloc[-1])}
    summary.update({m.name: m.summarize(window) for m in METRICS})
    return summary

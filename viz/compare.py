"""Side by side: two configurations under the same seed, stepped in lockstep.

Both organizations start from the same seed, so they start from the same people and teams
(every preset does) and differ only by their rules: the time series are paired. `Pair`
behaves like a Mesa model for Mesa's `ModelController` (step, running, rebuilt from keyword
arguments on Reset).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from model import Organization
from model.metrics import metric
from viz.components import DPI, HEADLINE, paired_time_series_figure
from viz.controls import Settings, describe, model_settings


class Pair:
    """Two organizations, A and B, under one seed; `step()` steps both."""

    def __init__(self, a: dict[str, Any], b: dict[str, Any], rng: int) -> None:
        self.a = Organization(rng=rng, **a)
        self.b = Organization(rng=rng, **b)
        self.seed = rng
        self.running = True

    @classmethod
    def kwargs(cls, a: Settings, b: Settings, seed: int) -> dict[str, Any]:
        """Keyword arguments that build a pair from the sidebar's two configurations."""
        return {"a": _without_rng(a, seed), "b": _without_rng(b, seed), "rng": seed}

    @property
    def steps(self) -> int:
        """Steps taken (the same for both)."""
        return self.a.steps

    def step(self) -> None:
        """One step of each."""
        self.a.step()
        self.b.step()
        self.running = self.a.running and self.b.running

    def labels(self) -> tuple[str, str]:
        """'A: <preset and changes>', 'B: ...'."""
        return (f"A: {describe(model_settings(self.a))}",
                f"B: {describe(model_settings(self.b))}")


def _without_rng(settings: Settings, seed: int) -> dict[str, Any]:
    kwargs = settings.model_kwargs(seed)
    kwargs.pop("rng")
    return kwargs


def headline_table(pair: Pair) -> pd.DataFrame:
    """The headline metrics of A and B: now, and summarized as run summaries do over the
    second half of the steps so far (a window mean, a final value or a mean per item done, as
    each metric declares), with B minus A."""
    tables = [pair.a.step_table(), pair.b.step_table()]
    start = tables[0]["step"].max() / 2
    rows = []
    for column in HEADLINE:
        declared = metric(column)
        now = [float(t[column].iloc[-1]) for t in tables]
        window = [declared.summarize(t[t["step"] > start]) if (t["step"] > start).any()
                  else float("nan") for t in tables]
        rows.append({"metric": f"{declared.label} ({declared.unit})",
                     "summary": declared.kind, "A now": now[0], "B now": now[1],
                     "A, 2nd half": window[0], "B, 2nd half": window[1],
                     "B - A, 2nd half": window[1] - window[0]})
    return pd.DataFrame(rows).round(3)


@solara.component
def ComparisonView(pair: Pair):
    """The two configurations' settings, their paired time series and a table."""
    counter = update_counter.get()
    label_a, label_b = pair.labels()
    with solara.Column():
        solara.Text(f"Compared at step {pair.steps}, seed {pair.seed} for both",
                    style={"font-weight": "bold"})
        solara.Text(label_a, style={"font-size": "small"})
        solara.Text(label_b, style={"font-size": "small"})
        figure = paired_time_series_figure(pair, [pair.a, pair.b], [label_a, label_b])
        solara.FigureMatplotlib(figure, dependencies=[pair, counter], format="png", dpi=DPI)
        solara.DataFrame(headline_table(pair), items_per_page=len(HEADLINE))
        solara.Text("Same seed, so both start from the same people and teams: the lines are "
                    "paired. '2nd half': the steps after half of the steps taken so far, "
                    "summarized as run summaries do (column 'summary').",
                    style={"font-size": "small"})

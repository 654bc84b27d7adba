"""The run summary: one row of numbers per run, from its step table."""

from __future__ import annotations

import pandas as pd

SUMMARY_MEANS = ("throughput", "wip", "backlog", "value", "engagement", "alignment", "fit",
                 "tribes", "tribe_size_mean", "unaffiliated", "switches", "founded",
                 "dissolved", "leader_changes", "headcount")
SUMMARY_FINAL = ("retention", "exits_total", "done_total", "value_total", "gini_contribution")


def summarize_run(table: pd.DataFrame, warmup: float) -> dict[str, float]:
    """Run summary: means over the steps after the warm-up, final values of cumulated ones."""
    steps = int(table["step"].iloc[-1])
    window = table[table["step"] > warmup * steps]
    if window.empty:
        window = table.iloc[-1:]
    summary = {name: float(window[name].mean()) for name in SUMMARY_MEANS}
    done = float(window["throughput"].sum())
    summary["lead_time"] = (float((window["lead_time"].fillna(0) * window["throughput"]).sum())
                            / done if done > 0 else float("nan"))
    summary.update({name: float(table[name].iloc[-1]) for name in SUMMARY_FINAL})
    return summary

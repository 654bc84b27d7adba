"""Analysis of a stored sweep: means with 95% confidence intervals per condition, paired
differences against a baseline condition (same replicate seeds), and figures.

What a metric means, its unit, how a run summarizes it (mean over the window, value at the last
step, or per item done) and the range it can take come from its declaration in
`model.metrics`; intervals are clipped to that range (shares such as retention to [0, 1],
counts and rates to >= 0; differences of shares to [-1, 1]). Every table and figure names the
window the run summaries cover, how each metric is summarized, n and the interval method.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from experiments.designs import baselines
from experiments.experiment import Experiment, ExperimentError, shown
from experiments.files import display, real_folder, write_atomically
from experiments.store import Store, write_parquet
from model.metrics import BY_NAME, METRICS, SHOCK_METRICS

LEVEL = 0.95
INTERVAL = "95% CI, Student t over replicates"
MIN_REPLICATES = 5  # below this, an interval rests on too few runs to be trusted: warned
HEADLINE = ("throughput", "lead_time", "retention", "engagement", "tribes")  # printed
FIGURES = ("throughput", "lead_time", "retention")  # drawn


def bounds(metric: str) -> tuple[float, float]:
    """The range a metric's run summary can take (its declaration's; unbounded for a column
    that is not a declared metric)."""
    declared = BY_NAME.get(metric)
    return declared.bounds if declared is not None else (-math.inf, math.inf)


def title(metric: str) -> str:
    """A metric's label with its unit, for tables and axes: "throughput (items/step)"."""
    declared = BY_NAME.get(metric)
    return f"{declared.label} ({declared.unit})" if declared is not None else metric


def kind(metric: str) -> str:
    """How a run summarizes the metric, in words (from its declaration)."""
    declared = BY_NAME.get(metric)
    return declared.kind if declared is not None else "as stored"


@dataclass
class Summary:
    """Per-condition estimates and paired differences (tidy tables: one row per condition
    and metric), with what they rest on."""

    estimates: pd.DataFrame
    paired: pd.DataFrame
    baseline: str  # a label, or "factor=level" when each condition has its own baseline
    runs: int
    failed: int
    codes: tuple[str, ...] = ()  # code versions the runs were made with
    window: tuple[int, int] | None = None  # the steps every run summary covers, if the same
    steps: int | None = None  # steps per run
    replicates: int = 0  # the fewest replicates of a condition
    warnings: tuple[str, ...] = field(default_factory=tuple)
    window_text: str = ""  # the window in words, when runs have windows of their own
    report: tuple[str, ...] = ()  # the experiment's own metrics, printed beside HEADLINE

    def describe_window(self) -> str:
        """The window in words: "steps 301-600 of 600", or how the runs' windows vary."""
        if self.window is not None:
            return f"steps {self.window[0]}-{self.window[1]} of {self.steps}"
        return self.window_text or "the window is not recorded"


def interval(values: np.ndarray, level: float = LEVEL,
             within: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of the finite values (NaN bounds below 2), the
    interval clipped to `within`, the range the values can take."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, max(mean - half, within[0]), min(mean + half, within[1]), n


def summarize(folder: str | Path, baseline: str | None = None,
              metrics: tuple[str, ...] | None = None) -> Summary:
    """Estimates and paired differences of the runs stored in `folder`.

    Args:
        folder: the results folder of a sweep.
        baseline: a condition's label or a factor level (see `designs.baselines`); default:
            the experiment's, else the first condition.
        metrics: run summary columns to estimate; default: every declared metric the runs
            have, in declaration order.

    Raises:
        ExperimentError: not a sweep's folder, no runs yet, a damaged file (named), an unknown
            metric or baseline.
    """
    store = Store(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise ExperimentError(f"{display(folder)}: no sweep results here (no manifest.json)")
    runs = store.read_runs()
    if runs.empty:
        raise ExperimentError(f"{display(folder)}: no stored runs yet")
    if metrics is None:
        metrics = tuple(m.name for m in (*METRICS, *SHOCK_METRICS) if m.name in runs.columns)
    for metric in metrics:
        if metric not in runs.columns:
            raise ExperimentError(f"metric: {shown(metric)} is not a run summary column; "
                                  f"allowed: {', '.join(BY_NAME)}")
    conditions = store.read_conditions()
    labels = conditions.sort_values("condition")["label"].tolist()
    present = [label for label in labels if label in set(runs["label"])]
    base_of, description = baselines(conditions,
                                     baseline or manifest["experiment"].get("baseline"))
    rows, paired = [], []
    by_label = {label: group.set_index("replicate") for label, group in runs.groupby("label")}
    for label in present:
        group = by_label[label]
        condition = int(group["condition"].iloc[0])
        base = by_label.get(base_of.get(label, ""))
        for metric in metrics:
            low_end, high_end = bounds(metric)
            about = {"metric": metric, "unit": BY_NAME[metric].unit if metric in BY_NAME
                     else "", "summary": kind(metric)}
            mean, low, high, n = interval(group[metric].to_numpy(), within=(low_end, high_end))
            rows.append({"condition": condition, "label": label, **about,
                         "mean": mean, "low": low, "high": high, "n": n})
            if base is None:
                continue
            both = group.index.intersection(base.index)
            difference = (group.loc[both, metric] - base.loc[both, metric]).to_numpy()
            mean, low, high, n = interval(difference, within=(low_end - high_end,
                                                              high_end - low_end))
            paired.append({"condition": condition, "label": label, "baseline": base_of[label],
                           **about, "difference": mean, "low": low, "high": high, "n": n})
    codes = tuple(sorted(runs["code"].unique())) if "code" in runs else ()
    replicates = int(runs.groupby("label")["replicate"].nunique().min())
    warnings = []
    if replicates < MIN_REPLICATES:
        warnings.append(f"warning: only {replicates} replicate{'s' * (replicates != 1)} in a "
                        f"condition (fewer than {MIN_REPLICATES}): its intervals rest on very "
                        "few runs; run more replicates before reading them")
    if len(codes) > 1:
        warnings.append(f"warning: the runs come from {len(codes)} code versions "
                        f"({', '.join(c[:12] for c in codes)}); see the `code` column")
    experiment = manifest["experiment"]
    window, window_text, unsettled = _window(runs, experiment)
    return Summary(pd.DataFrame(rows), pd.DataFrame(paired), description, len(runs),
                   len(store.failures()), codes, window, int(experiment["steps"]), replicates,
                   tuple(warnings + unsettled), window_text,
                   tuple(experiment.get("report", ())))


def _window(runs: pd.DataFrame, experiment: dict[str, Any]) -> tuple[tuple[int, int] | None,
                                                                    str, list[str]]:
    """The steps the run summaries cover: one window for all (a fixed warm-up), or each run's
    own (MSER-5) described in words; and warnings about runs that may not have settled."""
    steps = int(experiment["steps"])
    if {"window_start", "window_end"} <= set(runs.columns):
        starts, ends = runs["window_start"].dropna(), runs["window_end"].dropna()
        if len(starts) and starts.nunique() == 1 and ends.nunique() == 1:
            return (int(starts.iloc[0]), int(ends.iloc[0])), "", []
        if len(starts):
            text = (f"each run's steps after its MSER-5 truncation: from step "
                    f"{starts.min():.0f}-{starts.max():.0f} (median {starts.median():.0f}) "
                    f"to {ends.max():.0f} of {steps}")
            unsettled = int(runs.get("window_at_limit", pd.Series(dtype=float)).fillna(0).sum())
            warning = (f"warning: {unsettled} of {len(runs)} runs reached MSER-5's truncation "
                       "limit (half the run): they may not have settled; run longer")
            warnings = [warning] if unsettled else []
            return None, text, warnings
    warmup = experiment.get("warmup")
    if warmup is None:
        return None, "", []
    return (min(math.floor(float(warmup) * steps) + 1, steps), steps), "", []


def _csv(frame: pd.DataFrame, file: Any) -> None:
    frame.to_csv(file, index=False, encoding="utf-8")


def paired_name(summary: Summary) -> str:
    """The name of the paired-difference files of the summary's baseline: one per baseline
    ("paired-preset=hierarchy"), so that another baseline does not overwrite them."""
    slug = re.sub(r"[^A-Za-z0-9.=_-]+", "_", summary.baseline).strip("_")[:80]
    if slug != summary.baseline:  # names that differ only in what the slug drops differ here
        slug += "-" + hashlib.sha256(summary.baseline.encode()).hexdigest()[:8]
    return f"paired-{slug}"


def write_summary(summary: Summary, folder: str | Path) -> list[Path]:
    """Write the tables (CSV and Parquet) into `folder`, each atomically (never through a
    link): `summary.*` (estimates) and `paired-<baseline>.*`; return their paths."""
    folder = Path(folder)
    written = []
    for name, frame in (("summary", summary.estimates), (paired_name(summary), summary.paired)):
        write_parquet(frame, folder / f"{name}.parquet")
        write_atomically(folder / f"{name}.csv", partial(_csv, frame))
        written += [folder / f"{name}.csv", folder / f"{name}.parquet"]
    return written


def format_summary(summary: Summary, metrics: tuple[str, ...] | None = None) -> str:
    """Plain text: warnings, what the numbers rest on (window, n, interval method, how each
    metric is summarized), the estimates with intervals, then the paired differences.
    `metrics` default: the headline metrics and those the experiment names in `report`."""
    if metrics is None:
        metrics = HEADLINE + tuple(m for m in summary.report if m not in HEADLINE)

    def cell(mean: float, low: float, high: float) -> str:
        if np.isnan(low):
            return f"{mean:.3g}"
        return f"{mean:.3g} [{low:.3g}, {high:.3g}]"

    metrics = tuple(m for m in metrics if m in set(summary.estimates["metric"]))
    est = summary.estimates[summary.estimates["metric"].isin(metrics)]
    wide = est.assign(value=[cell(m, lo, hi) for m, lo, hi in
                             est[["mean", "low", "high"]].itertuples(index=False)])
    wide = wide.pivot(index="label", columns="metric", values="value")[list(metrics)]
    wide = wide.loc[est.drop_duplicates("label").sort_values("condition")["label"]]
    wide.columns = [title(m) for m in metrics]
    par = summary.paired[summary.paired["metric"].isin(metrics)
                         & (summary.paired["label"] != summary.paired["baseline"])] \
        if not summary.paired.empty else summary.paired
    lines = [*summary.warnings,
             (f"{summary.runs} runs ({summary.failed} failed), at least {summary.replicates} "
              f"replicates per condition; mean [{INTERVAL}]; window: "
              f"{summary.describe_window()}"),
             *(f"  {title(m)}: {kind(m)}" for m in metrics),
             wide.to_string(), ""]
    if not par.empty:
        diff = par.assign(value=[cell(m, lo, hi) for m, lo, hi in
                                 par[["difference", "low", "high"]].itertuples(index=False)])
        diff = diff.pivot(index="label", columns="metric", values="value")[list(metrics)]
        diff = diff.loc[par.drop_duplicates("label").sort_values("condition")["label"]]
        diff.columns = [title(m) for m in metrics]
        lines += [(f"paired difference against {summary.baseline} (same seeds) "
                   f"[{INTERVAL}]"), diff.to_string()]
    return "\n".join(lines)


def draw_figures(folder: str | Path, summary: Summary) -> list[Path]:
    """Figures in `folder/figures`, each as PNG and SVG (written atomically; return the
    paths): the estimates of the headline metrics by condition with their intervals
    (`estimates`), the paired differences against the baseline (`paired-<baseline>`), and the
    time series with bands when step tables were kept (`time_series`). Each names its metrics
    with units, and says the window, n and the interval method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = real_folder(Path(folder) / "figures")
    written: list[Path] = []
    footnote = (f"{summary.describe_window()} · {INTERVAL} · n = {summary.replicates} "
                f"replicates per condition (at least)")

    def save(fig: Any, name: str, note: str) -> None:
        try:
            fig.text(0.01, -0.02, note, fontsize=9, color="#444444", ha="left", va="top",
                     transform=fig.transFigure)
            for ext in ("png", "svg"):
                path = out / f"{name}.{ext}"
                write_atomically(path, partial(fig.savefig, format=ext, dpi=150,
                                               bbox_inches="tight"))
                written.append(path)
        finally:
            plt.close(fig)

    drawn = [m for m in FIGURES if m in set(summary.estimates["metric"])]
    # text in SVG stays text (searchable, editable in a figure editor), not outlines
    with plt.rc_context({"font.size": 11, "svg.fonttype": "none"}):
        fig = _intervals(plt, summary.estimates, drawn, "mean", lambda m: title(m),
                         lambda m: kind(m))
        save(fig, "estimates", f"Estimates by condition: {footnote}")
        par = summary.paired[summary.paired["label"] != summary.paired["baseline"]] \
            if not summary.paired.empty else summary.paired
        if not par.empty:
            fig = _intervals(plt, par, drawn, "difference",
                             lambda m: f"difference in {title(m)}",
                             lambda m: f"against {summary.baseline}", zero=True)
            save(fig, paired_name(summary), f"Paired differences (same seeds): {footnote}")
        steps = Store(folder).read_steps()
        if not steps.empty:
            fig = _time_series(plt, steps, Store(folder).read_conditions(), drawn, summary)
            span = "grey span: the summary window" if summary.window is not None else \
                "the summary window"
            save(fig, "time_series", f"Lines: mean over replicates; bands: {INTERVAL}; "
                 f"{span} ({summary.describe_window()}); "
                 f"n = {summary.replicates} replicates per condition (at least)")
    return written


def _intervals(plt: Any, table: pd.DataFrame, metrics: list[str], column: str,
               xlabel: Any, heading: Any, zero: bool = False) -> Any:
    """One panel per metric: a point and its interval per condition."""
    labels = table.drop_duplicates("label").sort_values("condition")["label"].tolist()
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics),
                                                       0.42 * len(labels) + 1.8),
                             squeeze=False)
    for k, (ax, metric) in enumerate(zip(axes[0], metrics, strict=True)):
        part = table[table["metric"] == metric].set_index("label").reindex(labels)
        y = np.arange(len(labels))
        error = np.vstack([part[column] - part["low"], part["high"] - part[column]])
        ax.errorbar(part[column], y, xerr=np.nan_to_num(error), fmt="o", color="#2F5D8C",
                    ecolor="#2F5D8C", capsize=4)
        if zero:
            ax.axvline(0, color="#888888", lw=0.9)
        ax.set_yticks(y, labels if k == 0 else [""] * len(labels))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel(metric))
        ax.set_title(heading(metric), fontsize=10)
        ax.grid(axis="x", color="#DDDDDD", lw=0.6)
        ax.xaxis.set_major_locator(plt.MaxNLocator(5))  # tick labels that do not collide
    fig.tight_layout()
    return fig


def _time_series(plt: Any, steps: pd.DataFrame, conditions: pd.DataFrame, metrics: list[str],
                 summary: Summary) -> Any:
    """One panel per metric: the mean over replicates at every kept step, with its band."""
    labels = conditions.set_index("condition")["label"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for condition, group in steps.groupby("condition"):
            by_step = group.groupby("step")[metric]
            mean, sd, n = by_step.mean(), by_step.std(ddof=1), by_step.count()
            half = stats.t.ppf(0.5 + LEVEL / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
            ax.plot(mean.index, mean, label=labels.get(condition, str(condition)), lw=1.4)
            ax.fill_between(mean.index, (mean - half).clip(lower=bounds(metric)[0]),
                            (mean + half).clip(upper=bounds(metric)[1]), alpha=0.2)
        if summary.window is not None:  # one window for all runs (a fixed warm-up)
            ax.axvspan(*summary.window, color="#EEEEEE", zorder=0, label="summary window")
        ax.set_xlabel("step")
        ax.set_ylabel(title(metric))
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
    return fig


def sensitivity(folder: str | Path, metric: str) -> pd.DataFrame:
    """Sensitivity indices of `metric` to the ranged parameters of a Sobol or Morris sweep,
    computed with SALib, separately for every combination of the crossed levels (e.g. each
    preset). The output at a point is its mean over the replicates.

    Returns:
        one row per level combination and parameter: Sobol first-order and total indices with
        their 95% confidence half-widths (S1, S1_conf, ST, ST_conf), or Morris mu*, its
        confidence half-width and sigma (mu_star, mu_star_conf, sigma).
    """
    from SALib.analyze import morris, sobol

    from experiments.designs import sample_matrix, sobol_problem

    store = Store(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise ExperimentError(f"{folder}: no sweep results here (no manifest.json)")
    experiment = Experiment.from_dict(manifest["experiment"])
    if experiment.design not in ("sobol", "morris"):
        raise ExperimentError(f"{folder}: design {experiment.design!r} has no sensitivity "
                              "analysis; use design 'sobol' or 'morris'")
    runs = store.read_runs()
    if metric not in runs.columns:
        raise ExperimentError(f"metric: {metric!r} is not a run summary column")
    problem = sobol_problem(experiment)
    x = sample_matrix(experiment)
    combos = int(np.prod([len(v) for v in experiment.levels.values()])) or 1
    expected = len(x) * combos
    means = runs.groupby("condition")[metric].mean().reindex(range(expected))
    if means.isna().any():
        raise ExperimentError(f"{folder}: {int(means.isna().sum())} of {expected} conditions "
                              "have no stored run yet (or every run's value is missing)")
    conditions = store.read_conditions().set_index("condition")
    factors = list(experiment.levels)
    rows = []
    for combo in range(combos):
        index = np.arange(len(x)) * combos + combo
        y = means.loc[index].to_numpy(dtype=float)
        first = conditions.loc[index[0]]
        levels = {f: first[f] if f != "preset" else first["preset"] for f in factors}
        if experiment.design == "sobol":
            result = sobol.analyze(problem, y, calc_second_order=False, seed=experiment.seed)
            keys: tuple[str, ...] = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            result = morris.analyze(problem, x, y, num_levels=4, seed=experiment.seed)
            keys = ("mu_star", "mu_star_conf", "sigma")
        for k, name in enumerate(problem["names"]):
            rows.append({**levels, "metric": metric, "parameter": name,
                         **{key: float(result[key][k]) for key in keys}})
    return pd.DataFrame(rows)

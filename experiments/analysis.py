"""Analysis of a stored sweep: means with 95% confidence intervals per condition, paired
differences against a baseline condition (same replicate seeds), and figures. Intervals are
clipped to the range a metric can take (shares such as retention to [0, 1], counts and rates
to >= 0; differences of shares to [-1, 1])."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments.designs import baselines
from experiments.experiment import Experiment, ExperimentError
from experiments.files import real_folder, write_atomically
from experiments.store import Store, write_parquet

METRICS = ("throughput", "lead_time", "retention", "engagement", "tribes", "value", "wip",
           "exits_total")
LEVEL = 0.95
# the possible range of each run summary: confidence intervals are clipped to it
_SHARES = ("retention", "engagement", "alignment", "fit", "unaffiliated", "gini_contribution")
_NON_NEGATIVE = ("throughput", "lead_time", "wip", "backlog", "value", "tribes",
                 "tribe_size_mean", "switches", "founded", "dissolved", "leader_changes",
                 "headcount", "exits_total", "done_total", "value_total")
BOUNDS = {**dict.fromkeys(_SHARES, (0.0, 1.0)), **dict.fromkeys(_NON_NEGATIVE, (0.0, np.inf))}


def bounds(metric: str) -> tuple[float, float]:
    """The possible range of a run summary (unbounded for a column not in `BOUNDS`)."""
    return BOUNDS.get(metric, (-np.inf, np.inf))


@dataclass
class Summary:
    """Per-condition estimates and paired differences (tidy tables: one row per condition
    and metric)."""

    estimates: pd.DataFrame
    paired: pd.DataFrame
    baseline: str  # a label, or "factor=level" when each condition has its own baseline
    runs: int
    failed: int
    codes: tuple[str, ...] = ()  # code versions the runs were made with


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
              metrics: tuple[str, ...] = METRICS) -> Summary:
    """Estimates and paired differences of the runs stored in `folder`."""
    store = Store(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise ExperimentError(f"{folder}: no sweep results here (no manifest.json)")
    runs = store.read_runs()
    if runs.empty:
        raise ExperimentError(f"{folder}: no stored runs yet")
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
        for metric in metrics:
            low_end, high_end = bounds(metric)
            mean, low, high, n = interval(group[metric].to_numpy(), within=(low_end, high_end))
            rows.append({"condition": condition, "label": label, "metric": metric,
                         "mean": mean, "low": low, "high": high, "n": n})
            base = by_label.get(base_of[label])
            if base is None:
                continue
            both = group.index.intersection(base.index)
            difference = (group.loc[both, metric] - base.loc[both, metric]).to_numpy()
            mean, low, high, n = interval(difference, within=(low_end - high_end,
                                                              high_end - low_end))
            paired.append({"condition": condition, "label": label, "baseline": base_of[label],
                           "metric": metric, "difference": mean, "low": low, "high": high,
                           "n": n})
    codes = tuple(sorted(runs["code"].unique())) if "code" in runs else ()
    return Summary(pd.DataFrame(rows), pd.DataFrame(paired), description, len(runs),
                   len(store.failures()), codes)


def write_summary(summary: Summary, folder: str | Path) -> list[Path]:
    """Write the tables (CSV and Parquet) into `folder`, each atomically (never through a
    link); return their paths."""
    folder = Path(folder)
    written = []
    for name, frame in (("summary", summary.estimates), ("paired", summary.paired)):
        write_parquet(frame, folder / f"{name}.parquet")
        write_atomically(folder / f"{name}.csv", lambda file, frame=frame: frame.to_csv(
            file, index=False, encoding="utf-8"))
        written += [folder / f"{name}.csv", folder / f"{name}.parquet"]
    return written


def format_summary(summary: Summary, metrics: tuple[str, ...] = ("throughput", "lead_time",
                                                                  "retention", "engagement",
                                                                  "tribes")) -> str:
    """Plain-text tables: estimates with intervals, then paired differences."""

    def cell(mean: float, low: float, high: float) -> str:
        if np.isnan(low):
            return f"{mean:.3g}"
        return f"{mean:.3g} [{low:.3g}, {high:.3g}]"

    est = summary.estimates[summary.estimates["metric"].isin(metrics)]
    wide = est.assign(value=[cell(m, lo, hi) for m, lo, hi in
                             est[["mean", "low", "high"]].itertuples(index=False)])
    wide = wide.pivot(index="label", columns="metric", values="value")[list(metrics)]
    wide = wide.loc[est.drop_duplicates("label").sort_values("condition")["label"]]
    par = summary.paired[summary.paired["metric"].isin(metrics)
                         & (summary.paired["label"] != summary.paired["baseline"])]
    lines = [f"{summary.runs} runs ({summary.failed} failed); mean [95% CI] over replicates",
             wide.to_string(), ""]
    if len(summary.codes) > 1:
        lines.insert(0, f"warning: the runs come from {len(summary.codes)} code versions "
                        f"({', '.join(c[:12] for c in summary.codes)}); see the `code` column")
    if not par.empty:
        diff = par.assign(value=[cell(m, lo, hi) for m, lo, hi in
                                 par[["difference", "low", "high"]].itertuples(index=False)])
        diff = diff.pivot(index="label", columns="metric", values="value")[list(metrics)]
        diff = diff.loc[par.drop_duplicates("label").sort_values("condition")["label"]]
        lines += [f"paired difference against {summary.baseline} (same seeds) [95% CI]",
                  diff.to_string()]
    return "\n".join(lines)


def draw_figures(folder: str | Path, summary: Summary) -> list[Path]:
    """Throughput and retention by condition with intervals; their time series with bands
    when step tables were kept. PNG and SVG in `folder/figures`; return the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = real_folder(Path(folder) / "figures")
    written: list[Path] = []

    def save(fig, name: str) -> None:
        try:
            for ext in ("png", "svg"):
                path = out / f"{name}.{ext}"
                write_atomically(path, lambda file, ext=ext: fig.savefig(
                    file, format=ext, dpi=120, bbox_inches="tight"))
                written.append(path)
        finally:
            plt.close(fig)

    est = summary.estimates
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * est["label"].nunique() + 2))
    for ax, metric in zip(axes, ("throughput", "retention"), strict=True):
        part = est[est["metric"] == metric].sort_values("condition")
        y = np.arange(len(part))
        error = np.vstack([part["mean"] - part["low"], part["high"] - part["mean"]])
        ax.barh(y, part["mean"], xerr=np.nan_to_num(error), color="#4C72B0", capsize=3)
        ax.set_yticks(y, part["label"])
        ax.invert_yaxis()
        ax.set_xlabel(f"{metric} (mean, 95% CI)")
    axes[1].set_yticklabels([])
    save(fig, "throughput_retention")

    steps = Store(folder).read_steps()
    if not steps.empty:
        labels = Store(folder).read_conditions().set_index("condition")["label"]
        fig, axes = plt.subplots(1, 2, figsize=(12, 4))
        for ax, metric in zip(axes, ("throughput", "retention"), strict=True):
            for condition, group in steps.groupby("condition"):
                by_step = group.groupby("step")[metric]
                mean, sd, n = by_step.mean(), by_step.std(ddof=1), by_step.count()
                half = stats.t.ppf(0.5 + LEVEL / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
                ax.plot(mean.index, mean, label=labels[condition])
                ax.fill_between(mean.index, (mean - half).clip(lower=bounds(metric)[0]),
                                (mean + half).clip(upper=bounds(metric)[1]), alpha=0.2)
            ax.set_xlabel("step")
            ax.set_ylabel(metric)
        axes[0].legend(fontsize="small")
        save(fig, "time_series")
    return written


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
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            result = morris.analyze(problem, x, y, num_levels=4, seed=experiment.seed)
            keys = ("mu_star", "mu_star_conf", "sigma")
        for k, name in enumerate(problem["names"]):
            rows.append({**levels, "metric": metric, "parameter": name,
                         **{key: float(result[key][k]) for key in keys}})
    return pd.DataFrame(rows)

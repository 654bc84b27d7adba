"""Life histories from a run's event log and snapshots: spells of membership, employment and
leadership (with right-censoring), survival curves, tribe sizes and purpose drift.

    from experiments.history import membership_spells, survival
    spells = membership_spells(model.event_log(), model.steps)
    curve = survival(spells["duration"], spells["ended"])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import OptimizeWarning


def _with_order(events: pd.DataFrame) -> pd.DataFrame:
    """The events with `seq`, their position in the log (events of one step are in order)."""
    return events.reset_index(drop=True).assign(seq=lambda e: np.arange(len(e)))


def _first_end(starts: pd.DataFrame, ends: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """For each start, the first of `ends` with the same `by` keys that comes later in the log
    (columns end_seq, end, why; NaN when there is none)."""
    found = pd.merge_asof(
        starts[["seq", *by]].sort_values("seq"),
        ends[["seq", *by, "step", "detail"]].rename(
            columns={"seq": "end_seq", "step": "end", "detail": "why"}).sort_values("end_seq"),
        left_on="seq", right_on="end_seq", by=by, direction="forward",
        allow_exact_matches=False)
    return found.set_index("seq")[["end_seq", "end", "why"]]


def _finish(spells: pd.DataFrame, end_step: int) -> pd.DataFrame:
    spells["ended"] = spells["end"].notna()
    spells["end"] = spells["end"].fillna(end_step).astype(np.int64)
    spells["why"] = spells["why"].where(spells["ended"], "")
    spells["duration"] = spells["end"] - spells["start"]
    return spells.drop(columns=["seq", "end_seq"]).reset_index(drop=True)


def membership_spells(events: pd.DataFrame, end_step: int) -> pd.DataFrame:
    """One row per stay of a person in a tribe: person, tribe, start, end, duration, ended
    (False: still a member at `end_step`, i.e. censored), how it started and why it ended."""
    events = _with_order(events)
    joined = events[events["event"] == "joined"]
    left = events[events["event"] == "left"]
    spells = joined[["seq", "person", "tribe", "step", "detail"]].rename(
        columns={"step": "start", "detail": "how"})
    spells = spells.join(_first_end(joined, left, ["person", "tribe"]), on="seq")
    return _finish(spells, end_step)


def employment_spells(people: pd.DataFrame, end_step: int) -> pd.DataFrame:
    """One row per person (from `Organization.people_frame`): hired, end, duration, ended."""
    ended = people["exit_step"] >= 0
    end = np.where(ended, people["exit_step"], end_step)
    return pd.DataFrame({"person": people["person"], "start": people["hired"], "end": end,
                         "duration": end - people["hired"], "ended": ended,
                         "why": people["exit_reason"].astype(str)})


def leader_spells(events: pd.DataFrame, end_step: int) -> pd.DataFrame:
    """One row per leadership: tribe, person, start, end, duration, ended, how it started and
    why it ended. A leadership ends at the tribe's next change of leader, or when the leader
    leaves the tribe (moving, exiting, or the tribe dissolving or merging)."""
    events = _with_order(events)
    changes = events[events["event"] == "leader_changed"]
    starts = changes[changes["person"] >= 0]
    left = events[events["event"] == "left"]
    by_change = _first_end(starts, changes, ["tribe"])
    by_leaving = _first_end(starts, left, ["tribe", "person"])
    first = by_leaving["end_seq"].fillna(np.inf) < by_change["end_seq"].fillna(np.inf)
    ends = by_change.where(~first, by_leaving)
    spells = starts[["seq", "tribe", "person", "step", "detail"]].rename(
        columns={"step": "start", "detail": "how"}).join(ends, on="seq")
    return _finish(spells, end_step)


def survival(durations: pd.Series | np.ndarray, ended: pd.Series | np.ndarray,
             level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier survival curve with right-censoring (scipy.stats.ecdf), with a log-log
    confidence band: columns time, survival, low, high. The band stays inside [0, 1]; where it
    is undefined (once survival reaches 0, the log-log transform has no variance), its bounds
    are the estimate itself."""
    durations = np.asarray(durations, dtype=float)
    ended = np.asarray(ended, dtype=bool)
    data = stats.CensoredData(uncensored=durations[ended], right=durations[~ended])
    result = stats.ecdf(data).sf
    with warnings.catch_warnings():  # scipy warns where the band is undefined; filled below
        warnings.filterwarnings("ignore", "The confidence interval is undefined",
                                RuntimeWarning)
        band = result.confidence_interval(confidence_level=level, method="log-log")
    estimate = result.probabilities
    low, high = band.low.probabilities, band.high.probabilities
    return pd.DataFrame({"time": result.quantiles, "survival": estimate,
                         "low": np.where(np.isnan(low), estimate, low),
                         "high": np.where(np.isnan(high), estimate, high)})


def median_survival(curve: pd.DataFrame) -> float:
    """First time the survival curve falls to one half or below (inf if it never does)."""
    below = curve[curve["survival"] <= 0.5]
    return float(below["time"].iloc[0]) if len(below) else float("inf")


def heavy_tail(sizes: np.ndarray, significance: float = 0.1) -> dict[str, Any]:
    """Is the distribution of positive whole sizes heavy-tailed?

    The method of Clauset, Shalizi and Newman (2009) through the `powerlaw` package: the tail
    starts at the `xmin` that makes a discrete power law fit the sizes above it best
    (smallest Kolmogorov-Smirnov distance); that power law is then compared with an
    exponential (a light tail) over the same tail by Vuong's normalized log-likelihood ratio
    `R` (positive: the power law fits better) and its two-sided p-value. Pass one size per
    tribe (independent observations), not the same tribe at many snapshots.

    Returns:
        n, n_tail, xmin, alpha (power-law exponent), ks_distance, R, p and a verdict:
        "heavy" (R > 0 and p < significance), "light" (R < 0 and p < significance) or
        "cannot tell".
    """
    import powerlaw

    sizes = np.asarray(sizes)
    sizes = sizes[sizes > 0]
    if len(np.unique(sizes)) < 3:
        return {"n": len(sizes), "n_tail": 0, "xmin": np.nan, "alpha": np.nan,
                "ks_distance": np.nan, "R": np.nan, "p": np.nan, "verdict": "cannot tell"}
    with warnings.catch_warnings():
        # powerlaw 2.0 reads its own deprecated `sigma` property while fitting, and starts
        # scipy's optimizer from a guess outside its bounds (the optimizer clips it)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="powerlaw")
        warnings.filterwarnings("ignore", category=OptimizeWarning, module="powerlaw")
        fit = powerlaw.Fit(sizes, discrete=True, verbose=False)
        ratio, p = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
    ratio, p = float(ratio), float(p)
    verdict = "cannot tell"
    if p < significance:
        verdict = "heavy" if ratio > 0 else "light"
    return {"n": len(sizes), "n_tail": int((sizes >= fit.xmin).sum()), "xmin": float(fit.xmin),
            "alpha": float(fit.power_law.alpha), "ks_distance": float(fit.power_law.D),
            "R": ratio, "p": p, "verdict": verdict}


def purpose_drift(tribe_snapshots: pd.DataFrame) -> pd.DataFrame:
    """How far each tribe's purpose moved between consecutive snapshots: 1 - cosine of the
    purpose vectors (0: unchanged). Needs the `purpose_*` columns of `tribes_frame`."""
    columns = [c for c in tribe_snapshots.columns if c.startswith("purpose_")]
    living = tribe_snapshots[tribe_snapshots["alive"]].sort_values(["tribe", "step"])
    vectors = living[columns].to_numpy(dtype=float)
    same = living["tribe"].to_numpy()[1:] == living["tribe"].to_numpy()[:-1]
    cosine = np.einsum("ij,ij->i", vectors[1:], vectors[:-1])
    drift = pd.DataFrame({"tribe": living["tribe"].to_numpy()[1:][same],
                          "step": living["step"].to_numpy()[1:][same],
                          "drift": np.maximum(1.0 - cosine[same], 0.0)})  # no rounding < 0
    return drift

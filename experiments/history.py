"""Life histories from a run's event log and snapshots: spells of membership, employment and
leadership (with right-censoring), survival curves, tribe sizes and purpose drift.

    from experiments.history import membership_spells, survival
    spells = membership_spells(model.event_log(), model.steps)
    curve = survival(spells["duration"], spells["ended"])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def _spells(starts: pd.DataFrame, ends: pd.DataFrame, keys: list[str], end_step: int
            ) -> pd.DataFrame:
    """Pair each start with the first end of the same keys at or after it; unmatched starts
    are censored at `end_step`."""
    starts = starts.sort_values("step", kind="stable").reset_index(drop=True)
    ends = ends.sort_values("step", kind="stable")
    starts["order"] = starts.groupby(keys).cumcount()
    ends = ends.assign(order=ends.groupby(keys).cumcount())
    merged = starts.merge(ends[[*keys, "order", "step"]].rename(columns={"step": "end"}),
                          on=[*keys, "order"], how="left")
    merged["ended"] = merged["end"].notna()
    merged["end"] = merged["end"].fillna(end_step).astype(np.int64)
    merged["duration"] = merged["end"] - merged["step"]
    return merged.rename(columns={"step": "start"}).drop(columns="order")


def membership_spells(events: pd.DataFrame, end_step: int) -> pd.DataFrame:
    """One row per stay of a person in a tribe: person, tribe, start, end, duration, ended
    (False: still a member at `end_step`, i.e. censored), and why it started and ended."""
    joined = events[events["event"] == "joined"][["step", "person", "tribe", "detail"]]
    left = events[events["event"] == "left"][["step", "person", "tribe", "detail"]]
    spells = _spells(joined.rename(columns={"detail": "how"}),
                     left.rename(columns={"detail": "why"}), ["person", "tribe"], end_step)
    return spells


def employment_spells(people: pd.DataFrame, end_step: int) -> pd.DataFrame:
    """One row per person (from `Organization.people_frame`): hired, end, duration, ended."""
    ended = people["exit_step"] >= 0
    end = np.where(ended, people["exit_step"], end_step)
    return pd.DataFrame({"person": people["person"], "start": people["hired"], "end": end,
                         "duration": end - people["hired"], "ended": ended,
                         "why": people["exit_reason"].astype(str)})


def leader_spells(events: pd.DataFrame, end_step: int) -> pd.DataFrame:
    """One row per leadership: tribe, person, start, end, duration, ended. A leadership ends
    when the tribe gets another leader, loses its leader (who left the tribe or the
    organization) or ends."""
    changes = events[events["event"] == "leader_changed"]
    starts = changes[changes["person"] >= 0][["step", "tribe", "person", "detail"]]
    # a leader's end: the next change in the same tribe, their leaving the tribe, the tribe's end
    next_change = changes[["step", "tribe", "other"]].rename(columns={"other": "person"})
    left = events[events["event"] == "left"][["step", "tribe", "person"]]
    ends = pd.concat([next_change[next_change["person"] >= 0], left], ignore_index=True)
    ends = ends.sort_values("step", kind="stable").drop_duplicates(["tribe", "person", "step"])
    spells = _spells(starts.rename(columns={"detail": "how"}), ends, ["tribe", "person"],
                     end_step)
    return spells


def survival(durations: pd.Series | np.ndarray, ended: pd.Series | np.ndarray,
             level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier survival curve with right-censoring (scipy.stats.ecdf), with a
    confidence band: columns time, survival, low, high."""
    durations = np.asarray(durations, dtype=float)
    ended = np.asarray(ended, dtype=bool)
    data = stats.CensoredData(uncensored=durations[ended], right=durations[~ended])
    result = stats.ecdf(data).sf
    band = result.confidence_interval(confidence_level=level)
    times = result.quantiles
    return pd.DataFrame({"time": times, "survival": result.probabilities,
                         "low": band.low.probabilities, "high": band.high.probabilities})


def median_survival(curve: pd.DataFrame) -> float:
    """First time the survival curve falls to one half or below (inf if it never does)."""
    below = curve[curve["survival"] <= 0.5]
    return float(below["time"].iloc[0]) if len(below) else float("inf")


def tail_fits(sizes: np.ndarray) -> pd.DataFrame:
    """Heavy-tail check of positive sizes: maximum-likelihood fits of exponential (light
    tail), lognormal and Pareto (heavy tails) with their AIC; the lowest AIC fits best."""
    sizes = np.asarray(sizes, dtype=float)
    sizes = sizes[sizes > 0]
    rows = []
    for name, family, fixed in (("exponential", stats.expon, {"floc": 0}),
                                ("lognormal", stats.lognorm, {"floc": 0}),
                                ("pareto", stats.pareto, {"floc": 0, "fscale": sizes.min()})):
        params = family.fit(sizes, **fixed)
        loglik = float(np.sum(family.logpdf(sizes, *params)))
        free = len(params) - len(fixed)
        rows.append({"distribution": name, "log_likelihood": loglik,
                     "aic": 2 * free - 2 * loglik, "parameters": params})
    table = pd.DataFrame(rows).sort_values("aic", ignore_index=True)
    table["delta_aic"] = table["aic"] - table["aic"].iloc[0]
    return table


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
                          "drift": 1.0 - cosine[same]})
    return drift

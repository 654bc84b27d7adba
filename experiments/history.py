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
    confidence band: columns time, survival, low, high."""
    durations = np.asarray(durations, dtype=float)
    ended = np.asarray(ended, dtype=bool)
    data = stats.CensoredData(uncensored=durations[ended], right=durations[~ended])
    result = stats.ecdf(data).sf
    # the log-log band stays inside [0, 1] and is defined where survival reaches 0
    band = result.confidence_interval(confidence_level=level, method="log-log")
    times = result.quantiles
    return pd.DataFrame({"time": times, "survival": result.probabilities,
                         "low": band.low.probabilities, "high": band.high.probabilities})


def median_survival(curve: pd.DataFrame) -> float:
    """First time the survival curve falls to one half or below (inf if it never does)."""
    below = curve[curve["survival"] <= 0.5]
    return float(below["time"].iloc[0]) if len(below) else float("inf")


def tail_fits(sizes: np.ndarray) -> pd.DataFrame:
    """Heavy-tail check of positive sizes: maximum-likelihood fits of exponential (light
    tail), lognormal and Pareto (heavy tails, lower bound at the smallest size) with their AIC;
    the lowest AIC fits best. AIC assumes independent observations: pass one size per tribe
    (not the same tribe at many snapshots)."""
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

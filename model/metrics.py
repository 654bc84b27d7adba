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

from agents.person import ExitReason
from model.rules.work import item_capacity
from model.window import steady_window, truncation
from numerics import kernels
from numerics.stats import gini

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

Summary = Literal["mean", "final", "per_item", "ratio", "shock"]

SUMMARY_KINDS: dict[str, str] = {
    "mean": "mean over the window",
    "final": "value at the last step",
    "per_item": "mean over the items done in the window (steps weighted by throughput)",
    "ratio": "ratio of two columns' sums over the window",
    "shock": "from the whole run, around its first shock (NaN without one)",
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
    ratio_of: tuple[str, str] = ("", "")  # for summary "ratio": (numerator, denominator)

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high): the range the metric can take."""
        return self.low, self.high

    @property
    def kind(self) -> str:
        """How a run summarizes it, in words."""
        return SUMMARY_KINDS[self.summary]

    def summarize(self, window: pd.DataFrame) -> float:
        """The metric's summary over the rows of `window` (a slice of the step table); a
        metric of a run's first shock is computed from the whole run (`after_shock`)."""
        if self.summary == "shock":
            raise ValueError(f"{self.name}: a run's response to its first shock is computed "
                             "from the whole step table (model.metrics.after_shock)")
        if self.summary == "final":
            return float(window[self.name].iloc[-1])
        if self.summary == "mean":
            return float(window[self.name].mean())
        if self.summary == "ratio":
            numerator, denominator = (float(window[c].sum()) for c in self.ratio_of)
            return numerator / denominator if denominator > 0 else math.nan
        done = float(window["throughput"].sum())
        if done <= 0:
            return math.nan
        return float((window[self.name].fillna(0) * window["throughput"]).sum()) / done


def _share(name: str, label: str, meaning: str, summary: Summary = "mean") -> Metric:
    return Metric(name, label, meaning, "share", summary, 0.0, 1.0)


def _ratio(name: str, label: str, meaning: str, unit: str, of: tuple[str, str],
           high: float = math.inf) -> Metric:
    return Metric(name, label, meaning, unit, "ratio", 0.0, high, ratio_of=of)


METRICS: tuple[Metric, ...] = (
    Metric("throughput", "throughput", "items confirmed done in the step", "items/step", "mean"),
    Metric("lead_time", "lead time", "mean steps in WIP of the items done in the step (NaN "
           "when none finished)", "steps", "per_item"),
    Metric("customer_lead_time", "customer lead time", "mean steps from arrival to done of "
           "the items done in the step, backlog included (NaN when none finished)", "steps",
           "per_item"),
    Metric("wip", "WIP", "items in ready, doing or review at the end of the step", "items",
           "mean"),
    Metric("backlog", "backlog", "items waiting in the market backlog", "items", "mean"),
    Metric("arrived", "arrivals", "items that arrived in the step", "items/step", "mean"),
    Metric("offered", "offered load", "items expected to arrive per step (arrival rate times "
           "headcount)", "items/step", "mean"),
    _ratio("served", "served", "items done per item arrived (a window's ratio of sums; above 1 "
           "while a backlog drains)", "share", ("throughput", "arrived")),
    Metric("capacity", "capacity", "items per step the tribes could finish at their current "
           "effort if they always had work (the lesser of work and review capacity, rework "
           "included)", "items/step", "mean"),
    _ratio("utilization", "utilization", "offered load per unit of capacity (a window's "
           "ratio of sums)", "ratio", ("offered", "capacity")),
    Metric("expired", "expired", "backlog items that expired in the step", "items/step", "mean"),
    Metric("value", "value delivered", "value delivered in the step", "value/step", "mean"),
    Metric("reviewed", "reviewed", "finished items reviewed in the step", "items/step", "mean"),
    Metric("reworked", "sent back", "reviewed items sent back for rework in the step",
           "items/step", "mean"),
    _ratio("rework_share", "rework share", "share of reviewed items sent back (a window's "
           "ratio of sums)", "share", ("reworked", "reviewed"), high=1.0),
    _share("quality", "quality", "care in the step's work: effort-weighted mean engagement of "
           "the members who worked"),
    Metric("arrived_total", "items arrived", "items arrived since step 0, and those open then",
           "items", "final"),
    Metric("done_total", "items done", "items done since step 0", "items", "final"),
    Metric("expired_total", "items expired", "items expired since step 0", "items", "final"),
    Metric("value_total", "value (total)", "value delivered since step 0", "value", "final"),
    Metric("headcount", "headcount", "active people", "people", "mean"),
    _share("retention", "retention", "share of the people active at step 0 still active",
           "final"),
    Metric("exits", "exits", "people who left the organization in the step", "people/step",
           "mean"),
    Metric("exits_voluntary", "quits", "people who chose to leave in the step", "people/step",
           "mean"),
    Metric("exits_attrition", "attrition", "people who left for reasons unrelated to the job "
           "in the step (the base hazard)", "people/step", "mean"),
    Metric("exits_total", "exits (total)", "people who left since step 0", "people", "final"),
    Metric("hires", "hires", "people hired in the step", "people/step", "mean"),
    _share("engagement", "engagement", "mean engagement of active people"),
    _share("alignment", "alignment", "mean alignment of affiliated people with their tribe's "
           "purpose"),
    _share("fit", "fit", "mean fit of active people"),
    _share("alignment_original", "alignment (original passions)", "mean alignment of "
           "affiliated people's passions at hire with their tribe's purpose"),
    _share("alignment_baseline", "alignment (permuted)", "expected alignment if affiliated "
           "people were shuffled among the tribes (sizes kept): what sorting adds is alignment "
           "minus this"),
    Metric("similarity_within", "passion similarity within", "mean passion similarity of two "
           "members of the same tribe", "cosine", "mean", 0.0, 1.0),
    Metric("similarity_between", "passion similarity between", "mean passion similarity of "
           "two affiliated people in different tribes", "cosine", "mean", 0.0, 1.0),
    Metric("top_skill", "top skill", "mean highest skill of active people", "level", "mean",
           0.0, 1.0),
    Metric("effectiveness", "effectiveness", "mean effectiveness of living tribes", "factor",
           "mean", 1.0, math.inf),
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
    Metric("leader_tenure", "leader tenure", "mean steps since the current leader of a led "
           "living tribe took over", "steps", "mean"),
    _share("gini_contribution", "Gini of contribution", "Gini coefficient of active people's "
           "cumulated contribution", "final"),
    # the community of communities
    Metric("cross_done", "cross-tribe items done", "items done in the step that needed "
           "several tribes", "items/step", "mean"),
    _ratio("cross_tribe_share", "cross-tribe share", "share of the items done in the step that "
           "needed several tribes (0 when none was done)", "share", ("cross_done", "throughput"),
           high=1.0),
    Metric("handoffs", "hand-offs", "handed-off parts taken onto a board in the step",
           "parts/step", "mean"),
    Metric("handoff_wait_steps", "hand-off waiting", "steps those parts waited since their "
           "upstream part was done", "steps/step", "mean"),
    _ratio("handoff_wait", "hand-off wait", "mean steps a handed-off part waited between its "
           "upstream part's completion and a tribe taking it (0 when none was taken)", "steps",
           ("handoff_wait_steps", "handoffs")),
    Metric("handoffs_inside", "hand-offs inside", "hand-offs taken in the step between tribes "
           "of one constellation", "parts/step", "mean"),
    _ratio("coordinated_share", "coordinated share", "share of the step's hand-offs made "
           "inside a constellation (0 when none was taken)", "share",
           ("handoffs_inside", "handoffs"), high=1.0),
    Metric("active_steps_done", "active steps", "steps in which the items done in the step "
           "received effort", "steps/step", "mean"),
    Metric("lead_steps_done", "lead steps", "steps in WIP of the items done in the step",
           "steps/step", "mean"),
    _ratio("flow_efficiency", "flow efficiency", "active time over lead time of the items "
           "done in the step (0 when none was done)", "share",
           ("active_steps_done", "lead_steps_done"), high=1.0),
    Metric("constellations", "constellations", "living constellations", "constellations",
           "mean"),
    Metric("constellation_size_mean", "constellation size", "mean tribes per living "
           "constellation (0 without any)", "tribes", "mean"),
    Metric("intertribe_conflicts", "inter-tribe conflicts", "conflicts between two tribes "
           "in the step", "conflicts/step", "mean"),
    Metric("value_objective", "value against objectives", "value delivered in the step on "
           "items of the delivering tribe's unit's objective themes", "value/step", "mean"),
    _ratio("objective_share", "objective share", "share of the step's value delivered against "
           "formal objectives (0 when no value)", "share", ("value_objective", "value"),
           high=1.0),
    # the people side (issue #13)
    Metric("memberships_mean", "memberships", "mean number of tribes an active person belongs "
           "to", "tribes", "mean", 0.0, math.inf),
    _share("leader_quality", "leader quality", "mean leader quality of living tribes (0 for a "
           "tribe without leadership)"),
    Metric("opportunists_caught", "opportunists caught", "items peers rejected because they "
           "caught their author's opportunism in the step", "items/step", "mean"),
    Metric("opportunism_cost", "opportunism cost", "effort opportunists cost their tribes in "
           "the step: effort they kept back, and effort to redo the items they were caught on",
           "effort/step", "mean"),
    Metric("review_effort", "review effort", "effort peers spent reviewing in the step (taken "
           "from their next step's work)", "effort/step", "mean"),
    _share("intensity", "passion intensity", "mean intensity of active people's passion"),
    _share("passion_change", "passion change", "mean of 1 - p . p0 over active people: how far "
           "passions moved from those at hire (drift, discovery, pivots in life)"),
    Metric("life_pivots", "life pivots", "people whose passion pivoted in life in the step",
           "people/step", "mean"),
    # pressure and outside options
    Metric("layoffs", "layoffs", "people laid off in the step (a layoff shock)",
           "people/step", "mean"),
    Metric("quitters_skill", "quitters' skill (sum)", "sum of the top skill of the people who "
           "quit in the step", "level/step", "mean"),
    _ratio("quit_skill", "quitters' skill", "mean top skill of the people who quit (a "
           "window's ratio of sums; compare top_skill, that of everyone; NaN without quits)",
           "level", ("quitters_skill", "exits_voluntary"), high=1.0),
    _share("neglect", "neglect", "mean share of their effort active people withhold because "
           "leaving is not viable (response neglect or voice)"),
    Metric("voice", "voice", "mean voiced discontent of active people (response voice)",
           "level", "mean", 0.0, 1.0),
)


@dataclass(frozen=True)
class Label:
    """A text column of the step table."""

    name: str
    meaning: str


LABELS: tuple[Label, ...] = (
    Label("shock", "the kinds of the shocks active in the step, joined by '+' (empty when "
          "none; model.rules.pressure)"),
)

# how the level a run had before its first shock is recovered (`after_shock`)
RECOVERY_BEFORE = 50  # steps before the first shock whose mean is the level to recover
RECOVERY_HOLD = 20  # steps whose mean must be back at that level
RECOVERY_TOLERANCE = 0.05  # back at the level: at least (1 - tolerance) times it
RECOVERED = ("throughput", "engagement")

# a run's response to its first shock, computed from its whole step table
SHOCK_METRICS: tuple[Metric, ...] = (
    Metric("shock_step", "first shock", "step the run's first shock started", "step", "shock"),
    *(Metric(f"recovery_{name}", f"recovery of {name}", f"steps from the first shock until the "
             f"mean {name} of the next {RECOVERY_HOLD} steps is back at (1 - "
             f"{RECOVERY_TOLERANCE:g}) times its mean over the {RECOVERY_BEFORE} steps before "
             "the shock (0: it did not fall; NaN: not within the run)", "steps", "shock")
      for name in RECOVERED),
    *(Metric(f"recovered_{name}", f"{name} recovered", f"1 if {name} recovered within the run "
             "(see recovery), else 0", "share", "shock", 0.0, 1.0) for name in RECOVERED),
    Metric("quits_after_shock", "quits after the shock", "people who quit from the first shock "
           "to the end of the run", "people", "shock"),
    Metric("quit_skill_after_shock", "quitters' skill after the shock", "mean top skill of "
           "those who quit from the first shock on (NaN without quits)", "level", "shock",
           0.0, 1.0),
    Metric("skill_after_shock", "skill after the shock", "mean top skill of active people "
           "from the first shock on, the steps' mean (to compare with the quitters')", "level",
           "shock", 0.0, 1.0),
)

BY_NAME: dict[str, Metric] = {metric.name: metric for metric in (*METRICS, *SHOCK_METRICS)}
_BOUNDS = tuple((m.name, m.low, m.high) for m in METRICS)  # for the step's check, in order

# step-table columns that count this step's events of a kind
_EVENT_METRICS = {"exits": "exited", "hires": "hired", "founded": "founded",
                  "dissolved": "dissolved", "splits": "split", "merges": "merged",
                  "pivots": "pivoted", "conflicts": "conflict",
                  "leader_changes": "leader_changed",
                  "intertribe_conflicts": "intertribe_conflict", "life_pivots": "life_pivot"}


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


# rounding in float32 state may put a mean a few ulps outside its bounds (a mean of unit-vector
# dot products at 1.0000001): within this margin a value is clipped to its bounds
_ROUNDING = 1e-5


def measure(s: State, rules: Rules) -> None:
    """Measure every metric of the current step into `s.metrics` (order as in METRICS, after
    `step`)."""
    p, tribes, board, cfg = s.people, s.tribes, s.board, s.cfg
    n = p.n
    active = p.active[:n]
    rows = np.flatnonzero(active)  # gathered by index: cheaper than a mask, same values
    headcount = len(rows)
    affiliated = active & (p.tribe[:n] >= 0)
    in_tribes = int(np.count_nonzero(affiliated))
    pairs = p.pairs()
    living = tribes.living()
    sizes = tribes.size[living]
    new = s.events.take_counts()
    delta = dict.fromkeys(_EVENT_METRICS.values(), 0)
    for (kind, _), count in new.items():
        delta[kind] = delta.get(kind, 0) + count
    done = board.done_step
    # sums over living tribes only: rows of ended tribes must not change a sum's rounding
    capacity = float(item_capacity(s, rules.work)[living].sum())
    demand = s.conditions.demand
    offered = (cfg.arrival_rate if demand == 1.0 else cfg.arrival_rate * demand) * headcount
    quality = rules.work.record.quality[living]
    effort = tribes.capacity[living].astype(np.float64)
    leader = tribes.leader[living]
    led = living[leader >= 0]
    values: dict[str, float] = {
        "throughput": done,
        "lead_time": board.lead_time_step / done if done else np.nan,
        "customer_lead_time": board.customer_lead_time_step / done if done else np.nan,
        "wip": board.wip(),
        "backlog": board.backlog(),
        "arrived": s.arrived,
        "offered": offered,
        "served": done / s.arrived if s.arrived else np.nan,
        "capacity": capacity,
        "utilization": offered / capacity if capacity > 0 else np.nan,
        "expired": board.expired_step,
        "value": board.value_step,
        "reviewed": board.reviewed_step,
        "reworked": board.reworked_step,
        "rework_share": (board.reworked_step / board.reviewed_step if board.reviewed_step
                         else np.nan),
        "quality": (float((quality * effort).sum() / effort.sum()) if effort.sum() > 0
                    else 0.0),
        "exits_voluntary": new.get(("exited", ExitReason.VOLUNTARY.label), 0),
        "exits_attrition": new.get(("exited", ExitReason.ATTRITION.label), 0),
        "top_skill": float(p.top_skill[rows].mean()) if headcount else 0.0,
        "effectiveness": (float(rules.work.record.effectiveness[living].mean())
                          if len(living) else 1.0),
        "leader_tenure": (float((s.clock - rules.leadership.tenures.leader_since[led]).mean())
                          if len(led) else 0.0),
        **sorting(s, pairs),
        "arrived_total": board.arrived_total,
        "done_total": board.done_total,
        "expired_total": board.expired_total,
        "value_total": board.value_total,
        "headcount": headcount,
        "retention": retention(s),
        "engagement": float(p.engagement[rows].mean()) if headcount else 0.0,
        "alignment": mean_alignment(s, affiliated, pairs),
        "fit": float(p.fit[rows].mean()) if headcount else 0.0,
        "tribes": len(living),
        "tribe_size_mean": float(sizes.mean()) if len(sizes) else 0.0,
        "tribe_size_max": int(sizes.max()) if len(sizes) else 0,
        "unaffiliated": 1.0 - np.int64(in_tribes) / headcount if headcount else 0.0,
        "switches": new.get(("joined", "switch"), 0),
        "exits_total": s.events.counts["exited"] - s.exits_before,
        "gini_contribution": gini(p.contribution_total[rows]),
        **community_of_communities(s, rules),
        "memberships_mean": memberships_mean(s, rows, in_tribes),
        "leader_quality": (float(tribes.leader_quality[living].mean()) if len(living)
                           else 0.0),
        "opportunists_caught": rules.sanction.counts.caught,
        "opportunism_cost": rules.sanction.counts.shirked + rules.sanction.counts.rework,
        "review_effort": rules.sanction.counts.reviewing,
        "intensity": (float(rules.discovery.passions.intensity[rows].mean()) if headcount
                      else 0.0),
        "passion_change": (float(1.0 - kernels.dot_at(p.passion, rows, p.passion_origin,
                                                       rows).mean())
                           if headcount else 0.0),
        **pressure(s, rules, rows, new),
    }
    values.update({name: delta[kind] for name, kind in _EVENT_METRICS.items()})
    s.metrics = {"step": s.clock, **{name: (value if low <= value <= high
                                            else _within_bounds(BY_NAME[name], value))
                                     for name, low, high in _BOUNDS
                                     for value in (values[name],)}}
    s.labels = {"shock": "+".join(s.conditions.active)}


def pressure(s: State, rules: Rules, rows: np.ndarray, new: dict[tuple[str, str], int]
             ) -> dict[str, float]:
    """Layoffs, who quit, and how people who stay (active `rows`) respond to
    dissatisfaction."""
    p = s.people
    quits = new.get(("exited", ExitReason.VOLUNTARY.label), 0)
    quitters_skill = 0.0
    if quits:  # quits come from the exit phase, whose leavers this step are `s.leavers`
        left = s.leavers[(p.exit_step[s.leavers] == s.clock)
                         & (p.exit_reason[s.leavers] == ExitReason.VOLUNTARY)]
        quitters_skill = float(p.top_skill[left].astype(np.float64).sum())
    stance = rules.response.stance
    responds = rules.response.responds and len(rows) > 0
    return {
        "layoffs": new.get(("exited", ExitReason.LAYOFF.label), 0),
        "quitters_skill": quitters_skill,
        "quit_skill": quitters_skill / quits if quits else np.nan,
        "neglect": float(stance.neglect[rows].mean()) if responds else 0.0,
        "voice": float(stance.voice[rows].mean()) if responds else 0.0,
    }


def _ratio_or_zero(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def community_of_communities(s: State, rules: Rules) -> dict[str, float]:
    """Work across tribes, constellations and formal objectives in the step."""
    board = s.board
    constellations = rules.federation.constellations
    alive = constellations.living()
    value_objective = rules.objectives.value_step
    return {
        "cross_done": board.cross_done_step,
        "cross_tribe_share": _ratio_or_zero(board.cross_done_step, board.done_step),
        "handoffs": board.handoffs_step,
        "handoff_wait_steps": board.handoff_wait_step,
        "handoff_wait": _ratio_or_zero(board.handoff_wait_step, board.handoffs_step),
        "handoffs_inside": board.handoffs_inside_step,
        "coordinated_share": _ratio_or_zero(board.handoffs_inside_step, board.handoffs_step),
        "active_steps_done": board.active_done_step,
        "lead_steps_done": board.lead_time_step,
        "flow_efficiency": _ratio_or_zero(board.active_done_step, board.lead_time_step),
        "constellations": len(alive),
        "constellation_size_mean": (float(constellations.size[alive].mean()) if len(alive)
                                    else 0.0),
        "value_objective": value_objective,
        "objective_share": _ratio_or_zero(value_objective, board.value_step),
    }


def memberships_mean(s: State, rows: np.ndarray, in_tribes: int) -> float:
    """Mean number of tribes an active person (`rows`) belongs to; with one membership at
    most, the share of them in a tribe (`in_tribes` of them), the mean of their 0/1 counts
    exactly."""
    if len(rows) == 0:
        return 0.0
    if s.people.width == 1:
        return float(np.float64(in_tribes) / len(rows))
    return float(s.people.count_memberships(rows).mean())


def retention(s: State) -> float:
    """The share of the people active at step 0 who are still active."""
    if len(s.starting) == 0:
        return 1.0
    p = s.people
    # exits are for good and hires get new, larger ids, so the people active now with an id no
    # larger than the starters' largest are the starters still active
    still = np.count_nonzero(p.active[: p.n] & (p.id[: p.n] <= s.starting.max()))
    return float(still) / len(s.starting)


def _within_bounds(metric: Metric, value: float) -> float:
    if metric.low - _ROUNDING <= value < metric.low:
        return metric.low
    if metric.high < value <= metric.high + _ROUNDING:
        return metric.high
    return value


def mean_alignment(s: State, affiliated: np.ndarray,
                   pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> float:
    """Mean alignment of affiliated people with their tribe's purpose (of every membership,
    when people may belong to several tribes); `pairs` is `People.pairs()` if at hand."""
    p = s.people
    if not affiliated.any():
        return 0.0
    # people who left belong to no tribe: the memberships are the affiliated's, in row order
    flat, _, _ = p.pairs() if pairs is None else pairs
    return float(p.flat("alignment_m")[flat].mean())


def sorting(s: State, pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
            ) -> dict[str, float]:
    """How much people have sorted themselves by passion into tribes, among the affiliated:
    the mean passion similarity (cosine) of two members of the same tribe and of two people
    in different tribes, from tribe sums of the (unit) passions: the sum over pairs i != j of
    p_i . p_j within a tribe is |sum p|^2 - n; the expected alignment if people were
    shuffled among the tribes keeping their sizes, p_bar . (sum_t n_t pi_t) / N; and the
    alignment of their passions at hire with their tribe's purpose. A person in several tribes
    counts once per membership."""
    p, tribes = s.people, s.tribes
    _, members, t = p.pairs() if pairs is None else pairs  # people who left are in no tribe
    count = len(members)
    if count < 2:
        return {"similarity_within": 0.0, "similarity_between": 0.0,
                "alignment_baseline": 0.0, "alignment_original": 0.0}
    living = tribes.living()  # only: rows of ended tribes must not change a sum's rounding
    sums, origin = kernels.group_sums(members, t, p.passion, p.passion_origin, tribes.n)
    sums, origin = sums[living], origin[living]
    sizes = np.bincount(t, minlength=tribes.n)[living].astype(np.float64)
    purpose = tribes.purpose[living].astype(np.float64)
    within = float((sums * sums).sum()) - count
    total = sums.sum(axis=0)
    # products summed by numpy, not `@` (BLAS's order of summation depends on the CPU)
    everyone = float((total * total).sum()) - count
    pairs_within = float((sizes * (sizes - 1)).sum())
    pairs_between = count * (count - 1) - pairs_within
    return {
        "similarity_within": within / pairs_within if pairs_within else 0.0,
        "similarity_between": (everyone - within) / pairs_between if pairs_between else 0.0,
        "alignment_baseline": (float((total * (sizes[:, None] * purpose).sum(axis=0)).sum())
                               / (count * count)),
        "alignment_original": float((origin * purpose).sum()) / count,
    }


def summary_window(table: pd.DataFrame, warmup: float | None = None) -> pd.DataFrame:
    """The rows of a step table a run summary covers: after the initial transient as MSER-5
    finds it (`model.window.steady_window`), or, given a `warmup` share, the steps
    t > warmup * T (T the last step); the last row alone if there are none."""
    if warmup is None:
        return steady_window(table)
    last = int(table["step"].iloc[-1])
    window = table[table["step"] > warmup * last]
    return window if len(window) else table.iloc[-1:]


def summarize_run(table: pd.DataFrame, warmup: float | None = None) -> dict[str, float]:
    """A run's summary: every metric summarized over the window (`summary_window`), as its
    declaration says, with the window's first and last step and whether MSER-5's truncation
    reached its limit (1.0: the run may not have settled)."""
    window = summary_window(table, warmup)
    summary = {"window_start": float(window["step"].iloc[0]),
               "window_end": float(window["step"].iloc[-1]),
               "window_at_limit": float(warmup is None and truncation(table)[1])}
    summary.update({m.name: m.summarize(window) for m in METRICS})
    summary.update(after_shock(table))
    return summary


def after_shock(table: pd.DataFrame) -> dict[str, float]:
    """A run's response to its first shock (`SHOCK_METRICS`; NaN for a run without one).

    The level of metric m to recover is its mean L over the `RECOVERY_BEFORE` steps before
    the first shock's step t0 (fewer if the run has fewer); m has recovered at the first step
    t >= t0 from which its mean over `RECOVERY_HOLD` steps (t to t + hold - 1, all within the
    run) is at least (1 - `RECOVERY_TOLERANCE`) L; the recovery time is t - t0 (0 if it never
    fell below), NaN if no such step is in the run.
    """
    result = {m.name: math.nan for m in SHOCK_METRICS}
    if "shock" not in table.columns:
        return result
    shocked = np.flatnonzero(table["shock"].astype(str).to_numpy() != "")
    if len(shocked) == 0:
        return result
    start = int(shocked[0])
    steps = table["step"].to_numpy()
    result["shock_step"] = float(steps[start])
    after = table.iloc[start:]
    for name in RECOVERED:
        values = table[name].to_numpy(dtype=float)
        level = float(np.nanmean(values[max(start - RECOVERY_BEFORE, 0): start])) \
            if start > 0 else math.nan
        hold: np.ndarray = (np.convolve(values[start:], np.ones(RECOVERY_HOLD) / RECOVERY_HOLD,
                                        mode="valid")
                            if len(values) - start >= RECOVERY_HOLD else np.empty(0))
        back = np.flatnonzero(hold >= (1.0 - RECOVERY_TOLERANCE) * level)
        recovered = bool(len(back)) and math.isfinite(level)
        result[f"recovery_{name}"] = float(back[0]) if recovered else math.nan
        result[f"recovered_{name}"] = float(recovered)
    quits = float(after["exits_voluntary"].sum())
    result["quits_after_shock"] = quits
    result["quit_skill_after_shock"] = (float(after["quitters_skill"].sum()) / quits if quits
                                        else math.nan)
    result["skill_after_shock"] = float(after["top_skill"].mean())
    return result

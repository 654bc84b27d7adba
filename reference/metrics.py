"""The step table's metrics, counted agent by agent with the definitions of ODD §3.10 (the
column names and their order are those of `model.metrics.METRICS`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from model.metrics import METRICS
from numerics.stats import gini

if TYPE_CHECKING:
    from reference.organization import ReferenceOrganization
    from reference.person import RefPerson
    from reference.tribe import RefTribe

# step-table column -> event kind whose count in the step it reports
EVENT_METRICS = {"exits": "exited", "hires": "hired", "founded": "founded",
                 "dissolved": "dissolved", "splits": "split", "merges": "merged",
                 "pivots": "pivoted", "conflicts": "conflict", "leader_changes": "leader_changed",
                 "intertribe_conflicts": "intertribe_conflict", "life_pivots": "life_pivot"}


def mean(values: Sequence[float], empty: float = 0.0) -> float:
    """The mean of `values` (`empty` if there are none)."""
    return sum(values) / len(values) if values else empty


def measure(m: ReferenceOrganization) -> dict[str, float]:
    """`step` and every metric of `model.metrics.METRICS` for the current step, in order."""
    cfg = m.cfg
    staff = m.staff
    headcount = len(staff)
    affiliated = [p for p in staff if p.tribe is not None]
    living = m.living
    sizes = [t.size for t in living]
    flow = m.flow_step
    done, arrived = flow["done"], flow["arrived"]
    capacity = sum(t.item_capacity() for t in living)
    offered = cfg.arrival_rate * m.demand * headcount  # demand: a surge's or slump's factor
    # the care of the step's work, each tribe weighted by the effort its work could absorb
    weight = sum(t.capacity for t in living)
    led = [t for t in living if t.leader is not None]
    values = {
        "step": m.clock,
        "throughput": done,
        "lead_time": flow["lead_time"] / done if done else math.nan,
        "customer_lead_time": flow["customer_lead_time"] / done if done else math.nan,
        # an item in progress is on a board, or handed off and waiting in the backlog
        "wip": (sum(len(t.board) for t in living)
                + sum(1 for item in m.backlog.values() if item.part > 0)),
        "backlog": sum(1 for item in m.backlog.values() if item.part == 0),
        "arrived": arrived,
        "offered": offered,
        "served": done / arrived if arrived else math.nan,
        "capacity": capacity,
        "utilization": offered / capacity if capacity > 0 else math.nan,
        "expired": flow["expired"],
        "value": flow["value"],
        "reviewed": flow["reviewed"],
        "reworked": flow["reworked"],
        "rework_share": flow["reworked"] / flow["reviewed"] if flow["reviewed"] else math.nan,
        "quality": (sum(t.quality * t.capacity for t in living) / weight if weight > 0
                    else 0.0),
        "arrived_total": m.flow_total["arrived"],
        "done_total": m.flow_total["done"],
        "expired_total": m.flow_total["expired"],
        "value_total": m.flow_total["value"],
        "headcount": headcount,
        "retention": (sum(1 for p in m.starting if p.active) / len(m.starting)
                      if m.starting else 0.0),
        "exits_voluntary": m.events_step.get(("exited", "voluntary"), 0),
        "exits_attrition": m.events_step.get(("exited", "attrition"), 0),
        "exits_total": m.exits_total,
        "engagement": mean([p.engagement for p in staff]),
        "alignment": mean([p.alignment for p in affiliated]),
        "fit": mean([p.fit for p in staff]),
        **sorting(affiliated),
        "top_skill": mean([p.top_skill for p in staff]),
        "effectiveness": mean([t.effectiveness for t in living], empty=1.0),
        "tribes": len(sizes),
        "tribe_size_mean": mean(sizes),
        "tribe_size_max": max(sizes) if sizes else 0,
        "unaffiliated": 1.0 - len(affiliated) / headcount if headcount else 0.0,
        "switches": m.events_step.get(("joined", "switch"), 0),
        "leader_tenure": mean([m.clock - t.leader_since for t in led]),
        "gini_contribution": gini(np.array([p.contribution_total for p in staff])),
        **community_of_communities(m),
        **people_side(m),
    }
    for name, kind in EVENT_METRICS.items():
        values[name] = sum(count for (k, _), count in m.events_step.items() if k == kind)
    return {"step": values["step"], **{metric.name: values[metric.name] for metric in METRICS}}


def ratio_or_zero(numerator: float, denominator: float) -> float:
    """numerator / denominator, 0 when the denominator is."""
    return numerator / denominator if denominator else 0.0


def community_of_communities(m: ReferenceOrganization) -> dict[str, float]:
    """Work across tribes, constellations and formal objectives in the step (ODD §3.9)."""
    flow = m.flow_step
    alive = [c for c in m.constellations if c.alive]
    return {
        "cross_done": flow["cross_done"],
        "cross_tribe_share": ratio_or_zero(flow["cross_done"], flow["done"]),
        "handoffs": flow["handoffs"],
        "handoff_wait_steps": flow["handoff_wait"],
        "handoff_wait": ratio_or_zero(flow["handoff_wait"], flow["handoffs"]),
        "handoffs_inside": flow["handoffs_inside"],
        "coordinated_share": ratio_or_zero(flow["handoffs_inside"], flow["handoffs"]),
        "active_steps_done": flow["active_done"],
        "lead_steps_done": flow["lead_time"],
        "flow_efficiency": ratio_or_zero(flow["active_done"], flow["lead_time"]),
        "constellations": len(alive),
        "constellation_size_mean": mean([len(c.living_tribes()) for c in alive]),
        "value_objective": m.objectives.value_step,
        "objective_share": ratio_or_zero(m.objectives.value_step, flow["value"]),
    }


def sorting(affiliated: list[RefPerson]) -> dict[str, float]:
    """Whether people sorted themselves into tribes by passion: the alignment of their passions
    at hire with their tribe's purpose; the alignment expected if they were shuffled among the
    tribes (sizes kept), mean passion . sum over tribes of size x purpose / people; and the
    mean passion similarity of two members of the same tribe and of two people in different
    tribes. Pairs within a tribe are summed from its passion sum: the sum over ordered pairs
    i != j of p_i . p_j is |sum p|^2 - sum |p|^2."""
    count = len(affiliated)
    if count < 2:
        return {"alignment_original": 0.0, "alignment_baseline": 0.0,
                "similarity_within": 0.0, "similarity_between": 0.0}
    by_tribe: dict[RefTribe, list[RefPerson]] = {}
    for p in affiliated:
        assert p.tribe is not None
        by_tribe.setdefault(p.tribe, []).append(p)
    zero = np.zeros_like(affiliated[0].passion)
    passion_sum = sum((p.passion for p in affiliated), zero)
    squares = sum(float(p.passion @ p.passion) for p in affiliated)
    purposes = sum((len(members) * tribe.purpose for tribe, members in by_tribe.items()), zero)
    within = pairs_within = 0.0
    for members in by_tribe.values():
        tribe_sum = sum((p.passion for p in members), zero)
        within += float(tribe_sum @ tribe_sum) - sum(float(p.passion @ p.passion)
                                                     for p in members)
        pairs_within += len(members) * (len(members) - 1)
    everyone = float(passion_sum @ passion_sum) - squares
    pairs_between = count * (count - 1) - pairs_within
    return {
        "alignment_original": mean([float(p.passion_origin @ tribe.purpose)
                                    for tribe, members in by_tribe.items() for p in members]),
        "alignment_baseline": float(passion_sum @ purposes) / (count * count),
        "similarity_within": within / pairs_within if pairs_within else 0.0,
        "similarity_between": (everyone - within) / pairs_between if pairs_between else 0.0,
    }


def people_side(m: ReferenceOrganization) -> dict[str, float]:
    """Opportunism and peer review, memberships, leader quality, passions, and pressure in
    the step (ODD §3.14)."""
    staff, counts = m.staff, m.review_counts
    quitters = [p for p in m.people if p.exit_step == m.clock and not p.active
                and p.exit_reason == "voluntary"]
    quitters_skill = sum(p.top_skill for p in quitters)
    responds = m.cfg.response != "exit"
    return {
        "memberships_mean": mean([float(p.tribe is not None) for p in staff]),
        "leader_quality": mean([t.leader_quality for t in m.living]),
        "opportunists_caught": counts["caught"],
        "opportunism_cost": counts["shirked"] + counts["rework"],
        "review_effort": counts["reviewing"],
        "intensity": mean([p.intensity for p in staff]),
        "passion_change": mean([1.0 - float(p.passion @ p.passion_origin) for p in staff]),
        "layoffs": m.events_step.get(("exited", "layoff"), 0),
        "quitters_skill": quitters_skill,
        "quit_skill": quitters_skill / len(quitters) if quitters else math.nan,
        "neglect": mean([p.neglect for p in staff]) if responds else 0.0,
        "voice": mean([p.voice for p in staff]) if responds else 0.0,
    }

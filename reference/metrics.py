"""The step table's metrics, counted agent by agent with the definitions of `model/metrics.py`
(ODD §3.9)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from model.metrics import METRICS
from numerics.stats import gini

if TYPE_CHECKING:
    from reference.organization import ReferenceOrganization

# step-table column -> event kind whose count in the step it reports
EVENT_METRICS = {"exits": "exited", "hires": "hired", "founded": "founded",
                 "dissolved": "dissolved", "splits": "split", "merges": "merged",
                 "pivots": "pivoted", "conflicts": "conflict", "leader_changes": "leader_changed"}


def measure(m: ReferenceOrganization) -> dict[str, float]:
    """`step` and every metric of `model.metrics.METRICS` for the current step, in order."""
    staff = m.staff
    headcount = len(staff)
    affiliated = [p for p in staff if p.tribe is not None]
    sizes = [t.size for t in m.living]
    flow = m.flow_step
    values = {
        "step": m.steps,
        "throughput": flow["done"],
        "lead_time": flow["lead_time"] / flow["done"] if flow["done"] else math.nan,
        "wip": sum(len(t.board) for t in m.living),
        "backlog": len(m.backlog),
        "arrived": flow["arrived"],
        "expired": flow["expired"],
        "value": flow["value"],
        "arrived_total": m.flow_total["arrived"],
        "done_total": m.flow_total["done"],
        "expired_total": m.flow_total["expired"],
        "value_total": m.flow_total["value"],
        "headcount": headcount,
        "retention": sum(1 for p in m.people[: m.initial_people] if p.active) / m.initial_people,
        "engagement": sum(p.engagement for p in staff) / headcount if headcount else 0.0,
        "alignment": (sum(p.alignment for p in affiliated) / len(affiliated)
                      if affiliated else 0.0),
        "fit": sum(p.fit for p in staff) / headcount if headcount else 0.0,
        "tribes": len(sizes),
        "tribe_size_mean": sum(sizes) / len(sizes) if sizes else 0.0,
        "tribe_size_max": max(sizes) if sizes else 0,
        "unaffiliated": 1.0 - len(affiliated) / headcount if headcount else 0.0,
        "switches": m.events_step.get(("joined", "switch"), 0),
        "exits_total": m.exits_total,
        "gini_contribution": gini(np.array([p.contribution_total for p in staff])),
    }
    for name, kind in EVENT_METRICS.items():
        values[name] = sum(count for (k, _), count in m.events_step.items() if k == kind)
    return {"step": values["step"], **{metric.name: values[metric.name] for metric in METRICS}}

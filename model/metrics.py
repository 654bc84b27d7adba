"""Per-step metrics: flow, retention, engagement, tribes, leadership and inequality."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.arrays import gini
from model.kanban import BACKLOG

if TYPE_CHECKING:
    from model.organization import Organization

METRICS: dict[str, str] = {
    "step": "step number (0 = the initial state)",
    "throughput": "items confirmed done in the step",
    "lead_time": "mean steps in WIP of the items done in the step (NaN when none finished)",
    "wip": "items in ready, doing or review at the end of the step",
    "backlog": "items waiting in the market backlog",
    "arrived": "items that arrived in the step",
    "expired": "backlog items that expired in the step",
    "value": "value delivered in the step",
    "arrived_total": "items arrived so far",
    "done_total": "items done so far",
    "expired_total": "items expired so far",
    "value_total": "value delivered so far",
    "headcount": "active people",
    "retention": "share of the starting people still active",
    "exits": "people who left the organization in the step",
    "exits_total": "people who left so far",
    "hires": "people hired in the step",
    "engagement": "mean engagement of active people",
    "alignment": "mean alignment of affiliated people with their tribe's purpose",
    "fit": "mean fit of active people",
    "tribes": "living tribes",
    "tribe_size_mean": "mean size of living tribes",
    "tribe_size_max": "size of the largest tribe",
    "unaffiliated": "share of active people in no tribe",
    "switches": "voluntary moves from one tribe to another in the step",
    "founded": "tribes founded in the step (bottom-up or by management)",
    "dissolved": "tribes dissolved in the step",
    "splits": "tribe splits in the step",
    "merges": "tribe merges in the step",
    "pivots": "purpose pivots in the step",
    "conflicts": "tribes in conflict in the step",
    "leader_changes": "tribes whose leader changed in the step",
    "gini_contribution": "Gini coefficient of active people's cumulated contribution",
}

_EVENT_METRICS = {"exits": "exited", "hires": "hired", "founded": "founded",
                  "dissolved": "dissolved", "splits": "split", "merges": "merged",
                  "pivots": "pivoted", "conflicts": "conflict",
                  "leader_changes": "leader_changed"}


def measure(m: Organization) -> dict[str, float]:
    """All metrics of the current step, by name (keys and order as in METRICS)."""
    p, tribes, board = m.people, m.tribes, m.board
    n = p.n
    active = p.active[:n]
    headcount = int(active.sum())
    affiliated = active & (p.tribe[:n] >= 0)
    living = tribes.living()
    sizes = tribes.size[living]
    initial = m.initial_people
    tally = m.events.tally
    new = {key: count - m._event_totals.get(key, 0) for key, count in tally.items()}
    m._event_totals = dict(tally)
    delta = dict.fromkeys(_EVENT_METRICS.values(), 0)
    for (kind, _), count in new.items():
        delta[kind] = delta.get(kind, 0) + count
    counts = m.events.counts
    values = {
        "step": m.steps,
        "throughput": board.done_step,
        "lead_time": board.lead_time_step / board.done_step if board.done_step else np.nan,
        "wip": board.wip(),
        "backlog": board.count(BACKLOG),
        "arrived": getattr(m, "arrived_step", 0),
        "expired": board.expired_step,
        "value": board.value_step,
        "arrived_total": board.arrived_total,
        "done_total": board.done_total,
        "expired_total": board.expired_total,
        "value_total": board.value_total,
        "headcount": headcount,
        "retention": float(active[:initial].sum()) / initial,
        "engagement": float(p.engagement[:n][active].mean()) if headcount else 0.0,
        "alignment": float(p.alignment[:n][affiliated].mean()) if affiliated.any() else 0.0,
        "fit": float(p.fit[:n][active].mean()) if headcount else 0.0,
        "tribes": len(living),
        "tribe_size_mean": float(sizes.mean()) if len(sizes) else 0.0,
        "tribe_size_max": int(sizes.max()) if len(sizes) else 0,
        "unaffiliated": 1.0 - affiliated.sum() / headcount if headcount else 0.0,
        "switches": new.get(("joined", "switch"), 0),
        "exits_total": counts["exited"],
        "gini_contribution": gini(p.contribution_total[:n][active]),
    }
    values.update({name: delta[kind] for name, kind in _EVENT_METRICS.items()})
    return {name: values[name] for name in METRICS}

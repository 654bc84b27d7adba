"""Output frames: the people, the tribes and the social network as they are now, as tidy tables
(and a networkx graph) for analysis and drawing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agents.person import EXIT_LABELS
from agents.tribe import ORIGIN_LABELS
from model.kanban import DOING, READY, REVIEW, STAGES

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


def people_frame(s: State, rules: Rules) -> pd.DataFrame:
    """One row per person who ever worked here, with their current state."""
    p, n = s.people, s.people.n
    frame = pd.DataFrame({
        "person": np.arange(n), "active": p.active[:n], "tribe": p.tribe[:n],
        "unit": p.unit[:n], "engagement": p.engagement[:n], "commitment": p.commitment[:n],
        "fit": p.fit[:n], "alignment": p.alignment[:n], "skill_use": p.skill_use[:n],
        "belonging": p.belonging[:n], "reputation": p.reputation[:n],
        "recognition": rules.leadership.endorsements.recognition[:n],
        "initiative": p.initiative[:n], "contribution_total": p.contribution_total[:n],
        "main_theme": p.passion[:n].argmax(axis=1), "main_skill": p.skill[:n].argmax(axis=1),
        "hired": p.hired[:n], "joined": p.joined[:n], "exit_step": p.exit_step[:n],
        "exit_reason": pd.Categorical.from_codes(p.exit_reason[:n], EXIT_LABELS),
    })
    frame.insert(0, "step", s.clock)
    return frame


def tribes_frame(s: State, rules: Rules, living_only: bool = False) -> pd.DataFrame:
    """One row per tribe that ever existed (or only the living), with its current state."""
    t, n = s.tribes, s.tribes.n
    counts = s.board.stage_counts(n)
    top = np.argsort(-t.purpose[:n], axis=1, kind="stable")[:, :3]
    frame = pd.DataFrame({
        "tribe": np.arange(n), "alive": t.alive[:n], "size": t.size[:n],
        "founded": t.founded[:n], "ended": t.ended[:n], "age": np.where(
            t.alive[:n], s.clock - t.founded[:n], t.ended[:n] - t.founded[:n]),
        "origin": pd.Categorical.from_codes(t.origin[:n], ORIGIN_LABELS),
        "parent": t.parent[:n], "leader": t.leader[:n],
        "value_champion": t.value_champion[:n],
        "innovation_champion": t.innovation_champion[:n],
        "main_theme": top[:, 0], "top_themes": [" ".join(map(str, r)) for r in top],
        **{f"purpose_{k}": t.purpose[:n, k] for k in range(s.cfg.themes)},
        "effectiveness": rules.work.record.effectiveness[:n], "division": t.division[:n],
        "leader_quality": t.leader_quality[:n], "conflict": rules.conflict.record.conflict[:n],
        "pivots": rules.purpose.record.pivots[:n], "done_total": t.done_total[:n],
        "value_total": t.value_total[:n],
        **{STAGES[stage]: counts[:, stage] for stage in (READY, DOING, REVIEW)},
    })
    frame.insert(0, "step", s.clock)
    return frame[frame["alive"]] if living_only else frame


def graph(s: State) -> Any:
    """The social network of active people as a networkx Graph.

    Nodes carry tribe, engagement and leader; an edge's weight is the stronger of the two
    directed ties between its ends.
    """
    import networkx as nx

    p, n, tribes = s.people, s.people.n, s.tribes
    active = np.flatnonzero(p.active[:n])
    leaders = set(tribes.leader[: tribes.n][tribes.alive[: tribes.n]].tolist())
    network = nx.Graph()
    network.add_nodes_from((int(i), {"tribe": int(p.tribe[i]),
                                     "engagement": float(p.engagement[i]),
                                     "leader": int(i) in leaders}) for i in active)
    src = np.repeat(np.arange(n), p.tie_to.shape[1])
    dst = p.tie_to[:n].ravel()
    w = p.tie_w[:n].ravel()
    ok = (dst >= 0) & (w > 0) & p.active[src] & p.active[np.maximum(dst, 0)] & (src != dst)
    for a, b, weight in zip(src[ok].tolist(), dst[ok].tolist(), w[ok].tolist(), strict=True):
        if not network.has_edge(a, b) or network[a][b]["weight"] < weight:
            network.add_edge(a, b, weight=weight)
    return network

"""Output frames: the people, the tribes and the social network as they are now, as tidy tables
(and a networkx graph) for analysis and drawing.

People and tribes are named by their ids. Rows dropped from the tables by a compaction (people
who left, tribes that ended) were archived with their final state first; the frames join the
archive and the live rows, so they hold everyone who ever worked here and every tribe that
ever existed.
"""

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


def _ids(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The ids of `rows` (-1 stays -1), as int32 like the rows they replace."""
    found: np.ndarray = np.where(rows >= 0, ids[np.maximum(rows, 0)], -1).astype(np.int32)
    return found


class Frames:
    """Makes the tables of given rows of a run's people and tribes."""

    def __init__(self, s: State, rules: Rules) -> None:
        self.s = s
        self.rules = rules

    def people(self, rows: np.ndarray) -> pd.DataFrame:
        """One row per person at `rows`, with their current state."""
        s = self.s
        p = s.people
        frame = pd.DataFrame({
            "person": p.id[rows], "active": p.active[rows],
            "tribe": _ids(s.tribes.id, p.tribe[rows]), "unit": p.unit[rows],
            "engagement": p.engagement[rows], "commitment": p.commitment[rows],
            "fit": p.fit[rows], "alignment": p.alignment[rows], "skill_use": p.skill_use[rows],
            "belonging": p.belonging[rows], "reputation": p.reputation[rows],
            "recognition": self.rules.leadership.endorsements.recognition[rows],
            "initiative": p.initiative[rows], "contribution_total": p.contribution_total[rows],
            "main_theme": p.passion[rows].argmax(axis=1),
            "main_skill": p.skill[rows].argmax(axis=1),
            "hired": p.hired[rows], "joined": p.joined[rows], "exit_step": p.exit_step[rows],
            "exit_reason": pd.Categorical.from_codes(p.exit_reason[rows], EXIT_LABELS),
        })
        frame.insert(0, "step", s.clock)
        return frame

    def tribes(self, rows: np.ndarray) -> pd.DataFrame:
        """One row per tribe at `rows`, with its current state."""
        s, rules = self.s, self.rules
        t, people = s.tribes, s.people.id
        counts = s.board.stage_counts(t.n)[rows]
        top = np.argsort(-t.purpose[rows], axis=1, kind="stable")[:, :3]
        frame = pd.DataFrame({
            "tribe": t.id[rows], "alive": t.alive[rows], "size": t.size[rows],
            "founded": t.founded[rows], "ended": t.ended[rows], "age": np.where(
                t.alive[rows], s.clock - t.founded[rows], t.ended[rows] - t.founded[rows]),
            "origin": pd.Categorical.from_codes(t.origin[rows], ORIGIN_LABELS),
            "parent": t.parent[rows], "leader": _ids(people, t.leader[rows]),
            "value_champion": _ids(people, t.value_champion[rows]),
            "innovation_champion": _ids(people, t.innovation_champion[rows]),
            "main_theme": top[:, 0], "top_themes": [" ".join(map(str, r)) for r in top],
            **{f"purpose_{k}": t.purpose[rows, k] for k in range(s.cfg.themes)},
            "effectiveness": rules.work.record.effectiveness[rows],
            "division": t.division[rows], "leader_quality": t.leader_quality[rows],
            "conflict": rules.conflict.record.conflict[rows],
            "pivots": rules.purpose.record.pivots[rows], "done_total": t.done_total[rows],
            "value_total": t.value_total[rows],
            **{STAGES[stage]: counts[:, stage] for stage in (READY, DOING, REVIEW)},
        })
        frame.insert(0, "step", s.clock)
        return frame


def compact(s: State, rules: Rules) -> None:
    """Drop the rows of people who left and tribes that ended when they are many, archiving
    their final state (`State.compact`)."""
    s.compact(Frames(s, rules))
    s.leavers = s.leavers[:0]  # last step's leavers were hired for already


def _with_archive(live: pd.DataFrame, archived: list[pd.DataFrame], key: str, step: int
                  ) -> pd.DataFrame:
    if not archived:
        return live
    frame = pd.concat([*archived, live], ignore_index=True)
    frame["step"] = step  # the archived rows' state is final: it is their state now
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def people_frame(s: State, rules: Rules) -> pd.DataFrame:
    """One row per person who ever worked here (by id), with their current state."""
    live = Frames(s, rules).people(np.arange(s.people.n))
    archived = [people for people, _ in s.archive if len(people)]
    return _with_archive(live, archived, "person", s.clock)


def tribes_frame(s: State, rules: Rules, living_only: bool = False) -> pd.DataFrame:
    """One row per tribe that ever existed (by id; or only the living), with its current
    state."""
    live = Frames(s, rules).tribes(np.arange(s.tribes.n))
    if living_only:
        return live[live["alive"]]
    archived = [tribes for _, tribes in s.archive if len(tribes)]
    return _with_archive(live, archived, "tribe", s.clock)


def graph(s: State) -> Any:
    """The social network of active people as a networkx Graph, nodes named by person id.

    Nodes carry tribe (id), engagement and leader; an edge's weight is the stronger of the two
    directed ties between its ends.
    """
    import networkx as nx

    p, n, tribes = s.people, s.people.n, s.tribes
    ids = p.id[:n]
    active = np.flatnonzero(p.active[:n])
    leaders = set(_ids(ids, tribes.leader[: tribes.n][tribes.alive[: tribes.n]]).tolist())
    tribe = _ids(tribes.id, p.tribe[:n])
    network = nx.Graph()
    network.add_nodes_from((int(ids[i]), {"tribe": int(tribe[i]),
                                          "engagement": float(p.engagement[i]),
                                          "leader": int(ids[i]) in leaders}) for i in active)
    src = np.repeat(np.arange(n), p.tie_to.shape[1])
    dst = p.tie_to[:n].ravel()
    w = p.tie_w[:n].ravel()
    ok = (dst >= 0) & (w > 0) & p.active[src] & p.active[np.maximum(dst, 0)] & (src != dst)
    for a, b, weight in zip(ids[src[ok]].tolist(), ids[dst[ok]].tolist(), w[ok].tolist(),
                            strict=True):
        if not network.has_edge(a, b) or network[a][b]["weight"] < weight:
            network.add_edge(a, b, weight=weight)
    return network

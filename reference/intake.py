"""How work reaches the tribes' boards, slot by slot or item by item (ODD §3.8, flow step 4):
the pull and push work policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.kanban import DOING, READY

if TYPE_CHECKING:
    from reference.kanban import Item
    from reference.organization import ReferenceOrganization
    from reference.tribe import RefTribe


def pull(m: ReferenceOrganization) -> None:
    """Each free ready slot of each tribe looks at `pull_candidates` random backlog items and
    claims the best match (purpose alignment plus skill match); an item claimed more than once
    goes to its best-matching claim (the earlier slot on ties). When free slots outnumber twice
    the backlog, a random subset of that many slots looks this step."""
    cfg, rng = m.cfg, m.rng
    backlog = list(m.backlog.values())
    if not backlog or not m.living:
        return
    slots = [tribe for tribe in m.living for _ in range(tribe.free_ready_slots())]
    if len(slots) > 2 * len(backlog):
        # each item can fill one slot: a random subset of the slots is enough to compete
        chosen = np.sort(rng.choice(len(slots), 2 * len(backlog), replace=False))
        slots = [slots[k] for k in chosen]
    claims: dict[Item, tuple[float, RefTribe]] = {}  # ordered: first claims first
    for tribe in slots:
        best, best_score = None, -np.inf
        for _ in range(cfg.pull_candidates):
            item = backlog[int(rng.integers(len(backlog)))]
            score = float(item.purpose @ tribe.purpose) + float(item.needs @ tribe.skill_profile)
            if score > best_score:
                best, best_score = item, score
        if best not in claims or best_score > claims[best][0]:
            claims[best] = (best_score, tribe)
    for item, (_, tribe) in claims.items():
        del m.backlog[item.uid]
        tribe.board.put(item, READY, m.steps, tribe)


def push(m: ReferenceOrganization) -> None:
    """Management sends every backlog item to the best skill match among `pull_candidates`
    random living teams, straight into doing, without limits."""
    cfg, rng = m.cfg, m.rng
    living = m.living
    if not m.backlog or not living:
        return
    for item in list(m.backlog.values()):
        best, best_match = None, -np.inf
        for _ in range(cfg.pull_candidates):
            tribe = living[int(rng.integers(len(living)))]
            match = float(item.needs @ tribe.skill_profile)
            if match > best_match:
                best, best_match = tribe, match
        del m.backlog[item.uid]
        best.board.put(item, DOING, m.steps, best)

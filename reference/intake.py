"""How work reaches the tribes' boards, slot by slot or item by item (ODD §3.8, flow step 4):
the pull and push work policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.kanban import DOING, READY
from reference.kanban import Item

if TYPE_CHECKING:
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
        tribe.board.put(item, READY, m.clock, tribe)


def push(m: ReferenceOrganization) -> None:
    """Management sends backlog items, oldest first, each to the best skill match among
    `pull_candidates` random living teams that have room, straight into doing (ODD §3.8). A
    team's room is `load_horizon` steps of its capacity less its open effort, as the intake
    starts; it takes the items that chose it in backlog order while the effort it took before
    an item is below its room. The rest waits in the backlog."""
    cfg, rng = m.cfg, m.rng
    living = m.living
    if not m.backlog or not living:
        return
    room = {tribe: tribe.push_room() for tribe in living}
    queue = sorted(m.backlog.values(), key=Item.age_key)
    choices: list[tuple[Item, RefTribe]] = []
    for item in queue:
        best, best_match = None, -np.inf
        for _ in range(cfg.pull_candidates):
            tribe = living[int(rng.integers(len(living)))]
            if room[tribe] <= 0:
                continue
            match = float(item.needs @ tribe.skill_profile)
            if match > best_match:
                best, best_match = tribe, match
        if best is not None:
            choices.append((item, best))
    taken = dict.fromkeys(living, 0.0)
    for item, tribe in choices:
        if taken[tribe] < room[tribe]:
            taken[tribe] += item.remaining
            del m.backlog[item.uid]
            tribe.board.put(item, DOING, m.clock, tribe)

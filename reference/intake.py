"""How work reaches the tribes' boards, slot by slot or item by item (ODD §3.8, flow step 4):
the pull and push work policies, and how each admits the hand-offs a constellation routes to
one of its tribes (ODD §3.9).

The backlog holds the first parts of new items and the parts handed off by a tribe; a tribe
never takes a part it handed off itself. Under formal objectives (ODD §3.9) a tribe's leader
steers its intake toward the unit's objective o_u with the weight omega.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.kanban import DOING, READY
from reference import intertribe
from reference.kanban import Item

if TYPE_CHECKING:
    from reference.organization import ReferenceOrganization
    from reference.tribe import RefTribe


def pull(m: ReferenceOrganization) -> None:
    """Each free ready slot of each tribe looks at `pull_candidates` random backlog parts and
    claims the best: purpose_j . (pi_t + omega o_u) + needs_j . S_t, a part its own tribe
    handed off scoring -inf (the first candidate on ties). A part claimed more than once goes
    to its best claim (the earlier slot on ties), unless the intertribe policy resolves a
    conflict over it otherwise. When free slots outnumber twice the backlog, a random subset of
    that many slots looks this step."""
    cfg, rng = m.cfg, m.rng
    backlog = list(m.backlog.values())
    if not backlog or not m.living:
        return
    slots = [tribe for tribe in m.living for _ in range(tribe.free_ready_slots())]
    if len(slots) > 2 * len(backlog):
        # each item can fill one slot: a random subset of the slots is enough to compete
        chosen = np.sort(rng.choice(len(slots), 2 * len(backlog), replace=False))
        slots = [slots[k] for k in chosen]
    steer = {tribe: tribe.purpose + m.objectives.toward(tribe) for tribe in m.living}
    claims: dict[Item, list[tuple[float, RefTribe]]] = {}  # ordered: first claims first
    for tribe in slots:
        best, best_score = None, -np.inf
        for k in range(cfg.pull_candidates):
            item = backlog[int(rng.integers(len(backlog)))]
            if item.previous_tribe is tribe:
                score = -np.inf  # a tribe does not take back the part it handed off
            else:
                score = float(item.purpose @ steer[tribe]) + float(item.needs @ tribe.skill_profile)
            if k == 0 or score > best_score:
                best, best_score = item, score
        if best is not None and np.isfinite(best_score):
            claims.setdefault(best, []).append((best_score, tribe))
    for item, claimed in claims.items():
        tribe = intertribe.award_item(m, item, claimed)
        del m.backlog[item.uid]
        tribe.board.put(item, READY, m.clock, tribe)


def push(m: ReferenceOrganization) -> None:
    """Management sends backlog parts, oldest first, each to the best skill match (plus
    omega o_u . purpose_j under formal objectives) among `pull_candidates` random living teams
    that have room, never to the team that handed the part off, straight into doing (ODD §3.8).
    A team's room is `load_horizon` steps of its capacity less its open effort, as the intake
    starts; it takes the parts that chose it in backlog order while the effort it took before a
    part is below its room. Management looks only at the oldest parts whose effort before them
    is below the teams' total room. The rest waits in the backlog."""
    cfg, rng = m.cfg, m.rng
    living = m.living
    if not m.backlog or not living:
        return
    room = {tribe: tribe.push_room() for tribe in living}
    total_room = sum(room.values())
    queue, before = [], 0.0
    for item in sorted(m.backlog.values(), key=Item.age_key):
        if before >= total_room:
            break
        queue.append(item)
        before += item.remaining
    choices: list[tuple[Item, RefTribe]] = []
    for item in queue:
        best, best_match = None, -np.inf
        for _ in range(cfg.pull_candidates):
            tribe = living[int(rng.integers(len(living)))]
            if room[tribe] <= 0 or item.previous_tribe is tribe:
                continue
            match = (float(item.needs @ tribe.skill_profile)
                     + float(item.purpose @ m.objectives.toward(tribe)))
            if match > best_match:
                best, best_match = tribe, match
        if best is not None:
            choices.append((item, best))
    take_within_room(m, choices, room, DOING)


def take_within_room(m: ReferenceOrganization, choices: list[tuple[Item, RefTribe]],
                     room: dict[RefTribe, float], stage: int) -> None:
    """Each team takes the parts that chose it, in the order given, while the effort it took
    before a part is below its room (the last one taken may overrun it)."""
    taken: dict[RefTribe, float] = {}
    for item, tribe in choices:
        if taken.get(tribe, 0.0) < room[tribe]:
            taken[tribe] = taken.get(tribe, 0.0) + item.remaining
            del m.backlog[item.uid]
            tribe.board.put(item, stage, m.clock, tribe)


def admit(m: ReferenceOrganization, routed: list[tuple[Item, RefTribe]]) -> None:
    """Parts a constellation routed to one of its tribes enter that tribe's board as far as
    the work policy admits work, the oldest hand-offs first: under pull into ready, within
    its free ready slots; under push into doing, within its room. The rest wait in the
    backlog."""
    routed = sorted(routed, key=lambda pair: (pair[0].handoff_since, pair[0].uid))
    if m.cfg.work == "pull":
        free = {tribe: tribe.free_ready_slots() for _, tribe in routed}
        for item, tribe in routed:
            if free[tribe] > 0:
                free[tribe] -= 1
                del m.backlog[item.uid]
                tribe.board.put(item, READY, m.clock, tribe)
    else:
        room = {tribe: tribe.push_room() for _, tribe in routed}
        take_within_room(m, routed, room, DOING)

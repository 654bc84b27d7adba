"""Conflict between tribes, tribe pair by tribe pair (ODD §3.9): over an item two tribes claim at
a pull intake, over a member who switches from one tribe to another, and over overlapping
purposes; the intertribe policies market, escalation, negotiation and separation; and what each
conflict costs both tribes (governance overhead, weaker ties between their members).

A contest becomes a conflict with probability `rivalry` (0: none, and no draw is taken).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reference.vectors import unit_vector

if TYPE_CHECKING:
    from reference.kanban import Item
    from reference.organization import ReferenceOrganization
    from reference.tribe import RefTribe

# policy -> (effort factor, ties factor): what a conflict costs, as multiples of
# `intertribe_effort` and `intertribe_ties` (ODD §3.9's table)
COSTS: dict[str, tuple[float, float]] = {
    "market": (0.0, 1.0),
    "escalation": (1.0, 0.0),
    "negotiation": (1.0, 0.0),
    "separation": (0.0, 1.0),
}

# policy -> (share the smaller-or-first tribe yields, share the other yields) of overlapping
# purposes; under escalation the smaller tribe (the first on equal size) yields all
YIELDS: dict[str, tuple[float, float]] = {
    "market": (0.0, 0.0),
    "escalation": (1.0, 0.0),
    "negotiation": (0.5, 0.5),
    "separation": (1.0, 1.0),
}


def award_item(m: ReferenceOrganization, item: Item,
               claims: list[tuple[float, RefTribe]]) -> RefTribe:
    """The tribe that gets `item`, given its pull claims (score, tribe) in slot order: the
    best score (the earliest claim on ties); if another tribe claimed it too, the contest with
    the best of those becomes a conflict with probability `rivalry`, which the policy decides:
    the better pull score (market, negotiation), the better skill match needs_j . S_t
    (escalation), the closer purpose purpose_j . pi_t (separation); the first on ties."""
    first_score, first = claims[0]
    for score, tribe in claims[1:]:
        if score > first_score:
            first_score, first = score, tribe
    rivals = [(score, tribe) for score, tribe in claims if tribe is not first]
    if m.cfg.rivalry == 0 or not rivals:
        return first
    second_score, second = rivals[0]
    for score, tribe in rivals[1:]:
        if score > second_score:
            second_score, second = score, tribe
    if m.rng.random() >= m.cfg.rivalry:
        return first
    policy = m.cfg.intertribe
    if policy == "escalation":  # what management sees: the skill match
        better = float(item.needs @ second.skill_profile) > float(item.needs @ first.skill_profile)
    elif policy == "separation":  # its territory: the closer purpose
        better = float(item.purpose @ second.purpose) > float(item.purpose @ first.purpose)
    else:  # market, negotiation: the better pull score
        better = False
    chosen = second if better else first
    m.note("intertribe_conflict", "item")
    m.pending_conflicts.append((first, second))  # costs the next step
    return chosen


def decide(m: ReferenceOrganization) -> None:
    """Conflicts over the members who switched tribes this step and over overlapping
    purposes; then every conflict's cost, those over items at the last intake included."""
    cfg, rng = m.cfg, m.rng
    conflicts, m.pending_conflicts = m.pending_conflicts, []
    if cfg.rivalry > 0:
        for old, new in m.switched:
            if rng.random() < cfg.rivalry:
                conflicts.append((old, new))
                m.note("intertribe_conflict", "member")
        overlaps = overlapping(m)
        for _ in overlaps:
            m.note("intertribe_conflict", "purpose")
        settle_overlaps(m, overlaps)
        conflicts.extend(overlaps)
    pay(m, conflicts)


def overlapping(m: ReferenceOrganization) -> list[tuple[RefTribe, RefTribe]]:
    """Each living tribe meets one other at random; the pairs whose purposes overlap
    (pi_a . pi_b >= `overlap_threshold`) and who are not in one constellation come into
    conflict with probability `rivalry`."""
    cfg, rng = m.cfg, m.rng
    living = m.living
    if len(living) < 2:
        return []
    met = []
    for position, tribe in enumerate(living):
        pick = int(rng.integers(len(living) - 1))
        met.append((tribe, living[pick + (pick >= position)]))
    pairs = []
    for tribe, other in met:
        overlap = (float(tribe.purpose @ other.purpose) >= cfg.overlap_threshold
                   and (tribe.constellation is None
                        or tribe.constellation is not other.constellation))
        if rng.random() < cfg.rivalry and overlap:
            pairs.append((tribe, other))
    return pairs


def settle_overlaps(m: ReferenceOrganization, pairs: list[tuple[RefTribe, RefTribe]]) -> None:
    """The intertribe policy settles each overlap whose two tribes are in no other (a tribe
    settles one overlap a step): to yield a share lambda is to keep 1 - lambda of one's
    weight on each theme the other weighs more, pi_a <- norm(pi_a (1 - lambda [pi_b > pi_a]))
    (a zero result keeps pi_a), against the other's purpose before either moved; a fixed
    mandate refuses."""
    if m.cfg.purpose == "fixed":
        return
    count: dict[RefTribe, int] = {}
    for a, b in pairs:
        count[a] = count.get(a, 0) + 1
        count[b] = count.get(b, 0) + 1
    share_first, share_other = YIELDS[m.cfg.intertribe]
    for a, b in pairs:
        if count[a] != 1 or count[b] != 1:
            continue
        if m.cfg.intertribe == "escalation" and b.size < a.size:
            a, b = b, a  # the smaller yields (a on equal size)
        old_a, old_b = a.purpose.copy(), b.purpose.copy()
        for tribe, own, other, share in ((a, old_a, old_b, share_first),
                                         (b, old_b, old_a, share_other)):
            if share == 0:
                continue
            kept = np.where(other > own, 1.0 - share, 1.0)
            moved = unit_vector(own * kept)
            if moved.any():
                tribe.purpose = moved


def pay(m: ReferenceOrganization, conflicts: list[tuple[RefTribe, RefTribe]]) -> None:
    """Each conflict between two tribes that both still exist costs each of them
    `intertribe_effort` x the policy's effort factor as overhead in this step's work, and
    every tie between their members (either direction) loses the share `intertribe_ties` x the
    policy's ties factor (once per pair of tribes and step)."""
    cfg = m.cfg
    effort_factor, ties_factor = COSTS[cfg.intertribe]
    pairs = set()
    for a, b in conflicts:
        if not (a.alive and b.alive):
            continue
        a.overhead += cfg.intertribe_effort * effort_factor
        b.overhead += cfg.intertribe_effort * effort_factor
        pairs.add((a, b))
        pairs.add((b, a))
    loss = cfg.intertribe_ties * ties_factor
    if loss == 0 or not pairs:
        return
    involved = {tribe for pair in pairs for tribe in pair}
    for tribe in involved:
        for person in tribe.members:
            for slot, other in enumerate(person.tie_to):
                if other is not None and other.tribe is not None and (tribe, other.tribe) in pairs:
                    person.tie_w[slot] *= 1.0 - loss

"""The tribe life cycle, tribe by tribe: dissolve, split, merge (ODD §3.6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference.vectors import unit_vector

if TYPE_CHECKING:
    from reference.organization import ReferenceOrganization
    from reference.tribe import RefTribe


def dissolve(m: ReferenceOrganization) -> None:
    """End empty tribes, and tribes below `min_tribe_size` once past their grace period."""
    cfg = m.cfg
    doomed = [t for t in m.living
              if t.size == 0
              or (t.size < cfg.min_tribe_size and m.clock - t.founded >= cfg.grace_period)]
    for tribe in doomed:
        m.note("dissolved", "too small")
        m.end_tribe(tribe, "dissolved")


def split(m: ReferenceOrganization) -> None:
    """Split tribes above `max_tribe_size`, or (self-organizing membership) divided beyond
    `split_division` with room for two tribes of minimum size. The least aligned member
    seeds the new tribe's purpose with their passion; a divided tribe loses those who prefer
    the new purpose, an oversized one the half that prefers it most."""
    cfg = m.cfg
    self_organizing = cfg.membership in ("voluntary", "hybrid")
    splitting = [t for t in m.living
                 if t.size > cfg.max_tribe_size
                 or (self_organizing and t.division > cfg.split_division
                     and t.size >= 2 * cfg.min_tribe_size)]
    for old in splitting:
        members = sorted(old.members, key=lambda p: p.row)
        oversized = len(members) > cfg.max_tribe_size
        seed = min(members, key=lambda p: (p.alignment, p.row))
        new = m.create_tribe(seed.passion, "split", parent=old)
        preference = {p: float(p.passion @ new.purpose) - float(p.passion @ old.purpose)
                      for p in members}
        if oversized:
            ranked = sorted(members, key=lambda p: -preference[p])  # stable: by row on ties
            goers = set(ranked[: len(members) // 2])
        else:
            goers = {p for p in members if preference[p] > 0}
        goers.add(seed)
        for p in members:
            if p in goers:
                m.move(p, new, "split")
        m.note("split", "too large or divided")


def merge(m: ReferenceOrganization) -> None:
    """Each tribe, with probability `merge_check_rate`, compares itself with one other random
    living tribe; converged pairs that fit in `max_tribe_size` merge, the smaller into the
    larger. A tribe found in more than one such pair merges with none this step."""
    cfg, rng = m.cfg, m.rng
    living = list(m.living)
    if len(living) < 2:
        return
    pairs: set[tuple[RefTribe, RefTribe]] = set()
    for position, tribe in enumerate(living):
        if rng.random() >= cfg.merge_check_rate:
            continue
        other = living[(position + int(rng.integers(1, len(living)))) % len(living)]
        if (float(tribe.purpose @ other.purpose) >= cfg.merge_similarity
                and tribe.size + other.size <= cfg.max_tribe_size):
            a, b = sorted((tribe, other), key=lambda t: t.tribe_id)
            pairs.add((a, b))
    involved: dict[RefTribe, int] = {}
    for a, b in pairs:
        involved[a] = involved.get(a, 0) + 1
        involved[b] = involved.get(b, 0) + 1
    for a, b in sorted(pairs, key=lambda pair: (pair[0].tribe_id, pair[1].tribe_id)):
        if involved[a] == 1 and involved[b] == 1:
            keeper, absorbed = (a, b) if a.size >= b.size else (b, a)  # a has the lower id
            join(m, keeper, absorbed)


def join(m: ReferenceOrganization, keeper: RefTribe, absorbed: RefTribe) -> None:
    """`absorbed` joins `keeper`: purposes blend by size (unless fixed), members and board
    items move over, and under WIP limits the newest items beyond a limit go back."""
    if m.cfg.purpose != "fixed":
        keeper.purpose = unit_vector(keeper.size * keeper.purpose
                                     + absorbed.size * absorbed.purpose)
    for p in list(absorbed.members):
        m.move(p, keeper, "merged")
    for item in absorbed.board.items():
        absorbed.board.take(item)
        keeper.board.columns[item.stage].append(item)  # keeps its place in time (`since`)
        item.tribe = keeper
    limits = m.wip_limits()
    if limits is not None:
        for stage, limit in limits.items():
            for item in keeper.board.oldest_first(stage)[limit:]:
                keeper.board.take(item)
                m.to_backlog(item)
    m.note("merged", "converged purposes")
    m.end_tribe(absorbed, "merged")

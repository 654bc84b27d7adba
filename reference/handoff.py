"""What a hand-off between two tribes costs (ODD §3.9, work across tribes): their distance in
purpose and skill."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reference.tribe import RefTribe


def distance(upstream: RefTribe | None, downstream: RefTribe) -> float:
    """d_ab = 1 - (pi_a . pi_b + cos(S_a, S_b)) / 2, in [0, 1]; 1 when the upstream tribe has
    ended (nobody is left to explain the part)."""
    if upstream is None or not upstream.alive:
        return 1.0
    purpose = float(upstream.purpose @ downstream.purpose)
    a, b = upstream.skill_profile, downstream.skill_profile
    norms = math.sqrt(float(a @ a)) * math.sqrt(float(b @ b))
    skill = float(a @ b) / norms if norms > 0 else 0.0
    near = min(max((purpose + skill) / 2.0, 0.0), 1.0)
    return 1.0 - near

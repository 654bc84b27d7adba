"""Orient: engagement follows fit, commitment follows engagement, skills grow in communities of
practice and by doing the tribe's work, and members' passions drift toward the purpose.

For active people, in this order:

    e <- e + eta_e (F - e)
    c <- c + eta_c (e - c)                      (with the new e)
    s_k <- min(1, s_k + eta_p e max(X_k - s_k, 0) [in community k] + eta_d e delta_tk (1 - s_k))
    p <- norm(p + rho (pi_t - p))               (members only)

with X_k = sum s_k^2 / sum s_k over the community of practice of domain k.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param
from numerics import kernels

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class OrientParams(Params):
    """How engagement, skills and passions change."""

    group = "orient"

    engagement_rate: float = param(0.1, "rate at which engagement moves toward fit", 0, 1)
    commitment_rate: float = param(0.03, "rate at which commitment follows engagement", 0, 1)
    practice_learning: float = param(0.02, "rate of learning from stronger peers in a "
                                     "community of practice", 0, 1)
    doing_learning: float = param(0.01, "rate of learning by doing the tribe's work", 0, 1)
    practice_threshold: float = param(0.3, "skill that makes a person a member of a community "
                                      "of practice", 0, 1)
    interest_threshold: float = param(0.4, "passion weight that makes a person a member of a "
                                      "community of interest", 0, 1)
    passion_drift: float = param(0.003, "rate at which members' passions drift to the tribe "
                                 "purpose", 0, 1)


def orient(s: State, rules: Rules) -> None:
    """Engagement follows fit, commitment follows engagement; skills grow; passions drift."""
    p, tribes, cfg = s.people, s.tribes, s.cfg
    n = p.n
    active = p.active[:n]
    engagement = p.engagement[:n]
    engagement += cfg.engagement_rate * active * (p.fit[:n] - engagement)
    p.commitment[:n] += cfg.commitment_rate * active * (engagement - p.commitment[:n])
    p.top_skill[:n] = kernels.learn(
        p.skill[:n], p.active[:n], engagement, p.tribe[:n], tribes.demand,
        cfg.practice_threshold, cfg.practice_learning, cfg.doing_learning)
    members = np.flatnonzero(p.tribe[:n] >= 0)
    if len(members) and cfg.passion_drift > 0:
        kernels.drift(p.passion, members, tribes.purpose, p.tribe, cfg.passion_drift)

"""Orient: engagement follows fit, commitment follows engagement, skills grow in communities of
practice and by doing the tribe's work and erode when unused and as the market turns, and (if
chosen) members' passions drift toward the purpose.

For active people, in this order:

    e <- e + eta_e (F - e)
    c <- c + eta_c (e - c)                      (with the new e)
    s_k <- clip(s_k + eta_p e max(X_k - s_k, 0) [in community k] + eta_d e delta_tk (1 - s_k)
                - s_k (omega tau + phi (1 - u_k)), 0, 1)
    p <- norm(p + rho (pi_t - p) + rho_0 (p0 - p))   (members only, if rho > 0)

with X_k = sum s_k^2 / sum s_k over the community of practice of domain k; u_k = min(K delta_tk, 1)
the use of domain k by the person's tribe's work (0 in no tribe); phi = `skill_forgetting`
(disuse: skills decay when not used, Arthur et al. 1998); omega tau = `skill_obsolescence`
times the market's `turbulence` (knowledge loses value as the market turns: the half-life of
professional knowledge, Dubin 1972; at the defaults omega tau = 0.005 a step, a half-life of
about 140 steps); p0 the person's passion at hire.

Passion drift is off by default (`passion_drift` = 0): adults' values and interests are stable
over years (Schwartz 1992; Bardi et al. 2014), and with drift on, alignment would grow by
indoctrination rather than by people sorting themselves into tribes they care about. When it is
on, `passion_anchor` pulls passions back toward the original ones, so drift is bounded: the
passion settles between p0 and the purpose, at weight rho / (rho + rho_0) toward the purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param
from model.rules import passion
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
    doing_learning: float = param(0.08, "rate of learning by doing the tribe's work", 0, 1)
    practice_threshold: float = param(0.3, "skill that makes a person a member of a community "
                                      "of practice", 0, 1)
    interest_threshold: float = param(0.4, "passion weight that makes a person a member of a "
                                      "community of interest", 0, 1)
    passion_drift: float = param(0.0, "rate at which members' passions drift to the tribe "
                                 "purpose (0: passions do not drift)", 0, 1)
    passion_anchor: float = param(0.01, "rate at which drifting passions are pulled back to the "
                                  "passion at hire", 0, 1)
    skill_forgetting: float = param(0.01, "share of an unused skill lost per step", 0, 1)
    skill_obsolescence: float = param(0.1, "share of every skill lost per step per unit of "
                                      "market turbulence", 0, 10)


def blended(s: State, per_tribe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For people who may belong to several tribes: each person's effort-share-weighted mean of
    a per-tribe quantity (demand, purpose), as rows indexed by the returned per-person index
    (-1 for people in no tribe), so that the kernels read a person's tribes as one."""
    p = s.people
    n = p.n
    flat, person, tribe = p.pairs()
    shares = p.effort_shares(flat, person, s.cfg.effort_split == "fit")
    assert shares is not None
    rows = np.zeros((n, per_tribe.shape[1]), dtype=np.float32)
    np.add.at(rows, person, shares[:, None] * per_tribe[tribe])
    index = np.where(p.tribe[:n] >= 0, np.arange(n, dtype=np.int32), -1).astype(np.int32)
    return index, rows


def orient(s: State, rules: Rules) -> None:
    """Engagement follows fit, commitment follows engagement; skills grow; passions drift.
    A person in several tribes learns by doing, and drifts toward, their tribes' demands and
    purposes weighted by the effort they give each."""
    p, tribes, cfg = s.people, s.tribes, s.cfg
    n = p.n
    active = p.active[:n]
    engagement = p.engagement[:n]
    engagement += cfg.engagement_rate * active * (p.fit[:n] - engagement)
    p.commitment[:n] += cfg.commitment_rate * active * (engagement - p.commitment[:n])
    tribe, demand = p.tribe[:n], tribes.demand
    if p.width > 1:
        tribe, demand = blended(s, tribes.demand)
    p.top_skill[:n] = kernels.learn(
        p.skill[:n], p.active[:n], engagement, tribe, demand,
        cfg.practice_threshold, cfg.practice_learning, cfg.doing_learning,
        cfg.skill_forgetting, min(cfg.skill_obsolescence * cfg.turbulence, 1.0))
    members = np.flatnonzero(p.tribe[:n] >= 0)
    if len(members) and cfg.passion_drift > 0:
        tribe, purpose = p.tribe, tribes.purpose
        if p.width > 1:
            tribe, purpose = blended(s, tribes.purpose)
        kernels.drift(p.passion, members, purpose, tribe, cfg.passion_drift,
                      passion.anchor(s, rules), cfg.passion_anchor)

"""Observe: what people and tribes perceive at the start of a step, and the fit function that
people use to judge their own tribe and the tribes they hear of.

Fit of person i in tribe t:

    F = clip((w_a a + w_s u + w_b b + w_l q_t) / (w_a + w_s + w_b + w_l)
             - w_o min(o_t, 1) - w_c c_t, 0, 1)

with alignment a = p_i . pi_t, skill use u = s_i . delta_t, belonging
b = 1 - exp(-W / belonging_scale) (W: i's tie weight into t), leader quality q_t, overload o_t
of the tribe and c_t = 1 if its conflict stayed unresolved (relationship conflict lowers
satisfaction and performance: Jehn 1995; De Dreu and Weingart 2003). A person in no tribe has
fit `unaffiliated_fit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.kanban import DOING, READY
from model.parameters import Params, param
from model.rules import passion
from numerics import kernels

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class FitParams(Params):
    """How people weigh what they perceive of a tribe."""

    group = "fit"

    w_alignment: float = param(0.35, "weight of purpose alignment in fit", 0, 1)
    w_skill: float = param(0.2, "weight of skill use in fit", 0, 1)
    w_belonging: float = param(0.25, "weight of belonging in fit", 0, 1)
    w_leader: float = param(0.2, "weight of leader quality in fit", 0, 1)
    w_workload: float = param(0.15, "penalty per unit of overload", 0, 1)
    w_conflict: float = param(0.1, "penalty for a tribe whose conflict stayed unresolved", 0,
                              1)
    belonging_scale: float = param(1.0, "tie weight inside the tribe that gives belonging "
                                   "1-1/e", 1e-6, 1e6)
    load_horizon: float = param(10.0, "steps of open work at current capacity a tribe carries "
                                "without overload", 1e-6, 1e6)
    unaffiliated_fit: float = param(0.3, "fit of a person with no tribe", 0, 1)


def fit_in(s: State, rules: Rules, persons: np.ndarray, tribe_ids: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How well each person would fit in the given tribe (their own or a candidate).

    Returns:
        (fit, alignment, skill_use, belonging), one value per person.
    """
    cfg, tribes = s.cfg, s.tribes
    alignment, skill_use, tie_weight = s.people.fit_terms(persons, tribe_ids, tribes)
    belonging = 1.0 - np.exp(-tie_weight / cfg.belonging_scale, dtype=np.float32)
    total = cfg.w_alignment + cfg.w_skill + cfg.w_belonging + cfg.w_leader
    intensity = passion.intensity(s, rules, persons)
    if intensity is None:
        fit = (cfg.w_alignment * alignment + cfg.w_skill * skill_use
               + cfg.w_belonging * belonging
               + cfg.w_leader * tribes.leader_quality[tribe_ids]) / total
    else:  # alignment counts as much as the person cares (model.rules.passion)
        weight = np.float32(cfg.w_alignment) * intensity
        fit = (weight * alignment + cfg.w_skill * skill_use + cfg.w_belonging * belonging
               + cfg.w_leader * tribes.leader_quality[tribe_ids]) / (
                   weight + np.float32(total - cfg.w_alignment))
    fit -= cfg.w_workload * np.minimum(tribes.overload[tribe_ids], 1.0)
    fit -= cfg.w_conflict * rules.conflict.unresolved(tribe_ids)
    return np.clip(fit, 0.0, 1.0), alignment, skill_use, belonging


def founder_fit(s: State, rules: Rules, persons: np.ndarray, cofound_alignment: float
                ) -> np.ndarray:
    """The fit each person expects in a tribe they would found: the fit function with
    alignment 1 (a purpose made of their passion), skill use s_i . s_i / sum s_i (work made for
    their skills), belonging from their ties to like-minded colleagues (passion alignment at
    least `cofound_alignment`, who would co-found), their own quality as its leader, and no
    overload."""
    cfg, p = s.cfg, s.people
    skill = p.skill[persons]
    skill_use = (skill * skill).sum(axis=1) / np.maximum(skill.sum(axis=1), 1e-12)
    targets = p.tie_to[persons]
    known = targets >= 0
    like = np.einsum("ik,ijk->ij", p.passion[persons], p.passion[np.maximum(targets, 0)])
    weight = np.where(known & (like >= cofound_alignment) & p.active[np.maximum(targets, 0)],
                      p.tie_w[persons], 0.0).sum(axis=1)
    belonging = 1.0 - np.exp(-weight / cfg.belonging_scale)
    total: float | np.ndarray = cfg.w_alignment + cfg.w_skill + cfg.w_belonging + cfg.w_leader
    own: float | np.ndarray = cfg.w_alignment
    intensity = passion.intensity(s, rules, persons)
    if intensity is not None:  # alignment counts as much as the person cares
        own = cfg.w_alignment * intensity
        total = own + (total - cfg.w_alignment)
    fit = (own + cfg.w_skill * skill_use + cfg.w_belonging * belonging
           + cfg.w_leader * rules.leadership.founder_quality(s, rules, persons)) / total
    clipped: np.ndarray = np.clip(fit, 0.0, 1.0)
    return clipped


def observe(s: State, rules: Rules) -> None:
    """Tribes perceive their skill profile and load; each person perceives their fit in each of
    their tribes (and a person in several, their effort-weighted fit); tribes perceive their
    division; the membership index is rebuilt."""
    p, tribes, items, cfg = s.people, s.tribes, s.board.items, s.cfg
    open_effort = kernels.effort_by_tribe(items.stage[: items.n], items.tribe[: items.n],
                                          items.remaining[: items.n], READY, DOING, False,
                                          tribes.n)
    flat, members, tribe = p.pairs()
    shares = p.effort_shares(flat, members, cfg.effort_split == "fit")
    tribes.perceive(p, open_effort, cfg.load_horizon, shares)
    # people who left keep what they last perceived: their state stops when they leave
    loose = np.flatnonzero(p.active[: p.n] & (p.tribe[: p.n] < 0))
    p.fit[loose] = cfg.unaffiliated_fit
    p.alignment[loose] = 0.0
    p.skill_use[loose] = 0.0
    p.belonging[loose] = 0.0
    fit, alignment, skill_use, belonging = fit_in(s, rules, members, tribe)
    if shares is None:
        p.fit[members] = fit
        p.alignment[members] = alignment
        p.skill_use[members] = skill_use
        p.belonging[members] = belonging
        p.fit_m[members, 0] = fit
    else:
        p.flat("fit_m")[flat] = fit
        p.flat("alignment_m")[flat] = alignment
        p.flat("skill_use_m")[flat] = skill_use
        p.flat("belonging_m")[flat] = belonging
        # effort shares by fit follow this step's fits
        shares = p.effort_shares(flat, members, cfg.effort_split == "fit")
        assert shares is not None
        weighted = np.bincount(members, weights=fit * shares, minlength=p.n)
        p.fit[np.unique(members)] = weighted[np.unique(members)]
    tribes.assess_division(p)
    s.index_members()

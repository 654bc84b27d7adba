"""RefPerson: one person as a plain Mesa agent, with the person rules of ODD §3.1-3.8 written
for one agent at a time.

Covers: hiring draws (passion, skills, initiative; §3.1), ties (§3.1, §3.8), perceiving fit in
one's own or a candidate tribe, and in a tribe of one's own (§3.2, §3.4), orientation
(engagement, commitment, learning, forgetting and obsolescence, anchored passion drift; §3.3),
the voluntary membership choice and like-minded co-founders (§3.4), leaving the organization by
attrition or by quitting (§3.4), endorsing a leader and leader quality (§3.5), and one's own
work: contribution, reputation and working together (§3.8).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from reference.vectors import draw_index, logistic, unit_vector

# the competences those who lead develop (initiative, the fifth, is a disposition)
LEARNABLE = ("insight", "orientation", "harmony", "agility")

if TYPE_CHECKING:
    from reference.organization import ReferenceOrganization
    from reference.tribe import RefTribe


class RefPerson(mesa.Agent):
    """One person who works (or worked) in the organization.

    Attributes:
        row: hiring order (0, 1, ...); the lower row wins ties, as in the vectorized model.
        passion: weights over themes (unit length, non-negative).
        passion_origin: the passion at hire (passions drift away from it, if at all).
        skill: level in [0, 1] per practice domain.
        tribe: the tribe the person belongs to, or None.
        tie_to, tie_w: `tie_slots` slots of (colleague or None, weight).
        alignment, skill_use, belonging, fit: what the person perceived this step.
    """

    model: ReferenceOrganization

    def __init__(self, model: ReferenceOrganization, row: int, unit: int) -> None:
        super().__init__(model)
        cfg, rng = model.cfg, model.rng
        self.row = row
        self.passion = unit_vector(rng.gamma(cfg.passion_concentration, 1.0, size=cfg.themes))
        self.passion_origin = self.passion.copy()
        skill = rng.beta(1.5, 6.0, size=cfg.domains)
        main = int(rng.integers(cfg.domains))
        skill[main] = rng.beta(8 * cfg.skill_level + 0.5, 8 * (1 - cfg.skill_level) + 0.5)
        self.skill = skill
        self.top_skill = float(skill.max())
        self.initiative = float(rng.beta(2.0, 5.0))
        self.engagement = 0.5
        self.commitment = 0.5
        self.reputation = 0.0
        self.endorses: RefPerson | None = None
        self.recognition = 0
        self.contribution = 0.0
        self.contribution_total = 0.0
        self.tribe: RefTribe | None = None
        self.unit = unit
        self.hired = model.clock
        self.joined = model.clock
        self.active = True
        self.exit_step = -1
        self.exit_reason = ""
        self.tie_to: list[RefPerson | None] = [None] * cfg.tie_slots
        self.tie_w: list[float] = [0.0] * cfg.tie_slots
        self.alignment = 0.0
        self.skill_use = 0.0
        self.belonging = 0.0
        self.fit = cfg.unaffiliated_fit
        # the people side (ODD §3.14), drawn from the model's second stream so that these
        # draws change no other
        side = model.side
        self.opportunism = (float(side.beta(2.0, 2.0)) if cfg.opportunist_share > 0
                            and side.random() < cfg.opportunist_share else 0.0)
        self.load = 0.0  # share of the next work's effort reviews and sanctions took
        self.caught = 0
        self.sanctioned = 0
        self.intensity = draw_intensity(model)
        self.anchor = self.passion.copy()  # one's own passion: drift pulls back to it
        self.insight, self.orientation, self.harmony, self.agility = (
            float(side.beta(2.0, 5.0)) for _ in LEARNABLE)
        self.neglect = 0.0  # share of this step's effort withheld (response)
        self.voice = 0.0  # voiced discontent this step (response voice)
        self.work_effort = 0.0  # effort given to the tribe's items at this step's work
        self.withheld = 0.0  # effort an opportunist kept for themselves at this step's work

    # ------------------------------------------------------------------ ties
    def add_tie(self, other: RefPerson | None, weight: float = 0.3) -> None:
        """Tie to `other` in the weakest slot, unless there is nobody, it is oneself, or the tie
        exists already."""
        if other is None or other is self or other in self.tie_to:
            return
        slot = self.tie_w.index(min(self.tie_w))
        self.tie_to[slot] = other
        self.tie_w[slot] = weight

    def work_with(self, peer: RefPerson, growth: float | None = None) -> None:
        """Working with (or meeting) `peer` grows my tie to them by `growth` toward 1
        (`tie_growth` if not given); a new tie replaces my weakest one only if that one is
        weaker than a fresh tie."""
        if growth is None:
            growth = self.model.cfg.tie_growth
        if growth == 0:
            return
        if peer in self.tie_to:
            slot = self.tie_to.index(peer)
            self.tie_w[slot] += growth * (1.0 - self.tie_w[slot])
            return
        slot = self.tie_w.index(min(self.tie_w))
        if self.tie_w[slot] < growth:
            self.tie_to[slot] = peer
            self.tie_w[slot] = growth

    # ------------------------------------------------------------------ observe
    def fit_in(self, tribe: RefTribe) -> tuple[float, float, float, float]:
        """(fit, alignment, skill use, belonging) I would have in `tribe` (ODD §3.2)."""
        cfg = self.model.cfg
        alignment = float(self.passion @ tribe.purpose)
        skill_use = float(self.skill @ tribe.demand)
        inside = sum(w for other, w in zip(self.tie_to, self.tie_w, strict=True)
                     if other is not None and other.tribe is tribe)
        belonging = 1.0 - math.exp(-inside / cfg.belonging_scale)
        # alignment weighs as much as I care (intensity of passion, ODD §3.14.3)
        weight = cfg.w_alignment * self.intensity
        total = weight + cfg.w_skill + cfg.w_belonging + cfg.w_leader
        fit = (weight * alignment + cfg.w_skill * skill_use
               + cfg.w_belonging * belonging + cfg.w_leader * tribe.leader_quality) / total
        fit -= cfg.w_workload * min(tribe.overload, 1.0)
        if tribe.unresolved:
            fit -= cfg.w_conflict
        return min(max(fit, 0.0), 1.0), alignment, skill_use, belonging

    def founder_fit(self) -> float:
        """The fit I expect in a tribe I would found (ODD §3.4): its purpose is my passion
        (alignment 1), its work is made for my skills, I belong through my ties to colleagues
        like-minded enough to co-found, I would lead it, and it has no backlog yet."""
        cfg = self.model.cfg
        skill_use = float(self.skill @ self.skill) / max(float(self.skill.sum()), 1e-12)
        crew_ties = sum(w for other, w in zip(self.tie_to, self.tie_w, strict=True)
                        if other is not None and other.active
                        and float(self.passion @ other.passion) >= cfg.cofound_alignment)
        belonging = 1.0 - math.exp(-crew_ties / cfg.belonging_scale)
        reputation = self.reputation
        as_leader = self.weigh(reputation / (reputation + self.model.reputation_ref))
        weight = cfg.w_alignment * self.intensity
        total = weight + cfg.w_skill + cfg.w_belonging + cfg.w_leader
        fit = (weight + cfg.w_skill * skill_use + cfg.w_belonging * belonging
               + cfg.w_leader * as_leader) / total
        return min(max(fit, 0.0), 1.0)

    def observe(self) -> None:
        """Perceive my fit in my tribe (or the fit of having none)."""
        if self.tribe is None:
            self.fit = self.model.cfg.unaffiliated_fit
            self.alignment = self.skill_use = self.belonging = 0.0
        else:
            self.fit, self.alignment, self.skill_use, self.belonging = self.fit_in(self.tribe)

    # ------------------------------------------------------------------ orient
    def orient(self, expert: np.ndarray) -> None:
        """Engagement follows fit, commitment follows engagement; I learn from stronger peers in
        my communities of practice (`expert`: their levels) and from my tribe's work, lose what
        my tribe's work does not use and what the market's turn makes obsolete; if passions
        drift, mine moves toward my tribe's purpose and back toward my passion at hire
        (ODD §3.3)."""
        cfg = self.model.cfg
        self.engagement += cfg.engagement_rate * (self.fit - self.engagement)
        self.commitment += cfg.commitment_rate * (self.engagement - self.commitment)
        e, tribe, skill = self.engagement, self.tribe, self.skill
        practising = skill >= cfg.practice_threshold
        gain = cfg.practice_learning * e * np.where(practising, np.maximum(expert - skill, 0), 0)
        use = 0.0  # how much my tribe's work uses each domain
        if tribe is not None:
            gain += cfg.doing_learning * e * tribe.demand * (1.0 - skill)
            use = np.minimum(len(skill) * tribe.demand, 1.0)
        loss = skill * (cfg.skill_obsolescence * cfg.turbulence
                        + cfg.skill_forgetting * (1.0 - use))
        self.skill = np.clip(skill + gain - loss, 0.0, 1.0)
        self.top_skill = float(self.skill.max())
        if tribe is not None and cfg.passion_drift > 0:
            self.passion = unit_vector(
                self.passion + cfg.passion_drift * (tribe.purpose - self.passion)
                + cfg.passion_anchor * (self.anchor - self.passion))

    def discover(self) -> None:
        """Discovering (ODD §3.14.3): my own passion and my passion take the same random step,
        p <- norm(max(p + s eps, 0)) (a step that would leave nothing keeps the passion); with
        probability `life_pivot_rate` I pivot in life: both and my intensity drawn afresh."""
        cfg, side = self.model.cfg, self.model.side
        if cfg.discovery_rate > 0:
            step = cfg.discovery_rate * side.standard_normal(cfg.themes)
            for name in ("anchor", "passion"):
                moved = np.maximum(getattr(self, name) + step, 0.0)
                if moved.any():
                    setattr(self, name, unit_vector(moved))
        if side.random() < cfg.life_pivot_rate:
            fresh = unit_vector(side.gamma(cfg.passion_concentration, 1.0, size=cfg.themes))
            self.anchor = fresh
            self.passion = fresh.copy()
            self.intensity = draw_intensity(self.model)
            self.model.note("life_pivot", "life")
        if self.tribe is not None:  # what I perceive of my tribe's purpose follows at once
            self.alignment = float(self.passion @ self.tribe.purpose)

    # ------------------------------------------------------------------ decide
    def choose_membership(self, bulletin: dict[int, list[RefTribe]], approval: float,
                          within_unit_free: bool = False) -> tuple[str, RefTribe | None] | None:
        """Maybe reconsider my membership (ODD §3.4, voluntary): compare my fit with a tribe I
        hear of through a shared interest and one I hear of through a tie.

        Args:
            bulletin: living tribes by the theme their purpose weighs most.
            approval: probability management lets me act.
            within_unit_free: a switch into a tribe led from my formal unit needs no approval.

        Returns:
            ("switch", tribe), ("found", None), ("leave", None), or None to stay put.
        """
        cfg, rng = self.model.cfg, self.model.rng
        if rng.random() >= cfg.consider_rate:
            return None
        best_tribe, best_fit = None, -math.inf
        for candidate in (self.hear_of_tribe(bulletin), self.tribe_of_a_tie()):
            if candidate is None or candidate is self.tribe:
                continue
            fit = self.fit_in(candidate)[0]
            if fit > best_fit:
                best_tribe, best_fit = candidate, fit
        approved = rng.random() < approval
        if best_tribe is not None and best_fit > self.fit + cfg.switch_threshold:
            leader = best_tribe.leader
            if approved or (within_unit_free and leader is not None
                            and leader.unit == self.unit):
                return "switch", best_tribe
        if not approved:
            return None
        if (self.founder_fit() > max(self.fit, best_fit) + cfg.switch_threshold
                and rng.random() < cfg.found_rate * self.initiative):
            return "found", None
        if self.tribe is not None and self.fit < cfg.leave_threshold:
            return "leave", None
        return None

    def hear_of_tribe(self, bulletin: dict[int, list[RefTribe]]) -> RefTribe | None:
        """A random tribe about one of my interests, the interest drawn in proportion to my
        passion (among all themes if I have no interest above `interest_threshold`)."""
        cfg, rng = self.model.cfg, self.model.rng
        weights = np.where(self.passion >= cfg.interest_threshold, self.passion, 0.0)
        if not weights.any():
            weights = self.passion
        tribes = bulletin.get(draw_index(rng, weights), [])
        return tribes[int(rng.random() * len(tribes))] if tribes else None

    def tribe_of_a_tie(self) -> RefTribe | None:
        """The tribe of the colleague in one random tie slot (None if empty or unaffiliated)."""
        slot = int(self.model.rng.integers(len(self.tie_to)))
        other = self.tie_to[slot]
        return other.tribe if other is not None and self.tie_w[slot] > 0 else None

    def like_minded(self) -> list[RefPerson]:
        """Active ties whose passion is close enough to mine to co-found with me, and closer to
        mine than to their own tribe's purpose."""
        threshold = self.model.cfg.cofound_alignment
        crew = []
        for other, w in zip(self.tie_to, self.tie_w, strict=True):
            if other is None or w <= 0 or not other.active:
                continue
            shared = float(self.passion @ other.passion)
            if shared >= threshold and shared > other.alignment:
                crew.append(other)
        return crew

    def exit_cause(self, u: float) -> str | None:
        """Why I leave the organization this step, given my uniform draw `u` (ODD §3.4):
        "attrition" (the base hazard), "voluntary" (I quit: a logit choice between the value of
        staying, my fit and commitment, and my outside option, better the more skilled I am),
        or None (I stay)."""
        cfg = self.model.cfg
        if u < cfg.exit_base:
            return "attrition"
        quit_chance = cfg.quit_rate * self.viability()
        if u < cfg.exit_base + (1.0 - cfg.exit_base) * quit_chance:
            return "voluntary"
        return None

    def viability(self) -> float:
        """How viable leaving is for me, x = logistic((O_i - V_i) / quit_noise): V_i = (fit +
        commitment) / 2, O_i = O kappa (0.5 + 0.5 top skill), kappa the outside options'
        factor of a collapse or boom (ODD §3.4, §3.14.5)."""
        cfg = self.model.cfg
        staying = (self.fit + self.commitment) / 2
        outside = cfg.outside_option * self.model.outside * (0.5 + 0.5 * self.top_skill)
        return logistic((outside - staying) / cfg.quit_noise)

    def respond(self) -> None:
        """What I do with dissatisfaction leaving cannot relieve, t = max(c - F, 0) (1 - x), as
        the response policy says (ODD §3.14.5): neglect withholds min(lambda t, 1) of my
        effort; voice speaks c t and withholds min(lambda (1 - c) t, 1)."""
        cfg = self.model.cfg
        trapped = max(self.commitment - self.fit, 0.0) * (1.0 - self.viability())
        if cfg.response == "neglect":
            self.voice = 0.0
            self.neglect = min(cfg.neglect_strength * trapped, 1.0)
        elif cfg.response == "voice":
            self.voice = self.commitment * trapped
            self.neglect = min(cfg.neglect_strength * (1.0 - self.commitment) * trapped, 1.0)
        else:
            self.voice = self.neglect = 0.0

    # ------------------------------------------------------------------ leadership
    @property
    def competence(self) -> float:
        """C_i: the mean of my five competences (ODD §3.14.4)."""
        return (self.insight + self.orientation + self.harmony + self.agility
                + self.initiative) / 5

    def weigh(self, standing: float) -> float:
        """(1 - w) S + w C: standing weighed with my competence (w = competence_weight)."""
        w = self.model.cfg.competence_weight
        return standing if w == 0 else (1.0 - w) * standing + w * self.competence

    def perceived(self) -> float:
        """The factor a peer who meets me applies to my standing: 1 - w + w clip(C + e, 0, 1),
        e ~ N(0, perception_noise^2) drawn at each meeting."""
        cfg = self.model.cfg
        w = cfg.competence_weight
        seen = min(max(self.competence + self.model.side.normal(0.0, cfg.perception_noise),
                       0.0), 1.0)
        return 1.0 - w + w * seen

    def develop(self, rate: float) -> None:
        """c <- c + rate (1 - c) for each learnable competence."""
        for name in LEARNABLE:
            value = getattr(self, name)
            setattr(self, name, value + rate * (1.0 - value))

    @property
    def standing(self) -> float:
        """How much co-members look up to me: reputation, more if I am aligned."""
        return self.reputation * (0.5 + 0.5 * self.alignment)

    def endorse(self) -> None:
        """Keep backing a co-member, switching to one I meet who stands higher (emergent)."""
        backed = self.endorses
        if backed is not None and backed.tribe is not self.tribe:
            backed = None  # they left: my backing no longer counts
        seen = self.model.cfg.competence_weight > 0  # peers see competence, imperfectly
        best = -math.inf
        if backed is not None:
            best = backed.standing * (backed.perceived() if seen else 1.0)
        for _ in range(self.model.cfg.endorse_sample):
            peer = self.model.sample_comember(self)
            if peer is None:
                continue
            judged = peer.standing * (peer.perceived() if seen else 1.0)
            if judged > best:
                backed, best = peer, judged
        self.endorses = backed

    def quality_as_leader(self, reputation_ref: float) -> float:
        """How good I am at leading my tribe: alignment times relative reputation (standing),
        weighed with competence if it counts (ODD §3.5, §3.14.4)."""
        return self.alignment * self.weigh(self.reputation / (self.reputation + reputation_ref))

    # ------------------------------------------------------------------ act
    def effort(self) -> float:
        """Effort I put into my tribe's work after role and consent overhead."""
        assert self.tribe is not None
        return self.engagement * (1.0 - min(self.tribe.overhead, 1.0))

    def prepare_work(self, training: bool) -> None:
        """The effort I give my tribe's items at this step's work (ODD §3.14): my effort, less
        what last step's reviews and sanctions took (cleared now), training, work outside my
        purpose (1 - g k (1 - a)) and neglect; an opportunist keeps the share w of it."""
        cfg = self.model.cfg
        effort = self.effort()
        effort *= 1.0 - min(self.load, 1.0)
        self.load = 0.0
        if training:
            effort *= 1.0 - cfg.training_cost
        if cfg.meaning_effort > 0:
            effort *= 1.0 - cfg.meaning_effort * self.intensity * (
                1.0 - min(max(self.alignment, 0.0), 1.0))
        effort *= 1.0 - self.neglect
        self.withheld = effort * self.opportunism
        self.work_effort = effort - self.withheld

    def work(self) -> None:
        """Book my share of my tribe's progress (after the tribe worked), earn reputation, let
        my ties decay, and work with one random co-member (ODD §3.8)."""
        cfg, tribe = self.model.cfg, self.tribe
        working = tribe is not None and tribe.working
        match = float(self.skill @ tribe.mean_needs) if working else 0.0
        self.contribution = (self.work_effort * tribe.output_per_effort * match
                             if working else 0.0)
        self.contribution_total += self.contribution
        # an opportunist claims the credit of the effort they kept back
        claimed = self.withheld * tribe.output_per_effort * match if working else 0.0
        self.reputation += self.contribution + claimed - cfg.reputation_decay * self.reputation
        decay = 1.0 - cfg.tie_decay
        self.tie_w = [w * decay for w in self.tie_w]
        if working:
            peer = self.model.sample_comember(self)
            if peer is not None:
                self.work_with(peer)


def draw_intensity(model: ReferenceOrganization) -> float:
    """An intensity of passion: Beta(c m, c (1 - m)), 1 at m = 1 (ODD §3.14.3)."""
    cfg = model.cfg
    m, c = cfg.intensity_mean, cfg.intensity_concentration
    return 1.0 if m >= 1.0 else float(model.side.beta(c * m, c * (1.0 - m)))

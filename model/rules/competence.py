"""Leaders' competences: Boyd's IOHAI (insight, orientation, harmony, agility, initiative), how
they enter leader quality and bottom-up selection, and how leaders develop them.

Traits. Every person has insight (analysis), orientation (awareness of several paradigms),
harmony (synthesis of a picture from the pieces), agility (adapting quickly) and initiative
(daring to act; the person's `initiative`, which also drives founding and innovation). The
four are drawn at hire, each Beta(2, 5) like initiative (mean 0.29: a few people are strong),
from this concern's own stream, so that drawing them changes no other draw. A person's
competence is their mean, C_i = (insight + orientation + harmony + agility + initiative) / 5.

Leader quality (`model.rules.leadership`). With standing S_i = r_i / (r_i + r_ref) (relative
reputation) and alignment a_i with the tribe led,

    Q(i) = a_i ((1 - w) S_i + w C_i),      w = `competence_weight`

so w = 0 (the default) is the model without competences, Q(i) = a_i S_i, and w = 1 judges a
leader by competence alone. Role holders under distributed leadership are judged the same way,
so roles use competences too. A founder expects (1 - w) S_i + w C_i as the leader of their own
tribe.

Bottom-up selection (emergent leadership). Peers judge a co-member's standing as
g_i = r_i (0.5 + 0.5 a_i) (1 - w + w Ĉ_i), where Ĉ_i = clip(C_i + e, 0, 1), e ~ N(0,
`perception_noise`^2) drawn afresh at every meeting: peers see competence, imperfectly.
Management, appointing by skill, does not look at it.

Development (the development policy), of the four learnable competences (initiative is a
disposition the organization allows or not, and stays): those who lead (a tribe's leader, or
under distributed leadership its role holders) move toward 1 at a rate per step:

    none       competences stay as drawn;
    training   c <- c + training_rate (1 - c), at the price of `training_cost` of their effort
               that step (time in training: Boyd's common curriculum, the Marine Corps reading
               programme);
    learning   c <- c + learning_rate (1 - c), free: learning by leading, slower.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.parameters import Params, param, policy
from model.policy import Policy, register
from numerics.table import Column, Table

if TYPE_CHECKING:
    from model.rules import Rules
    from model.state import State

STREAM = 3  # the stream of this concern's draws (`State.stream`)
LEARNABLE = ("insight", "orientation", "harmony", "agility")


@dataclass(frozen=True)
class CompetenceParams(Params):
    """Leaders' competences (IOHAI): how they count and how leaders develop them."""

    group = "competence"

    development: str = policy("development", "none", "how those who lead develop their "
                              "competences")
    competence_weight: float = param(0.0, "weight of competence (IOHAI) against standing in "
                                     "leader quality and in peers' choice of leaders (0: "
                                     "quality is alignment x standing)", 0, 1)
    perception_noise: float = param(0.1, "s.d. of the error with which peers perceive a "
                                    "co-member's competence", 0, 1)
    training_rate: float = param(0.05, "share of the gap to full competence training closes "
                                 "per step", 0, 1)
    training_cost: float = param(0.1, "share of their effort those in training spend on it",
                                 0, 1)
    learning_rate: float = param(0.01, "share of the gap to full competence leading closes "
                                 "per step", 0, 1)


class Competences(Table):
    """Per person: the learnable IOHAI competences (initiative is the person's own column)."""

    insight = Column(np.float32, 0.0, doc="analysis")
    orientation = Column(np.float32, 0.0, doc="awareness of several paradigms")
    harmony = Column(np.float32, 0.0, doc="synthesis of a picture from the pieces")
    agility = Column(np.float32, 0.0, doc="adapting and responding quickly")


class DevelopmentPolicy(Policy):
    """How those who lead develop their competences (the contract of every development
    policy).

    Attributes:
        competences: per person, the learnable competences.
        training: per person, whether they trained this step (their effort pays for it).
    """

    kind = "development"

    def attach(self, s: State) -> None:
        """Competences grow with the people, drawn at hire."""
        self.competences = Competences(s.people.allocated)
        s.attach_to_people(self.competences)
        self.training = np.empty(0, dtype=np.int64)
        competences = self.competences

        def draw(s: State, rows: np.ndarray) -> None:
            rng = s.stream(STREAM)
            for name in LEARNABLE:
                competences.array(name)[rows] = rng.beta(2.0, 5.0, len(rows))

        s.hire_hooks.append(draw)

    @abstractmethod
    def develop(self, s: State, rules: Rules) -> None:
        """Develop the competences of those who lead, this step."""

    def raise_toward_one(self, persons: np.ndarray, rate: float) -> None:
        """c <- c + rate (1 - c) for every learnable competence of `persons` (once each)."""
        persons = np.unique(persons)
        for name in LEARNABLE:
            column = self.competences.array(name)
            column[persons] += np.float32(rate) * (np.float32(1) - column[persons])


@register("none")
class NoDevelopment(DevelopmentPolicy):
    """Competences stay as drawn at hire."""

    def develop(self, s: State, rules: Rules) -> None:
        """Nothing."""
        self.training = self.training[:0]


@register("training")
class Training(DevelopmentPolicy):
    """Those who lead train: faster, at a cost in effort."""

    params = ("training_rate", "training_cost")

    def develop(self, s: State, rules: Rules) -> None:
        """Those who lead gain training_rate (1 - c) and spend training_cost of their effort."""
        self.training = leading(s, rules)
        self.raise_toward_one(self.training, self.cfg.training_rate)


@register("learning")
class LearningByLeading(DevelopmentPolicy):
    """Those who lead learn by leading: slower, free."""

    params = ("learning_rate",)

    def develop(self, s: State, rules: Rules) -> None:
        """Those who lead gain learning_rate (1 - c)."""
        self.training = self.training[:0]
        self.raise_toward_one(leading(s, rules), self.cfg.learning_rate)


def leading(s: State, rules: Rules) -> np.ndarray:
    """The people who lead a living tribe: its leader, or (without single leaders) its role
    holders."""
    tribes = s.tribes
    living = tribes.living()
    roles = ((tribes.leader,) if rules.leadership.single_leader
             else (tribes.value_champion, tribes.innovation_champion))
    holders = np.concatenate([role[living] for role in roles])
    found: np.ndarray = np.unique(holders[holders >= 0])
    return found


def competence(s: State, rules: Rules, persons: np.ndarray) -> np.ndarray:
    """C_i, the mean of each person's five competences."""
    table = rules.development.competences
    total = s.people.initiative[persons].astype(np.float32)
    for name in LEARNABLE:
        total = total + table.array(name)[persons]
    mean: np.ndarray = total / np.float32(5)
    return mean


def weigh(s: State, rules: Rules, persons: np.ndarray, standing: np.ndarray) -> np.ndarray:
    """(1 - w) S + w C: standing weighed with competence (w = competence_weight)."""
    w = s.cfg.competence_weight
    weighed: np.ndarray = ((1.0 - w) * standing
                           + w * competence(s, rules, persons)).astype(np.float32)
    return weighed


def perceived(s: State, rules: Rules, persons: np.ndarray) -> np.ndarray:
    """The factor peers apply to a co-member's standing, 1 - w + w clip(C + e, 0, 1), with
    a fresh perception error e ~ N(0, perception_noise^2) per meeting."""
    cfg = s.cfg
    noise = s.stream(STREAM).normal(0.0, cfg.perception_noise, len(persons))
    seen = np.clip(competence(s, rules, persons) + noise, 0.0, 1.0)
    factor: np.ndarray = (1.0 - cfg.competence_weight + cfg.competence_weight * seen
                          ).astype(np.float32)
    return factor


def training_left(s: State, rules: Rules, members: np.ndarray) -> np.ndarray | None:
    """The share of each membership's effort that training leaves for work this step (None
    when nobody trains)."""
    training = rules.development.training
    if len(training) == 0:
        return None
    trains = np.zeros(s.people.n, dtype=bool)
    trains[training] = True
    left: np.ndarray = np.where(trains[members], np.float32(1.0 - s.cfg.training_cost),
                                np.float32(1.0))
    return left


def develop(s: State, rules: Rules) -> None:
    """The development policy develops the competences of those who lead."""
    rules.development.develop(s, rules)

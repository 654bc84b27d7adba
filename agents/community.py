"""Communities of interest (one per purpose theme) and of practice (one per skill domain), and
`Community`, the Mesa agent that views one of them.

Membership is read off the people's state each time it is needed, so it can never disagree with
it: a person belongs to the community of interest of every theme whose passion weight is at
least the interest threshold, and to the community of practice of every domain whose skill is
at least the practice threshold (active people only). Learning in communities of practice is
part of orientation (`model.rules.orient`); hearing of tribes in communities of interest is
below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.person import NO_TRIBE
from numerics.rows import row_any, row_argmax

if TYPE_CHECKING:
    from agents.person import People
    from agents.tribe import Tribes
    from agents.view import Host

KINDS = ("interest", "practice")


class Communities:
    """Reads community membership and lets people hear of tribes through shared interests.

    Args:
        interest_threshold: passion weight that makes a person a member of a community of
            interest.
        practice_threshold: skill that makes a person a member of a community of practice.
    """

    def __init__(self, interest_threshold: float, practice_threshold: float) -> None:
        self.interest_threshold = interest_threshold
        self.practice_threshold = practice_threshold

    def interest_members(self, people: People) -> np.ndarray:
        """(people, themes) boolean: who belongs to which community of interest."""
        n = people.n
        return (people.passion[:n] >= self.interest_threshold) & people.active[:n, None]

    def practice_members(self, people: People) -> np.ndarray:
        """(people, domains) boolean: who belongs to which community of practice."""
        n = people.n
        return (people.skill[:n] >= self.practice_threshold) & people.active[:n, None]

    def tribe_heard_of(self, rng: np.random.Generator, people: People, tribes: Tribes,
                       persons: np.ndarray) -> np.ndarray:
        """For each person, a random living tribe whose main theme is one of their interests.

        The interest is drawn in proportion to passion among the person's communities of
        interest (among all themes if they have none); -1 if no tribe has that theme.
        """
        living = tribes.living()
        if len(living) == 0 or len(persons) == 0:
            return np.full(len(persons), NO_TRIBE, dtype=np.int32)
        themes = people.dims["themes"]
        main = row_argmax(tribes.purpose[living])
        order = np.argsort(main, kind="stable")
        count = np.bincount(main, minlength=themes)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        passion = people.passion[persons]
        interests = passion >= self.interest_threshold
        interests[~row_any(interests), :] = True
        with np.errstate(divide="ignore"):
            score = np.where(interests, np.log(passion), -np.inf)
        theme = (score + rng.gumbel(size=passion.shape)).argmax(axis=1)
        pick = start[theme] + (rng.random(len(persons)) * count[theme]).astype(np.int64)
        heard: np.ndarray = np.where(count[theme] > 0,
                                     living[order[np.minimum(pick, len(living) - 1)]], NO_TRIBE)
        return heard


class Community(mesa.Agent):
    """A community of interest (`kind="interest"`, one per theme) or of practice
    (`kind="practice"`, one per skill domain), viewed from the people's state."""

    model: Host

    def __init__(self, model: Host, kind: str, index: int) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind: {kind!r} is not allowed; allowed: 'interest', 'practice'")
        super().__init__(model)
        self.kind = kind
        self.index = index

    def step(self) -> None:
        """Refused: communities are read off the people's state; they do not act."""
        raise RuntimeError("Community.step: a Community agent is a view of the people's state "
                           "and does not act; call model.step() (or model.run(n))")

    @property
    def member_ids(self) -> list[int]:
        """Person indices of the members."""
        communities, people = self.model.communities, self.model.people
        matrix = (communities.interest_members(people) if self.kind == "interest"
                  else communities.practice_members(people))
        return np.flatnonzero(matrix[:, self.index]).tolist()

    @property
    def size(self) -> int:
        """Number of members."""
        return len(self.member_ids)

    def __repr__(self) -> str:
        return f"Community({self.kind}, {self.index}, size={self.size})"

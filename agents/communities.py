"""Communities of interest (one per purpose theme) and of practice (one per skill domain).

Membership is read off the people's state each time it is needed, so it can never disagree with
it: a person belongs to the community of interest of every theme whose passion weight is at
least `interest_threshold`, and to the community of practice of every domain whose skill is at
least `practice_threshold`. Learning in communities of practice is a person rule
(`kernels.learn`); hearing of tribes in communities of interest is below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.arrays import row_any, row_argmax

if TYPE_CHECKING:
    from agents.people import People
    from agents.tribes import Tribes
    from model.config import Config


class Communities:
    """Reads community membership and lets people hear of tribes through shared interests."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def interest_members(self, people: People) -> np.ndarray:
        """(people, themes) boolean: who belongs to which community of interest."""
        n = people.n
        return (people.passion[:n] >= self.cfg.interest_threshold) & people.active[:n, None]

    def practice_members(self, people: People) -> np.ndarray:
        """(people, domains) boolean: who belongs to which community of practice."""
        n = people.n
        return (people.skill[:n] >= self.cfg.practice_threshold) & people.active[:n, None]

    def tribe_heard_of(self, rng: np.random.Generator, people: People, tribes: Tribes,
                       persons: np.ndarray) -> np.ndarray:
        """For each person, a random living tribe whose main theme is one of their interests.

        The interest is drawn in proportion to passion among the person's communities of
        interest (among all themes if they have none); -1 if no tribe has that theme.
        """
        living = tribes.living()
        if len(living) == 0 or len(persons) == 0:
            return np.full(len(persons), -1, dtype=np.int32)
        themes = self.cfg.themes
        main = row_argmax(tribes.purpose[living])
        order = np.argsort(main, kind="stable")
        count = np.bincount(main, minlength=themes)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        passion = people.passion[persons]
        interests = passion >= self.cfg.interest_threshold
        interests[~row_any(interests), :] = True
        with np.errstate(divide="ignore"):
            score = np.where(interests, np.log(passion), -np.inf)
        theme = (score + rng.gumbel(size=passion.shape)).argmax(axis=1)
        pick = start[theme] + (rng.random(len(persons)) * count[theme]).astype(np.int64)
        return np.where(count[theme] > 0, living[order[np.minimum(pick, len(living) - 1)]], -1)

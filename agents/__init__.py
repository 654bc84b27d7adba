"""The kinds of agents: people, tribes and communities.

Each kind's module holds its state as a table of declared columns (`People`, `Tribes`), the
behaviours every individual of that kind has, vectorized over all of them, and a thin Mesa
agent (`Person`, `Tribe`, `Community`) that views one row, made only when asked for.
"""

from agents.community import Communities, Community
from agents.person import People, Person
from agents.tribe import Tribe, Tribes

__all__ = ["Communities", "Community", "People", "Person", "Tribe", "Tribes"]

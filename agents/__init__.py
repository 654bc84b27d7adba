"""The kinds of agents: people, tribes and communities.

Each kind has its state as arrays (`People`, `Tribes`) with rules vectorized over all of that
kind, and a thin Mesa agent (`Person`, `Tribe`, `Community`) that is a view of one row for
inspection, visualization and Mesa's tools.
"""

from agents.community import Community
from agents.people import People
from agents.person import Person
from agents.tribe import Tribe
from agents.tribes import Tribes

__all__ = ["Community", "People", "Person", "Tribe", "Tribes"]

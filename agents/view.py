"""What a Mesa view (`Person`, `Tribe`, `Community`) reads of the model it belongs to.

The views are Mesa agents of `model.organization.Organization`; this protocol names the part of
it they use, so that the kinds of agents do not depend on the model that composes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agents.community import Communities
    from agents.person import People, Person
    from agents.tribe import Tribe, Tribes


class Host(Protocol):
    """The model a view belongs to."""

    steps: int

    @property
    def people(self) -> People:
        """The population's state."""

    @property
    def tribes(self) -> Tribes:
        """The tribes' state."""

    @property
    def communities(self) -> Communities:
        """Communities of interest and of practice."""

    @property
    def board(self) -> Any:
        """The work items and boards (`model.kanban.Board`)."""

    @property
    def rules(self) -> Any:
        """The chosen policies (`model.rules.Rules`)."""

    def person(self, pid: int) -> Person:
        """The view of person `pid`."""

    def tribe(self, tid: int) -> Tribe | None:
        """The view of living tribe `tid`."""

"""The rules of the model, one module per concern. Each module holds its phase of the step, its
named policies (for the governance concerns) with their declared contract, the state only it
uses and its group of parameters:

    fit          observe: what people and tribes perceive; the fit function
    orient       engagement, commitment, learning, passion drift
    membership   who decides membership; founding; placement and team formation
    exit         leaving the organization
    leadership   champions, leaders (emergent, appointed, rotating, distributed), quality
    lifecycle    tribes dissolve, split and merge
    purpose      how purposes are made and changed (fixed, co-created, pivoting)
    conflict     conflict within a tribe and its resolution
    work         effort, Kanban flow, and how work reaches the tribes (pull, push)
    handoff      work across tribes: what a hand-off between boards costs
    federation   tribes of tribes: constellations, their leaders, their coordination
    intertribe   conflict between tribes and its resolution
    objectives   the formal units' objectives and how leaders follow them
    hiring       replacing leavers
    opportunism  who serves themselves; peer review that can reject; sanctions
    competence   leaders' competences (IOHAI) and how leaders develop them
    passion      intensity of passion; discovery and pivots in life
    pressure     shocks (demand, layoffs, hiring freezes, outside options); exit, voice
                 and neglect

`Rules` is the set of policies chosen for a run.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from model.policy import Policy, policy_class
from model.rules import (
    competence,
    conflict,
    exit,
    federation,
    fit,
    handoff,
    hiring,
    intertribe,
    leadership,
    lifecycle,
    membership,
    objectives,
    opportunism,
    orient,
    passion,
    pressure,
    purpose,
    work,
)
from model.rules.competence import DevelopmentPolicy
from model.rules.conflict import ConflictPolicy
from model.rules.federation import FederationPolicy
from model.rules.hiring import HiringPolicy
from model.rules.intertribe import IntertribePolicy
from model.rules.leadership import LeadershipPolicy
from model.rules.membership import MembershipPolicy
from model.rules.objectives import ObjectivesPolicy
from model.rules.opportunism import SanctionPolicy
from model.rules.passion import DiscoveryPolicy
from model.rules.pressure import LayoffPolicy, ResponsePolicy
from model.rules.purpose import PurposePolicy
from model.rules.work import WorkPolicy

if TYPE_CHECKING:
    from model.config import Config
    from model.state import State

# the contract every policy of a concern implements
_CONTRACTS: dict[str, type] = {
    "membership": MembershipPolicy, "leadership": LeadershipPolicy, "purpose": PurposePolicy,
    "work": WorkPolicy, "conflict": ConflictPolicy, "hiring": HiringPolicy,
    "federation": FederationPolicy, "intertribe": IntertribePolicy,
    "objectives": ObjectivesPolicy, "sanction": SanctionPolicy,
    "development": DevelopmentPolicy, "discovery": DiscoveryPolicy, "layoff": LayoffPolicy,
    "response": ResponsePolicy}

__all__ = ["Rules", "competence", "conflict", "exit", "federation", "fit", "handoff", "hiring",
           "intertribe", "leadership", "lifecycle", "membership", "objectives", "opportunism",
           "orient", "passion", "pressure", "purpose", "work"]


@dataclass(frozen=True)
class Rules:
    """The policy chosen for each governance concern of a run."""

    membership: MembershipPolicy
    leadership: LeadershipPolicy
    purpose: PurposePolicy
    work: WorkPolicy
    conflict: ConflictPolicy
    hiring: HiringPolicy
    federation: FederationPolicy
    intertribe: IntertribePolicy
    objectives: ObjectivesPolicy
    sanction: SanctionPolicy
    development: DevelopmentPolicy
    discovery: DiscoveryPolicy
    layoff: LayoffPolicy
    response: ResponsePolicy

    @classmethod
    def chosen(cls, cfg: Config) -> Rules:
        """The policies `cfg` names, each built with the configuration."""
        built = {f.name: policy_class(f.name, getattr(cfg, f.name))(cfg) for f in fields(cls)}
        return cls(**built)  # type: ignore[arg-type]  # each contract is checked on init

    def __post_init__(self) -> None:
        for f in fields(self):
            chosen, contract = getattr(self, f.name), _CONTRACTS[f.name]
            if not isinstance(chosen, contract):
                raise TypeError(f"{type(chosen).__name__} is registered as a {f.name} policy "
                                f"but does not implement {contract.__name__}")

    def policies(self) -> tuple[Policy, ...]:
        """The chosen policies, one per concern."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def attach(self, s: State) -> None:
        """Let every policy create and attach its own state."""
        for chosen in self.policies():
            chosen.attach(s)

    def inherit(self, previous: Rules) -> None:
        """Each policy takes over the state of the one it replaces."""
        for chosen, old in zip(self.policies(), previous.policies(), strict=True):
            chosen.inherit(old)

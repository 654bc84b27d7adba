"""Governance rules are named policies: one registry per concern.

Each concern (`model/rules/<concern>.py`) declares the contract of its policies as an abstract
class deriving from `Policy`, and registers its policies by name with `@register("name")`; the
configuration chooses one policy per concern by name (`Config.leadership = "emergent"`). A
policy declares the parameters it reads beyond its concern's common ones (`params`) and may
keep state of its own (`attach`). Adding a rule is adding a class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

if TYPE_CHECKING:
    from model.config import Config
    from model.state import State

POLICY_KINDS = ("membership", "leadership", "purpose", "work", "conflict", "hiring",
                "federation", "intertribe", "objectives", "sanction", "development",
                "discovery", "layoff", "response")

_REGISTRY: dict[str, dict[str, type[Policy]]] = {kind: {} for kind in POLICY_KINDS}

P = TypeVar("P", bound="type[Policy]")


class Policy:
    """A governance rule of one concern (`kind`), chosen by `name`.

    Attributes:
        cfg: the configuration of the run.
    """

    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    # parameters this policy reads beyond those its concern's phase reads for every policy
    params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def attach(self, s: State) -> None:
        """Create the policy's own state, attached to the people's or tribes' table so that it
        grows with them (called once, before anyone is hired). None by default."""

    def inherit(self, previous: Policy) -> None:
        """Take over the state of the policy this one replaces (of the same concern), when the
        rules change during a run."""
        if previous.kind != self.kind:
            raise ValueError(f"inherit: a {previous.kind} policy's state; allowed: a "
                             f"{self.kind} policy's")
        vars(self).update({key: value for key, value in vars(previous).items() if key != "cfg"})

    @classmethod
    def doc(cls) -> str:
        """The first line of the policy's docstring."""
        return (cls.__doc__ or "").strip().splitlines()[0]


def register(name: str) -> Callable[[P], P]:
    """Class decorator: make the class available as policy `name` of its concern."""

    def decorate(cls: P) -> P:
        if cls.kind not in _REGISTRY:
            raise ValueError(f"{cls.__name__}.kind: {cls.kind!r} is not a concern; allowed: "
                             f"{', '.join(POLICY_KINDS)}")
        cls.name = name
        _REGISTRY[cls.kind][name] = cls
        return cls

    return decorate


def policy_names(kind: str) -> tuple[str, ...]:
    """Names of the registered policies of `kind`, in registration order."""
    return tuple(_REGISTRY[kind])


def policy_class(kind: str, name: str) -> type[Policy]:
    """The class registered as policy `name` of `kind`."""
    return _REGISTRY[kind][name]


def policy_doc(kind: str, name: str) -> str:
    """The first line of a policy's docstring."""
    return policy_class(kind, name).doc()

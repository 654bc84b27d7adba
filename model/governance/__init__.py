"""Governance rules as small named policies, one registry per concern.

A policy is a tiny class registered under a name with `@register(kind, name)`; the configuration
chooses one policy per kind by name (`Config.membership = "voluntary"`), and the step calls the
chosen policy's hooks. Adding a rule is adding a class: nothing in the step changes.
"""

from __future__ import annotations

from typing import Any

POLICY_KINDS = ("membership", "leadership", "purpose", "work", "conflict", "hiring")

_REGISTRY: dict[str, dict[str, type]] = {kind: {} for kind in POLICY_KINDS}


def register(kind: str, name: str):
    """Class decorator: make the class available as policy `name` of `kind`."""

    def decorate(cls: type) -> type:
        cls.name = name
        cls.kind = kind
        _REGISTRY[kind][name] = cls
        return cls

    return decorate


def policy_names(kind: str) -> tuple[str, ...]:
    """Names of the registered policies of `kind`, in registration order."""
    return tuple(_REGISTRY[kind])


def make_policy(kind: str, name: str) -> Any:
    """A new instance of policy `name` of `kind`."""
    return _REGISTRY[kind][name]()


def policy_doc(kind: str, name: str) -> str:
    """The first line of a policy's docstring."""
    return (_REGISTRY[kind][name].__doc__ or "").strip().splitlines()[0]


# The policy modules register themselves on import.
from model.governance import (  # noqa: E402,F401
    conflict,
    hiring,
    leadership,
    membership,
    purpose,
    work,
)

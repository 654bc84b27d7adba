"""Shared helpers for the tests."""

from __future__ import annotations

import numpy as np
import pytest

from model import Organization


def make(preset: str = "purposeful", seed: int = 1, **overrides) -> Organization:
    """A small organization for a test."""
    overrides.setdefault("people", 80)
    return Organization(preset=preset, rng=seed, **overrides)


def members_of(m: Organization, tribe: int) -> np.ndarray:
    """Person rows whose tribe is `tribe`."""
    return np.flatnonzero(m.people.tribe[: m.people.n] == tribe)


@pytest.fixture
def small() -> Organization:
    """A purposeful organization of 80 people."""
    return make()

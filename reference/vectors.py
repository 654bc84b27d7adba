"""Small helpers on one agent's vectors: unit length, weighted draws, argmax with row ties, the
logistic function."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def unit_vector(x: np.ndarray) -> np.ndarray:
    """`x` scaled to unit Euclidean length (a zero vector stays zero)."""
    norm = float(np.sqrt(x @ x))
    return x / norm if norm > 0 else x


def draw_index(rng: np.random.Generator, weights: np.ndarray) -> int:
    """An index drawn with probability proportional to the non-negative `weights`."""
    cumulative = np.cumsum(weights)
    k = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(k, len(weights) - 1)


def best_by_row(persons: Iterable[T], score: Callable[[T], float]) -> T | None:
    """The person with the highest score, the earliest hired (lowest row) on ties; None if
    there is nobody."""
    best, best_score = None, -np.inf
    for person in persons:
        s = score(person)
        if best is None or s > best_score or (s == best_score and person.row < best.row):
            best, best_score = person, s
    return best


def logistic(z: float) -> float:
    """1 / (1 + exp(-z)), without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    ez = math.exp(z)
    return ez / (1.0 + ez)

"""Helpers the tests share: small models, running one phase, placing items and people."""

from __future__ import annotations

import numpy as np

from agents.tribe import Origin
from model import Organization
from model.plan import OBSERVE


def make(preset: str = "purposeful", seed: int = 1, **overrides: object) -> Organization:
    """A small organization for a test (80 people unless `people` is given), freshly assembled
    (no history before step 0) unless `history_steps` is given."""
    overrides.setdefault("people", 80)
    overrides.setdefault("history_steps", 0)
    return Organization(preset=preset, rng=seed, **overrides)  # type: ignore[arg-type]


def members_of(m: Organization, tribe: int) -> np.ndarray:
    """Person rows whose tribe is `tribe`."""
    return np.flatnonzero(m.people.tribe[: m.people.n] == tribe)


def run_phase(m: Organization, label: str) -> None:
    """Run the first phase of the model's plan whose label ("stage.name") starts with
    `label`, on the model's state, as a step would."""
    for phase in m.plan:
        if phase.label.startswith(label):
            phase.run(m.state, m.rules)
            return
    raise KeyError(f"no phase {label!r}; the plan has {[p.label for p in m.plan]}")


def observe(m: Organization) -> None:
    """The observe stage of a step (fit, standing)."""
    for phase in OBSERVE:
        phase.run(m.state, m.rules)


def set_step(m: Organization, step: int) -> None:
    """Put the model's clock at `step`, as if that many steps had run."""
    m.steps = step
    m.state.clock = step


def new_tribes(m: Organization, purposes: np.ndarray) -> np.ndarray:
    """Found tribes with the given purposes (no members); return their ids."""
    return m.state.create_tribes(np.asarray(purposes, dtype=np.float32), Origin.FOUNDED)


def opposed_tribe(m: Organization, tribe: int = 0) -> np.ndarray:
    """Make tribe `tribe`'s purpose orthogonal to its members' passions; return the members."""
    members = members_of(m, tribe)
    passion = np.zeros(m.cfg.themes, dtype=np.float32)
    passion[0] = 1.0
    m.people.passion[members] = passion
    purpose = np.zeros(m.cfg.themes, dtype=np.float32)
    purpose[1] = 1.0
    m.tribes.purpose[tribe] = purpose
    return members


def unit(themes: int, *weights: tuple[int, float]) -> np.ndarray:
    """A unit vector over `themes` themes with the given (theme, weight) entries."""
    vector = np.zeros(themes, dtype=np.float32)
    for theme, weight in weights:
        vector[theme] = weight
    return vector / np.linalg.norm(vector)


def add_items(m: Organization, tribe: int, stage: int, since: object, remaining: float = 1.0,
              value: float = 1.0) -> np.ndarray:
    """Put one item per entry of `since` on `tribe`'s board in `stage`, entered at that step;
    return their rows. The items' purpose is the tribe's and their needs are uniform."""
    since = np.asarray(since)
    count = len(since)
    board, cfg = m.board, m.cfg
    before = board.items.n
    board.add(np.repeat(m.tribes.purpose[tribe][None, :], count, axis=0),
              np.full((count, cfg.domains), 1.0 / cfg.domains), np.full(count, 1.0),
              np.full(count, value), 0)
    rows = np.arange(before, board.items.n)
    board.move(rows, stage, 0, np.full(count, tribe, dtype=np.int32))
    board.items.since[rows] = since
    board.items.remaining[rows] = remaining
    return rows


def reconfigure(m: Organization, **changes: object) -> None:
    """Change parameters of a built model from now on (the model, its state and its rules
    read the new configuration)."""
    cfg = m.cfg.replace(**changes)
    m.cfg = m.state.cfg = cfg
    for chosen in m.rules.policies():
        chosen.cfg = cfg

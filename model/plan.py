"""The step plan: the ordered, named phases of one observe-orient-decide-act cycle.

This file is the table of contents of a step. Each phase is a function of the state and the
chosen rules, vectorized over people, tribes or items; its body lives with its concern in
`model/rules/` (or `model/market.py`, `model/metrics.py`). `PLAN` is the order the model runs
them in; `profile` times each phase.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model import frames, market, metrics
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
    orient,
    passion,
    pressure,
    purpose,
    work,
)

if TYPE_CHECKING:
    import pandas as pd

    from model.organization import Organization
    from model.rules import Rules
    from model.state import State


@dataclass(frozen=True)
class Phase:
    """One named phase of the step."""

    stage: str
    name: str
    function: Callable[[State, Rules], None]

    @property
    def label(self) -> str:
        """"stage.name", as shown by the profiler."""
        return f"{self.stage}.{self.name}"

    def run(self, s: State, rules: Rules) -> None:
        """Run the phase."""
        self.function(s, rules)


PLAN: tuple[Phase, ...] = (
    Phase("state", "compact", frames.compact),
    Phase("pressure", "shocks", pressure.shocks),
    Phase("market", "arrivals", market.arrivals),
    Phase("observe", "fit", fit.observe),
    Phase("observe", "standing", leadership.observe_standing),
    Phase("orient", "engagement, learning, drift", orient.orient),
    Phase("orient", "passions", passion.discover),
    Phase("decide", "membership", membership.decide),
    Phase("decide", "exit", exit.decide),
    Phase("decide", "response", pressure.respond),
    Phase("decide", "leadership", leadership.decide),
    Phase("decide", "development", competence.develop),
    Phase("decide", "life cycle", lifecycle.decide),
    Phase("decide", "purpose", purpose.decide),
    Phase("decide", "conflict", conflict.decide),
    Phase("decide", "federation", federation.decide),
    Phase("decide", "intertribe conflict", intertribe.decide),
    Phase("decide", "objectives", objectives.plan),
    Phase("act", "work", work.work),
    Phase("act", "flow", work.flow),
    Phase("act", "hand-offs", handoff.pick_up),
    Phase("act", "hiring", hiring.act),
    Phase("record", "metrics", metrics.measure),
)

OBSERVE = tuple(phase for phase in PLAN if phase.stage == "observe")


def profile(m: Organization, steps: int) -> pd.DataFrame:
    """Run `steps` steps of model `m` timing every phase and the recording of outputs; one row
    per phase, in plan order."""
    import pandas as pd

    labels = [phase.label for phase in m.plan] + ["record.outputs"]
    spent = np.zeros(len(labels))
    people = 0
    for _ in range(steps):
        m.steps += 1  # what mesa.Model's step wrapper does
        m.state.clock = m.steps
        people += m.people.count_active()
        for k, phase in enumerate(m.plan):
            start = time.perf_counter()
            phase.run(m.state, m.rules)
            spent[k] += time.perf_counter() - start
        start = time.perf_counter()
        m.record()
        spent[-1] += time.perf_counter() - start
    return pd.DataFrame({
        "phase": labels,
        "seconds": spent,
        "share": spent / spent.sum() if spent.sum() > 0 else spent,
        "ns_per_person_step": spent / max(people, 1) * 1e9,
    })

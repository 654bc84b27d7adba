"""Replacing leavers (model/rules/hiring.py).

Each mechanism has a test that fails if it breaks."""

from __future__ import annotations

import numpy as np

from model.rules import hiring
from tests.helpers import (
    make,
)


def test_replacement_hiring_keeps_headcount_and_none_shrinks_it():
    replace = make(people=200, exit_base=0.02, hiring="replace")
    replace.run(30)
    assert replace.metrics["headcount"] == 200
    assert replace.metrics["exits_total"] > 0
    assert replace.people.n == 200 + replace.metrics["exits_total"]
    none = make(people=200, exit_base=0.02, hiring="none")
    none.run(30)
    assert none.metrics["headcount"] == 200 - none.metrics["exits_total"] < 200


def test_a_new_hire_is_introduced_to_the_leavers_contacts():
    m = make(people=100, initial_ties=4)
    leaver = 7
    contacts = {j for j in m.people.tie_to[leaver] if j >= 0}
    m.people.active[leaver] = False
    hire = hiring.replace(m.state, m.rules, np.array([leaver]))[0]
    p = m.people
    ties = {int(j) for j, w in zip(p.tie_to[hire], p.tie_w[hire], strict=True) if j >= 0 and w > 0}
    assert ties and ties <= contacts
    assert m.people.unit[hire] == m.people.unit[leaver]

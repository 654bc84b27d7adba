"""Presets: named bundles of governance policies (and the few parameters that go with them).

Every preset starts from the same initial organization (formal units and assigned teams), so a
comparison between presets under the same seed is paired: only the rules differ.

Above the single tribe (issue #12) each preset also says:
- federation: whether tribes federate into constellations. Only `constellation` federates
  (voluntarily); the others keep their meaning, with tribes standing alone.
- intertribe: how a conflict between two tribes is resolved, should tribes dispute at all
  (`rivalry` > 0; it is 0 by default, when the choice changes nothing). The hierarchy and the
  matrix escalate to management; the self-organizing presets negotiate.
- objective_weight: how strongly leaders follow their formal unit's objectives, should
  management set any (`objectives = "planned"`; none by default, when the weight changes
  nothing): fully in the hierarchy (1), half in the matrix (0.5), not at all where leaders
  answer to their tribe (0).

The people side (issue #13): each preset says who sanctions an opportunist peers catch, should
anyone be an opportunist and peers review (`opportunist_share` > 0, `review_by = "peers"`; off
by default, when the choice changes nothing): the leader in the hierarchy and the matrix (the
formal line), the tribe by exclusion under purposeful and constellation (a voluntary
association keeps its members as they keep its purpose, as with conflict), the peers who
caught them under holacracy (role holders hold each other to account).
"""

DEFAULT_PRESET = "purposeful"

# The rules of the established organization every run starts from (`history_steps` before step
# 0): the formal organization whose teams management assigned by skill and whose leaders it
# appointed, with fixed mandates and arbitration; it takes in work by pull within the WIP
# limits, so that it starts in a stable flow of work rather than in the congestion of push.
FORMAL: dict[str, str] = {
    "membership": "assigned",
    "leadership": "appointed",
    "purpose": "fixed",
    "work": "pull",
    "conflict": "arbitration",
    "hiring": "replace",
    "federation": "none",
    "intertribe": "market",
    "objectives": "none",
    "sanction": "leader",
    "development": "none",
}

# policies every preset leaves neutral: how leaders develop, whether passions are found, who
# is laid off should a layoff shock strike (at random: the presets differ in their governance,
# not in whom they dismiss), and how people who cannot leave respond (only by exit)
NEUTRAL: dict[str, str] = {
    "development": "none",
    "discovery": "none",
    "layoff": "random",
    "response": "exit",
}

PRESETS: dict[str, dict[str, object]] = {
    # Management assigns people to teams by skill and appoints leaders; purposes are mandates
    # that never change; work is pushed to teams without WIP limits.
    "hierarchy": {
        "membership": "assigned",
        "leadership": "appointed",
        "purpose": "fixed",
        "work": "push",
        "conflict": "arbitration",
        "hiring": "replace",
        "federation": "none",
        "intertribe": "escalation",
        "objectives": "none",
        "objective_weight": 1.0,
        "sanction": "leader",
        **NEUTRAL,
    },
    # Formal units with appointed leaders, plus voluntary communities: people may propose moves
    # and found tribes, which management approves some of the time; purposes are co-created.
    "matrix": {
        "membership": "hybrid",
        "leadership": "appointed",
        "purpose": "co_created",
        "work": "pull",
        "conflict": "arbitration",
        "hiring": "replace",
        "federation": "none",
        "intertribe": "escalation",
        "objectives": "none",
        "objective_weight": 0.5,
        "sanction": "leader",
        **NEUTRAL,
    },
    # Voluntary tribes around purposes, leaders recognized by peers, purposes co-created and
    # pivoted after poor results, Kanban pull, and exit as the answer to lasting conflict.
    "purposeful": {
        "membership": "voluntary",
        "leadership": "emergent",
        "purpose": "pivoting",
        "work": "pull",
        "conflict": "exit",
        "hiring": "replace",
        "federation": "none",
        "intertribe": "negotiation",
        "objectives": "none",
        "objective_weight": 0.0,
        "sanction": "exclude",
        **NEUTRAL,
    },
    # Voluntary roles, no single leader (roles distributed), objections settled by consent.
    "holacracy": {
        "membership": "voluntary",
        "leadership": "distributed",
        "purpose": "co_created",
        "work": "pull",
        "conflict": "consent",
        "hiring": "replace",
        "federation": "none",
        "intertribe": "negotiation",
        "objectives": "none",
        "objective_weight": 0.0,
        "sanction": "peers",
        **NEUTRAL,
    },
    # The purposeful enterprise as a tribe of tribes: purposeful's voluntary tribes federate
    # into constellations around shared, co-created purposes, whose tribal leaders emerge from
    # the tribes' leaders; constellations route their tribes' hand-offs to each other.
    "constellation": {
        "membership": "voluntary",
        "leadership": "emergent",
        "purpose": "pivoting",
        "work": "pull",
        "conflict": "exit",
        "hiring": "replace",
        "federation": "voluntary",
        "intertribe": "negotiation",
        "objectives": "none",
        "objective_weight": 0.0,
        "sanction": "exclude",
        **NEUTRAL,
    },
}

PRESET_SUMMARIES = {
    "hierarchy": "assigned membership, appointed leaders, fixed purposes, push",
    "matrix": "formal units + voluntary communities (approved moves), appointed leaders, pull",
    "purposeful": "voluntary tribes, emergent leaders, co-created purposes with pivots, pull",
    "holacracy": "voluntary roles, distributed leadership, consent, pull",
    "constellation": "purposeful tribes federated into constellations with emergent tribal "
                     "leaders",
}

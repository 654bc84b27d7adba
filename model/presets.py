"""Presets: named bundles of governance policies (and the few parameters that go with them).

Every preset starts from the same initial organization (formal units and assigned teams), so a
comparison between presets under the same seed is paired: only the rules differ.
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
    "sanction": "leader",
    "development": "none",
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
        "sanction": "leader",
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
        "sanction": "leader",
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
        "sanction": "exclude",
    },
    # Voluntary roles, no single leader (roles distributed), objections settled by consent.
    "holacracy": {
        "membership": "voluntary",
        "leadership": "distributed",
        "purpose": "co_created",
        "work": "pull",
        "conflict": "consent",
        "hiring": "replace",
        "sanction": "peers",
    },
}

PRESET_SUMMARIES = {
    "hierarchy": "assigned membership, appointed leaders, fixed purposes, push",
    "matrix": "formal units + voluntary communities (approved moves), appointed leaders, pull",
    "purposeful": "voluntary tribes, emergent leaders, co-created purposes with pivots, pull",
    "holacracy": "voluntary roles, distributed leadership, consent, pull",
}

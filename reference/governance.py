"""Which governance policies the reference implements, and the check that refuses the others.

The vectorized model may gain policies the reference does not know; running the reference on
one of those must fail loudly rather than quietly apply some other rule.
"""

from __future__ import annotations

from model.config import Config, ConfigError

SUPPORTED: dict[str, tuple[str, ...]] = {
    "membership": ("voluntary", "assigned", "hybrid"),
    "leadership": ("emergent", "appointed", "rotating", "distributed"),
    "purpose": ("fixed", "co_created", "pivoting"),
    "work": ("pull", "push"),
    "conflict": ("exit", "arbitration", "consent"),
    "hiring": ("replace", "none"),
    "federation": ("none", "voluntary"),
    "intertribe": ("market", "escalation", "negotiation", "separation"),
    "objectives": ("none", "planned"),
    "sanction": ("none", "leader", "peers", "exclude"),
    "development": ("none", "training", "learning"),
    "discovery": ("none", "discovering"),
    "layoff": ("random", "seniority", "performance"),
    "response": ("exit", "neglect", "voice"),
}


def check_supported(cfg: Config) -> None:
    """Raise ConfigError naming every policy of `cfg` the reference does not implement, and
    several tribes at once (`max_memberships` above 1), which it does not implement yet."""
    problems = [f"{kind}: policy {getattr(cfg, kind)!r} is not implemented by the reference; "
                f"it supports {', '.join(names)}"
                for kind, names in SUPPORTED.items() if getattr(cfg, kind) not in names]
    if cfg.max_memberships != 1:
        problems.append(f"max_memberships: {cfg.max_memberships} is not implemented by the "
                        "reference; it supports 1 (one tribe per person)")
    if problems:
        raise ConfigError("; ".join(problems))

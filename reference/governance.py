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
}


def check_supported(cfg: Config) -> None:
    """Raise ConfigError naming every policy of `cfg` the reference does not implement."""
    problems = [f"{kind}: policy {getattr(cfg, kind)!r} is not implemented by the reference; "
                f"it supports {', '.join(names)}"
                for kind, names in SUPPORTED.items() if getattr(cfg, kind) not in names]
    if problems:
        raise ConfigError("; ".join(problems))

"""The model's configuration: every parameter, its default, its allowed values and its meaning.

A `Config` is immutable and always valid: it is built from defaults, a preset and overrides by
name (`Config.build("hierarchy", people=500)`), and every value is checked against the
parameter's declared type and range when it is built. A bad value raises `ConfigError`, whose
message names the parameter, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from model.governance import policy_names
from model.presets import DEFAULT_PRESET, PRESETS


class ConfigError(ValueError):
    """A parameter, preset or policy that does not exist, or a value it does not allow."""


def _param(default: Any, help: str, lo: float | None = None, hi: float | None = None,
           choices: tuple[str, ...] | None = None, group: str = "") -> Any:
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi,
                                            "choices": choices, "group": group})


def _policy(kind: str, default: str, help: str) -> Any:
    return field(default=default, metadata={"help": help, "lo": None, "hi": None,
                                            "choices": None, "policy": kind,
                                            "group": "governance"})


INF = math.inf


@dataclass(frozen=True)
class Config:
    """All parameters of one model run. Build it with `Config.build`, not by hand."""

    # --- governance: one named policy per concern (see model/governance) ---
    membership: str = _policy("membership", "voluntary",
                              "who decides tribe membership")
    leadership: str = _policy("leadership", "emergent", "how a tribe gets its leader")
    purpose: str = _policy("purpose", "pivoting", "how a tribe's purpose changes")
    work: str = _policy("work", "pull", "how work reaches the tribes")
    conflict: str = _policy("conflict", "exit", "how a divided tribe resolves its conflict")
    hiring: str = _policy("hiring", "replace", "whether people who exit are replaced")

    # --- population ---
    people: int = _param(300, "people at the start", 1, 10_000_000, group="population")
    themes: int = _param(8, "purpose themes P (length of passion and purpose vectors)", 1, 256,
                         group="population")
    domains: int = _param(6, "practice domains K (length of skill vectors)", 1, 256,
                          group="population")
    unit_size: int = _param(40, "people per formal unit (department)", 1, 10_000_000,
                            group="population")
    team_size: int = _param(8, "people per team in the initial (assigned) organization", 1,
                            10_000_000, group="population")
    passion_concentration: float = _param(
        0.6, "gamma shape of passion weights: small = focused on few themes", 0.01, 100,
        group="population")
    skill_level: float = _param(0.45, "mean skill in a person's main domain at hire", 0, 1,
                                group="population")
    tie_slots: int = _param(8, "maximum ties a person keeps (D)", 1, 64, group="population")
    initial_ties: int = _param(4, "ties to unit colleagues at the start", 0, 64,
                               group="population")

    # --- market ---
    arrival_rate: float = _param(0.05, "items arriving per active person per step (Poisson mean)",
                                 0, 100, group="market")
    turbulence: float = _param(0.05, "s.d. of the market's per-step random walk in theme "
                               "log-weights", 0, 10, group="market")
    effort_dist: str = _param("lognormal", "distribution of item effort", choices=(
        "fixed", "exponential", "lognormal"), group="market")
    effort_mean: float = _param(6.0, "mean effort of an item (effort units)", 1e-6, 1e6,
                                group="market")
    effort_sigma: float = _param(0.6, "sigma of log effort (lognormal only)", 0, 5,
                                 group="market")
    value_mean: float = _param(1.0, "mean value of an item", 0, 1e6, group="market")
    cost_of_delay: float = _param(0.01, "value lost per step of lead time (exponential rate)", 0,
                                  10, group="market")
    shelf_life: int = _param(60, "steps an item waits in the backlog before it expires "
                             "(0 = never)", 0, 1_000_000, group="market")

    # --- Kanban ---
    wip_ready: int = _param(4, "WIP limit of a tribe's ready column (pull)", 1, 1_000_000,
                            group="kanban")
    wip_doing: int = _param(3, "WIP limit of a tribe's doing column (pull)", 1, 1_000_000,
                            group="kanban")
    wip_review: int = _param(3, "WIP limit of a tribe's review column (pull)", 1, 1_000_000,
                             group="kanban")
    pull_candidates: int = _param(6, "backlog items a tribe looks at per free slot", 1, 1000,
                                  group="kanban")
    review_rate: float = _param(0.3, "items a member can confirm per step", 0, 100,
                                group="kanban")
    switch_cost: float = _param(0.1, "efficiency lost per extra item per member in doing",
                                0, 10, group="kanban")
    coordination_cost: float = _param(0.04, "per-member coordination cost: output = n/(1+c(n-1))",
                                      0, 10, group="kanban")

    # --- fit (observe) ---
    w_alignment: float = _param(0.35, "weight of purpose alignment in fit", 0, 1, group="fit")
    w_skill: float = _param(0.2, "weight of skill use in fit", 0, 1, group="fit")
    w_belonging: float = _param(0.25, "weight of belonging in fit", 0, 1, group="fit")
    w_leader: float = _param(0.2, "weight of leader quality in fit", 0, 1, group="fit")
    w_workload: float = _param(0.15, "penalty per unit of overload", 0, 1, group="fit")
    belonging_scale: float = _param(1.0, "tie weight inside the tribe that gives belonging 1-1/e",
                                    1e-6, 1e6, group="fit")
    load_horizon: float = _param(10.0, "steps of open work at current capacity a tribe carries "
                                 "without overload", 1e-6, 1e6, group="fit")
    unaffiliated_fit: float = _param(0.3, "fit of a person with no tribe", 0, 1, group="fit")

    # --- orient ---
    engagement_rate: float = _param(0.1, "rate at which engagement moves toward fit", 0, 1,
                                    group="orient")
    commitment_rate: float = _param(0.03, "rate at which commitment follows engagement", 0, 1,
                                    group="orient")
    practice_learning: float = _param(0.02, "rate of learning from stronger peers in a community "
                                      "of practice", 0, 1, group="orient")
    doing_learning: float = _param(0.01, "rate of learning by doing the tribe's work", 0, 1,
                                   group="orient")
    practice_threshold: float = _param(0.3, "skill that makes a person a member of a community "
                                       "of practice", 0, 1, group="orient")
    interest_threshold: float = _param(0.4, "passion weight that makes a person a member of a "
                                       "community of interest", 0, 1, group="orient")
    passion_drift: float = _param(0.003, "rate at which members' passions drift to the tribe "
                                  "purpose", 0, 1, group="orient")

    # --- decide: membership and exit ---
    consider_rate: float = _param(0.1, "probability a person reconsiders membership in a step",
                                  0, 1, group="membership")
    switch_threshold: float = _param(0.08, "fit gain needed to switch tribe", 0, 1,
                                     group="membership")
    found_threshold: float = _param(0.4, "best available fit below which a person may found a "
                                    "tribe", 0, 1, group="membership")
    found_rate: float = _param(0.1, "probability of founding, times initiative, when unfit", 0, 1,
                               group="membership")
    leave_threshold: float = _param(0.25, "fit below which a member leaves the tribe", 0, 1,
                                    group="membership")
    cofound_alignment: float = _param(0.8, "passion alignment a tie needs to co-found", 0, 1,
                                      group="membership")
    approval_rate: float = _param(0.3, "probability management approves a move out of one's "
                                  "unit (hybrid)", 0, 1, group="membership")
    exit_base: float = _param(0.001, "per-step exit probability of a committed person", 0, 1,
                              group="membership")
    exit_sensitivity: float = _param(0.05, "extra exit probability per unit of outside option "
                                     "above commitment", 0, 1, group="membership")
    outside_option: float = _param(0.35, "attractiveness of jobs elsewhere", 0, 1,
                                   group="membership")

    # --- decide: leadership ---
    endorse_sample: int = _param(1, "co-members a person meets per step when endorsing", 1, 100,
                                 group="leadership")
    leader_hysteresis: float = _param(0.25, "share of endorsements a challenger needs beyond "
                                      "the leader's", 0, 100, group="leadership")
    rotation_period: int = _param(20, "steps between leader rotations (rotating)", 1, 1_000_000,
                                  group="leadership")
    role_overhead: float = _param(0.05, "share of effort spent on role governance "
                                  "(distributed)", 0, 1, group="leadership")
    reputation_decay: float = _param(0.05, "per-step decay of reputation", 0, 1,
                                     group="leadership")

    # --- decide: tribe life cycle ---
    min_tribe_size: int = _param(3, "size below which a tribe dissolves after its grace period",
                                 1, 1_000_000, group="lifecycle")
    grace_period: int = _param(8, "steps a new tribe has to reach the minimum size", 0,
                               1_000_000, group="lifecycle")
    max_tribe_size: int = _param(25, "size above which a tribe splits", 2, 10_000_000,
                                 group="lifecycle")
    split_division: float = _param(0.55, "division above which a tribe splits", 0, 1,
                                   group="lifecycle")
    merge_similarity: float = _param(0.97, "purpose similarity at which two tribes merge", 0, 1,
                                     group="lifecycle")
    merge_check_rate: float = _param(0.05, "probability a tribe compares itself with another", 0,
                                     1, group="lifecycle")

    # --- decide: purpose ---
    refine_rate: float = _param(0.05, "rate at which a purpose moves toward members' passions", 0,
                                1, group="purpose")
    market_pull: float = _param(0.03, "rate at which the value champion pulls the purpose to the "
                                "market (times their attunement to it)", 0, 1, group="purpose")
    pivot_patience: int = _param(15, "poor steps in a row before a pivot", 1, 1_000_000,
                                 group="purpose")
    pivot_threshold: float = _param(0.02, "value per member per step below which a step is poor",
                                    0, 1e6, group="purpose")
    reorient_every: int = _param(25, "steps between purpose re-orientations (0 = never)", 0,
                                 1_000_000, group="purpose")

    # --- decide: conflict ---
    conflict_threshold: float = _param(0.45, "division above which a tribe is in conflict", 0, 1,
                                       group="conflict")
    arbitration_cost: float = _param(0.05, "engagement lost by overruled members (arbitration)",
                                     0, 1, group="conflict")
    consent_overhead: float = _param(0.2, "share of effort a consent round costs", 0, 1,
                                     group="conflict")
    exit_alignment: float = _param(0.4, "alignment below which members leave a conflicted tribe "
                                   "(exit)", 0, 1, group="conflict")

    # --- act ---
    innovation_rate: float = _param(0.01, "rate at which the innovation champion raises "
                                    "effectiveness", 0, 1, group="act")
    innovation_decay: float = _param(0.005, "rate at which effectiveness falls back without a "
                                     "champion", 0, 1, group="act")
    max_effectiveness: float = _param(2.0, "ceiling of a tribe's effectiveness", 1, 100,
                                      group="act")
    tie_growth: float = _param(0.1, "tie weight gained by working together in a step", 0, 1,
                               group="act")
    tie_decay: float = _param(0.01, "per-step decay of every tie", 0, 1, group="act")

    # --- outputs ---
    snapshot_every: int = _param(0, "steps between person and tribe snapshots (0 = none)", 0,
                                 1_000_000, group="output")
    record_events: bool = _param(True, "keep the event log", group="output")

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, preset: str | None = None, **overrides: Any) -> Config:
        """Defaults, then the preset's values, then `overrides`; every value checked.

        Raises:
            ConfigError: an unknown preset or parameter, or a value the parameter does not allow.
        """
        preset = DEFAULT_PRESET if preset is None else preset
        if preset not in PRESETS:
            raise ConfigError(f"preset: unknown value {preset!r}; allowed: "
                              f"{', '.join(sorted(PRESETS))}")
        values = {**PRESETS[preset], **overrides}
        names = {f.name for f in dataclasses.fields(cls)}
        for name in values:
            if name not in names:
                hint = difflib.get_close_matches(name, sorted(names), n=1)
                raise ConfigError(f"{name}: no such parameter"
                                  + (f" (did you mean {hint[0]!r}?)" if hint else "")
                                  + "; `run.py --help` or `Config.parameters()` lists them")
        checked = {name: _check(cls.spec(name), value) for name, value in values.items()}
        config = cls(**checked)
        config._check_relations()
        return config

    def replace(self, **overrides: Any) -> Config:
        """A copy with some parameters changed, checked like `build`."""
        base = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return Config.build(DEFAULT_PRESET, **{**base, **overrides})

    def to_dict(self) -> dict[str, Any]:
        """All parameters by name."""
        return dataclasses.asdict(self)

    @classmethod
    def spec(cls, name: str) -> dataclasses.Field:
        """The declaration of parameter `name` (type, default, metadata)."""
        return {f.name: f for f in dataclasses.fields(cls)}[name]

    @classmethod
    def parameters(cls) -> list[dataclasses.Field]:
        """All parameter declarations, in declaration order."""
        return list(dataclasses.fields(cls))

    @classmethod
    def parse_value(cls, name: str, text: str) -> Any:
        """Convert a command-line string to parameter `name`'s type (no range check)."""
        names = {f.name for f in dataclasses.fields(cls)}
        if name not in names:
            hint = difflib.get_close_matches(name, sorted(names), n=1)
            raise ConfigError(f"{name}: no such parameter"
                              + (f" (did you mean {hint[0]!r}?)" if hint else "")
                              + "; `run.py --help` or `Config.parameters()` lists them")
        kind = _kind(cls.spec(name))
        try:
            if kind is bool:
                lowered = text.strip().lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError
                return lowered in {"true", "1", "yes"}
            if kind is int:
                as_float = float(text)
                if not as_float.is_integer():
                    raise ValueError
                return int(as_float)
            return kind(text)
        except ValueError:
            if kind is bool:
                allowed = "true or false (also 1/0, yes/no)"
            elif kind in (int, float):
                allowed = _range(cls.spec(name))
            else:
                allowed = "text"
            raise ConfigError(f"{name}: {text!r} is not allowed; allowed: {allowed}") from None

    def _check_relations(self) -> None:
        if self.initial_ties > self.tie_slots:
            raise ConfigError(f"initial_ties: {self.initial_ties} exceeds tie_slots "
                              f"({self.tie_slots}); allowed: 0..tie_slots")
        if self.min_tribe_size > self.max_tribe_size:
            raise ConfigError(f"min_tribe_size: {self.min_tribe_size} exceeds max_tribe_size "
                              f"({self.max_tribe_size}); allowed: 1..max_tribe_size")
        if self.w_alignment + self.w_skill + self.w_belonging + self.w_leader <= 0:
            raise ConfigError("w_alignment, w_skill, w_belonging, w_leader: all zero; at least "
                              "one fit weight must be positive")


_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def _kind(spec: dataclasses.Field) -> type:
    annotation = spec.type if isinstance(spec.type, str) else spec.type.__name__
    return _TYPES[annotation]


def _check(spec: dataclasses.Field, value: Any) -> Any:
    """Return `value` converted to the parameter's type, or raise ConfigError."""
    name, meta, kind = spec.name, spec.metadata, _kind(spec)
    if kind is bool:
        if not isinstance(value, bool | int) or value not in (0, 1):
            raise ConfigError(f"{name}: {value!r} is not allowed; allowed: true or false")
        return bool(value)
    if kind is str:
        allowed = policy_names(meta["policy"]) if "policy" in meta else meta["choices"]
        if value not in allowed:
            what = f"{meta['policy']} policy" if "policy" in meta else "value"
            raise ConfigError(f"{name}: unknown {what} {value!r}; allowed: {', '.join(allowed)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name}: {value!r} is not a number; allowed: {_range(spec)}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{name}: {value!r} is not a whole number; allowed: {_range(spec)}")
        value = int(value)
    else:
        value = float(value)
    if not math.isfinite(value) or not meta["lo"] <= value <= meta["hi"]:
        raise ConfigError(f"{name}: {value!r} is out of range; allowed: {_range(spec)}")
    return value


def _range(spec: dataclasses.Field) -> str:
    lo, hi = spec.metadata["lo"], spec.metadata["hi"]
    kind = _kind(spec).__name__
    if lo == 0 and hi == 1 and kind == "float":
        return "a probability or share in [0, 1]"
    if kind == "int":
        return f"a whole number in [{int(lo)}, {int(hi)}]"
    return f"a number in [{lo:g}, {hi:g}]"


def describe_parameters() -> str:
    """A plain-text table of every parameter: name, default, allowed values, meaning."""
    lines = []
    for spec in Config.parameters():
        meta = spec.metadata
        if "policy" in meta:
            allowed = " | ".join(policy_names(meta["policy"]))
        elif meta["choices"]:
            allowed = " | ".join(meta["choices"])
        elif _kind(spec) is bool:
            allowed = "true | false"
        else:
            allowed = f"[{meta['lo']:g}, {meta['hi']:g}]"
        lines.append(f"  {spec.name:<22} {spec.default!s:<10} {allowed:<28} {meta['help']}")
    return "\n".join(lines)


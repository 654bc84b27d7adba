"""The model's configuration: every parameter, its default, its allowed values and its meaning.

Each parameter is declared in the group of the concern that reads it (`LeadershipParams` in
`model/rules/leadership.py`, `MarketParams` in `model/market.py`, ...); `Config` inherits every
group, so a configuration is one flat set of typed parameters. A `Config` is immutable and
always valid: it is built from defaults, a preset and overrides by name
(`Config.build("hierarchy", people=500)`), and every value is checked against the parameter's
declared type and range when it is built. A bad value raises `ConfigError`, whose message names
the parameter, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from model.market import MarketParams
from model.parameters import Params, did_you_mean
from model.policy import policy_names
from model.population import PopulationParams
from model.presets import DEFAULT_PRESET, PRESETS
from model.rules.competence import CompetenceParams
from model.rules.conflict import ConflictParams
from model.rules.exit import ExitParams
from model.rules.federation import FederationParams
from model.rules.fit import FitParams
from model.rules.handoff import HandoffParams
from model.rules.hiring import HiringParams
from model.rules.intertribe import IntertribeParams
from model.rules.leadership import LeadershipParams
from model.rules.lifecycle import LifecycleParams
from model.rules.membership import MembershipParams
from model.rules.objectives import ObjectivesParams
from model.rules.opportunism import OpportunismParams
from model.rules.orient import OrientParams
from model.rules.passion import PassionParams
from model.rules.pressure import PressureParams
from model.rules.purpose import PurposeParams
from model.rules.work import WorkParams


class ConfigError(ValueError):
    """A parameter, preset or policy that does not exist, or a value it does not allow."""


# the order of the groups in listings (`run.py --help`): governance concerns, then the rest
GROUPS: tuple[type[Params], ...] = (
    MembershipParams, LeadershipParams, PurposeParams, WorkParams, ConflictParams, HiringParams,
    FederationParams, IntertribeParams, ObjectivesParams, OpportunismParams, CompetenceParams,
    PressureParams, PopulationParams, MarketParams, HandoffParams, FitParams, OrientParams,
    PassionParams, ExitParams, LifecycleParams)


@dataclass(frozen=True)
class Config(LifecycleParams, ExitParams, PassionParams, OrientParams, FitParams, HandoffParams,
             MarketParams, PopulationParams, PressureParams, CompetenceParams, OpportunismParams,
             ObjectivesParams, IntertribeParams, FederationParams, HiringParams, ConflictParams,
             WorkParams, PurposeParams, LeadershipParams, MembershipParams):
    """All parameters of one model run. Build it with `Config.build`, not by hand.

    Attributes:
        preset: the preset it was built from (None if none was named); not a parameter.
    """

    preset: str | None = field(default=None, compare=False, metadata={"label": True})

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, preset: str | None = None, **overrides: Any) -> Config:
        """Defaults, then the preset's values, then `overrides`; every value checked.

        Raises:
            ConfigError: an unknown preset or parameter, or a value the parameter does not allow.
        """
        named = preset
        preset = DEFAULT_PRESET if preset is None else preset
        if not isinstance(preset, str) or preset not in PRESETS:
            raise ConfigError(f"preset: unknown value {_show(preset)}; allowed: "
                              f"{', '.join(sorted(PRESETS))}")
        values = {**PRESETS[preset], **overrides}
        for name in values:
            cls._known(name)
        checked = {name: _check(cls.spec(name), value) for name, value in values.items()}
        config = cls(preset=named if named is not None else preset, **checked)
        config._check_relations()
        return config

    def replace(self, **overrides: Any) -> Config:
        """A copy with some parameters changed, checked like `build` (it keeps its preset's
        name)."""
        base = {spec.name: getattr(self, spec.name) for spec in self.parameters()}
        config = Config.build(DEFAULT_PRESET, **{**base, **overrides})
        return dataclasses.replace(config, preset=self.preset)

    def to_dict(self) -> dict[str, Any]:
        """All parameters by name (the preset's name is not one)."""
        return {spec.name: getattr(self, spec.name) for spec in self.parameters()}

    @classmethod
    def spec(cls, name: str) -> dataclasses.Field[Any]:
        """The declaration of parameter `name` (type, default, metadata)."""
        return {f.name: f for f in cls.parameters()}[name]

    @classmethod
    def parameters(cls) -> list[dataclasses.Field[Any]]:
        """All parameter declarations, group by group (in `GROUPS` order)."""
        by_name = {f.name: f for f in dataclasses.fields(cls)}
        return [by_name[f.name] for group in GROUPS for f in dataclasses.fields(group)]

    @classmethod
    def group_of(cls, name: str) -> str:
        """The group (concern) that declares parameter `name`."""
        for group in GROUPS:
            if name in {f.name for f in dataclasses.fields(group)}:
                return group.group
        raise ConfigError(unknown_parameter(name))

    @classmethod
    def _known(cls, name: str) -> None:
        if name not in {spec.name for spec in cls.parameters()}:
            raise ConfigError(unknown_parameter(name))

    @classmethod
    def parse_value(cls, name: str, text: str) -> Any:
        """Convert a command-line string to parameter `name`'s type (no range check)."""
        cls._known(name)
        spec = cls.spec(name)
        kind = _kind(spec)
        try:
            if kind is int:
                as_float = float(text)
                if not as_float.is_integer():
                    raise ValueError
                return int(as_float)
            return kind(text)
        except ValueError:
            allowed = _range(spec) if kind in (int, float) else allowed_values(spec)
            raise ConfigError(f"{name}: {_show(text)} is not allowed; allowed: {allowed}") \
                from None

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


def unknown_parameter(name: str) -> str:
    """The message for a parameter that does not exist, with the closest name."""
    names = [spec.name for spec in Config.parameters()]
    return (f"{_show(name)}: no such parameter{did_you_mean(str(name), names)}; "
            "`run.py --help` or `Config.parameters()` lists them")


_TYPES = {"int": int, "float": float, "str": str}


def _show(value: Any, limit: int = 60) -> str:
    """A value as the user gave it, cut short if long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-3:]} " \
        f"({len(text)} characters)"


def _kind(spec: dataclasses.Field[Any]) -> type:
    annotation = spec.type if isinstance(spec.type, str) else spec.type.__name__
    return _TYPES[annotation]


def _check(spec: dataclasses.Field[Any], value: Any) -> Any:
    """Return `value` converted to the parameter's type, or raise ConfigError."""
    name, meta, kind = spec.name, spec.metadata, _kind(spec)
    if kind is str and meta.get("parse") is not None:
        try:
            canonical: str = meta["parse"](value)
        except ValueError as error:
            raise ConfigError(f"{name}: {error}; allowed: {meta['allowed']}") from None
        return canonical
    if kind is str:
        allowed = policy_names(meta["policy"]) if "policy" in meta else meta["choices"]
        if not isinstance(value, str) or value not in allowed:
            what = f"{meta['policy']} policy" if "policy" in meta else "value"
            raise ConfigError(f"{name}: unknown {what} {_show(value)}; allowed: "
                              f"{', '.join(allowed)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name}: {_show(value)} is not a number; allowed: {_range(spec)}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{name}: {_show(value)} is not a whole number; allowed: "
                              f"{_range(spec)}")
        value = int(value)
    else:
        value = float(value)
    if not math.isfinite(value) or not meta["lo"] <= value <= meta["hi"]:
        raise ConfigError(f"{name}: {_show(value)} is out of range; allowed: {_range(spec)}")
    return value


def _range(spec: dataclasses.Field[Any]) -> str:
    lo, hi = spec.metadata["lo"], spec.metadata["hi"]
    kind = _kind(spec).__name__
    if lo == 0 and hi == 1 and kind == "float":
        return "a probability or share in [0, 1]"
    if kind == "int":
        return f"a whole number in [{int(lo)}, {int(hi)}]"
    return f"a number in [{lo:g}, {hi:g}]"


def allowed_values(spec: dataclasses.Field[Any]) -> str:
    """What parameter `spec` allows, in a few words."""
    meta = spec.metadata
    if "policy" in meta:
        return " | ".join(policy_names(meta["policy"]))
    if meta.get("allowed"):
        return str(meta["allowed"])
    if meta["choices"]:
        return " | ".join(meta["choices"])
    return f"[{meta['lo']:g}, {meta['hi']:g}]"


def describe_parameters() -> str:
    """A plain-text table of every parameter, group by group: name, default, allowed values,
    meaning."""
    lines = []
    group = None
    for spec in Config.parameters():
        if Config.group_of(spec.name) != group:
            group = Config.group_of(spec.name)
            lines.append(f"  [{group}]")
        lines.append(f"  {spec.name:<22} {spec.default!s:<10} {allowed_values(spec):<28} "
                     f"{spec.metadata['help']}")
    return "\n".join(lines)

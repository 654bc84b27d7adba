"""The sidebar's settings: a preset, the governance policies and the central parameters.

Every default, allowed value, meaning and group comes from `model.Config`; the app adds only
how wide a slider is (Config allows e.g. up to ten million people) and a short label. A
setting the user has not touched follows the chosen preset: the model is built as
`Organization(preset=..., rng=seed, **changed)`, so a preset's values are never overridden by
a default the app happened to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import solara

from model import DEFAULT_PRESET, PRESETS, Config
from model.policy import POLICY_KINDS, policy_names

POLICIES = POLICY_KINDS  # each concern's policy, from the registry

# The parameters the sensitivity experiment (experiments/sensitivity.toml) varies, plus the
# size of the organization: the ones the ODD's throughput and retention questions turn on.
# Each: (name, short label, slider minimum, maximum, step); defaults come from Config.
CENTRAL: tuple[tuple[str, str, float, float, float], ...] = (
    ("people", "People at the start", 20, 2000, 10),
    ("arrival_rate", "Work arrivals per person per step", 0.0, 0.2, 0.005),
    ("turbulence", "Market turbulence (s.d. per step)", 0.0, 0.5, 0.01),
    ("wip_doing", "WIP limit of 'doing' (items, pull)", 1, 10, 1),
    ("switch_cost", "Cost of switching between items", 0.0, 1.0, 0.05),
    ("consider_rate", "Reconsider membership (per step)", 0.0, 1.0, 0.05),
    ("outside_option", "Outside option (jobs elsewhere)", 0.0, 1.0, 0.05),
    ("passion_drift", "Passion drift toward purpose", 0.0, 0.05, 0.001),
    ("cross_tribe_share", "Share of items needing several tribes", 0.0, 1.0, 0.05),
    ("handoff_cost", "Cost of a hand-off between distant tribes", 0.0, 2.0, 0.05),
    ("rivalry", "Rivalry: contests that become conflicts", 0.0, 1.0, 0.05),
    ("objective_weight", "Leaders' weight on formal objectives", 0.0, 1.0, 0.05),
)

# Config's groups (the concern that declares each parameter), in the order the ODD describes
# them, with a heading each
GROUP_TITLES = {"population": "Population", "market": "Market", "work": "Work and flow",
                "membership": "Membership", "exit": "Leaving the organization",
                "orient": "Orientation", "handoff": "Work across tribes",
                "intertribe": "Conflict between tribes", "objectives": "Formal objectives"}

SEED_RANGE = (0, 999)


def parameter_groups() -> list[tuple[str, list[tuple[str, str, float, float, float]]]]:
    """The central parameters, grouped by their `group` in Config, in ODD order."""
    groups: dict[str, list] = {}
    for entry in CENTRAL:
        groups.setdefault(Config.group_of(entry[0]), []).append(entry)
    return [(GROUP_TITLES[group], groups[group]) for group in GROUP_TITLES if group in groups]


def is_integer(name: str) -> bool:
    """Whether Config declares parameter `name` as a whole number."""
    return Config.spec(name).type in (int, "int")


@dataclass(frozen=True)
class Settings:
    """What the sidebar holds for one configuration: a preset and the values changed from it."""

    preset: str = DEFAULT_PRESET
    changed: dict[str, Any] = field(default_factory=dict)

    def config(self) -> Config:
        """The Config these settings give (checked by Config.build)."""
        return Config.build(self.preset, **self.changed)

    def value(self, name: str) -> Any:
        """The value in force: the one set here, else the preset's, else Config's default."""
        return getattr(self.config(), name)

    def preset_value(self, name: str) -> Any:
        """The value the preset alone gives."""
        return getattr(Config.build(self.preset), name)

    def set(self, name: str, value: Any) -> Settings:
        """These settings with `name` set; a value equal to the preset's is not kept as a
        change, so that a later change of preset takes effect for it."""
        changed = {k: v for k, v in self.changed.items() if k != name}
        if value != self.preset_value(name):
            changed[name] = value
        return Settings(self.preset, changed)

    def with_preset(self, preset: str) -> Settings:
        """These settings under another preset, keeping what the user changed that still
        differs from the new preset."""
        base = Config.build(preset)
        return Settings(preset, {k: v for k, v in self.changed.items()
                                 if getattr(base, k) != v})

    def model_kwargs(self, seed: int) -> dict[str, Any]:
        """Keyword arguments for `Organization`."""
        return {"preset": self.preset, "rng": seed, **self.changed}


def describe(settings: Settings) -> str:
    """One line: the preset and what differs from it."""
    if not settings.changed:
        return f"{settings.preset} as is"
    changes = ", ".join(f"{name} {_fmt(value)}" for name, value in settings.changed.items())
    return f"{settings.preset} with {changes}"


def clean(name: str, value: float) -> int | float:
    """A slider's value in the parameter's type; floats rounded, so that 0.05 reached by
    steps of 0.005 equals Config's 0.05 and is not taken for a change."""
    return int(round(value)) if is_integer(name) else round(float(value), 9)


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def model_settings(model) -> Settings:
    """The Settings a running model was built with (its preset and what differs from it)."""
    preset = model.preset or DEFAULT_PRESET
    base = Config.build(preset).to_dict()
    return Settings(preset, {k: v for k, v in model.cfg.to_dict().items() if base[k] != v})


@solara.component
def SettingsPanel(settings: solara.Reactive[Settings], title: str = ""):
    """The preset, a policy select per governance concern and the central parameters, each
    showing its value and whether it differs from the preset."""
    current = settings.value
    config = current.config()
    prefix = f"{title} " if title else ""

    def choose_preset(preset: str) -> None:
        settings.set(settings.value.with_preset(preset))

    def setter(name: str) -> Callable[[Any], None]:
        def change(value: Any) -> None:
            settings.set(settings.value.set(name, value))

        return change

    def slider_setter(name: str) -> Callable[[float], None]:
        def change(value: float) -> None:
            settings.set(settings.value.set(name, clean(name, value)))

        return change

    with solara.Card(f"{prefix}Governance", margin=0):
        solara.Select(label=f"{prefix}Preset", value=current.preset, values=list(PRESETS),
                      on_value=choose_preset)
        for name in POLICIES:
            mark = " (changed)" if name in current.changed else ""
            solara.Select(label=f"{prefix}{name.capitalize()}{mark}",
                          value=getattr(config, name), values=list(policy_names(name)),
                          on_value=setter(name))
    for heading, entries in parameter_groups():
        with solara.Card(f"{prefix}{heading}", margin=0):
            for name, label, lo, hi, step in entries:
                value = getattr(config, name)
                text = f"{label}: {_fmt(value)}" + (" (changed)" if name in current.changed
                                                    else "")
                if is_integer(name):
                    solara.SliderInt(text, value=value, min=int(lo), max=int(hi),
                                     step=int(step), on_value=slider_setter(name))
                else:
                    solara.SliderFloat(text, value=value, min=lo, max=hi, step=step,
                                       on_value=slider_setter(name))
    if current.changed:
        solara.Button(f"{prefix}Use the preset's values", text=True,
                      on_click=lambda: settings.set(Settings(settings.value.preset)))


__all__ = ["CENTRAL", "POLICIES", "SEED_RANGE", "Settings", "SettingsPanel", "describe",
           "model_settings", "parameter_groups"]

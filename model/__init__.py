"""The organization model: configuration, presets, environment, governance, step plan and
metrics."""

from model.config import Config, ConfigError
from model.organization import Organization
from model.presets import DEFAULT_PRESET, PRESETS

__all__ = ["Config", "ConfigError", "DEFAULT_PRESET", "Organization", "PRESETS"]

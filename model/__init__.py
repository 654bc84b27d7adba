"""The organization model: configuration and presets, the environment (market, boards), the
rules (one module per concern), the step plan, metrics, events and outputs."""

from model.config import Config, ConfigError
from model.organization import Organization
from model.presets import DEFAULT_PRESET, PRESETS
from model.recording import Recording

__all__ = ["DEFAULT_PRESET", "PRESETS", "Config", "ConfigError", "Organization", "Recording"]

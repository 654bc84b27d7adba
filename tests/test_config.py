"""Configuration: defaults, presets, overrides and clear errors for bad input."""

import dataclasses

import pytest

from model import PRESETS, Config, ConfigError, Organization
from model.config import describe_parameters
from model.policy import POLICY_KINDS, policy_doc, policy_names


def test_every_preset_builds_and_sets_every_policy():
    for name, values in PRESETS.items():
        config = Config.build(name)
        for kind in POLICY_KINDS:
            assert kind in values, f"preset {name} leaves {kind} to the default"
            assert getattr(config, kind) == values[kind]


def test_presets_differ_in_their_rules():
    rules = {name: tuple(getattr(Config.build(name), k) for k in POLICY_KINDS) for name in PRESETS}
    assert len(set(rules.values())) == len(PRESETS)


def test_overrides_apply_over_the_preset():
    config = Config.build("hierarchy", people=123, wip_doing=5, leadership="emergent")
    assert (config.people, config.wip_doing, config.leadership) == (123, 5, "emergent")
    assert config.membership == "assigned"


def test_replace_checks_values():
    config = Config.build()
    assert config.replace(turbulence=0.2).turbulence == 0.2
    with pytest.raises(ConfigError, match="turbulence"):
        config.replace(turbulence=-1.0)


@pytest.mark.parametrize(("overrides", "words"), [
    ({"exit_base": 1.5}, ["exit_base", "1.5", "[0, 1]"]),
    ({"consider_rate": -0.1}, ["consider_rate", "-0.1", "[0, 1]"]),
    ({"people": -5}, ["people", "-5", "whole number"]),
    ({"wip_doing": 2.5}, ["wip_doing", "2.5", "whole number"]),
    ({"people": "many"}, ["people", "'many'", "not a number"]),
    ({"turbulence": float("nan")}, ["turbulence", "nan"]),
    ({"membership": "anarchy"}, ["membership", "'anarchy'", "voluntary", "assigned"]),
    ({"effort_dist": "uniform"}, ["effort_dist", "'uniform'", "lognormal"]),
    ({"effort_dist": 3}, ["effort_dist", "3", "fixed, exponential, lognormal"]),
    ({"leadership": ["emergent"]}, ["leadership", "allowed: emergent"]),
    ({"wip_redy": 3}, ["wip_redy", "no such parameter", "wip_ready"]),
    ({"initial_ties": 9, "tie_slots": 4}, ["initial_ties", "tie_slots"]),
    ({"min_tribe_size": 30, "max_tribe_size": 10}, ["min_tribe_size", "max_tribe_size"]),
])
def test_bad_values_are_named_with_what_is_allowed(overrides, words):
    with pytest.raises(ConfigError) as error:
        Config.build(**overrides)
    for word in words:
        assert word in str(error.value)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ConfigError) as error:
        Config.build("anarchy")
    assert "anarchy" in str(error.value)
    for name in PRESETS:
        assert name in str(error.value)


def test_parse_value_converts_by_type():
    assert Config.parse_value("people", "250") == 250
    assert Config.parse_value("turbulence", "0.25") == 0.25
    assert Config.parse_value("effort_dist", "fixed") == "fixed"
    assert Config.parse_value("work", "push") == "push"
    with pytest.raises(ConfigError, match="people"):
        Config.parse_value("people", "2.5")
    with pytest.raises(ConfigError, match="no such parameter"):
        Config.parse_value("peeple", "3")


def test_every_parameter_is_described_and_every_policy_documented():
    text = describe_parameters()
    for spec in Config.parameters():
        assert spec.name in text
        assert spec.metadata["help"]
    for kind in POLICY_KINDS:
        for name in policy_names(kind):
            assert policy_doc(kind, name)


def test_policy_fields_match_policy_kinds():
    declared = {f.metadata["policy"] for f in Config.parameters() if "policy" in f.metadata}
    assert declared == set(POLICY_KINDS)


def test_config_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config.build().people = 3


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"seed": 3, "rng": 3}, ["seed", "rng=3", "one of them"]),
    ({"rng": "abc"}, ["rng", "'abc'", "allowed"]),
    ({"rng": -1}, ["rng", "-1", "allowed"]),
])
def test_the_model_refuses_a_bad_seed_by_name(kwargs, words):
    with pytest.raises(ConfigError) as error:
        Organization(people=20, **kwargs)
    for word in words:
        assert word in str(error.value)

"""The declared contracts of the layout: every policy implements its concern's contract and
declares the parameters it reads; the plan is a table of contents; rules never call back into
the model; importing the model is light."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from model import Config, Organization
from model.config import GROUPS
from model.plan import PLAN
from model.policy import POLICY_KINDS, policy_class, policy_names
from model.rules import _CONTRACTS

ROOT = Path(__file__).resolve().parents[1]


def group_params(kind: str) -> set[str]:
    """The parameters of the concern `kind`'s group (without the policy's name)."""
    group = next(g for g in GROUPS if kind in {f.name for f in dataclasses.fields(g)})
    return {f.name for f in dataclasses.fields(group)} - {kind}


def another_value(name: str) -> object:
    """A valid value of parameter `name` far from its default."""
    spec = Config.spec(name)
    default, lo, hi = spec.default, spec.metadata["lo"], spec.metadata["hi"]
    if isinstance(default, int):
        return min(int(hi), max(default * 3, default + 2)) if default + 1 <= hi else int(lo)
    upper = min(hi, max(default * 3, default + 0.3))
    return upper if upper != default else lo


@pytest.mark.parametrize("kind", POLICY_KINDS)
def test_every_policy_implements_its_concern_and_declares_parameters_of_its_group(kind):
    params = group_params(kind)
    for name in policy_names(kind):
        cls = policy_class(kind, name)
        assert issubclass(cls, _CONTRACTS[kind]), name
        assert not getattr(cls, "__abstractmethods__", None), name
        assert set(cls.params) <= params, (name, set(cls.params) - params)
        assert cls.doc(), name


def run(**settings: object) -> pd.DataFrame:
    # no history: the established organization runs under the formal rules, whose parameters
    # every run reads; items that need several tribes, and tribes that dispute, so that the
    # rules above the tribe act
    return Organization(rng=5, people=80, history_steps=0, cross_tribe_share=0.3, rivalry=0.2,
                        **settings).run(60)


@pytest.mark.parametrize(("kind", "name"), [(kind, name) for kind in POLICY_KINDS
                                             for name in policy_names(kind)])
def test_parameters_another_policy_declares_do_not_change_a_run(kind, name):
    """What a policy does not declare, it does not read: changing the parameters only other
    policies of the concern declare leaves the run unchanged, bit for bit."""
    cls = policy_class(kind, name)
    others = {p for other in policy_names(kind) for p in policy_class(kind, other).params}
    undeclared = sorted(others - set(cls.params))
    if not undeclared:
        pytest.skip(f"no other {kind} policy declares a parameter that {name} does not")
    base = run(**{kind: name})
    changed = run(**{kind: name}, **{p: another_value(p) for p in undeclared})
    pd.testing.assert_frame_equal(base, changed)


@pytest.mark.parametrize(("kind", "name", "parameter"), [
    (kind, name, parameter) for kind in POLICY_KINDS for name in policy_names(kind)
    for parameter in policy_class(kind, name).params])
def test_every_declared_parameter_is_read(kind, name, parameter):
    """A declared parameter changes the run of the policy that declares it (so declarations
    are not stale)."""
    # a regime where every mechanism acts: people reconsider and leave, poor steps happen
    # (pivots), review is slow enough for its column to fill up, items need several tribes,
    # tribes dispute and federate readily (constellations fill up), peers review and catch
    # opportunists, competence counts, passions differ in intensity
    settings = {kind: name, "consider_rate": 0.3, "outside_option": 0.6, "history_steps": 0,
                "pivot_threshold": 0.5, "arrival_rate": 0.3, "review_rate": 0.05,
                "cross_tribe_share": 0.3, "rivalry": 0.2, "federate_rate": 0.5,
                "federate_threshold": 0.3, "secede_threshold": 0.5,
                "opportunist_share": 0.3, "review_by": "peers", "competence_weight": 0.5,
                "intensity_mean": 0.6}
    value = 0.0 if parameter in settings else another_value(parameter)
    base = Organization(rng=5, people=120, **settings).run(120)
    changed = Organization(rng=5, people=120, **{**settings, parameter: value}).run(120)
    assert not base.equals(changed), f"{parameter} made no difference under {kind}={name}"


def test_the_plan_is_a_table_of_contents():
    tree = ast.parse((ROOT / "model" / "plan.py").read_text())
    functions = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    assert set(functions) <= {"label", "run", "profile"}  # no rule bodies
    for phase in PLAN:
        assert phase.function.__module__ != "model.plan", phase.label


def imported_modules(path: Path) -> set[str]:
    """Modules imported at run time (not under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text())
    skipped = {id(node) for top in ast.walk(tree) if isinstance(top, ast.If)
               and ast.unparse(top.test) == "TYPE_CHECKING" for node in ast.walk(top)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted([*(ROOT / "model" / "rules").glob("*.py"),
                                         ROOT / "model" / "state.py",
                                         *(ROOT / "agents").glob("*.py"),
                                         *(ROOT / "numerics").glob("*.py")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_rules_state_and_agents_never_call_back_into_the_model(path):
    assert "model.organization" not in imported_modules(path)


@pytest.mark.parametrize("path", sorted((ROOT / "numerics").glob("*.py")),
                         ids=lambda p: p.name)
def test_the_ground_floor_knows_nothing_of_the_model(path):
    assert not {m for m in imported_modules(path)
                if m.split(".")[0] in ("model", "agents", "experiments", "viz")}


def test_importing_the_model_and_building_a_config_is_light():
    code = ("import sys, model; model.Config.build('hierarchy', people=10); "
            "heavy = [m for m in ('numba', 'dask', 'distributed', 'solara', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_a_config_remembers_its_preset_and_so_does_the_model():
    config = Config.build("hierarchy", people=40)
    assert config.preset == "hierarchy"
    assert "preset" not in config.to_dict()
    assert config.replace(people=50).preset == "hierarchy"
    assert Organization(config, rng=1).preset == "hierarchy"
    assert Organization(rng=1, people=30).preset == "purposeful"

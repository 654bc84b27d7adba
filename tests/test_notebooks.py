"""Every research notebook runs top to bottom (with small parameters)."""

from __future__ import annotations

from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

SMALL = {
    "01_quickstart": {"PEOPLE": 80, "STEPS": 40},
    "02_governance": {"REPLICATES": 3, "STEPS": 40, "PEOPLE": 60, "WORKERS": 0},
    "03_sensitivity": {"PRESETS": ["hierarchy", "purposeful"], "PEOPLE": 40, "STEPS": 30,
                       "REPLICATES": 1, "SOBOL_N": 4, "MORRIS_TRAJECTORIES": 3,
                       "WORKERS": 0},
    "04_tribe_dynamics": {"PEOPLE": 100, "STEPS": 60},
}


def test_every_notebook_has_small_parameters_here():
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == set(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs(name, tmp_path):
    parameters = dict(SMALL[name])
    if "WORKERS" in parameters:  # results go to a scratch folder, not the repository
        parameters["OUT"] = str(tmp_path / "results")
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(tmp_path / f"{name}.ipynb"),
                               parameters=parameters, cwd=str(NOTEBOOKS), kernel_name="python3",
                               progress_bar=False)

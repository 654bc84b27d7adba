"""Every research notebook runs top to bottom (with small parameters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT = 600  # seconds per cell: a hung notebook fails instead of hanging CI

SMALL = {
    "01_quickstart": {"PEOPLE": 80, "STEPS": 40},
    "02_governance": {"REPLICATES": 3, "STEPS": 40, "PEOPLE": 60, "WORKERS": 0},
    "03_sensitivity": {"PEOPLE": 40, "STEPS": 30, "REPLICATES": 1, "SOBOL_N": 4,
                       "MORRIS_TRAJECTORIES": 3, "WORKERS": 0},
    "04_tribe_dynamics": {"PEOPLE": 100, "STEPS": 60},
}


def test_every_notebook_has_small_parameters_here():
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == set(SMALL)


# what each notebook must state, computed from its results
STATEMENTS = {
    "01_quickstart": ("Throughput averaged ", "of the starting people were still employed",
                      "of the ties join two members of the same tribe"),
    "02_governance": ("throughput: ", "retention: "),
    "03_sensitivity": (" under ",),
    "04_tribe_dynamics": ("Share still in their tribe after 30 steps", "Share still employed",
                          "Tribe sizes under ", "Purposes move most under"),
}
FIGURES = {"01_quickstart": {"time_series", "network"},
           "02_governance": {"by_rule", "paired_differences"},
           "03_sensitivity": {"sobol", "morris"},
           "04_tribe_dynamics": {"survival", "tribe_sizes", "leader_tenure", "purpose_drift"}}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs_saves_its_figures_and_states_what_they_show(name, tmp_path):
    parameters = {**SMALL[name], "OUT": str(tmp_path / "results")}  # not the repository's
    executed = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(executed),
                               parameters=parameters, cwd=str(NOTEBOOKS), kernel_name="python3",
                               progress_bar=False, execution_timeout=TIMEOUT)
    # under OUT, or beside it for a variant of an experiment file (OUT-<hash>)
    saved = list(tmp_path.rglob("*.png")) + list(tmp_path.rglob("*.svg"))
    stems = {(p.stem, p.suffix) for p in saved}
    assert stems == {(stem, suffix) for stem in FIGURES[name] for suffix in (".png", ".svg")}
    for path in saved:
        assert path.stat().st_size > 5_000, path
    text = outputs(executed)
    for statement in STATEMENTS[name]:
        assert statement in text, statement


def outputs(notebook: Path) -> str:
    """The text every code cell of an executed notebook printed."""
    cells = json.loads(notebook.read_text())["cells"]
    return "".join("".join(out.get("text", "")) for cell in cells if cell["cell_type"] == "code"
                   for out in cell.get("outputs", []))


def test_governance_notebook_loads_what_the_command_line_stored(tmp_path):
    """02 with an unchanged experiment file reads the folder `run.py sweep` wrote, running
    nothing again."""
    experiment = tmp_path / "tiny.toml"
    experiment.write_text((ROOT / "experiments" / "governance.toml").read_text()
                          .replace("steps = 1200", "steps = 30")
                          .replace("replicates = 20", "replicates = 2")
                          .replace("people = 400", "people = 40"))
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(experiment),
                           "--out", str(out), "--workers", "0"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    executed = tmp_path / "02.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / "02_governance.ipynb"), str(executed),
                               parameters={"EXPERIMENT": str(experiment), "OUT": str(out),
                                           "WORKERS": 0},
                               cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
                               execution_timeout=TIMEOUT)
    text = outputs(executed)
    assert f"{out}: 0 runs run now, 20 already stored, 0 failed" in text
    assert "cannot tell (2 replicates)" in text

"""Export of the run on screen: the step table, the event log and the configuration, zipped.

The files are those `run.py --out DIR --format csv` writes (`steps.csv`, `events.csv`,
`config.json`), so a run explored in the app can be read with the same code; a comparison
gives one folder per configuration (`a/`, `b/`).
"""

from __future__ import annotations

import io
import json
import zipfile
from importlib import metadata
from typing import Any

import mesa


def run_files(model) -> dict[str, bytes]:
    """steps.csv, events.csv and config.json of one model, as it is now."""
    settings = {"preset": model.preset, "seed": model.seed, "steps": model.steps,
                "parameters": model.cfg.to_dict(), "versions": versions()}
    return {"steps.csv": model.step_table().to_csv(index=False).encode(),
            "events.csv": model.event_log().to_csv(index=False).encode(),
            "config.json": json.dumps(settings, indent=2).encode()}


def versions() -> dict[str, Any]:
    """This package's version and Mesa's, so that a file says what made it."""
    return {"purposeful-enterprise": metadata.version("purposeful-enterprise"),
            "mesa": mesa.__version__}


def export_zip(models: dict[str, Any]) -> bytes:
    """A zip archive of `run_files` for each model, in a folder named by its key ('' for none).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for folder, model in models.items():
            for name, data in run_files(model).items():
                archive.writestr(f"{folder}/{name}" if folder else name, data)
    return buffer.getvalue()


def export_name(models: dict[str, Any]) -> str:
    """A file name that says what is in the archive: presets, seed and step."""
    first = next(iter(models.values()))
    presets = "-vs-".join(str(m.preset or "custom") for m in models.values())
    return f"purposeful-{presets}-seed{first.seed}-step{first.steps}.zip"

"""Experiment sweeps: experiment files (TOML), designs, running (local processes or Dask),
resumable storage, and analysis with confidence intervals.

    from experiments import load_experiment, run_sweep, summarize
    experiment = load_experiment("experiments/governance.toml")
    run_sweep(experiment, "results/governance")
    summary = summarize("results/governance")
"""

from experiments.analysis import (
                                  Summary,
                                  draw_figures,
                                  format_summary,
                                  sensitivity,
                                  summarize,
                                  write_summary,
)
from experiments.designs import Condition, conditions, replicate_seeds
from experiments.experiment import Experiment, ExperimentError
from experiments.runner import SweepReport, run_sweep
from experiments.spec import load_experiment, parse_experiment
from experiments.store import Store

__all__ = ["Condition", "Experiment", "ExperimentError", "Store", "Summary", "SweepReport",
           "conditions", "draw_figures", "format_summary", "load_experiment",
           "parse_experiment", "replicate_seeds", "run_sweep", "sensitivity", "summarize",
           "write_summary"]

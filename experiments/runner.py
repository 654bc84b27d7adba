"""Running a sweep: every condition x replicate, on local processes or a Dask cluster, streamed
to disk, resumable, with failed runs recorded instead of stopping the sweep.

The parts: `task` (one run, summarized by `model.metrics.summarize_run`), `pool` (local
processes with crash isolation), `processes` (plumbing), `cluster` (the Dask client), `store`
(the results folder).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from experiments import task as task_module
from experiments.designs import Condition, conditions, conditions_table
from experiments.experiment import Experiment, ExperimentError
from experiments.files import WriteError, display
from experiments.provenance import environment, manifest_packages
from experiments.store import Store, now, write_json, write_parquet
from experiments.task import Outcome, Task, column_types, tasks


@dataclass
class SweepReport:
    """How a sweep went."""

    expected: int
    skipped: int = 0
    stored: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)  # what the sweep changed or decided


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def run_sweep(experiment: Experiment, out: str | os.PathLike, *, workers: int | None = None,
              scheduler: str | None = None, dask_workers: int | None = None,
              retry_failed: bool = False, progress: bool = True,
              connect_timeout: float = 30.0,
              note: Callable[[str], None] | None = None) -> SweepReport:
    """Run every task not yet stored; return the report. A Dask cluster is reached, and its
    workers checked, before anything is written. Stored runs whose files are not whole are
    moved to `out/corrupt/` and run again. More local workers than cores are capped at the
    cores.

    Args:
        experiment: the validated experiment.
        out: results folder (created; resumed if it holds this experiment's runs).
        workers: local processes (default: all cores; 0 runs in this process).
        scheduler: address of a running Dask scheduler (tcp://host:port).
        dask_workers: start a local Dask cluster with this many worker processes.
        retry_failed: also run again the runs recorded as failed.
        progress: show a progress bar with the time left.
        connect_timeout: seconds to wait for a Dask scheduler (and its first worker) to answer,
            and for each step of its handshake.
        note: called with each note (a capped worker count, files moved aside) as it is made;
            the report keeps them too.

    Raises:
        ExperimentError: the folder holds another experiment's results, is in use or damaged;
            the Dask scheduler cannot be reached, or its workers run other code or package
            versions; a file cannot be written (the runs stored so far are kept).
    """
    notes: list[str] = []

    def tell(text: str) -> None:
        notes.append(text)
        if note is not None:
            note(text)

    workers = _capped("--workers", workers, tell)
    dask_workers = _capped("--dask-workers", dask_workers, tell)
    store = Store(out)
    conds = conditions(experiment)
    all_tasks = tasks(experiment, conds)
    types = column_types(experiment, conds)
    environment.cache_clear()  # this process's code now (runs in this process use it too)
    here = environment()
    check_folder(experiment, store)
    corrupt = store.corrupt_runs(with_steps=experiment.outputs == "steps")
    todo, _ = _todo(all_tasks, store, retry_failed, corrupt)
    with _executor(bool(todo), workers, scheduler, dask_workers, connect_timeout,
                   here) as execute, store.owned():
        report = SweepReport(expected=len(all_tasks), notes=notes)
        start = time.perf_counter()
        bar = None
        try:
            prepare(experiment, store, conds, here["code"], len(all_tasks))
            if corrupt:
                store.move_aside(corrupt)
                tell(f"moved the files of {len(corrupt)} corrupt stored runs aside to "
                     f"{display(store.corrupt)}; they run again: {', '.join(corrupt[:10])}"
                     + (" ..." if len(corrupt) > 10 else ""))
            todo, report.failed = _todo(all_tasks, store, retry_failed)
            report.skipped = len(all_tasks) - len(todo)
            if progress and todo:
                from tqdm.auto import tqdm

                bar = tqdm(total=len(todo), unit="run", desc=experiment.name)
            for outcome in execute(todo):
                _store(store, outcome, types, report)
                if bar is not None:
                    bar.update(1)
        except KeyboardInterrupt:
            report.interrupted = True
        except WriteError as error:
            raise ExperimentError(f"{error}; the {len(store.done())} runs stored so far are "
                                  "kept: free space or fix the folder, then run the same "
                                  "command again to resume") from None
        finally:
            if bar is not None:
                bar.close()
            report.seconds = time.perf_counter() - start
        return report


def _capped(option: str, count: int | None, tell: Callable[[str], None]) -> int | None:
    """A count of local worker processes, at most the cores (more only slow every run)."""
    cores = available_cores()
    if count is not None and count > cores:
        tell(f"{option} {count} is more than the {cores} cores here; using {cores}")
        return cores
    return count


def _store(store: Store, outcome: Outcome, types: dict[str, Any], report: SweepReport) -> None:
    task = outcome.task
    if outcome.error is None:
        store.save_run(task.run_id, outcome.summary, outcome.steps, types)
        report.stored += 1
    else:
        store.save_failure(task.run_id, {
            "run_id": task.run_id, "error": outcome.error, "traceback": outcome.trace,
            "preset": task.preset, "settings": {**task.base, **task.values},
            "replicate": task.replicate, "seed": task.seed})
        report.failed.append(task.run_id)


def check_folder(experiment: Experiment, store: Store) -> dict[str, Any] | None:
    """The folder's manifest (None for a new folder), if it is this experiment's.

    Raises:
        ExperimentError: the folder is not a sweep's, or holds another experiment's results.
    """
    manifest = store.read_manifest()
    if manifest is not None and manifest["experiment"]["sha256"] != experiment.sha256:
        raise ExperimentError(
            f"{display(store.root)}: holds results of a different experiment file "
            f"(sha256 {manifest['experiment']['sha256'][:12]}..., this file "
            f"{experiment.sha256[:12]}...); use another --out folder")
    return manifest


def prepare(experiment: Experiment, store: Store, conds: list[Condition], code: dict[str, Any],
            runs: int) -> None:
    """Write (or update) the manifest and write the conditions table."""
    manifest = check_folder(experiment, store)
    store.root.mkdir(parents=True, exist_ok=True)
    if manifest is None:
        manifest = {"experiment": experiment.to_dict(), "created": now(),
                    "runs_expected": runs, "conditions": len(conds), "sessions": []}
    # each start of the sweep is a session: resumed sweeps keep the record of earlier code;
    # every run also stores the code it ran with (column `code`)
    session = {"started": now(), "code": code, "packages": manifest_packages()}
    manifest["sessions"] = [*manifest.get("sessions", []), session]
    manifest.update({"code": code, "packages": session["packages"], "updated": now()})
    write_json(manifest, store.manifest_path)
    write_parquet(conditions_table(conds), store.root / "conditions.parquet")


def _todo(all_tasks: list[Task], store: Store, retry_failed: bool,
          corrupt: Sequence[str] = ()) -> tuple[list[Task], list[str]]:
    """The runs still to do (`corrupt` ones too), and the failed runs left alone."""
    done = store.done() - set(corrupt)
    failed_before = set(store.failures())
    todo = [t for t in all_tasks if t.run_id not in done
            and (retry_failed or t.run_id not in failed_before)]
    return todo, sorted(failed_before - {t.run_id for t in todo} - done)


Execute = Callable[[list[Task]], Iterator[Outcome]]


@contextmanager
def _executor(needed: bool, workers: int | None, scheduler: str | None,
              dask_workers: int | None, connect_timeout: float,
              here: dict[str, Any]) -> Iterator[Execute]:
    """A function running tasks: on Dask (connected and checked here), in local processes, or
    in this process."""
    if needed and (scheduler is not None or dask_workers is not None):
        from experiments.cluster import dask_client, stream

        with dask_client(scheduler, dask_workers, connect_timeout, here) as client:
            yield lambda todo: stream(client, todo) if todo else iter(())
        return
    if workers is None:
        workers = available_cores()
    if workers == 0:
        yield lambda todo: (task_module.run_task(task) for task in todo)
    else:
        from experiments.pool import on_processes

        yield lambda todo: on_processes(todo, workers) if todo else iter(())

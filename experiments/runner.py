"""Running a sweep: every condition x replicate, on local processes or a Dask cluster, streamed
to disk, resumable, with failed runs recorded instead of stopping the sweep."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pandas as pd
import pyarrow as pa

from experiments.designs import (
    Condition,
    conditions,
    conditions_table,
    factor_names,
    replicate_seeds,
)
from experiments.spec import Experiment, ExperimentError
from experiments.store import (
    Store,
    code_label,
    code_version,
    now,
    package_versions,
    write_json,
    write_parquet,
)

SUMMARY_MEANS = ("throughput", "wip", "backlog", "value", "engagement", "alignment", "fit",
                 "tribes", "tribe_size_mean", "unaffiliated", "switches", "founded",
                 "dissolved", "leader_changes", "headcount")
SUMMARY_FINAL = ("retention", "exits_total", "done_total", "value_total", "gini_contribution")
# packages whose versions must agree between the client and Dask workers (numba: when both
# have it; the results are the same without it)
KEY_PACKAGES = ("numpy", "mesa", "numba")
FAULT = "PURPOSEFUL_SWEEP_FAULT"  # environment variable of the fault injection for tests


@dataclass(frozen=True)
class Task:
    """One run: a condition under one replicate's seed. Plain data, so it pickles."""

    run_id: str
    condition: int
    label: str
    preset: str
    values: dict[str, Any]
    base: dict[str, Any]
    replicate: int
    seed: int
    steps: int
    warmup: float
    keep_every: int | None
    factors: tuple[str, ...] = ()  # the experiment's factors: every run has their columns


@dataclass
class Outcome:
    """What a run returns: its tables, or its error."""

    task: Task
    summary: pd.DataFrame | None = None
    steps: pd.DataFrame | None = None
    error: str | None = None
    trace: str | None = None


def summarize_run(table: pd.DataFrame, warmup: float) -> dict[str, float]:
    """Run summary: means over the steps after the warm-up, final values of cumulated ones."""
    steps = int(table["step"].iloc[-1])
    window = table[table["step"] > warmup * steps]
    if window.empty:
        window = table.iloc[-1:]
    summary = {name: float(window[name].mean()) for name in SUMMARY_MEANS}
    done = float(window["throughput"].sum())
    summary["lead_time"] = (float((window["lead_time"].fillna(0) * window["throughput"]).sum())
                            / done if done > 0 else float("nan"))
    summary.update({name: float(table[name].iloc[-1]) for name in SUMMARY_FINAL})
    return summary


@functools.cache
def environment() -> dict[str, Any]:
    """This process's code version (`code_version`, and its label) and the versions of the key
    packages installed; computed once per process (as a pool worker starts, at a Dask worker's
    probe), so a worker reports the code it imported, not code committed since."""
    code = code_version()
    return {"code": code, "label": code_label(code), "packages": key_packages()}


def key_packages() -> dict[str, str]:
    """Versions of the installed `KEY_PACKAGES`."""
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def differences(here: dict[str, Any], there: dict[str, Any]) -> list[str]:
    """How a worker's environment differs from this process's, in words (empty: the same
    model source and key package versions)."""
    found = []
    if here["code"]["source"] != there["code"]["source"]:
        found.append(f"model source {there['code']['source'][:12]} ({there['label']}) differs "
                     f"from this client's {here['code']['source'][:12]} ({here['label']})")
    for name in KEY_PACKAGES:
        mine, theirs = here["packages"].get(name), there["packages"].get(name)
        if name == "numba" and (mine is None or theirs is None):
            continue
        if mine != theirs:
            found.append(f"{name} {theirs or 'not installed'} (this client: "
                         f"{mine or 'not installed'})")
    return found


def run_task(task: Task) -> Outcome:
    """Run one task; an exception becomes a failed outcome with its traceback. The run's `code`
    is the code version of the process that ran it."""
    from model import Organization  # imported here so that workers import it themselves

    _inject_fault(task)
    try:
        model = Organization(preset=task.preset, rng=task.seed, **{**task.base, **task.values})
        table = model.run(task.steps)
    except Exception as error:  # recorded as a failed run, reported at the end of the sweep
        return Outcome(task, error=f"{type(error).__name__}: {error}",
                       trace=traceback.format_exc())
    row = {"run_id": task.run_id, "condition": task.condition, "label": task.label,
           "preset": task.preset, "replicate": task.replicate, "seed": task.seed,
           "code": environment()["label"],
           **{name: task.values.get(name) for name in task.factors},
           **summarize_run(table, task.warmup)}
    summary = pd.DataFrame([row])
    kept = None
    if task.keep_every:
        kept = table[table["step"] % task.keep_every == 0].copy()
        kept.insert(0, "run_id", task.run_id)
        kept.insert(1, "condition", task.condition)
        kept.insert(2, "replicate", task.replicate)
    return Outcome(task, summary=summary, steps=kept)


def _inject_fault(task: Task) -> None:
    """Fault injection for tests: with FAULT="crash:<run id>" in the environment, the process
    that runs that run exits at once, as a crashed or killed worker would."""
    fault = os.environ.get(FAULT)
    if not fault:
        return
    kind, _, run_id = fault.partition(":")
    if kind != "crash" or not run_id:
        raise ValueError(f"{FAULT}: {fault!r} is not a fault; allowed: crash:<run id>")
    if run_id == task.run_id:
        os._exit(70)


def tasks(experiment: Experiment, conds: list[Condition]) -> list[Task]:
    """Every run of the sweep, replicate-major so that early results cover all conditions."""
    seeds = replicate_seeds(experiment)
    keep = experiment.keep_every if experiment.outputs == "steps" else None
    factors = tuple(factor_names(experiment))
    return [Task(run_id=f"c{c.index:05d}-r{r:04d}", condition=c.index, label=c.label,
                 preset=c.preset, values=c.values, base=experiment.base, replicate=r,
                 seed=seed, steps=experiment.steps, warmup=experiment.warmup, keep_every=keep,
                 factors=factors)
            for r, seed in enumerate(seeds) for c in conds]


def column_types(experiment: Experiment, conds: list[Condition]) -> dict[str, pa.DataType]:
    """The Parquet type of every factor column (as pandas writes a condition's value), so that
    a run whose condition does not set a factor stores a null of the column's type."""
    types = {}
    for name in factor_names(experiment):
        value = next(c.values[name] for c in conds if name in c.values)
        frame = pd.DataFrame({name: [value]})
        types[name] = pa.Schema.from_pandas(frame, preserve_index=False).field(name).type
    return types


@dataclass
class SweepReport:
    """How a sweep went."""

    expected: int
    skipped: int = 0
    stored: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False


def check_folder(experiment: Experiment, store: Store) -> dict[str, Any] | None:
    """The folder's manifest (None for a new folder), if it is this experiment's.

    Raises:
        ExperimentError: the folder is not a sweep's, or holds another experiment's results.
    """
    manifest = store.read_manifest()
    if manifest is not None and manifest["experiment"]["sha256"] != experiment.sha256:
        raise ExperimentError(
            f"{store.root}: holds results of a different experiment file "
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
    session = {"started": now(), "code": code, "packages": package_versions()}
    manifest["sessions"] = [*manifest.get("sessions", []), session]
    manifest.update({"code": code, "packages": session["packages"], "updated": now()})
    write_json(manifest, store.manifest_path)
    write_parquet(conditions_table(conds), store.root / "conditions.parquet")


def _todo(all_tasks: list[Task], store: Store, retry_failed: bool) -> tuple[list[Task], list[str]]:
    """The runs still to do, and the failed runs left alone."""
    done = store.done()
    failed_before = set(store.failures())
    todo = [t for t in all_tasks if t.run_id not in done
            and (retry_failed or t.run_id not in failed_before)]
    return todo, sorted(failed_before - {t.run_id for t in todo} - done)


def run_sweep(experiment: Experiment, out: str, *, workers: int | None = None,
              scheduler: str | None = None, dask_workers: int | None = None,
              retry_failed: bool = False, progress: bool = True,
              connect_timeout: float = 30.0) -> SweepReport:
    """Run every task not yet stored; return the report. A Dask cluster is reached, and its
    workers checked, before anything is written.

    Args:
        experiment: the validated experiment.
        out: results folder (created; resumed if it holds this experiment's runs).
        workers: local processes (default: all cores; 0 runs in this process).
        scheduler: address of a running Dask scheduler (tcp://host:port).
        dask_workers: start a local Dask cluster with this many worker processes.
        retry_failed: also run again the runs recorded as failed.
        progress: show a progress bar with the time left.
        connect_timeout: seconds to wait for a Dask scheduler (and its first worker) to answer.

    Raises:
        ExperimentError: the folder holds another experiment's results or is in use; the Dask
            scheduler cannot be reached, or its workers run other code or package versions.
    """
    store = Store(out)
    conds = conditions(experiment)
    all_tasks = tasks(experiment, conds)
    types = column_types(experiment, conds)
    environment.cache_clear()  # this process's code now (runs in this process use it too)
    here = environment()
    check_folder(experiment, store)
    todo, _ = _todo(all_tasks, store, retry_failed)
    with _executor(bool(todo), workers, scheduler, dask_workers, connect_timeout,
                   here) as execute, store.owned():
        prepare(experiment, store, conds, here["code"], len(all_tasks))
        todo, report_failed = _todo(all_tasks, store, retry_failed)
        report = SweepReport(expected=len(all_tasks), skipped=len(all_tasks) - len(todo),
                             failed=report_failed)
        start = time.perf_counter()
        bar = None
        if progress and todo:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo), unit="run", desc=experiment.name)
        try:
            for outcome in execute(todo):
                if outcome.error is None:
                    store.save_run(outcome.task.run_id, outcome.summary, outcome.steps, types)
                    report.stored += 1
                else:
                    store.save_failure(outcome.task.run_id, {
                        "run_id": outcome.task.run_id, "error": outcome.error,
                        "traceback": outcome.trace, "preset": outcome.task.preset,
                        "settings": {**outcome.task.base, **outcome.task.values},
                        "replicate": outcome.task.replicate, "seed": outcome.task.seed})
                    report.failed.append(outcome.task.run_id)
                if bar is not None:
                    bar.update(1)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            if bar is not None:
                bar.close()
            report.seconds = time.perf_counter() - start
        return report


Execute = Callable[[list[Task]], Iterator[Outcome]]


@contextmanager
def _executor(needed: bool, workers: int | None, scheduler: str | None,
              dask_workers: int | None, connect_timeout: float,
              here: dict[str, Any]) -> Iterator[Execute]:
    """A function running tasks: on Dask (connected and checked here), in local processes, or
    in this process."""
    if needed and (scheduler is not None or dask_workers is not None):
        with _dask_client(scheduler, dask_workers, connect_timeout, here) as client:
            yield lambda todo: _stream(client, todo) if todo else iter(())
        return
    if workers is None:
        workers = os.cpu_count() or 1
    if workers == 0:
        yield lambda todo: (run_task(task) for task in todo)
    else:
        yield lambda todo: _on_processes(todo, workers) if todo else iter(())


def _on_processes(todo: list[Task], workers: int) -> Iterator[Outcome]:
    """A local process pool, with at most twice as many runs in flight as workers.

    A worker process that dies (a crash, `os._exit`, the out-of-memory killer) breaks the
    pool and every run in flight with it. Those runs are then run again, each alone in a new
    process, so that only a run whose own process dies is recorded as failed ("worker died");
    then a new pool goes on with the rest.
    """
    context = multiprocessing.get_context("spawn")
    queue = deque(todo)
    while queue:
        suspects = yield from _pool(queue, workers, context)
        yield from _alone(suspects, workers, context)


def _pool(queue: deque[Task], workers: int, context) -> Generator[Outcome, None, list[Task]]:
    """Run tasks from `queue` on one pool until it is done or broken; return the runs that
    were in flight when it broke."""
    pool = _new_pool(workers, context)
    running: dict[Future, Task] = {}
    suspects: list[Task] = []
    try:
        while queue or running:
            while queue and len(running) < 2 * workers and not suspects:
                task = queue.popleft()
                try:
                    running[pool.submit(run_task, task)] = task
                except BrokenProcessPool:
                    suspects.append(task)
            if suspects:  # broken: every run in flight fails with it
                wait(running)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task = running.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    suspects.append(task)
                    continue
                yield outcome
            if suspects and not running:
                return suspects
        return suspects
    finally:
        # on an interruption, runs in flight are dropped: they are not stored, so a restart
        # runs them again
        pool.shutdown(wait=not running, cancel_futures=True)


def _new_pool(workers: int, context) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_start_worker, initargs=(os.getpid(),))


def _start_worker(parent: int) -> None:
    """Pool worker initializer: exit with the sweep process, and take the code version now,
    as the worker starts (its runs record it)."""
    exit_with_parent(parent)
    environment()


def exit_with_parent(parent: int) -> None:
    """End this process (SIGTERM) when the sweep process `parent` dies, even by SIGKILL,
    which leaves it no chance to stop its pool (called as a pool worker starts). On Linux the
    kernel sends the signal (prctl PR_SET_PDEATHSIG); elsewhere, or if prctl fails, a daemon
    thread checks every second whether the process has been given another parent."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os.kill(os.getpid(), signal.SIGTERM)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="exit-with-parent").start()


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _alone(suspects: list[Task], workers: int, context) -> Iterator[Outcome]:
    """Run each task in a process of its own (`workers` at a time); a task whose process dies
    becomes a failed outcome."""
    queue = deque(suspects)
    running: dict[Future, tuple[Task, ProcessPoolExecutor]] = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.popleft()
                pool = _new_pool(1, context)
                running[pool.submit(run_task, task)] = (task, pool)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task, pool = running.pop(future)
                pool.shutdown()
                try:
                    outcome = future.result()
                except BrokenProcessPool as error:
                    outcome = Outcome(task, error=f"worker died: {error} (the process running "
                                      "this run ended abruptly: a crash, os._exit, or killed, "
                                      "e.g. out of memory)", trace=traceback.format_exc())
                yield outcome
    finally:
        for _, pool in running.values():
            pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _dask_client(scheduler: str | None, dask_workers: int | None, connect_timeout: float,
                 here: dict[str, Any]) -> Iterator[Any]:
    """A client of a Dask cluster (an existing scheduler, or a local cluster started for this
    sweep) whose workers all run this client's model source and key package versions."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        _check_address(scheduler)
    with ExitStack() as stack:
        cluster = None
        if scheduler is None:
            # no dashboard; the scheduler's HTTP server (health and metrics routes, which
            # cannot be turned off) on a free port: dashboard_address=None would still bind
            # port 8787 (dask/distributed#8136)
            cluster = stack.enter_context(LocalCluster(
                n_workers=dask_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=":0", scheduler_kwargs={"dashboard": False}))
        try:
            client = stack.enter_context(Client(scheduler or cluster,
                                                timeout=f"{connect_timeout}s"))
        except OSError as error:
            raise ExperimentError(f"--scheduler {scheduler}: cannot connect ({error})") \
                from None
        _check_workers(client, here, connect_timeout)
        yield client


def _check_address(scheduler: str) -> None:
    """A scheduler address Dask can connect to: [SCHEME://]HOST:PORT with a known scheme.

    Raises:
        ExperimentError: it is not one.
    """
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(scheduler)
        get_backend(scheme)
        if scheme != "inproc":
            host, _ = parse_host_port(location)
            if not host:
                raise ValueError("no host name")
    except ValueError as error:
        raise ExperimentError(f"--scheduler: {scheduler!r} is not a scheduler address "
                              f"({error}); allowed: tcp://HOST:PORT (or tls://, ws://, "
                              "wss://)") from None


def _check_workers(client, here: dict[str, Any], timeout: float) -> None:
    """Every worker must import the model and run the same code and key packages as here."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ExperimentError(f"the Dask scheduler {client.scheduler.address} has no workers "
                              f"(waited {timeout:g} s)") from None
    answers = client.run(_probe, on_error="return")
    problems = []
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            problems.append(f"{worker} cannot run the model ({type(answer).__name__}: "
                            f"{answer}); install this project on every worker with "
                            "`pip install -e .`")
        elif found := differences(here, answer):
            problems.append(f"{worker} runs other code: {'; '.join(found)}")
    if problems:
        raise ExperimentError("the Dask workers do not match this client, refusing to run: "
                              + " | ".join(problems)
                              + " (install the same commit and packages everywhere, then "
                                "restart the workers)")


def _window(client) -> int:
    """Runs in flight on Dask: twice the worker threads (asked again at each submission, so
    workers that join later get work too)."""
    return 2 * max(1, sum(client.nthreads().values()))


def _stream(client, todo: list[Task]) -> Iterator[Outcome]:
    """Submit the runs in a bounded window and release each one once its result is here, so
    that the cluster holds only the runs in flight, never the finished ones."""
    from distributed import KilledWorker, as_completed

    queue = iter(todo)
    running: dict[str, Task] = {}
    pending = as_completed(loop=client.loop)

    def submit(count: int) -> None:
        for task in itertools.islice(queue, count):
            future = client.submit(run_task, task, pure=False)
            running[future.key] = task
            pending.add(future)

    try:
        submit(_window(client))
        for future in pending:
            task = running.pop(future.key)
            try:
                outcome = future.result()
            except KilledWorker as error:  # the run's worker died more often than allowed
                outcome = Outcome(task, error=f"worker died: {error}",
                                  trace=traceback.format_exc())
            future.release()  # the scheduler forgets the run; its result is only here now
            del future
            submit(max(0, _window(client) - len(running)))
            yield outcome
    finally:
        # on an interruption, runs in flight are dropped (not stored: a restart runs them)
        client.cancel(list(pending.futures))


def _probe() -> dict[str, Any]:
    import model  # noqa: F401  (a worker that cannot import the model fails here)

    return environment()


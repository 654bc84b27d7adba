"""The Dask client of a sweep: reach the scheduler (or start a local cluster), check that every
worker runs this client's code, and stream the runs through a bounded window."""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from experiments import task as task_module
from experiments.experiment import ExperimentError
from experiments.provenance import differences, environment
from experiments.task import Outcome, Task


@contextmanager
def dask_client(scheduler: str | None, dask_workers: int | None, connect_timeout: float,
                here: dict[str, Any]) -> Iterator[Any]:
    """A client of a Dask cluster (an existing scheduler, or a local cluster started for this
    sweep) whose workers all run this client's model source and key package versions.

    Raises:
        ExperimentError: the scheduler cannot be reached or has no workers, or its workers run
            other code.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        check_address(scheduler)
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
        check_workers(client, here, connect_timeout)
        yield client


def check_address(scheduler: str) -> None:
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


def check_workers(client: Any, here: dict[str, Any], timeout: float) -> None:
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


def stream(client: Any, todo: list[Task]) -> Iterator[Outcome]:
    """Submit the runs in a bounded window and release each one once its result is here, so
    that the cluster holds only the runs in flight, never the finished ones."""
    from distributed import KilledWorker, as_completed

    queue = iter(todo)
    running: dict[str, Task] = {}
    pending = as_completed(loop=client.loop)

    def submit(count: int) -> None:
        for task in itertools.islice(queue, count):
            future = client.submit(task_module.run_task, task, pure=False)
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


def _window(client: Any) -> int:
    """Runs in flight on Dask: twice the worker threads (asked again at each submission, so
    workers that join later get work too)."""
    return 2 * max(1, sum(client.nthreads().values()))


def _probe() -> dict[str, Any]:
    import model  # noqa: F401  (a worker that cannot import the model fails here)

    return environment()

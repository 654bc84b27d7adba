"""The Dask client of a sweep: reach the scheduler (or start a local cluster), check that every
worker runs this client's code, and stream the runs through a bounded window."""

from __future__ import annotations

import concurrent.futures
import itertools
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from experiments import task as task_module
from experiments.experiment import ExperimentError, named, shown
from experiments.provenance import differences, environment
from experiments.task import Outcome, Task

SCHEMES = ("tcp", "tls", "ws", "wss")  # the comms that reach a scheduler in another process
_ALLOWED = "tcp://HOST:PORT (or tls:// or wss:// with certificates in Dask's configuration)"


@contextmanager
def dask_client(scheduler: str | None, dask_workers: int | None, connect_timeout: float,
                here: dict[str, Any]) -> Iterator[Any]:
    """A client of a Dask cluster (an existing scheduler, or a local cluster started for this
    sweep, listening on 127.0.0.1 only) whose workers all run this client's model source and
    key package versions. An existing scheduler must answer Dask's handshake within
    `connect_timeout` seconds, before the client is made.

    Dask unpickles what the scheduler sends: a scheduler is trusted like one's own shell.

    Raises:
        ExperimentError: the address is not one Dask can reach from here, the server does not
            answer as a Dask scheduler, it has no workers, or its workers run other code.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        check_address(scheduler)
        identify(scheduler, connect_timeout)
    with ExitStack() as stack:
        cluster = None
        if scheduler is None:
            # no dashboard; the scheduler's HTTP server (health and metrics routes, which
            # cannot be turned off) on a free port of 127.0.0.1: ":0" would serve it on every
            # interface, and dashboard_address=None would still bind port 8787
            # (dask/distributed#8136)
            cluster = stack.enter_context(LocalCluster(
                n_workers=dask_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False}))
        try:
            client = stack.enter_context(Client(scheduler or cluster,
                                                timeout=f"{connect_timeout}s"))
        except OSError as error:
            raise ExperimentError(f"--scheduler {named(scheduler)}: cannot connect ({error})") \
                from None
        check_workers(client, here, connect_timeout)
        yield client


def check_address(scheduler: str) -> None:
    """A scheduler address Dask can connect to from here: [SCHEME://]HOST:PORT with a scheme
    of `SCHEMES`; tls:// and wss:// only with TLS certificates in Dask's configuration.

    Raises:
        ExperimentError: it is not one.
    """
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port
    from distributed.security import Security

    where = f"--scheduler: {shown(scheduler)}"
    try:
        scheme, location = parse_address(scheduler)
        if scheme not in SCHEMES:
            raise ValueError(f"the scheme {scheme!r} cannot reach a scheduler in another "
                             "process" if scheme == "inproc" else
                             f"unknown address scheme {scheme!r}")
        host, _ = parse_host_port(location)
        if not host:
            raise ValueError("no host name")
    except ValueError as error:
        raise ExperimentError(f"{where} is not a scheduler address ({error}); allowed: "
                              f"{_ALLOWED}") from None
    if scheme in ("tls", "wss") and \
            Security().get_connection_args("client").get("ssl_context") is None:
        raise ExperimentError(f"{where} needs TLS certificates, and Dask's configuration has "
                              "none (distributed.comm.tls.ca-file, .client.cert, .client.key); "
                              f"allowed: {_ALLOWED}")


def identify(scheduler: str, timeout: float) -> None:
    """Check that `scheduler` answers Dask's handshake and says it is a scheduler, each step
    within `timeout` seconds (a server that accepts and never answers would otherwise hold
    the client for ever; one that is not Dask can make it try to allocate exabytes).

    Raises:
        ExperimentError: it cannot be reached, does not answer in time, or is not a Dask
            scheduler.
    """
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    args = Security().get_connection_args("client")
    where = f"--scheduler {named(scheduler)}"

    async def ask() -> Any:
        try:
            comm = await asyncio.wait_for(connect(scheduler, timeout=timeout, **args),
                                          timeout + 1)
        except TimeoutError:  # before OSError: it is one
            raise ExperimentError(f"{where}: did not answer Dask's handshake within "
                                  f"{timeout:g} s; is it a Dask scheduler?") from None
        except OSError as error:
            raise ExperimentError(f"{where}: cannot connect ({error})") from None
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        except TimeoutError:
            raise ExperimentError(f"{where}: did not answer within {timeout:g} s; is it a "
                                  "Dask scheduler?") from None
        finally:
            comm.abort()

    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # its own event loop
        try:
            answer = thread.submit(asyncio.run, ask()).result()
        except ExperimentError:
            raise
        except Exception as error:  # noqa: BLE001  (whatever a foreign server makes Dask raise)
            raise ExperimentError(f"{where}: not a Dask scheduler (its answer made Dask raise "
                                  f"{type(error).__name__}: {error})") from None
    kind = answer.get("type") if isinstance(answer, dict) else None
    if kind != "Scheduler":
        raise ExperimentError(f"{where}: not a Dask scheduler (it says it is "
                              f"{shown(kind or answer)}); allowed: a scheduler's address")


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

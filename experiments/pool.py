"""The local process pool, with crash isolation: a run whose process dies is run again alone,
so that only the run that kills its own process is recorded as failed."""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext

from experiments import task as task_module
from experiments.processes import exit_with_parent
from experiments.provenance import environment
from experiments.task import Outcome, Task


def on_processes(todo: list[Task], workers: int) -> Iterator[Outcome]:
    """Run the tasks on `workers` local processes (started with spawn), at most twice as many
    runs in flight as workers; yield their outcomes as they finish.

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


def _pool(queue: deque[Task], workers: int,
          context: BaseContext) -> Generator[Outcome, None, list[Task]]:
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
                    running[pool.submit(task_module.run_task, task)] = task
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


def _alone(suspects: list[Task], workers: int, context: BaseContext) -> Iterator[Outcome]:
    """Run each task in a process of its own (`workers` at a time); a task whose process dies
    becomes a failed outcome."""
    queue = deque(suspects)
    running: dict[Future, tuple[Task, ProcessPoolExecutor]] = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.popleft()
                pool = _new_pool(1, context)
                running[pool.submit(task_module.run_task, task)] = (task, pool)
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


def _new_pool(workers: int, context: BaseContext) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_start_worker, initargs=(os.getpid(),))


def _start_worker(parent: int) -> None:
    """Pool worker initializer: exit with the sweep process, and take the code version now,
    as the worker starts (its runs record it)."""
    exit_with_parent(parent)
    environment()

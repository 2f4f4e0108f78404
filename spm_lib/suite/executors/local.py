"""The executors of one machine: a fresh process per notebook, ``jobs`` at a time.

``ForkedExecutor`` (``--executor local``, the default)
    Each notebook's process is forked from a forkserver that imported the report stack once
    (:mod:`.warm`) and runs the cells in-process (engine ``inprocess``): no kernel to start and
    no imports to pay per notebook.
``KernelExecutor`` (``--executor kernel``)
    papermill's own path: a Jupyter kernel per notebook (``--kernel``), in spawned workers, as
    JupyterLab would run it. Slower; the pages are the same.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from spm_lib.suite.executors.environment import one_blas_thread, report_environment
from spm_lib.suite.notebook import NotebookResult, NotebookTask, execute_one

WARM_MODULE = "spm_lib.suite.executors.warm"


def forkserver_context() -> multiprocessing.context.BaseContext:
    """multiprocessing's forkserver, started (if it is not running) with :mod:`.warm` preloaded.

    The forkserver is a single-threaded process exec'd once per parent, so the parent's threads
    do not matter; every notebook's process is a fork of it. It starts with the report
    environment (:func:`.environment.report_environment`) set before it imports numpy and
    matplotlib; this process's own environment is left as it was. Starting returns at once:
    the imports go on in the forkserver while the caller loads the data."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WARM_MODULE])
    before = set(os.environ)
    report_environment()
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        for name in set(os.environ) - before:
            del os.environ[name]
    return context


def _map(
    pool: ProcessPoolExecutor,
    tasks: Sequence[NotebookTask],
    broken: list[NotebookTask] | None = None,
) -> Iterator[NotebookResult]:
    """Results as they finish. A process that dies (killed, out of memory) breaks the pool and
    every unfinished task with it: those go to ``broken`` (or raise, without one)."""
    with pool:
        futures = {pool.submit(execute_one, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool:
                if broken is None:
                    raise
                broken.append(futures[future])


def died(task: NotebookTask, seconds: float) -> NotebookResult:
    """The result of a notebook whose process ended without a result."""
    return NotebookResult(
        name=task.name,
        status="failed",
        html=None,
        seconds=seconds,
        title=task.name,
        folder=task.out_dir,
        error={
            "cell": None,
            "exception": "ProcessDied",
            "message": "the notebook's process ended abruptly (killed by a signal or by the "
            "system, e.g. out of memory); its log and executed notebook hold what "
            "it wrote before",
        },
    )


class _OnThisMachine:
    """``jobs`` processes of this machine; nothing to release after a run."""

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = max(1, jobs)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class ForkedExecutor(_OnThisMachine):
    """Fresh forked process per notebook, in-process cells (see the module docstring). The
    forkserver stays after a run, for the next run of this process."""

    name = "local"
    engine = "inprocess"

    def start(self) -> None:
        forkserver_context()

    def _pool(self, jobs: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=jobs, mp_context=forkserver_context(), max_tasks_per_child=1
        )

    def run(self, tasks: Sequence[NotebookTask]) -> Iterator[NotebookResult]:
        """As the protocol says. A notebook whose process dies is reported failed
        (``ProcessDied``); the others it took down with the pool run again, one at a time."""
        if not tasks:
            return
        broken: list[NotebookTask] = []
        yield from _map(self._pool(min(self.jobs, len(tasks))), tasks, broken)
        for task in broken:  # alone now: the one that breaks the pool again is the culprit
            started = time.perf_counter()
            again: list[NotebookTask] = []
            yield from _map(self._pool(1), [task], again)
            if again:
                yield died(task, time.perf_counter() - started)


class KernelExecutor(_OnThisMachine):
    """A Jupyter kernel per notebook, as papermill runs it (see the module docstring)."""

    name = "kernel"
    engine = "kernel"

    def run(self, tasks: Sequence[NotebookTask]) -> Iterator[NotebookResult]:
        if self.jobs == 1 or len(tasks) <= 1:
            return (execute_one(task) for task in tasks)
        # spawn, not fork: a forked copy of a process with threads (the progress bar's) can hang
        pool = ProcessPoolExecutor(
            max_workers=min(self.jobs, len(tasks)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=one_blas_thread,
        )
        return _map(pool, tasks)


__all__ = ["ForkedExecutor", "KernelExecutor", "forkserver_context"]

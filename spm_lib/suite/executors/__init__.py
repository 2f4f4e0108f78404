"""Where a run's notebooks execute: one interface, three executors.

An executor takes the run's :class:`~spm_lib.suite.notebook.NotebookTask` list and yields a
:class:`~spm_lib.suite.notebook.NotebookResult` per task as each finishes. Every notebook runs in
a fresh process of its own, whatever the executor.

========================  ===================================================================
``local`` (default)       forked from a parent that holds the imports, cells run in-process
``kernel``                a Jupyter kernel per notebook, as papermill and JupyterLab run it
``dask``                  a Dask LocalCluster of ``--jobs`` workers on 127.0.0.1
``dask://HOST:PORT``      a running Dask distributed scheduler (``--out`` on a shared path)
========================  ===================================================================
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from spm_lib.suite.notebook import NotebookResult, NotebookTask

EXECUTORS = ("local", "kernel", "dask", "dask://HOST:PORT")


class Executor(Protocol):
    name: str
    engine: str  # the engine its tasks must use ("inprocess" or "kernel")

    def start(self) -> None:
        """Begin warming up (processes, imports, a cluster) while the run loads its data."""

    def close(self) -> None:
        """Release what :meth:`start` took (called once the run is over, or has failed)."""

    def run(self, tasks: Sequence[NotebookTask]) -> Iterator[NotebookResult]:
        """Execute every task, each in a fresh process; yield results as they finish."""


def executor_for(spec: str = "local", jobs: int = 1) -> Executor:
    """The executor named by ``spec`` (one of :data:`EXECUTORS`), ``jobs`` notebooks at a time
    (for Dask: the LocalCluster's workers; a scheduler's cluster has its own)."""
    from spm_lib.suite.executors.dask_cluster import SCHEME, DaskExecutor
    from spm_lib.suite.executors.local import ForkedExecutor, KernelExecutor

    spec = (spec or "local").strip()
    if spec == "local":
        return ForkedExecutor(jobs)
    if spec == "kernel":
        return KernelExecutor(jobs)
    if spec == "dask":
        return DaskExecutor(None, jobs)
    if spec.startswith((SCHEME, "tcp://")) and len(spec.split("://", 1)[1]) > 0:
        return DaskExecutor(spec, jobs)
    raise ValueError(f"unknown executor {spec!r}: expected one of {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "Executor", "executor_for"]

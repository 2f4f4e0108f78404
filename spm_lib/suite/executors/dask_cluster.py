"""``--executor dask`` (a LocalCluster on this machine) or ``dask://HOST:PORT`` (a running Dask
distributed scheduler): the notebooks of a run become tasks on the cluster's workers.

Each task executes its notebook in a fresh process on the worker, as the local executor does:
forked from the worker's own forkserver when the worker process may have children, else
(``dask worker``'s default daemonic processes) a new interpreter (:mod:`.child`), which pays the
imports. The workers read the run snapshot and write the pages under ``--out``: on a cluster of
several machines, ``--out`` must be a path they all share (NFS or a mounted object store).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from spm_lib.suite.executors.environment import report_environment
from spm_lib.suite.notebook import NotebookResult, NotebookTask, execute_one

SCHEME = "dask://"


def run_isolated(task: NotebookTask) -> NotebookResult:
    """On a worker: execute ``task`` in a fresh process and return its result."""
    if multiprocessing.current_process().daemon:  # may not start multiprocessing children
        child = [sys.executable, "-m", "spm_lib.suite.executors.child"]
        environ = dict(os.environ)
        report_environment(environ)  # set before the child imports numpy and matplotlib
        done = subprocess.run(
            child, input=pickle.dumps(task), capture_output=True, env=environ, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{task.name}: the notebook's process failed: "
                f"{done.stderr.decode(errors='replace')[-2000:]}"
            )
        return pickle.loads(done.stdout)
    from spm_lib.suite.executors.local import forkserver_context

    with ProcessPoolExecutor(1, mp_context=forkserver_context(), max_tasks_per_child=1) as pool:
        return pool.submit(execute_one, task).result()


class DaskExecutor:
    """Notebooks as tasks of a Dask distributed cluster (see the module docstring)."""

    name = "dask"
    engine = "inprocess"

    def __init__(self, address: str | None = None, jobs: int = 1) -> None:
        self.address = address  # None: a LocalCluster of ``jobs`` workers on 127.0.0.1
        self.jobs = max(1, jobs)
        self._client = None
        self._cluster = None

    def start(self) -> None:
        """Connect to the scheduler, or start the LocalCluster (while the run loads its data)."""
        if self._client is not None:
            return
        import dask
        from distributed import Client, LocalCluster

        if self.address:
            self._client = Client(self.address.replace(SCHEME, "tcp://", 1))
            return
        # worker processes that may fork each notebook's process from their forkserver
        with dask.config.set({"distributed.worker.daemon": False}):
            self._cluster = LocalCluster(
                n_workers=self.jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        self._client = Client(self._cluster)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def run(self, tasks: Sequence[NotebookTask]) -> Iterator[NotebookResult]:
        from distributed import as_completed

        self.start()
        try:
            futures = [
                self._client.submit(run_isolated, task, key=f"spm-{task.name}-{i}", pure=False)
                for i, task in enumerate(tasks)
            ]
            for future in as_completed(futures):
                yield future.result()
        finally:
            self.close()


__all__ = ["SCHEME", "DaskExecutor", "run_isolated"]

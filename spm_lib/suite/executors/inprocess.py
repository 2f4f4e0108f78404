"""A papermill engine that executes a notebook's cells in this process, in ipykernel's
in-process kernel.

The kernel is IPython's own (``InProcessKernel``): the same display publisher, display hook,
matplotlib inline backend and error messages as a Jupyter kernel, so the executed notebook and
its page are the same (tested byte for byte); only the transport differs (no ZeroMQ, no second
process). Outputs are turned into cells by nbclient's own message handling. papermill does the
rest as for any engine: parameters, per-cell metadata, the error banner and
``PapermillExecutionError``.

Use it in a fresh process per notebook (the local executor forks one from a parent that has
imported the libraries): the notebook's globals, matplotlib state and ``sys.stdout`` are the
process's own. A cell that runs longer than ``execution_timeout`` seconds stops with
:class:`CellTimeoutError` (``SIGALRM``: the engine must run in the process's main thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import queue
import signal
import threading
from collections.abc import Iterator

from papermill.engines import Engine, papermill_engines

from spm_lib.suite.executors.environment import INLINE_BACKEND

ENGINE_NAME = "spm-inprocess"
MESSAGE_WAIT = 120  # seconds to wait for the kernel's messages after a cell has run

# as ipykernel's kernel app does before a notebook imports matplotlib (a process started with
# the report environment has it already)
os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)


class CellTimeoutError(Exception):
    """A cell ran longer than the run's ``--timeout``."""


@contextlib.contextmanager
def _time_limit(seconds: int | None) -> Iterator[None]:
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise CellTimeoutError(f"the cell ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _start_kernel():
    from ipykernel.inprocess.manager import InProcessKernelManager
    from traitlets.config import Config

    # no history database: a report kernel is not an interactive session
    km = InProcessKernelManager(config=Config({"HistoryManager": {"enabled": False}}))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    return km, kc


class _Session:
    """Sends a notebook's requests to the in-process kernel from one event loop, every cell's
    work in one ``contextvars.Context``: a ContextVar (the report's currency, decimal's
    context) set in one cell is seen by the next, as in a Jupyter kernel, whose one dispatch
    task serves every cell. (The client's own ``execute`` starts a new task per request, on a
    copy of the context, and loses them.)"""

    def __init__(self, kc) -> None:
        self.kc = kc
        self.loop = asyncio.new_event_loop()
        self.context = contextvars.copy_context()

    def request(self, msg_type: str, content: dict | None = None) -> str:
        kc, kernel = self.kc, self.kc.kernel
        msg = kc.session.msg(msg_type, content or {})
        stream = kernel.shell_stream
        kc.session.send(stream, msg)
        parts = stream.recv_multipart()
        task = self.loop.create_task(kernel.dispatch_shell(parts), context=self.context)
        self.loop.run_until_complete(task)
        _, reply = kc.session.recv(stream, copy=False)
        kc.shell_channel.call_handlers_later(reply)
        return msg["header"]["msg_id"]

    def execute(self, code: str) -> str:
        return self.request(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )

    def close(self) -> None:
        self.loop.close()


def _reply(kc, msg_id: str) -> dict:
    while True:
        reply = kc.get_shell_msg(timeout=MESSAGE_WAIT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def _collect_outputs(kc, client, msg_id: str, cell, index: int) -> None:
    """Turn the kernel's messages for ``msg_id`` into ``cell.outputs`` until it is idle."""
    from nbclient.exceptions import CellExecutionComplete

    while True:
        try:
            msg = kc.get_iopub_msg(timeout=MESSAGE_WAIT)
        except queue.Empty:
            raise RuntimeError(f"no reply from the in-process kernel after cell {index}") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        try:
            client.process_message(msg, cell, index)
        except CellExecutionComplete:
            return


class InProcessEngine(Engine):
    """papermill engine ``spm-inprocess`` (see the module docstring)."""

    @classmethod
    def execute_managed_notebook(
        cls, nb_man, kernel_name, log_output=False, execution_timeout=None, **kwargs
    ):
        from nbclient import NotebookClient

        nb = nb_man.nb
        km, kc = _start_kernel()
        session = _Session(kc)
        client = NotebookClient(nb)  # no kernel of its own: its message handling only
        client.reset_execution_trackers()
        try:
            for index, cell in enumerate(nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    if cell.cell_type != "code" or not cell.source.strip():
                        continue
                    cell.outputs = []
                    cell.metadata["execution"] = {}
                    client.clear_before_next_output = False
                    with _time_limit(execution_timeout):
                        msg_id = session.execute(cell.source)
                    _collect_outputs(kc, client, msg_id, cell, index)
                    if _reply(kc, msg_id)["content"]["status"] == "error":
                        nb_man.cell_exception(cell, cell_index=index)
                        break
                finally:
                    nb_man.cell_complete(cell, cell_index=index)
            info = _reply(kc, session.request("kernel_info_request"))
            nb.metadata["language_info"] = info["content"]["language_info"]
        finally:
            session.close()
            kc.stop_channels()
            km.shutdown_kernel()
        return nb


papermill_engines.register(ENGINE_NAME, InProcessEngine)

__all__ = ["ENGINE_NAME", "CellTimeoutError", "InProcessEngine"]

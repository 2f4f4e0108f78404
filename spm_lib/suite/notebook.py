"""One notebook of a run: execute it with papermill, read its key figures, render its page.

:func:`execute_one` is what every executor runs, once per notebook, in a fresh process. It writes
``OUT/executed/<name>.ipynb`` (outputs and tracebacks), ``OUT/executed/<name>.log`` (the
process's stderr) and ``OUT/<name>.html``, and returns a :class:`NotebookResult`; a failure
inside the notebook is reported in the result, never raised.

Two engines execute the cells, with byte-identical pages (tested):

``inprocess``
    ipykernel's in-process kernel in the calling process (:mod:`.executors.inprocess`); with a
    process forked from a parent that holds the imports, no kernel or import is paid per notebook.
``kernel``
    papermill's own engine: a Jupyter kernel (``kernel``, e.g. ``spm``) started per notebook,
    as JupyterLab runs it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENGINES = ("inprocess", "kernel")


@dataclass
class NotebookResult:
    name: str
    status: str  # "ok" | "failed"
    html: str | None
    seconds: float
    error: dict | None = None
    title: str = ""
    key_figure_labels: dict[str, dict] = field(default_factory=dict)  # name -> value/label/unit
    folder: str = ""  # the task's out_dir: which audience of the run this result belongs to
    actions: list[dict] = field(default_factory=list)  # {text, href, weight} for the brief
    series: dict[str, list[dict]] = field(default_factory=dict)  # figure -> earlier periods
    # a report this run did not render, kept in the pack from the run that did: its
    # ``finished``, ``data_as_of`` and ``data_fingerprint``
    carried_from: dict | None = None

    @property
    def key_figures(self) -> dict[str, float | int | None]:
        return {name: meta["value"] for name, meta in self.key_figure_labels.items()}

    def manifest_entry(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "html": self.html,
            "seconds": round(self.seconds, 2),
            "key_figures": self.key_figures,
            "error": self.error,
            "series": self.series,
            "title": self.title,
            "key_figure_labels": self.key_figure_labels,
            "actions": self.actions,
            "carried_from": self.carried_from,
        }

    @classmethod
    def from_manifest_entry(cls, entry: dict, carried_from: dict | None = None) -> NotebookResult:
        """The result a manifest entry records (a pack written before entries held labels,
        titles and actions gives the report without them)."""
        return cls(
            name=entry["name"],
            status=entry["status"],
            html=entry.get("html"),
            seconds=float(entry.get("seconds") or 0),
            error=entry.get("error"),
            title=entry.get("title") or "",
            key_figure_labels=entry.get("key_figure_labels") or {},
            actions=entry.get("actions") or [],
            series=entry.get("series") or {},
            carried_from=carried_from or entry.get("carried_from"),
        )


@dataclass(frozen=True)
class NotebookTask:
    """Everything a process needs to execute and render one notebook (picklable)."""

    notebook: str  # path of the source notebook
    out_dir: str  # OUT/P: the page goes here, the executed notebook and log in executed/
    parameters: dict
    kernel: str = "python3"  # the ``kernel`` engine's Jupyter kernel
    footer: str = ""
    timeout: int | None = 600  # seconds a cell may run
    engine: str = "inprocess"

    @property
    def name(self) -> str:
        return Path(self.notebook).stem


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's stderr (and a kernel's, which inherits it) to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _error_of(exc: BaseException) -> dict:
    """``{cell, exception, message}`` of a failed execution."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {"cell": exc.exec_count, "exception": exc.ename, "message": str(exc.evalue)}
    return {"cell": None, "exception": type(exc).__name__, "message": str(exc).strip()[:2000]}


# Two kernels started at once can pick the same free port (jupyter_client's race: "Address
# already in use", then "Kernel died before replying to kernel_info"); no cell has run then, so
# the notebook is started again.
KERNEL_START_ATTEMPTS = 3


def _kernel_did_not_start(error: dict | None) -> bool:
    return (
        bool(error)
        and error["cell"] is None
        and "died before replying to kernel_info" in (error["message"])
    )


def _kernel_died(error: dict | None) -> bool:
    """A kernel that died while a cell ran (killed, out of memory): run the notebook once more."""
    return bool(error) and error["exception"] == "DeadKernelError"


def _execute(task: NotebookTask, executed: Path) -> dict | None:
    """Run the notebook into ``executed``; the error dict of a failure, else None."""
    import papermill

    if task.engine not in ENGINES:
        raise ValueError(f"unknown engine {task.engine!r} (expected one of {', '.join(ENGINES)})")
    options: dict = {"kernel_name": task.kernel}
    if task.engine == "inprocess":
        from spm_lib.suite.executors.inprocess import ENGINE_NAME

        options = {"engine_name": ENGINE_NAME}
    attempts = KERNEL_START_ATTEMPTS if task.engine == "kernel" else 1
    error = None
    died = 0
    while attempts > 0:
        attempts -= 1
        try:
            papermill.execute_notebook(
                task.notebook,
                str(executed),
                parameters=task.parameters,
                cwd=str(Path(task.notebook).parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=task.timeout,
                **options,
            )
            return None
        except Exception as exc:  # noqa: BLE001 - a failing report is reported, not raised
            error = _error_of(exc)
        if _kernel_died(error) and died == 0:
            died, attempts = 1, max(attempts, 1)  # once: a kernel that dies again stays failed
            continue
        if not _kernel_did_not_start(error):
            break
    return error


def execute_one(task: NotebookTask) -> NotebookResult:
    """Execute and render one notebook; never raises for a failure inside the notebook."""
    import nbformat

    from spm_lib.report.keyfigures import read_actions, read_key_figures, read_series
    from spm_lib.suite.render import render_html, report_info, section_anchors

    name = task.name
    out_dir = Path(task.out_dir)
    executed = out_dir / "executed" / f"{name}.ipynb"
    log = out_dir / "executed" / f"{name}.log"
    log.unlink(missing_ok=True)
    started = time.perf_counter()
    with _stderr_to(log):
        error = _execute(task, executed)
    result = NotebookResult(
        name=name,
        status="ok" if error is None else "failed",
        html=None,
        seconds=time.perf_counter() - started,
        error=error,
        title=name,
        folder=task.out_dir,
    )
    if not executed.exists():
        return result
    nb = nbformat.read(executed, as_version=4)
    result.key_figure_labels = read_key_figures(nb)
    result.series = read_series(nb)
    info = report_info(nb)
    result.title = info["title"] if info else name.replace("_", " ").capitalize()
    try:
        html = render_html(nb, name=name, error=error, footer=task.footer)
        (out_dir / f"{name}.html").write_text(html, encoding="utf-8")
        result.html = f"{name}.html"
        anchors = section_anchors(html)
        result.actions = [
            {
                "text": a["text"],
                "weight": a["weight"] or 0,
                "report": result.title,
                "href": f"{name}.html"
                + (f"#{anchors[a['section']]}" if a["section"] in anchors else ""),
            }
            for a in read_actions(nb)
        ]
    except Exception as exc:  # noqa: BLE001 - a rendering failure is a failed report
        result.status = "failed"
        result.error = result.error or {
            "cell": None,
            "exception": type(exc).__name__,
            "message": f"rendering failed: {exc}",
        }
    return result


__all__ = ["ENGINES", "NotebookResult", "NotebookTask", "execute_one"]

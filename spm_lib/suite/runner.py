"""The runner: execute every report notebook with papermill, render HTML, write index and manifest.

Output layout for period P in OUT::

    OUT/P/<notebook>.html          the report
    OUT/P/executed/<notebook>.ipynb the executed notebook (outputs, tracebacks)
    OUT/P/index.html                every report with status, duration, key figures
    OUT/P/manifest.json             the same for programs (see :func:`run_suite`)

A notebook that fails does not stop the others; its entry carries the failing cell, the
exception and its message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat

from spm_lib.dataset import load_dataset, masked, password_of
from spm_lib.dataset.snapshot import write_snapshot
from spm_lib.exceptions import DataError
from spm_lib.report.keyfigures import read_key_figures
from spm_lib.suite.index import write_index
from spm_lib.suite.render import render_html, report_info

FIRST = ("data_quality",)  # shown first in the index: can the numbers be trusted?
VERSIONED = (
    "spm-lib", "pandas", "numpy", "pandera", "statsmodels", "scipy", "matplotlib", "seaborn",
    "papermill", "nbconvert", "nbclient", "ipykernel",
)  # fmt: skip


@dataclass
class NotebookResult:
    name: str
    status: str  # "ok" | "failed"
    html: str | None
    seconds: float
    error: dict | None = None
    title: str = ""
    key_figure_labels: dict[str, dict] = field(default_factory=dict)  # name -> value/label/unit

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
        }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def discover_notebooks(folder: Path, names: Sequence[str] | None = None) -> list[Path]:
    """Report notebooks in ``folder`` (``data_quality`` first, then by name), or those named."""
    available = {p.stem: p for p in folder.glob("*.ipynb") if not p.name.startswith(".")}
    if names:
        unknown = [n for n in names if n not in available]
        if unknown:
            raise FileNotFoundError(
                f"no notebook {', '.join(unknown)} in {folder} "
                f"(available: {', '.join(sorted(available)) or 'none'})"
            )
        return [available[n] for n in names]
    order = sorted(
        available, key=lambda n: (n not in FIRST, FIRST.index(n) if n in FIRST else 0, n)
    )
    return [available[n] for n in order]


def default_kernel() -> str:
    """The project's kernel ``spm`` when installed (``make install``), else ``python3``."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        if "spm" in KernelSpecManager().find_kernel_specs():
            return "spm"
    except Exception:  # noqa: BLE001 - any failure means: use the default kernel
        pass
    return "python3"


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's stderr (and its kernel's, which inherits it) to ``path``."""
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
    return bool(error) and error["cell"] is None and "died before replying to kernel_info" in (
        error["message"])  # fmt: skip


def execute_one(
    notebook: str,
    out_dir: str,
    parameters: dict,
    kernel: str,
    footer: str,
    timeout: int | None,
) -> NotebookResult:
    """Execute and render one notebook; never raises for a failure inside the notebook."""
    import papermill

    source = Path(notebook)
    name = source.stem
    executed = Path(out_dir) / "executed" / f"{name}.ipynb"
    html_path = Path(out_dir) / f"{name}.html"
    started = time.perf_counter()
    error = None
    log = Path(out_dir) / "executed" / f"{name}.log"
    log.unlink(missing_ok=True)
    for attempt in range(KERNEL_START_ATTEMPTS):
        try:
            with _stderr_to(log):
                papermill.execute_notebook(
                    str(source),
                    str(executed),
                    parameters=parameters,
                    kernel_name=kernel,
                    cwd=str(source.parent),
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=timeout,
                )
            error = None
        except Exception as exc:  # noqa: BLE001 - a failing report is reported, not raised
            error = _error_of(exc)
        if not _kernel_did_not_start(error) or attempt + 1 == KERNEL_START_ATTEMPTS:
            break
    seconds = time.perf_counter() - started
    result = NotebookResult(
        name=name,
        status="ok" if error is None else "failed",
        html=None,
        seconds=seconds,
        error=error,
        title=name,
    )
    if not executed.exists():
        return result
    nb = nbformat.read(executed, as_version=4)
    result.key_figure_labels = read_key_figures(nb)
    info = report_info(nb)
    result.title = info["title"] if info else name.replace("_", " ").capitalize()
    try:
        html_path.write_text(
            render_html(nb, name=name, error=error, footer=footer), encoding="utf-8"
        )
        result.html = html_path.name
    except Exception as exc:  # noqa: BLE001 - a rendering failure is a failed report
        result.status = "failed"
        result.error = result.error or {
            "cell": None,
            "exception": type(exc).__name__,
            "message": f"rendering failed: {exc}",
        }
    return result


BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")  # fmt: skip


def one_blas_thread() -> None:
    """In a worker of a parallel run: one BLAS thread for the kernels it starts (they inherit
    its environment), unless the user set a number; two multi-threaded kernels on two cores
    oversubscribe them."""
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _data_reference(data: str | Path) -> str:
    """The dataset as the notebooks receive it: an absolute folder or file path, or a URL.

    A URL with a literal password is refused: executed notebooks keep their parameters, so the
    password must come from an environment variable (``${NAME}``) instead."""
    text = str(data)
    if "://" in text:
        written = password_of(text)
        if written and not re.fullmatch(r"\$\{\w+\}", written):
            raise DataError(
                f"{masked(text)}: put the password in an environment variable, e.g. "
                "postgresql://user:${PGPASSWORD}@host/db; executed notebooks keep their "
                "parameters, so a password written in the URL would be stored with them",
                path=masked(text), expected="${NAME} instead of the password",
            )  # fmt: skip
        return text
    return str(Path(data).resolve())


def run_suite(
    data: str | Path,
    period: str = "latest",
    out: str | Path = "reports",
    notebooks: Sequence[str] | None = None,
    notebooks_dir: str | Path | None = None,
    jobs: int = 1,
    segment: str = "",
    config: str | Path | None = None,
    kernel: str | None = None,
    timeout: int | None = 1800,
    on_progress: Callable[[NotebookResult], None] | None = None,
) -> dict:
    """Run the suite on dataset ``data`` for ``period``; return the manifest (also written).

    Manifest: ``{"period", "data_fingerprint", "versions", "started", "finished", "data",
    "audience", "notebooks": [{"name", "status", "html", "seconds", "key_figures", "error"}]}``.
    ``config``: an spm.yaml to use instead of the dataset's own, applied by the run's one load;
    the notebooks read the run snapshot, which carries it (their ``config`` parameter stays
    empty). Raises DataError (before running anything) when the dataset cannot be
    loaded at all.
    """
    started = _now()
    data_path = _data_reference(data)
    config_path = str(Path(config).resolve()) if config else ""
    company = load_dataset(data_path, config_path or None)
    dataset = company.narrow(segment)
    resolved = dataset.period(period)
    out_dir = Path(out).resolve() / resolved.label
    (out_dir / "executed").mkdir(parents=True, exist_ok=True)
    # loaded and validated once: every notebook reads this snapshot, the data fingerprinted
    snapshot = write_snapshot(company, out_dir / "executed" / "data")
    folder = Path(notebooks_dir).resolve() if notebooks_dir else default_notebooks_dir()
    paths = discover_notebooks(folder, notebooks)
    parameters = {
        "data": str(snapshot),
        "period": resolved.label,
        "segment": segment or "",
        "config": "",  # the snapshot carries the configuration it was loaded with
        "out_dir": str(out_dir),
    }
    kernel = kernel or default_kernel()
    found_versions = versions()
    footer = (
        f"spm_lib {found_versions.get('spm-lib')} · data {dataset.source} · fingerprint "
        f"{dataset.fingerprint[:12]} · as of {dataset.as_of.isoformat()}"
    )
    args = [(str(p), str(out_dir), parameters, kernel, footer, timeout) for p in paths]
    results: dict[str, NotebookResult] = {}
    if jobs > 1 and len(args) > 1:
        # spawn, not fork: a forked copy of a process with threads (the progress bar's) can hang
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(args)), mp_context=context,
                                 initializer=one_blas_thread) as pool:  # fmt: skip
            futures = [pool.submit(execute_one, *a) for a in args]
            for future in as_completed(futures):
                result = future.result()
                results[result.name] = result
                if on_progress:
                    on_progress(result)
    else:
        for a in args:
            result = execute_one(*a)
            results[result.name] = result
            if on_progress:
                on_progress(result)
    ordered = [results[p.stem] for p in paths]
    manifest = {
        "period": resolved.label,
        "period_start": resolved.start.isoformat(),
        "period_end": resolved.end.isoformat(),
        "audience": dataset.audience,
        "data": masked(str(data_path)),
        "data_as_of": dataset.as_of.isoformat(),
        "data_fingerprint": dataset.fingerprint,
        "versions": found_versions,
        "started": started,
        "finished": _now(),
        "notebooks": [r.manifest_entry() for r in ordered],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    write_index(
        out_dir / "index.html", manifest, [asdict(r) for r in ordered], dataset.config.currency
    )
    return manifest


def default_notebooks_dir() -> Path:
    """``$SPM_NOTEBOOKS``, else ``notebooks/`` of the source checkout, else ``./notebooks``."""
    if os.environ.get("SPM_NOTEBOOKS"):
        return Path(os.environ["SPM_NOTEBOOKS"]).resolve()
    checkout = Path(__file__).resolve().parents[2] / "notebooks"
    if checkout.is_dir():
        return checkout
    return Path.cwd() / "notebooks"


__all__ = ["NotebookResult", "discover_notebooks", "execute_one", "run_suite"]

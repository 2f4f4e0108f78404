"""The runner: load the data once, execute every report notebook through an executor (see
:mod:`spm_lib.suite.executors`), render HTML, write index and manifest.

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
import ctypes
import datetime as dt
import gc
import json
import os
import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import pyarrow

from spm_lib.dataset import load_dataset, masked, password_of
from spm_lib.dataset.snapshot import write_snapshot
from spm_lib.exceptions import DataError
from spm_lib.suite.executors import executor_for
from spm_lib.suite.index import write_index
from spm_lib.suite.notebook import NotebookResult, NotebookTask, execute_one

FIRST = ("data_quality",)  # shown first in the index: can the numbers be trusted?
VERSIONED = (
    "spm-lib", "pandas", "numpy", "pandera", "statsmodels", "scipy", "matplotlib", "seaborn",
    "papermill", "nbconvert", "nbclient", "ipykernel",
)  # fmt: skip


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
    executor: str = "local",
    on_progress: Callable[[NotebookResult], None] | None = None,
) -> dict:
    """Run the suite on dataset ``data`` for ``period``; return the manifest (also written).

    Manifest: ``{"period", "data_fingerprint", "versions", "started", "finished", "data",
    "audience", "notebooks": [{"name", "status", "html", "seconds", "key_figures", "error"}]}``.
    ``config``: an spm.yaml to use instead of the dataset's own, applied by the run's one load;
    the notebooks read the run snapshot, which carries it (their ``config`` parameter stays
    empty). ``executor``: where the notebooks run (see :mod:`spm_lib.suite.executors`:
    ``local``, ``kernel``, ``dask`` or ``dask://HOST:PORT``), ``jobs`` at a time. Raises
    DataError (before running anything) when the dataset cannot be loaded at all.
    """
    runs_on = executor_for(executor, jobs)
    runs_on.start()  # forkserver imports (or a cluster starts) while the data loads
    try:
        return _run(runs_on, data=data, period=period, out=out, notebooks=notebooks,
                    notebooks_dir=notebooks_dir, segment=segment, config=config, kernel=kernel,
                    timeout=timeout, on_progress=on_progress)  # fmt: skip
    finally:
        runs_on.close()


def _run(runs_on, *, data, period, out, notebooks, notebooks_dir, segment, config, kernel,
         timeout, on_progress) -> dict:  # fmt: skip
    """:func:`run_suite` once its executor has started."""
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
    kernel = kernel or (default_kernel() if runs_on.engine == "kernel" else "python3")
    found_versions = versions()
    footer = (
        f"spm_lib {found_versions.get('spm-lib')} · data {dataset.source} · fingerprint "
        f"{dataset.fingerprint[:12]} · as of {dataset.as_of.isoformat()}"
    )
    tasks = [NotebookTask(str(p), str(out_dir), parameters, kernel, footer, timeout,
                          runs_on.engine) for p in paths]  # fmt: skip
    about = {"audience": dataset.audience, "as_of": dataset.as_of.isoformat(),
             "fingerprint": dataset.fingerprint, "currency": dataset.config.currency}  # fmt: skip
    del company, dataset  # the notebooks read the snapshot: this process's copy can go
    release_memory()
    results: dict[str, NotebookResult] = {}
    for result in runs_on.run(longest_first(tasks, out_dir)):
        results[result.name] = result
        if on_progress:
            on_progress(result)
    ordered = [results[p.stem] for p in paths]
    manifest = {
        "period": resolved.label,
        "period_start": resolved.start.isoformat(),
        "period_end": resolved.end.isoformat(),
        "audience": about["audience"],
        "data": masked(str(data_path)),
        "data_as_of": about["as_of"],
        "data_fingerprint": about["fingerprint"],
        "versions": found_versions,
        "started": started,
        "finished": _now(),
        "notebooks": [r.manifest_entry() for r in ordered],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    write_index(out_dir / "index.html", manifest, [asdict(r) for r in ordered], about["currency"])
    return manifest


def release_memory() -> None:
    """Hand the memory of freed tables back to the system (collected, then glibc's and Arrow's
    allocators trimmed), so that the runner does not hold the data while the notebooks run: at
    1M opportunities it held 1.20 GB after the load, 0.23 GB after this."""
    gc.collect()
    with contextlib.suppress(AttributeError):
        pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# Started first when no earlier run says how long each takes: the longest on the sample.
LONGEST = ("forecasting", "compensation", "rep_performance")


def longest_first(tasks: Sequence[NotebookTask], out_dir: Path) -> list[NotebookTask]:
    """``tasks`` in the order to start them: longest first, so that with several jobs the run
    does not end on one long notebook (by the seconds of the last run in ``out_dir``, else
    :data:`LONGEST` first). The pages and the manifest keep the discovery order."""
    seconds: dict[str, float] = {}
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        last = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        seconds = {n["name"]: float(n["seconds"]) for n in last["notebooks"]}
    if seconds:
        return sorted(tasks, key=lambda t: -seconds.get(t.name, float("inf")))
    rank = {name: i for i, name in enumerate(LONGEST)}
    return sorted(tasks, key=lambda t: rank.get(t.name, len(LONGEST)))


def default_notebooks_dir() -> Path:
    """``$SPM_NOTEBOOKS``, else ``notebooks/`` of the source checkout, else ``./notebooks``."""
    if os.environ.get("SPM_NOTEBOOKS"):
        return Path(os.environ["SPM_NOTEBOOKS"]).resolve()
    checkout = Path(__file__).resolve().parents[2] / "notebooks"
    if checkout.is_dir():
        return checkout
    return Path.cwd() / "notebooks"


__all__ = ["NotebookResult", "discover_notebooks", "execute_one", "longest_first", "run_suite"]

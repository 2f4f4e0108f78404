"""What a run works with: the report notebooks found and the order to start them, the kernel,
and the package versions a manifest records."""

from __future__ import annotations

import contextlib
import json
import os
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from spm_lib.pages import expected_seconds, report_order
from spm_lib.suite.notebook import NotebookTask

VERSIONED = (
    "spm-lib",
    "pandas",
    "numpy",
    "pandera",
    "statsmodels",
    "scipy",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def discover_notebooks(folder: Path, names: Sequence[str] | None = None) -> list[Path]:
    """Report notebooks in ``folder`` (in :func:`~spm_lib.pages.report_order`), or those
    named."""
    available = {p.stem: p for p in folder.glob("*.ipynb") if not p.name.startswith(".")}
    if not available:
        raise FileNotFoundError(
            f"no report notebooks in {folder}"
            + ("" if folder.is_dir() else " (no such folder)")
            + ": a run of no report would leave nothing to read"
        )
    if names:
        unknown = [n for n in names if n not in available]
        if unknown:
            raise FileNotFoundError(
                f"no notebook {', '.join(unknown)} in {folder} "
                f"(available: {', '.join(sorted(available)) or 'none'})"
            )
        return [available[n] for n in names]
    return [available[n] for n in sorted(available, key=report_order)]


def default_kernel() -> str:
    """The project's kernel ``spm`` when installed (``make install``), else ``python3``."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        if "spm" in KernelSpecManager().find_kernel_specs():
            return "spm"
    except Exception:  # noqa: BLE001 - any failure means: use the default kernel
        pass
    return "python3"


def longest_first(tasks: Sequence[NotebookTask], out_dir: Path) -> list[NotebookTask]:
    """``tasks`` in the order to start them: longest first, so that with several jobs the run
    does not end on one long notebook (by the seconds of the last run of the period's packs in
    ``out_dir``, else by each report's seconds on the sample in :data:`spm_lib.pages.REPORTS`).
    A notebook the last run did not have starts first; the pages and the manifest keep the
    discovery order."""
    seconds: dict[str, float] = {}
    for path in sorted(out_dir.glob("*/manifest.json")) + [out_dir / "manifest.json"]:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            last = json.loads(path.read_text(encoding="utf-8"))
            for n in last["notebooks"]:
                seconds[n["name"]] = max(seconds.get(n["name"], 0.0), float(n["seconds"]))
    if seconds:
        return sorted(tasks, key=lambda t: -seconds.get(t.name, float("inf")))
    return sorted(tasks, key=lambda t: -expected_seconds(t.name))


def default_notebooks_dir() -> Path:
    """``$SPM_NOTEBOOKS``, else ``notebooks/`` of the source checkout, else ``./notebooks``."""
    if os.environ.get("SPM_NOTEBOOKS"):
        return Path(os.environ["SPM_NOTEBOOKS"]).resolve()
    checkout = Path(__file__).resolve().parents[2] / "notebooks"
    if checkout.is_dir():
        return checkout
    return Path.cwd() / "notebooks"

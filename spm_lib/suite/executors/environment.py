"""The environment of a report process, set before numpy and matplotlib are imported."""

from __future__ import annotations

import os

BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")  # fmt: skip


def one_blas_thread() -> None:
    """One BLAS thread per notebook process unless the user set a number: notebooks run side by
    side, and two multi-threaded BLAS pools on two cores oversubscribe them (training gaps'
    OLS: 2.3 s on one thread against 7.9 s on several)."""
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")


def report_environment() -> None:
    """BLAS threads, matplotlib's inline backend (as ipykernel sets it), no debugger notes."""
    one_blas_thread()
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


__all__ = ["BLAS_THREADS", "one_blas_thread", "report_environment"]

"""The environment of a report process, set before numpy and matplotlib are imported."""

from __future__ import annotations

import os
from collections.abc import MutableMapping

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel's kernel app sets
BLAS_THREADS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def one_blas_thread(environ: MutableMapping[str, str] = os.environ) -> None:
    """One BLAS thread per notebook process unless the user set a number: notebooks run side by
    side, and two multi-threaded BLAS pools on two cores oversubscribe them (training gaps'
    OLS: 2.3 s on one thread against 7.9 s on several)."""
    for name in BLAS_THREADS:
        environ.setdefault(name, "1")


def report_environment(environ: MutableMapping[str, str] = os.environ) -> None:
    """BLAS threads, matplotlib's inline backend (as ipykernel sets it), no debugger notes, in
    ``environ`` (this process's, or a child's to be); values already set are kept."""
    one_blas_thread(environ)
    environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


__all__ = ["BLAS_THREADS", "INLINE_BACKEND", "one_blas_thread", "report_environment"]

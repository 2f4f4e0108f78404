"""Imported once, for its effect, by the process that forks every notebook's process (the
forkserver); never import it elsewhere.

It sets the environment a report process runs with, then imports what the notebooks and the
renderer use and builds the one HTMLExporter, so a forked child starts with all of it in memory
(about 5 s a notebook otherwise). It starts no thread: the forkserver must stay safe to fork.
"""

from __future__ import annotations

import sys

from spm_lib.suite.executors.environment import report_environment

# jsonschema (under nbformat) builds rfc3987_syntax's grammar parsers at import, 2.3 s of this
# process's start, to check the "iri" string format, which no notebook schema uses: leave it
# out here (jsonschema skips that format when the module cannot be imported).
sys.modules.setdefault("rfc3987_syntax", None)


def warm() -> None:
    """Import the report stack and build the exporter (each cached in the process)."""
    import importlib
    import pkgutil

    for module in (
        "numpy",
        "pandas",
        "pyarrow",
        "scipy.optimize",
        "scipy.stats",
        "statsmodels.api",
        "matplotlib.pyplot",
        "seaborn",
        "pandera.pandas",
        "duckdb",
        "ipykernel.inprocess.manager",
        "nbclient",
        "papermill",
        "nbformat",
        "spm_lib.suite.notebook",
        "spm_lib.suite.executors.inprocess",
    ):
        importlib.import_module(module)
    import spm_lib.pages

    for page in pkgutil.iter_modules(spm_lib.pages.__path__):
        importlib.import_module(f"spm_lib.pages.{page.name}")
    from spm_lib.suite.render import warm_up

    warm_up()


report_environment()
warm()

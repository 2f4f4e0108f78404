"""spm_lib: the library behind the SPM reporting suite.

The folders follow the flow of a run:

- :mod:`spm_lib.dataset`: files, a folder or a database to a validated :class:`Dataset`
  (:func:`load_dataset`); :mod:`spm_lib.importers`: CRM export files to a dataset folder
  (``spm import``); :mod:`spm_lib.sample`: the sample company with planted effects.
- The analyses, one module each at the top (``metrics``, ``forecast``, ``pipeline``,
  ``compensation``, ``territory``, ``training``, ``leads``, ``quality``, ...) and one per
  report that assembles them, named after its notebook (``forecasting``, ``rep_performance``).
- :mod:`spm_lib.report`: what runs inside a notebook (display, formats, key figures, plots);
  :mod:`spm_lib.suite`: what runs outside (the runner, rendering, the index, the CLI).

``from spm_lib import metrics, leads, ...`` imports an analysis module; the names of modules
that moved into a folder (``data``, ``plots``, ``outlook``, ``scorecard``, ...) still resolve
here, to their new home.
"""

from importlib import import_module

from spm_lib.dataset import Config, Dataset, load_dataset
from spm_lib.exceptions import DataError, PeriodError, SpmError
from spm_lib.periods import Period, parse_period

__version__ = "0.1.0"

# old module names -> their home since the layout by stage (kept for analysts' notebooks)
MOVED = {
    "data": "spm_lib.dataset",
    "config": "spm_lib.dataset.config",
    "schema": "spm_lib.dataset.schema",
    "sources": "spm_lib.importers",
    "plots": "spm_lib.report.plots",
    "outlook": "spm_lib.forecasting",
    "scorecard": "spm_lib.rep_performance",
    "cli": "spm_lib.suite.cli",
}


def __getattr__(name: str):
    if name in MOVED:
        return import_module(MOVED[name])
    raise AttributeError(f"module 'spm_lib' has no attribute {name!r}")


__all__ = [
    "Config",
    "DataError",
    "Dataset",
    "Period",
    "PeriodError",
    "SpmError",
    "__version__",
    "load_dataset",
    "parse_period",
]

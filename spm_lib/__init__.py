"""spm_lib: the library behind the SPM reporting suite.

The folders follow the flow of a run, and the analyses sit in one folder per question:

- :mod:`spm_lib.dataset`: files, a folder or a database to a validated :class:`Dataset`
  (:func:`load_dataset`), its quarantine and quality checks; :mod:`spm_lib.importers`: CRM
  export files to a dataset folder (``spm import``); :mod:`spm_lib.sample`: the sample company
  with planted effects.
- The questions: :mod:`~spm_lib.measures` (what several reports show), :mod:`~spm_lib.pipeline`,
  :mod:`~spm_lib.forecasting`, :mod:`~spm_lib.compensation`, :mod:`~spm_lib.territory`,
  :mod:`~spm_lib.planning`, :mod:`~spm_lib.leads`, and two single modules,
  :mod:`~spm_lib.rep_performance` and :mod:`~spm_lib.training`.
- :mod:`spm_lib.pages`: one page module per report (its words and display);
  :mod:`spm_lib.report`: what runs inside a notebook (display, formats, key figures, plots);
  :mod:`spm_lib.suite`: what runs outside (the runner, rendering, the index, the CLI).

Old import paths keep working for analysts' notebooks: ``from spm_lib import metrics`` and
``import spm_lib.metrics`` both give :mod:`spm_lib.measures.metrics`, the same module object
(:data:`MOVED` lists every old name and its home).
"""

import importlib.abc
import importlib.util
import sys
from importlib import import_module

from spm_lib.dataset import Config, Dataset, load_dataset
from spm_lib.exceptions import DataError, PeriodError, SpmError
from spm_lib.periods import Period, parse_period

__version__ = "0.1.0"

# old module names -> their home (kept for analysts' notebooks and scripts)
MOVED = {
    # the layout by stage
    "data": "spm_lib.dataset",
    "config": "spm_lib.dataset.config",
    "schema": "spm_lib.dataset.schema",
    "sources": "spm_lib.importers",
    "plots": "spm_lib.report.plots",
    "outlook": "spm_lib.forecasting.outlook",
    "scorecard": "spm_lib.rep_performance",
    "cli": "spm_lib.suite.cli",
    # the folders by question
    "metrics": "spm_lib.measures.metrics",
    "roster": "spm_lib.measures.roster",
    "series": "spm_lib.measures.series",
    "ramp": "spm_lib.measures.ramp",
    "ranking": "spm_lib.measures.ranking",
    "plans": "spm_lib.measures.plans",
    "pipeline_review": "spm_lib.pipeline.as_of",
    "movement": "spm_lib.pipeline.movement",
    "slippage": "spm_lib.pipeline.slippage",
    "calls": "spm_lib.pipeline.calls",
    "forecast": "spm_lib.forecasting.models",
    "smoothing": "spm_lib.forecasting.smoothing",
    "reconcile": "spm_lib.forecasting.reconcile",
    "coherent": "spm_lib.forecasting.coherent",
    "tracking": "spm_lib.forecasting.tracking",
    "spreadsheet": "spm_lib.dataset.spreadsheet",
    "quality": "spm_lib.dataset.quality",
    "attainment": "spm_lib.compensation.attainment",
    "payouts": "spm_lib.compensation.payouts",
    "quotas": "spm_lib.planning.quotas",
    "commission_rates": "spm_lib.planning.commission_rates",
    # every CRM format in dataset/vendors
    "importers.maven": "spm_lib.dataset.vendors.maven",
}


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import spm_lib.<old name>`` gives the module at its new home (one module object, so a
    name patched through either path is patched for both)."""

    def find_spec(self, fullname, path=None, target=None):
        old = fullname.removeprefix("spm_lib.")
        if fullname.startswith("spm_lib.") and old in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = import_module(MOVED[spec.name.removeprefix("spm_lib.")])
        spec.loader_state = module.__spec__  # the import machinery overwrites it: put it back
        return module

    def exec_module(self, module) -> None:
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(finder, _OldPaths) for finder in sys.meta_path):
    sys.meta_path.append(_OldPaths())


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

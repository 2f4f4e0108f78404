"""spm_lib: the library behind the SPM reporting suite.

Public surface: :func:`load_dataset` and :class:`Dataset` (validated canonical tables),
:class:`DataError`, the period helpers in :mod:`spm_lib.periods`, the sample-data generator in
:mod:`spm_lib.sample`, and the report helpers in :mod:`spm_lib.report`.
"""

from spm_lib.config import Config
from spm_lib.data import Dataset, load_dataset
from spm_lib.exceptions import DataError, PeriodError, SpmError
from spm_lib.periods import Period, parse_period

__version__ = "0.1.0"

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

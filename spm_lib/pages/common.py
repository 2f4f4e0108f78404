"""What every report page starts with."""

from __future__ import annotations

from spm_lib.dataset import Dataset, load_dataset
from spm_lib.periods import Period
from spm_lib.report import header, plots
from spm_lib.sample import bundled_sample


def open_report(
    title: str, data: str, config: str, period: str, segment: str
) -> tuple[Dataset, Period]:
    """The notebook's set-up from its parameters: the chart style, the dataset (``data``, or the
    bundled sample when empty; ``config`` instead of its own spm.yaml when given) narrowed to
    the ``segment`` audience, the period resolved on its calendar, and the page header (which
    makes the report's context, and so its currency, the active one)."""
    ds = load_audience(data, config, segment)
    resolved = ds.period(period)
    header(title, ds, resolved)
    return ds, resolved


def load_audience(data: str, config: str, segment: str) -> Dataset:
    """The chart style set, and the dataset (``data``, or the bundled sample when empty;
    ``config`` instead of its own spm.yaml when given) narrowed to the ``segment`` audience."""
    plots.set_style()
    return load_dataset(data or bundled_sample(), config or None).narrow(segment)

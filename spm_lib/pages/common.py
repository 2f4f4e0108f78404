"""What every report page starts with."""

from __future__ import annotations

import pandas as pd

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


def who_counts(status: pd.DataFrame) -> str:
    """One sentence on whom a report counts, from
    :func:`spm_lib.measures.roster.rep_status`: "48 reps counted (42 active, 6 ramping); 3 who
    left by the period's end are not counted or ranked (their deals stay in every total); 6
    SDRs (...) not counted"."""
    counts = status["status"].value_counts()

    def n(name: str) -> int:
        return int(counts.get(name, 0))

    counted = n("active") + n("ramping")
    text = f"{counted} reps counted ({n('active')} active, {n('ramping')} ramping)"
    others = []
    if n("departed"):
        others.append(
            f"{n('departed')} who left by the period's end are not counted or "
            f"ranked (their deals stay in every total)"
        )
    if n("SDR"):
        sdr = "SDR" if n("SDR") == 1 else "SDRs"
        others.append(f"{n('SDR')} {sdr} (lead development, no bookings quota) not counted")
    if n("non-seller"):
        others.append(f"{n('non-seller')} non-selling users not counted")
    if n("not yet hired"):
        others.append(f"{n('not yet hired')} not yet hired")
    return text + ("; " + "; ".join(others) if others else "") + "."

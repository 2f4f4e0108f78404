"""Bookings time series by company, region, team or rep, on the fiscal calendar.

bookings = sum of ``amount`` of won opportunities by the period of their ``close_date``.
"""

from __future__ import annotations

import calendar

import pandas as pd

from spm_lib.dataset import Dataset

LEVELS = ("company", "region", "team", "rep")
COMPANY = "Company"


def fiscal_quarter_freq(fiscal_year_start_month: int) -> str:
    """The pandas quarterly frequency whose years end the month before the fiscal start:
    ``Q-DEC`` for a January start, ``Q-JAN`` for February (FY2026 = Feb 2025 to Jan 2026)."""
    end_month = (fiscal_year_start_month - 2) % 12 + 1
    return f"Q-{calendar.month_abbr[end_month].upper()}"


def period_freq(ds: Dataset, freq: str) -> str:
    if freq.upper().startswith("M"):
        return "M"
    if freq.upper().startswith("Q"):
        return fiscal_quarter_freq(ds.config.fiscal_year_start_month)
    raise ValueError(f"freq must be 'M' (month) or 'Q' (fiscal quarter); got {freq!r}")


def last_complete_period(ds: Dataset, freq: str, as_of: pd.Timestamp | None = None) -> pd.Period:
    """The latest period of ``freq`` that ends on or before ``as_of`` (default: data as-of)."""
    pfreq = period_freq(ds, freq)
    as_of = pd.Timestamp(as_of if as_of is not None else ds.as_of)
    current = as_of.to_period(pfreq)
    return current if current.end_time.normalize() <= as_of else current - 1


def _group_column(level: str) -> str | None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    return {"company": None, "region": "region", "team": "team", "rep": "rep_id"}[level]


def bookings_series(
    ds: Dataset,
    level: str = "company",
    freq: str = "M",
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Bookings per period (rows, a PeriodIndex) and group (columns), zero-filled.

    Periods run from the first period with a closed deal to the last complete period on or
    before ``as_of`` (default: the data's as-of date); won deals closing after ``as_of`` are
    not counted. At rep level a rep's column is empty (NaN) before the period of their hire date
    and after the period they left; inside it, months without deals are 0.
    """
    pfreq = period_freq(ds, freq)
    as_of_ts = pd.Timestamp(as_of if as_of is not None else ds.as_of)
    end = last_complete_period(ds, freq, as_of_ts)
    opps = ds.opportunities
    closed = opps[opps["is_closed"] & opps["close_date"].notna() & (opps["close_date"] <= as_of_ts)]
    won = closed[closed["is_won"]]
    start = closed["close_date"].min().to_period(pfreq) if len(closed) else end
    index = (
        pd.period_range(start, end, freq=pfreq) if start <= end else pd.PeriodIndex([], freq=pfreq)
    )
    column = _group_column(level)
    periods = won["close_date"].dt.to_period(pfreq)
    if column is None:
        totals = won.groupby(periods)["amount"].sum()
        return pd.DataFrame({COMPANY: totals.reindex(index, fill_value=0.0)}, index=index)
    reps = ds.reps
    keys = (
        won["rep_id"].map(reps.set_index("rep_id")[column]) if column != "rep_id" else won["rep_id"]
    )
    table = won.groupby([periods, keys])["amount"].sum().unstack(fill_value=0.0)
    groups = (
        sorted(reps[column].dropna().unique()) if column != "rep_id" else sorted(reps["rep_id"])
    )
    table = table.reindex(index=index, columns=groups, fill_value=0.0).astype(float)
    table.index.name = None
    table.columns.name = None
    if level == "rep":
        hired = reps.set_index("rep_id")["hire_date"].dt.to_period(pfreq)
        left = reps.set_index("rep_id")["end_date"].dt.to_period(pfreq)
        for rep in table.columns:
            mask = pd.Series(True, index=index)
            if pd.notna(hired.get(rep)):
                mask &= index >= hired[rep]
            if pd.notna(left.get(rep)):
                mask &= index <= left[rep]
            table.loc[~mask.to_numpy(), rep] = float("nan")
    return table

"""New-hire ramp: productivity by months since hire, by hire cohort, and months to 80%.

expected(month, segment) = the mean bookings that month of tenured reps (at least
:data:`TENURED_MONTHS` months since hire) in the same segment (all reps when the dataset has no
segment). Month 0 is the calendar month of the hire date.

For the reps hired inside the data (so that their first months are observed):

    productivity(m) = sum of their bookings in month m since hire / sum of expected(month, segment)
                      over the same rep-months

a ratio of sums, so that one large deal does not swing a month and tenured reps score exactly 1.
Monthly bookings are lumpy, so the curve is fitted monotone (``fitted``: isotonic regression,
weighted by the expected bookings behind each month; a ramp does not fall back). New hires can
settle below or above the tenured reps: ``plateau`` is their productivity over months
:data:`PLATEAU_FROM` to the curve's end. ``share_of_full`` = fitted / plateau (at most 1) is the
ramp itself, the share of a new hire's own full productivity; months to 80% is the first month
it reaches 0.8, and planning's capacity reads it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from spm_lib.dataset import Dataset
from spm_lib.measures.series import bookings_series

TENURED_MONTHS = 18
PLATEAU_FROM = 12  # months since hire from which the planted and usual ramps are above 95%
MAX_MONTHS = 24
MIN_PLATEAU_REPS = 5  # fewer new hires past month 12: the ramp is read against tenured reps
TARGET = 0.8


def rep_month_productivity(ds: Dataset, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per rep and employed month: rep_id, month, months_since_hire, segment, bookings,
    expected (the tenured reps' mean bookings of the segment that month), productivity
    (bookings / expected), cohort (hire year)."""
    monthly = bookings_series(ds, "rep", "M", as_of=as_of)
    reps = ds.reps.set_index("rep_id")
    long = monthly.stack(future_stack=True).dropna().rename("bookings").reset_index()
    long.columns = ["month", "rep_id", "bookings"]
    hire = reps["hire_date"].dt.to_period("M")
    # reindex, not Series.map: pandas 3 cannot map through an empty Period-valued Series
    hired = pd.Series(hire.reindex(long["rep_id"]).to_numpy(), index=long.index)
    long = long[hired.notna()].copy()
    hired = hired[long.index]
    long["months_since_hire"] = (long["month"].astype("int64") - hired.astype("int64")).astype(int)
    segment = reps["segment"] if "segment" in reps and reps["segment"].notna().any() else None
    long["segment"] = long["rep_id"].map(segment) if segment is not None else "All"
    tenured = long[long["months_since_hire"] >= TENURED_MONTHS]
    expected = tenured.groupby(["month", "segment"])["bookings"].mean().rename("expected")
    long = long.join(expected, on=["month", "segment"])
    long["productivity"] = long["bookings"] / long["expected"].where(long["expected"] > 0)
    long["cohort"] = long["rep_id"].map(reps["hire_date"].dt.year)
    return long.reset_index(drop=True)


def _hired_inside(ds: Dataset, rows: pd.DataFrame) -> pd.DataFrame:
    """The rep-months of reps hired inside the data, where a tenured benchmark exists."""
    first_month = rows["month"].min()
    inside = ds.reps.loc[ds.reps["hire_date"].dt.to_period("M") >= first_month, "rep_id"]
    return rows[rows["rep_id"].isin(inside) & (rows["expected"] > 0)]


def ramp_curve(
    ds: Dataset, max_months: int = MAX_MONTHS, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The ramp of reps hired inside the data (module docstring): months_since_hire, reps
    (sample size), booked, expected, productivity (booked / expected, against tenured reps),
    fitted (monotone) and share_of_full (fitted / plateau, at most 1). ``attrs``: plateau
    (NaN without rep-months from :data:`PLATEAU_FROM` on), plateau_reps (the new hires behind
    it) and plateau_used: below :data:`MIN_PLATEAU_REPS` reps, share_of_full is fitted, read
    against tenured reps."""
    new = _hired_inside(ds, rep_month_productivity(ds, as_of))
    new = new[new["months_since_hire"] <= max_months]
    curve = new.groupby("months_since_hire").agg(
        reps=("rep_id", "nunique"), booked=("bookings", "sum"), expected=("expected", "sum")
    )
    curve = curve.reindex(range(max_months + 1))
    curve["reps"] = curve["reps"].fillna(0).astype(int)
    curve["productivity"] = curve["booked"] / curve["expected"]
    known = curve["productivity"].notna()
    curve["fitted"] = np.nan
    if known.any():
        fit = isotonic_regression(
            curve.loc[known, "productivity"].to_numpy(float),
            weights=curve.loc[known, "expected"].to_numpy(float),
        )
        curve.loc[known, "fitted"] = fit.x
    late = curve.loc[PLATEAU_FROM:max_months]
    plateau = float(late["booked"].sum() / late["expected"].sum()) if late["reps"].any() else np.nan
    plateau_reps = int(new.loc[new["months_since_hire"] >= PLATEAU_FROM, "rep_id"].nunique())
    used = plateau_reps >= MIN_PLATEAU_REPS and plateau > 0
    curve["share_of_full"] = (curve["fitted"] / (plateau if used else 1.0)).clip(upper=1.0)
    curve = curve.rename_axis("months_since_hire").reset_index()
    curve.attrs.update(plateau=plateau, plateau_reps=plateau_reps, plateau_used=bool(used))
    return curve


def months_to_target(curve: pd.DataFrame, target: float = TARGET) -> float:
    """First month since hire whose share of full productivity reaches ``target`` (NaN if
    never)."""
    reached = curve[curve["share_of_full"] >= target]
    return float(reached["months_since_hire"].iloc[0]) if len(reached) else float("nan")


def cohort_table(ds: Dataset, bands: tuple[int, ...] = (0, 3, 6, 9, 12, 18, 24)) -> pd.DataFrame:
    """By hire-year cohort (rows) and band of months since hire: productivity against tenured
    reps (the sum of the cohort's bookings in the band / the sum expected, as the curve) in
    ``months <band>``, and the reps behind each cell in ``reps <band>``; ``reps`` is the
    cohort's reps seen in their first two years."""
    rows = rep_month_productivity(ds)
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(bands[:-1], bands[1:], strict=True)]
    rows = rows[(rows["months_since_hire"] < bands[-1]) & (rows["expected"] > 0)].copy()
    rows["band"] = pd.cut(rows["months_since_hire"], bands, right=False, labels=labels)
    grouped = rows.groupby(["cohort", "band"], observed=False)
    sums = grouped[["bookings", "expected"]].sum()
    cells = sums["bookings"] / sums["expected"].where(sums["expected"] > 0)
    cells = cells.unstack("band").reindex(columns=labels)  # every band, rows or none
    counts = grouped["rep_id"].nunique().unstack("band").reindex(columns=labels)
    counts = counts.fillna(0).astype(int)
    table = pd.DataFrame(index=cells.index)
    table["reps"] = rows.groupby("cohort")["rep_id"].nunique()
    for label in labels:
        table[f"months {label}"] = cells[label]
        table[f"reps {label}"] = counts[label]
    return table.rename_axis("hire_year").reset_index()


__all__ = [
    "MAX_MONTHS",
    "MIN_PLATEAU_REPS",
    "PLATEAU_FROM",
    "TARGET",
    "TENURED_MONTHS",
    "cohort_table",
    "months_to_target",
    "ramp_curve",
    "rep_month_productivity",
]

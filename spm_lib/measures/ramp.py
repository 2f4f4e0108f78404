"""New-hire ramp: productivity by months since hire, by hire cohort, and months to 80%.

productivity(rep, month) = the rep's bookings that month / the median bookings that month of
tenured reps (at least :data:`TENURED_MONTHS` months since hire) in the same segment (all reps
when the dataset has no segment). Month 0 is the calendar month of the hire date. The curve is
the mean productivity of reps hired inside the data (so their first months are observed) at each
month since hire, scaled so tenured reps average 1; months to 80% is the first month whose
3-month centred mean reaches 0.8.
"""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.measures.series import bookings_series

TENURED_MONTHS = 18
TARGET = 0.8


def rep_month_productivity(ds: Dataset, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per rep and employed month: rep_id, month, months_since_hire, bookings,
    benchmark (tenured median of the segment that month), productivity, cohort (hire year)."""
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
    benchmark = tenured.groupby(["month", "segment"])["bookings"].median().rename("benchmark")
    long = long.join(benchmark, on=["month", "segment"])
    long["productivity"] = long["bookings"] / long["benchmark"].where(long["benchmark"] > 0)
    long["cohort"] = long["rep_id"].map(reps["hire_date"].dt.year)
    return long.reset_index(drop=True)


def ramp_curve(
    ds: Dataset, max_months: int = 24, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Mean productivity by months since hire of reps hired inside the data: months_since_hire,
    reps (sample size), productivity, smoothed (3-month centred mean).

    Monthly bookings are skewed, so the mean of bookings / tenured median is above 1 even for
    tenured reps; the curve is divided by that mean over tenured rep-months, so that a rep
    producing like the tenured reps scores 1.
    """
    rows = rep_month_productivity(ds, as_of)
    tenured_level = rows.loc[rows["months_since_hire"] >= TENURED_MONTHS, "productivity"].mean()
    first_month = rows["month"].min()
    hired_inside = ds.reps.loc[ds.reps["hire_date"].dt.to_period("M") >= first_month, "rep_id"]
    new = rows[rows["rep_id"].isin(hired_inside) & (rows["months_since_hire"] <= max_months)]
    curve = new.groupby("months_since_hire").agg(
        reps=("rep_id", "nunique"), productivity=("productivity", "mean")
    )
    if tenured_level and tenured_level == tenured_level:
        curve["productivity"] = curve["productivity"] / tenured_level
    curve = curve.reindex(range(max_months + 1))
    curve["reps"] = curve["reps"].fillna(0).astype(int)
    curve["smoothed"] = curve["productivity"].rolling(3, center=True, min_periods=2).mean()
    return curve.rename_axis("months_since_hire").reset_index()


def months_to_target(curve: pd.DataFrame, target: float = TARGET) -> float:
    """First month since hire whose smoothed productivity reaches ``target`` (NaN if never)."""
    reached = curve[curve["smoothed"] >= target]
    return float(reached["months_since_hire"].iloc[0]) if len(reached) else float("nan")


def cohort_table(ds: Dataset, bands: tuple[int, ...] = (0, 3, 6, 9, 12, 18, 24)) -> pd.DataFrame:
    """Mean productivity by hire-year cohort (rows) and band of months since hire (columns),
    with the number of reps in each cohort."""
    rows = rep_month_productivity(ds)
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(bands[:-1], bands[1:], strict=True)]
    rows = rows[rows["months_since_hire"] < bands[-1]].copy()
    rows["band"] = pd.cut(rows["months_since_hire"], bands, right=False, labels=labels)
    table = rows.pivot_table(
        index="cohort", columns="band", values="productivity", aggfunc="mean", observed=False
    )
    table.columns = [f"months {c}" for c in table.columns]
    table.insert(0, "reps", rows.groupby("cohort")["rep_id"].nunique())
    return table.rename_axis("hire_year").reset_index()


__all__ = ["cohort_table", "months_to_target", "ramp_curve", "rep_month_productivity"]

"""How the rep-performance page words the new-hire ramp (:mod:`spm_lib.measures.ramp`): the
chart's finding, where new hires settle and on how many reps, the cohort cells with the reps
behind them."""

from __future__ import annotations

import pandas as pd

from spm_lib.measures import ramp
from spm_lib.report import format_percent


def ramp_title(months: float) -> str:
    """The ramp chart's finding: the month new hires reach 80% of their full productivity."""
    if months != months:
        return "New hires have not reached 80% of their full productivity in the data"
    return f"New hires reach 80% of their full productivity in month {months:.0f} after hire"


def ramp_reading(curve: pd.DataFrame) -> str:
    """Where new hires settle against tenured reps, and on how many reps that rests."""
    plateau, reps = curve.attrs.get("plateau"), curve.attrs.get("plateau_reps", 0)
    if not curve.attrs.get("plateau_used"):
        return (
            f"{reps} of the reps hired inside the data have reached month {ramp.PLATEAU_FROM} "
            f"(at least {ramp.MIN_PLATEAU_REPS} are needed to tell the level new hires settle "
            "at): the ramp is read against tenured reps. Monthly bookings are lumpy: the line "
            "is a monotone fit of the points."
        )
    return (
        f"From month {ramp.PLATEAU_FROM} on, the {reps} new hires who got there book "
        f"{format_percent(plateau)} of what tenured reps book; the ramp is read against that "
        "level. Monthly bookings are lumpy: the line is a monotone fit of the points."
    )


def cohort_cells(cohorts: pd.DataFrame) -> pd.DataFrame:
    """The cohort table as shown: each cell its productivity and the reps behind it
    (``45% (7)``), empty where no rep of the cohort was in that band."""
    shown = cohorts[["hire_year", "reps"]].copy()
    shown["hire_year"] = shown["hire_year"].astype(int).astype(str)
    for column in (c for c in cohorts.columns if c.startswith("months ")):
        counts = cohorts["reps " + column.removeprefix("months ")]
        shown[column] = [
            f"{format_percent(v)} ({n})" if n and v == v else ""
            for v, n in zip(cohorts[column], counts, strict=True)
        ]
    return shown

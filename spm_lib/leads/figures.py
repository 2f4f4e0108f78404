"""The period's key figures of lead conversion."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.leads.frame import created_in, has_leads, lead_frame
from spm_lib.periods import Period, period_containing


@dataclass(frozen=True)
class PeriodMoved:
    """The report period differs from the one ``asked`` for: no lead was created in it, the
    last on ``last_lead``; ``complete`` says whether the period used is a complete quarter."""

    asked: Period
    last_lead: dt.date
    complete: bool


def lead_period(ds: Dataset, text: str | Period) -> tuple[Period, PeriodMoved | None]:
    """The report period and, when it differs from the one asked for, why.

    A period in which no lead was created (the runner's ``latest`` is the data's latest
    quarter, and a funnel export may stop months before the deals do) falls back to the latest
    complete quarter of the leads: the quarter before the one holding the last lead created,
    or, when that has none either, the quarter holding the last lead (said to be incomplete).
    """
    asked = text if isinstance(text, Period) else ds.period(text)
    if not has_leads(ds):
        return asked, None
    created = ds["leads"]["created_date"]
    if asked.mask(created).any():
        return asked, None
    last = created.max().date()
    fallback = period_containing(last, "quarter", ds.config.fiscal_year_start_month)
    complete = fallback.previous() if fallback.end > last else fallback
    if complete.mask(created).any():
        return complete, PeriodMoved(asked, last, complete=True)
    return fallback, PeriodMoved(asked, last, complete=False)


def period_figures(frame: pd.DataFrame, period: Period, as_of: dt.date) -> dict[str, float]:
    """The key figures of the leads created in ``period``, outcomes as of ``as_of``:
    leads, converted, lead_conversion_rate = converted / leads, revenue_per_lead = won revenue /
    leads, median_days_to_convert = median days to convert of the leads converted in the period
    (whenever created)."""
    stamp = pd.Timestamp(as_of)
    mine = created_in(frame, period)
    converted = mine["converted"] & (mine["converted_date"] <= stamp)
    won = mine["won"] & (mine["won_date"] <= stamp)
    start, end = pd.Timestamp(period.start), pd.Timestamp(min(period.end, as_of))
    in_period = frame["converted_date"].between(start, end) & frame["days_to_convert"].ge(0)
    n = len(mine)
    return {
        "leads": n,
        "converted": int(converted.sum()),
        "lead_conversion_rate": float(converted.sum() / n) if n else float("nan"),
        "revenue_per_lead": float(mine["revenue"].where(won, 0).sum() / n) if n else float("nan"),
        "median_days_to_convert": float(frame.loc[in_period, "days_to_convert"].median()),
    }


def key_figures(ds: Dataset, period: Period, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The period's figures beside the period before, at the same age: the previous period's
    leads are judged as of the same number of days after its end (``follow_up_days``), so a
    quarter that just ended is not compared with one whose leads had months more to convert.

    One row per figure: figure, value, previous, change (value / previous - 1).
    """
    frame = lead_frame(ds) if frame is None else frame
    follow_up = max((ds.as_of - period.end).days, 0)
    before = period.previous()
    now = period_figures(frame, period, ds.as_of)
    then = period_figures(frame, before, before.end + dt.timedelta(days=follow_up))
    rows = []
    for figure in ("leads", "lead_conversion_rate", "revenue_per_lead", "median_days_to_convert"):
        value, previous = now[figure], then[figure]
        change = value / previous - 1 if previous and not np.isnan(previous) else np.nan
        rows.append({"figure": figure, "value": value, "previous": previous, "change": change})
    out = pd.DataFrame(rows)
    out.attrs.update(
        previous_period=before.label, follow_up_days=follow_up, converted=now["converted"]
    )
    return out

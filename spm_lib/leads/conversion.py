"""The funnel: lead -> opportunity -> won by group, with Wilson intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from spm_lib.dataset import Dataset
from spm_lib.leads.frame import created_in, group_column, lead_frame
from spm_lib.periods import Period

FUNNEL_COLUMNS = [
    "leads",
    "converted",
    "conversion_rate",
    "lower",
    "upper",
    "won",
    "win_rate",
    "revenue",
    "revenue_per_lead",
]


def wilson(successes: pd.Series, trials: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Wilson 95% interval of successes / trials (NaN where trials is 0)."""
    s, n = successes.to_numpy(dtype=float), trials.to_numpy(dtype=float)
    ok = n > 0
    lower, upper = np.full(len(n), np.nan), np.full(len(n), np.nan)
    lo, hi = proportion_confint(s[ok], n[ok], alpha=0.05, method="wilson")
    lower[ok], upper[ok] = lo, hi
    return pd.Series(lower, index=successes.index), pd.Series(upper, index=successes.index)


def _funnel_table(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    column = "group" if by is None else group_column(by)
    data = frame.assign(group="All") if by is None else frame
    if by == "ae":
        data = data[data["converted"]]
    g = data.groupby(column, sort=True)
    out = pd.DataFrame(
        {
            "leads": g.size(),
            "converted": g["converted"].sum(),
            "won": g["won"].sum(),
            "lost": g["lost"].sum(),
            "revenue": g["revenue"].sum(),
        }
    )
    if out.empty:
        return pd.DataFrame(columns=[column, *FUNNEL_COLUMNS])
    out["conversion_rate"] = out["converted"] / out["leads"]
    out["lower"], out["upper"] = wilson(out["converted"], out["leads"])
    decided = out["won"] + out["lost"]
    out["win_rate"] = out["won"] / decided.where(decided > 0)
    out["revenue_per_lead"] = out["revenue"] / out["leads"]
    out = out.astype({"leads": int, "converted": int, "won": int, "revenue": float})
    return out.rename_axis(column).reset_index()[[column, *FUNNEL_COLUMNS]]


def funnel(
    ds: Dataset,
    by: str | None = "source",
    period: Period | None = None,
    frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Lead -> opportunity -> won, one row per group of ``by`` (source, segment, sdr, ae, cohort;
    None: one row, group ``All``).

    Columns: the group, leads, converted, conversion_rate = converted / leads with its Wilson 95%
    interval (lower, upper), won, win_rate = won / (won + lost) of the converted leads'
    opportunities, revenue (won amount), revenue_per_lead = revenue / leads. ``period``: leads
    created in it (default all). ``frame``: a :func:`lead_frame` already built (and cut) to use
    instead of the dataset's. Outcomes are as of the data's as-of date.
    """
    return _funnel_table(created_in(lead_frame(ds) if frame is None else frame, period), by)


def named(frame: pd.DataFrame, ds: Dataset, column: str = "owner_rep_id") -> pd.DataFrame:
    """``frame`` with a ``name`` column after ``column`` (rep names from every rep, SDRs too),
    unless the reps have no names beyond their ids."""
    names = ds.rep_names
    shown = frame[column].map(names).fillna("")
    if ((shown == frame[column]) | (shown == "")).all():
        return frame  # no names beyond the ids (reps made from ids)
    out = frame.copy()
    out.insert(out.columns.get_loc(column) + 1, "name", shown)
    return out

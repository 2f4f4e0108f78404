"""Who counts: each person's status in a period, from one function every report reads.

:func:`rep_status` gives every person of the reps table one status for a period (the first
that applies):

- ``SDR``: a lead-development role (SDR, BDR): works leads, carries no bookings quota;
- ``non-seller``: role ``Non-seller`` (an importer's automated or administrative user);
- ``not yet hired``: hire_date after the period's end;
- ``departed``: end_date on or before the period's end (left before or during the period);
- ``ramping``: fewer than ``ramp_months`` whole months from the hire month to the period's
  end month (the longest ramp of the commission plans, else :data:`DEFAULT_RAMP_MONTHS`);
- ``active``: everyone else.

``counted`` (active or ramping) is the rep set of rep counts, at-quota counts and rankings;
departed reps keep their bookings in every total and are shown with their status, never
ranked or flagged; SDRs and non-sellers appear only where leads or data quality are concerned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset import LEAD_DEVELOPMENT_ROLES, NON_SELLER, Dataset
from spm_lib.exceptions import DataError
from spm_lib.measures.plans import parse_plans
from spm_lib.periods import Period

DEFAULT_RAMP_MONTHS = 3
COUNTED = ("active", "ramping")


def ramp_shares(ds: Dataset) -> np.ndarray:
    """Share of full productivity by month of tenure (month 0 = the hire month): the longest
    ``ramp`` of the dataset's commission plans (:func:`spm_lib.measures.plans.parse_plans`), else
    linear over :data:`DEFAULT_RAMP_MONTHS` (1/4, 2/4, 3/4). Plans that do not parse count as none
    here; the compensation report names their error."""
    try:
        plans = parse_plans(ds.config.commission_plans or {})
    except DataError:
        plans = {}
    longest = max((p.ramp for p in plans.values()), key=len, default=())
    if longest:
        return np.array([float(v) for v in longest])
    return (np.arange(DEFAULT_RAMP_MONTHS) + 1) / (DEFAULT_RAMP_MONTHS + 1)


def ramp_months(ds: Dataset) -> int:
    """Months a new hire ramps: the length of :func:`ramp_shares`."""
    return len(ramp_shares(ds))


def rep_status(
    ds: Dataset, period: Period | pd.Timestamp | str, ramp: int | None = None
) -> pd.DataFrame:
    """One row per person of the (narrowed) reps table: rep_id, name, team, region, hire_date,
    end_date, status (see the module docstring), counted (active or ramping). ``period`` may
    also be a date: the status on that day."""
    people = ds["reps"]
    ramp = ramp if ramp is not None else ramp_months(ds)
    end = pd.Timestamp(period.end if isinstance(period, Period) else period)
    role = (
        people["role"].fillna("").str.upper()
        if "role" in people
        else pd.Series("", index=people.index)
    )
    hire, left = people["hire_date"], people["end_date"]
    tenure = (end.year - hire.dt.year) * 12 + (end.month - hire.dt.month)
    status = pd.Series("active", index=people.index, dtype=object)
    status[tenure.notna() & (tenure < ramp)] = "ramping"
    status[left.notna() & (left <= end)] = "departed"
    status[hire.notna() & (hire > end)] = "not yet hired"
    status[role == NON_SELLER.upper()] = "non-seller"
    status[role.isin(LEAD_DEVELOPMENT_ROLES)] = "SDR"
    columns = [
        c for c in ("rep_id", "name", "team", "region", "hire_date", "end_date") if c in people
    ]
    out = people[columns].assign(status=status.to_numpy())
    out["counted"] = out["status"].isin(COUNTED)
    return out.reset_index(drop=True)


def counted_ids(ds: Dataset, period: Period) -> set[str]:
    """The rep_ids counted in ``period`` (active or ramping)."""
    status = rep_status(ds, period)
    return set(status.loc[status["counted"], "rep_id"])

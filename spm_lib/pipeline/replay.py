"""A dataset as it stood at the end of a past date, replayed from the CRM's own history.

:func:`dataset_as_of` is what a backtest runs on: every recommendation is made again from the
data known then and scored on what followed. Table by table, at the end of ``date``:

- ``opportunities``: the deals that existed then (created by then, or closed with a close date
  by then: a migrated org's back-dated deal), with the stage, amount, close date and forecast
  category in force that day (:func:`spm_lib.pipeline.as_of.states_at`); ``is_won`` and
  ``is_closed`` follow that stage. A deal cancelled by then stays, with its cancellation (as in
  the dataset itself: a clawback); a cancellation or a last change after the date is not yet
  known;
- ``opportunity_history``, ``stage_history``, ``activities``, ``forecast_calls`` and
  ``trainings``: the rows dated by then; ``opportunity_splits``: the splits of the deals kept;
- ``leads``: the leads created by then, a conversion or disqualification after the date not
  yet made (the lead is open, with no opportunity);
- ``reps``: everyone, an end date after the date not yet known (a rep hired later is "not yet
  hired" to :func:`spm_lib.measures.roster.rep_status`);
- ``accounts``, ``quotas``, ``rep_skills``: as they are (quotas are set ahead; the CRM keeps
  no history of the others).

The owner of a deal is today's: the CRM's history has no owner field, so a deal reassigned
since counts for its new owner. The fingerprint names the date, so no cache mixes a replay
with the dataset it came from. At the dataset's own as-of date the replay changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.pipeline.as_of import FIELDS, states_at

DATED = {  # table -> the column that dates a row
    "opportunity_history": "changed_at",
    "stage_history": "entered_date",
    "activities": "date",
    "forecast_calls": "submitted_at",
    "trainings": "completed_date",
}


def dataset_as_of(ds: Dataset, date: dt.date | pd.Timestamp) -> Dataset:
    """``ds`` as it stood at the end of ``date`` (module docstring); its ``as_of`` is
    ``date``. The company dataset of an audience is replayed too."""
    day = pd.Timestamp(date).normalize()
    end = day + pd.Timedelta(days=1)  # rows stamped at a time of that day count
    tables = dict(ds.tables)
    tables["opportunities"] = _opportunities(ds, day)
    kept = pd.Index(tables["opportunities"]["opportunity_id"])
    for name, column in DATED.items():
        if name in tables:
            frame = tables[name]
            known = frame[column] < end
            if "opportunity_id" in frame:  # a row of a deal not yet created is not known
                known &= frame["opportunity_id"].isna() | frame["opportunity_id"].isin(kept)
            tables[name] = frame[known].reset_index(drop=True)
    if "opportunity_splits" in tables:
        splits = tables["opportunity_splits"]
        tables["opportunity_splits"] = splits[splits["opportunity_id"].isin(kept)]
    if "leads" in tables:
        tables["leads"] = _leads(tables["leads"], day, kept)
    tables["reps"] = _reps(tables["reps"], day)
    return replace(
        ds,
        tables=tables,
        as_of=day.date(),
        fingerprint=hashlib.sha256(f"{ds.fingerprint}@{day.date()}".encode()).hexdigest(),
        company=dataset_as_of(ds.company, day) if ds.company is not None else None,
    )


def _opportunities(ds: Dataset, day: pd.Timestamp) -> pd.DataFrame:
    """The deals that existed at the end of ``day``, with the fields in force then."""
    opps = ds.opportunities
    existed = (opps["created_date"] <= day) | (opps["is_closed"] & (opps["close_date"] <= day))
    deals = opps[existed.to_numpy(bool)].reset_index(drop=True)
    state = states_at(ds, pd.DataFrame({"opportunity_id": deals["opportunity_id"], "date": day}))
    for field in FIELDS:
        deals[field] = state[field].to_numpy()
    won, lost = set(ds.config.won_stages), set(ds.config.lost_stages)
    deals["is_won"] = deals["stage"].isin(won)
    deals["is_closed"] = deals["stage"].isin(won | lost)
    for column in ("cancelled_date", "modified_date"):
        if column in deals:
            deals[column] = deals[column].where(deals[column] <= day)
    return deals


def _leads(leads: pd.DataFrame, day: pd.Timestamp, kept: pd.Index) -> pd.DataFrame:
    """The leads created by ``day``; a later conversion or disqualification not yet made."""
    leads = leads[leads["created_date"] <= day].copy()
    later = leads["converted_date"] > day
    leads.loc[later, "converted_date"] = pd.NaT
    if "opportunity_id" in leads:
        unknown = later | ~leads["opportunity_id"].isin(kept)
        leads["opportunity_id"] = leads["opportunity_id"].where(~unknown)
    if "disqualified_date" in leads:
        leads["disqualified_date"] = leads["disqualified_date"].where(
            leads["disqualified_date"] <= day
        )
    return leads.reset_index(drop=True)


def _reps(reps: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Everyone; a departure after ``day`` not yet known."""
    return reps.assign(end_date=reps["end_date"].where(reps["end_date"] <= day))


__all__ = ["DATED", "dataset_as_of"]

"""The pipeline as it stood on any date, rebuilt from the CRM's own history.

``opportunity_history`` holds one row per change of a deal (``changed_at``), with the fields
the change wrote: stage, amount, close date, forecast category (an empty field: not changed
then). The value in force on a date is the last one written up to the end of that day; before
a deal's first history row, its first row's values (the state it was created in); a deal with
no history row at all keeps the values of ``opportunities`` throughout. A deal is in the
pipeline on a date when it was created by then, not cancelled (deleted) by then, and its stage
in force is neither won nor lost.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset

FIELDS = ["stage", "amount", "close_date", "forecast_category"]
STATE_COLUMNS = ["opportunity_id", "rep_id", *FIELDS]


def state_as_of(ds: Dataset, date: dt.date | pd.Timestamp) -> pd.DataFrame:
    """Every deal created by the end of ``date`` and not cancelled by then, with the fields in
    force on that day (see the module docstring): columns :data:`STATE_COLUMNS`."""
    day = pd.Timestamp(date).normalize()
    end = day + pd.Timedelta(days=1)
    opps = ds.opportunities
    alive = opps["created_date"] <= day
    if "cancelled_date" in opps.columns:
        alive &= opps["cancelled_date"].isna() | (opps["cancelled_date"] > day)
    deals = opps.loc[alive, ["opportunity_id", "rep_id", *FIELDS]].set_index("opportunity_id")
    history = ds.get("opportunity_history")
    if history is not None and len(history):
        history = history[history["opportunity_id"].isin(deals.index)]
        ordered = history.sort_values(["opportunity_id", "changed_at"], kind="stable")
        grouped = ordered.groupby("opportunity_id", sort=False)[FIELDS]
        initial = grouped.first()  # first non-empty value of each field: the state at creation
        written = ordered[ordered["changed_at"] < end].groupby(
            "opportunity_id", sort=False)[FIELDS].last()  # last non-empty value by then
        in_force = written.combine_first(initial).reindex(deals.index)
        for field in FIELDS:
            known = in_force[field].notna()
            deals.loc[known, field] = in_force.loc[known, field].astype(deals[field].dtype)
    return deals.reset_index()[STATE_COLUMNS]


def history_states(ds: Dataset) -> pd.DataFrame | None:
    """Each history row with every field in force after it (the last value written so far,
    else the deal's first written value): columns opportunity_id, changed_at, *FIELDS*,
    sorted by deal and time. None without ``opportunity_history``."""
    history = ds.get("opportunity_history")
    if history is None or not len(history):
        return None
    ordered = history.sort_values(["opportunity_id", "changed_at"], kind="stable",
                                  ignore_index=True)  # fmt: skip
    grouped = ordered.groupby("opportunity_id", sort=False)[FIELDS]
    filled = grouped.ffill().fillna(grouped.transform("first"))
    return pd.concat([ordered[["opportunity_id", "changed_at"]], filled], axis=1)


def states_at(ds: Dataset, grid: pd.DataFrame) -> pd.DataFrame:
    """The fields in force at the end of ``grid["date"]`` for ``grid["opportunity_id"]``
    (any number of (deal, date) pairs): ``grid`` with :data:`FIELDS` added, the same rule as
    :func:`state_as_of` (it does not filter on creation or cancellation)."""
    out = grid.reset_index(drop=True).copy()
    out["_row"] = np.arange(len(out))
    own = ds.opportunities.set_index("opportunity_id")
    states = history_states(ds)
    if states is not None:
        states = states[states["opportunity_id"].isin(out["opportunity_id"])]
    if states is None or not len(states):
        for field in FIELDS:
            out[field] = out["opportunity_id"].map(own[field])
        return out.drop(columns="_row")
    at = pd.to_datetime(out["date"]).dt.normalize() + pd.Timedelta(days=1)
    out["_at"] = at.astype(states["changed_at"].dtype)
    left = out.sort_values("_at", kind="stable")
    right = states.rename(columns={f: f"_{f}" for f in FIELDS}).sort_values(
        "changed_at", kind="stable")
    merged = pd.merge_asof(left, right, left_on="_at", right_on="changed_at",
                           by="opportunity_id", allow_exact_matches=False)  # fmt: skip
    merged = merged.sort_values("_row").reset_index(drop=True)
    first = states.groupby("opportunity_id", sort=False)[FIELDS].first()
    for field in FIELDS:
        value = merged[f"_{field}"]
        value = value.fillna(merged["opportunity_id"].map(first[field]))
        value = value.fillna(merged["opportunity_id"].map(own[field]))
        out[field] = value.astype(own[field].dtype).to_numpy()
    return out.drop(columns=["_row", "_at"])


def pipeline_as_of(ds: Dataset, date: dt.date | pd.Timestamp) -> pd.DataFrame:
    """The open pipeline at the end of ``date``: the deals of :func:`state_as_of` whose stage
    in force is neither won nor lost (columns :data:`STATE_COLUMNS`)."""
    state = state_as_of(ds, date)
    closed = set(ds.config.won_stages) | set(ds.config.lost_stages)
    return state[~state["stage"].isin(closed)].reset_index(drop=True)


__all__ = ["FIELDS", "STATE_COLUMNS", "history_states", "pipeline_as_of", "state_as_of",
           "states_at"]

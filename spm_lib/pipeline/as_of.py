"""The pipeline as it stood on any date, rebuilt from the CRM's own history.

``opportunity_history`` holds one row per change of a deal (``changed_at``), with the fields
the change wrote: stage, amount, close date, forecast category (an empty field: not changed
then). The value in force on a date is the last one written up to the end of that day; before
a deal's first history row, its first row's values (the state it was created in), except
for a closed deal whose close date has passed: its own values (a history that begins after
the close, as a migrated org's does); a deal with no history row at all keeps the values of
``opportunities`` throughout. A deal is in the pipeline on a date when it exists then
(:func:`exists_at`) and its stage in force is neither won nor lost.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.dataset.history_checks import reconciled_history

FIELDS = ["stage", "amount", "close_date", "forecast_category"]
STATE_COLUMNS = ["opportunity_id", "rep_id", *FIELDS]


def exists_at(ds: Dataset, day: pd.Timestamp) -> pd.Series:
    """Per opportunity (aligned with ``ds.opportunities``): created by the end of ``day``, or
    closed with a close date by then (a back-dated deal of a migrated org, created after its
    own close), and not cancelled by then."""
    opps = ds.opportunities
    day = pd.Timestamp(day).normalize()
    alive = (opps["created_date"] <= day) | (opps["is_closed"] & (opps["close_date"] <= day))
    if "cancelled_date" in opps.columns:
        alive &= ~(opps["cancelled_date"] <= day)
    return alive


def state_as_of(ds: Dataset, date: dt.date | pd.Timestamp) -> pd.DataFrame:
    """Every deal that exists at the end of ``date`` (:func:`exists_at`), with the fields in
    force on that day (see the module docstring): columns :data:`STATE_COLUMNS`."""
    day = pd.Timestamp(date).normalize()
    opps = ds.opportunities
    deals = opps.loc[exists_at(ds, day), ["opportunity_id", "rep_id"]]
    state = states_at(ds, deals.assign(date=day))
    return state.drop(columns="date").reset_index(drop=True)[STATE_COLUMNS]


_STATES: dict[int, tuple[weakref.ref, pd.DataFrame]] = {}


def derived_from(
    cache: dict[int, tuple[weakref.ref, pd.DataFrame]],
    source: pd.DataFrame,
    compute: Callable[[pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """``compute(source)``, kept in ``cache`` while ``source`` lives (a report asks for the
    same derived table many times)."""
    kept = cache.get(id(source))
    if kept is not None and kept[0]() is source:
        return kept[1]
    for key in [k for k, (ref, _) in cache.items() if ref() is None]:
        del cache[key]
    result = compute(source)
    cache[id(source)] = (weakref.ref(source), result)
    return result


def history_states(ds: Dataset) -> pd.DataFrame | None:
    """Each history row with every field in force after it (the last value written so far,
    else the deal's first written value): columns opportunity_id, changed_at, *FIELDS*,
    sorted by deal and time; a history that contradicts its deal ends in the deal's own state
    (:func:`~spm_lib.dataset.history_checks.reconciled_history`). None without
    ``opportunity_history``. Kept while the history table lives (a report asks for it many
    times)."""
    history = ds.get("opportunity_history")
    if history is None or not len(history):
        return None
    return derived_from(
        _STATES,
        history,
        lambda h: _history_states(reconciled_history(h, ds.opportunities, ds.as_of)),
    )


def _history_states(history: pd.DataFrame) -> pd.DataFrame:
    ordered = history.sort_values(
        ["opportunity_id", "changed_at"], kind="stable", ignore_index=True
    )
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
            out[field] = own[field].reindex(out["opportunity_id"]).to_numpy()
        return out.drop(columns="_row")
    at = pd.to_datetime(out["date"]).dt.normalize() + pd.Timedelta(days=1)
    out["_at"] = at.astype(states["changed_at"].dtype)
    left = out.sort_values("_at", kind="stable")
    right = states.rename(columns={f: f"_{f}" for f in FIELDS}).sort_values(
        "changed_at", kind="stable"
    )
    merged = pd.merge_asof(
        left,
        right,
        left_on="_at",
        right_on="changed_at",
        by="opportunity_id",
        allow_exact_matches=False,
    )
    merged = merged.sort_values("_row").reset_index(drop=True)
    first = states.groupby("opportunity_id", sort=False)[FIELDS].first()
    # before the first history row, a closed deal whose close date has passed is as it stands
    ids = merged["opportunity_id"]
    settled = (
        merged["changed_at"].isna()
        & own["is_closed"].reindex(ids).fillna(False).to_numpy(bool)
        & (
            own["close_date"].reindex(ids).to_numpy()
            <= merged["_at"].to_numpy() - np.timedelta64(1, "D")
        )
    )
    first = first.reindex(ids)
    first.loc[settled.to_numpy(), :] = np.nan
    first.index = merged.index
    for field in FIELDS:
        value = merged[f"_{field}"]
        value = value.fillna(first[field])
        value = value.fillna(pd.Series(own[field].reindex(ids).to_numpy(), index=value.index))
        out[field] = value.astype(own[field].dtype).to_numpy()
    return out.drop(columns=["_row", "_at"])


def pipeline_as_of(ds: Dataset, date: dt.date | pd.Timestamp) -> pd.DataFrame:
    """The open pipeline at the end of ``date``: the deals of :func:`state_as_of` whose stage
    in force is neither won nor lost (columns :data:`STATE_COLUMNS`)."""
    state = state_as_of(ds, date)
    closed = set(ds.config.won_stages) | set(ds.config.lost_stages)
    return state[~state["stage"].isin(closed)].reset_index(drop=True)


__all__ = [
    "FIELDS",
    "STATE_COLUMNS",
    "derived_from",
    "exists_at",
    "history_states",
    "pipeline_as_of",
    "state_as_of",
    "states_at",
]

"""Forecast calls week by week: every rep's Commit and Best Case call reconstructed from the
CRM's history at each week's end, and the calls the team submitted (``forecast_calls``), in one
shape (:data:`CALL_COLUMNS`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.periods import Period
from spm_lib.pipeline.as_of import states_at

CALL_COLUMNS = ["owner_id", "period", "week", "date", "category", "amount", "source"]

CATEGORIES = ("Commit", "Best Case")


def week_ends(period: Period, as_of: pd.Timestamp | None = None) -> pd.DatetimeIndex:
    """The end of each week of ``period`` (day 7k; the last, its end), up to ``as_of``."""
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    days = pd.date_range(start + pd.Timedelta(days=6), end, freq="7D")
    if not len(days) or days[-1] < end:
        days = days.append(pd.DatetimeIndex([end]))
    if as_of is not None:
        days = days[days <= pd.Timestamp(as_of)]
    return days


def reconstructed_calls(ds: Dataset, periods: list[Period]) -> pd.DataFrame:
    """Every rep's Commit and Best Case call at each week of ``periods`` from the CRM's
    history (module docstring): :data:`CALL_COLUMNS` plus ``commit_open`` (the open Commit
    amount due) and ``commit_won`` (its part won in the period) on the Commit rows."""
    opps = ds.opportunities
    grids = {}
    for k, period in enumerate(periods):
        days = week_ends(period, ds.as_of)
        if len(days):
            grids[k] = weekly_deals(opps, period, days, k)
    if not grids:
        return pd.DataFrame(columns=[*CALL_COLUMNS, "commit_open", "commit_won"])
    every = pd.concat(grids.values(), ignore_index=True)
    states = states_at(ds, every[["opportunity_id", "date"]])  # one look-up for all weeks
    states["rep_id"], states["week"] = every["rep_id"].to_numpy(), every["week"].to_numpy()
    states["_period"] = every["_period"].to_numpy()
    by_period = dict(tuple(states.groupby("_period", sort=False)))
    rows = []
    for k, period in enumerate(periods):
        if k in grids:
            state = by_period.get(k, states.iloc[:0])
            rows += period_calls(ds, period, week_ends(period, ds.as_of), state)
    if not rows:
        return pd.DataFrame(columns=[*CALL_COLUMNS, "commit_open", "commit_won"])
    out = pd.concat(rows, ignore_index=True)
    return out[[*CALL_COLUMNS, "commit_open", "commit_won"]]


def weekly_deals(opps: pd.DataFrame, period: Period, days: pd.DatetimeIndex, k: int):
    """One row per deal and week end of ``period`` at which it exists (created, not cancelled),
    among the deals that can be due in the period at some week; ``_period`` is ``k``."""
    lo, hi = pd.Timestamp(period.start), pd.Timestamp(period.end)
    # deals that can be due in the period at some week: created by its end, not closed
    # before its start
    alive = (opps["created_date"] <= hi) & ~(opps["is_closed"] & (opps["close_date"] < lo))
    columns = ["opportunity_id", "rep_id", "created_date"]
    cancel = "cancelled_date" in opps.columns
    deals = opps.loc[alive, columns + (["cancelled_date"] if cancel else [])]
    grid = deals.loc[deals.index.repeat(len(days))].assign(
        date=np.tile(days.to_numpy(), len(deals)),
        week=np.tile(np.arange(1, len(days) + 1), len(deals)),
        _period=k,
    )
    keep = grid["created_date"] <= grid["date"]
    if cancel:  # a deal cancelled by then is in no call
        keep &= ~(grid["cancelled_date"] <= grid["date"])
    return grid[keep]


def period_calls(
    ds: Dataset, period: Period, days: pd.DatetimeIndex, state: pd.DataFrame
) -> list[pd.DataFrame]:
    """The Commit and Best Case rows of one period from its deals' weekly ``state``."""
    opps = ds.opportunities
    lo, hi = pd.Timestamp(period.start), pd.Timestamp(period.end)
    due = (state["close_date"] >= lo) & (state["close_date"] <= hi)
    is_open = ~state["stage"].isin([*ds.config.won_stages, *ds.config.lost_stages])
    state = state[due & is_open]
    won_deals = opps[opps["is_won"] & (opps["close_date"] >= lo) & (opps["close_date"] <= hi)]
    state = state.assign(
        won=state["opportunity_id"].isin(won_deals["opportunity_id"]),
        amount=state["amount"].astype(float).fillna(0.0),
    )
    commit = state[state["forecast_category"].eq("Commit")]
    best = state[state["forecast_category"].isin(CATEGORIES)]
    index = pd.MultiIndex.from_product(
        [sorted(ds.reps["rep_id"]), range(1, len(days) + 1)], names=["owner_id", "week"]
    )
    won_by = pd.DataFrame(
        {
            "owner_id": np.repeat(won_deals["rep_id"].to_numpy(), len(days)),
            "week": np.tile(np.arange(1, len(days) + 1), len(won_deals)),
            "amount": np.repeat(won_deals["amount"].fillna(0.0).to_numpy(), len(days)),
            "close": np.repeat(won_deals["close_date"].to_numpy(), len(days)),
        }
    )
    won_by = won_by[won_by["close"] <= days.to_numpy()[won_by["week"] - 1]]
    closed = won_by.groupby(["owner_id", "week"])["amount"].sum().reindex(index, fill_value=0)
    c_open = commit.groupby(["rep_id", "week"])["amount"].sum()
    c_won = commit[commit["won"]].groupby(["rep_id", "week"])["amount"].sum()
    b_open = best.groupby(["rep_id", "week"])["amount"].sum()
    table = pd.DataFrame(
        {
            "closed": closed,
            "commit_open": c_open.rename_axis(["owner_id", "week"]).reindex(index, fill_value=0),
            "commit_won": c_won.rename_axis(["owner_id", "week"]).reindex(index, fill_value=0),
            "best_open": b_open.rename_axis(["owner_id", "week"]).reindex(index, fill_value=0),
        }
    ).reset_index()
    table["date"] = days.to_numpy()[table["week"] - 1]
    table["period"] = period.label
    table["source"] = "history"
    return [
        table.assign(category="Commit", amount=table["closed"] + table["commit_open"]),
        table.assign(
            category="Best Case",
            amount=table["closed"] + table["best_open"],
            commit_open=np.nan,
            commit_won=np.nan,
        ),
    ]


def submitted_calls(ds: Dataset, periods: list[Period]) -> pd.DataFrame:
    """The ``forecast_calls`` table as weekly calls: for each week of ``periods``, each
    owner's latest submission of each category by the week's end (:data:`CALL_COLUMNS`);
    weeks before an owner's first submission of a period are left out."""
    table = ds.get("forecast_calls")
    if table is None or not len(table):
        return pd.DataFrame(columns=CALL_COLUMNS)
    rows = []
    for period in periods:
        mine = table[table["period"] == period.label].sort_values("submitted_at", kind="stable")
        if mine.empty:
            continue
        days = week_ends(period, ds.as_of)
        weeks = pd.DataFrame({"date": days, "week": np.arange(1, len(days) + 1)})
        grid = mine[["owner_id", "category"]].drop_duplicates().merge(weeks, how="cross")
        grid["_at"] = (grid["date"] + pd.Timedelta(days=1)).astype(mine["submitted_at"].dtype)
        merged = pd.merge_asof(
            grid.sort_values("_at", kind="stable"),
            mine[["owner_id", "category", "submitted_at", "amount"]],
            left_on="_at",
            right_on="submitted_at",
            by=["owner_id", "category"],
            allow_exact_matches=False,
        )
        merged = merged[merged["amount"].notna()]
        rows.append(merged.assign(period=period.label, source="submitted")[CALL_COLUMNS])
    if not rows:
        return pd.DataFrame(columns=CALL_COLUMNS)
    return pd.concat(rows, ignore_index=True)

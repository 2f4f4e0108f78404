"""Sales performance metrics: one function per definition, by rep, team, region or segment.

Every function takes a Dataset, a :class:`~spm_lib.periods.Period` and ``by`` (``"rep"``,
``"team"``, ``"region"``, ``"segment"`` or ``None`` for the whole audience) and returns one row
per group with the metric and the counts behind it. A deal belongs to its rep's group.

Definitions (industry standard; variants are named):

- bookings = sum of amount of won deals with close_date in the period
- quota attainment = bookings / quota (quota = sum of quota rows starting in the period)
- win rate (count) = won / (won + lost), deals closed in the period
- win rate (value) = won amount / (won + lost) amount, deals closed in the period
- average deal size = bookings / won deals
- sales cycle = days from created_date to close_date of won deals (median and mean); deals
  closed before they were created (back-dated records, counted as warnings) are left out
- pipeline created = count and amount of deals created in the period
- pipeline coverage = open pipeline due next period / remaining quota of next period, at the end
  of the period; required coverage = 1 / trailing 12-month win rate (value)
- sales velocity = opportunities x average deal size x win rate / sales cycle (mean days), with
  opportunities = deals created in the period: money per day the funnel moves
- activities per rep = activities in the period / reps with an opportunity or activity;
  activities per won deal = activities in the period / won deals in the period
- stage conversion = of deals entering a stage in the period, those that reached a later stage
  (or won) / those decided (reached a later stage, or lost there)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.dataset.derived import once_per
from spm_lib.periods import Period

GROUPS = {"rep": "rep_id", "team": "team", "region": "region", "segment": "segment"}
ALL = "All"


def group_column(by: str | None) -> str:
    if by is None:
        return "group"
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)} or None; got {by!r}")
    return GROUPS[by]


def _with_groups(frame: pd.DataFrame, ds: Dataset, by: str | None) -> pd.DataFrame:
    """``frame`` with the grouping column of ``by`` (from reps); ``group`` = All when None."""
    if by is None:
        return frame.assign(group=ALL)
    column = group_column(by)
    if column == "rep_id":
        return frame
    lookup = ds.reps.set_index("rep_id")[column]
    return frame.assign(**{column: frame["rep_id"].map(lookup)})


def _groups(ds: Dataset, by: str | None) -> pd.Index:
    """Every group of the audience, so groups without deals show zeros rather than vanish."""
    if by is None:
        return pd.Index([ALL], name="group")
    column = group_column(by)
    values = ds.reps[column].dropna().unique()
    return pd.Index(sorted(values), name=column)


def _in(dates: pd.Series, period: Period) -> pd.Series:
    return period.mask(dates)


def _closed_in(ds: Dataset, period: Period, by: str | None) -> pd.DataFrame:
    opps = ds.opportunities
    closed = opps[opps["is_closed"] & _in(opps["close_date"], period)]
    return _with_groups(closed, ds, by)


def bookings(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """bookings = sum(amount) of won deals with close_date in the period; won_deals = count."""
    closed = _closed_in(ds, period, by)
    won = closed[closed["is_won"]]
    column = group_column(by)
    out = won.groupby(column).agg(bookings=("amount", "sum"), won_deals=("amount", "size"))
    out = out.reindex(_groups(ds, by).union(out.index), fill_value=0)
    return out.astype({"bookings": float, "won_deals": int}).rename_axis(column).reset_index()


def quota(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """quota = sum of quota rows whose period_start lies in the period (NaN without quotas)."""
    column = group_column(by)
    quotas = ds.get("quotas")
    index = _groups(ds, by)
    if quotas is None:
        return pd.DataFrame({column: index, "quota": np.nan})
    rows = _with_groups(quotas[_in(quotas["period_start"], period)], ds, by)
    totals = rows.groupby(column)["amount"].sum()
    out = totals.reindex(index.union(totals.index), fill_value=0.0)
    return pd.DataFrame({column: out.index, "quota": out.to_numpy(dtype=float)})


def quota_attainment(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """attainment = bookings / quota; NaN where the quota is zero or unknown."""
    column = group_column(by)
    out = bookings(ds, period, by).merge(quota(ds, period, by), on=column, how="outer")
    out["bookings"] = out["bookings"].fillna(0.0)
    out["attainment"] = out["bookings"] / out["quota"].where(out["quota"] > 0)
    return out[[column, "bookings", "quota", "attainment", "won_deals"]]


def win_rate(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """win_rate = won / (won + lost); win_rate_value = won amount / closed amount; over deals
    closed in the period. ``closed`` = won + lost is the sample size."""
    closed = _closed_in(ds, period, by)
    column = group_column(by)
    grouped = closed.assign(won_amount=closed["amount"].where(closed["is_won"], 0.0)).groupby(
        column
    )
    out = grouped.agg(
        won=("is_won", "sum"),
        closed=("is_won", "size"),
        won_amount=("won_amount", "sum"),
        closed_amount=("amount", "sum"),
    )
    out = out.reindex(_groups(ds, by).union(out.index), fill_value=0)
    out["lost"] = out["closed"] - out["won"]
    out["win_rate"] = out["won"] / out["closed"].where(out["closed"] > 0)
    out["win_rate_value"] = out["won_amount"] / out["closed_amount"].where(out["closed_amount"] > 0)
    out = out.rename_axis(column).reset_index()
    return out[[column, "won", "lost", "closed", "win_rate", "win_rate_value"]].astype(
        {"won": int, "lost": int, "closed": int}
    )


def average_deal_size(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """average_deal = bookings / won deals (NaN with no won deal)."""
    out = bookings(ds, period, by)
    out["average_deal"] = out["bookings"] / out["won_deals"].where(out["won_deals"] > 0)
    return out


def sales_cycle(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """Days from created_date to close_date of deals won in the period: median and mean.

    ``won_deals`` counts the deals measured: those closed before they were created are left
    out (their cycle is unknown; :mod:`spm_lib.dataset.row_warnings` counts them)."""
    closed = _closed_in(ds, period, by)
    won = closed[closed["is_won"] & (closed["close_date"] >= closed["created_date"])]
    column = group_column(by)
    days = won.assign(days=(won["close_date"] - won["created_date"]).dt.days)
    out = days.groupby(column)["days"].agg(
        won_deals="size", cycle_median_days="median", cycle_mean_days="mean"
    )
    out = out.reindex(_groups(ds, by).union(out.index))
    out["won_deals"] = out["won_deals"].fillna(0).astype(int)
    return out.rename_axis(column).reset_index()


def pipeline_created(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """Deals created in the period: created_deals (count) and pipeline_created (amount)."""
    opps = ds.opportunities
    created = _with_groups(opps[_in(opps["created_date"], period)], ds, by)
    column = group_column(by)
    out = created.groupby(column).agg(
        created_deals=("amount", "size"), pipeline_created=("amount", "sum")
    )
    out = out.reindex(_groups(ds, by).union(out.index), fill_value=0)
    return (
        out.astype({"created_deals": int, "pipeline_created": float})
        .rename_axis(column)
        .reset_index()
    )


def open_pipeline_at(ds: Dataset, date: pd.Timestamp) -> pd.DataFrame:
    """Deals open at the end of ``date`` (created by then, not closed by then)."""
    opps = ds.opportunities
    date = pd.Timestamp(date)
    still_open = ~opps["is_closed"] | (opps["close_date"] > date)
    return opps[(opps["created_date"] <= date) & still_open]


def trailing_win_rate_value(
    ds: Dataset, end: pd.Timestamp, by: str | None = "rep", months: int = 12
) -> pd.Series:
    """Won amount / closed amount over the ``months`` months to ``end``, by group."""
    opps = ds.opportunities
    end = pd.Timestamp(end)
    start = end - pd.DateOffset(months=months)
    closed = opps[opps["is_closed"] & (opps["close_date"] > start) & (opps["close_date"] <= end)]
    closed = _with_groups(closed, ds, by)
    column = group_column(by)
    won = closed["amount"].where(closed["is_won"], 0.0).groupby(closed[column]).sum()
    total = closed.groupby(column)["amount"].sum()
    return (won / total.where(total > 0)).reindex(_groups(ds, by))


def pipeline_coverage(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """At the end of the period: open pipeline due next period / remaining quota of next period,
    beside required coverage = 1 / trailing 12-month win rate (value).

    Due next period = close_date inside the next period (for deals since closed, their actual
    close date stands in for the date expected then). Remaining quota = next period's quota less
    what is booked in it by the period end (nothing, when the period is complete).
    """
    column = group_column(by)
    nxt = period.shift(1)
    end = pd.Timestamp(period.end)
    open_now = open_pipeline_at(ds, end)
    due = _with_groups(open_now[_in(open_now["close_date"], nxt)], ds, by)
    pipeline = due.groupby(column)["amount"].sum().reindex(_groups(ds, by), fill_value=0.0)
    next_quota = quota(ds, nxt, by).set_index(column)["quota"].reindex(pipeline.index)
    out = pd.DataFrame({"pipeline_due_next": pipeline, "next_quota": next_quota})
    out["coverage"] = out["pipeline_due_next"] / out["next_quota"].where(out["next_quota"] > 0)
    rate = trailing_win_rate_value(ds, end, by)
    out["required_coverage"] = 1 / rate.where(rate > 0)
    return out.rename_axis(column).reset_index()


def sales_velocity(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """velocity = opportunities x average deal x win rate / cycle days, with opportunities = deals
    created in the period, average deal and win rate (count) of deals closed in the period, cycle
    = mean days to close of deals won in the period. In money per day."""
    column = group_column(by)
    parts = (
        pipeline_created(ds, period, by)[[column, "created_deals"]]
        .merge(average_deal_size(ds, period, by)[[column, "average_deal"]], on=column)
        .merge(win_rate(ds, period, by)[[column, "win_rate"]], on=column)
        .merge(sales_cycle(ds, period, by)[[column, "cycle_mean_days"]], on=column)
    )
    cycle = parts["cycle_mean_days"].where(parts["cycle_mean_days"] > 0)
    parts["velocity_per_day"] = (
        parts["created_deals"] * parts["average_deal"] * parts["win_rate"] / cycle
    )
    return parts


def activity_rates(ds: Dataset, period: Period, by: str | None = "rep") -> pd.DataFrame:
    """activities per rep = activities / reps active (with a deal or an activity in the period);
    activities per won deal = activities / deals won in the period. NaN without activities."""
    column = group_column(by)
    index = _groups(ds, by)
    acts = ds.get("activities")
    if acts is None:
        return pd.DataFrame(
            {
                column: index,
                "activities": np.nan,
                "active_reps": np.nan,
                "per_rep": np.nan,
                "per_won_deal": np.nan,
            }
        )
    in_period = _with_groups(acts[_in(acts["date"], period)], ds, by)
    opps = ds.opportunities
    touched = pd.concat(
        [in_period["rep_id"], opps.loc[_in(opps["created_date"], period), "rep_id"]]
    )
    active = _with_groups(pd.DataFrame({"rep_id": touched.unique()}), ds, by)
    out = (
        pd.DataFrame(
            {
                "activities": in_period.groupby(column).size(),
                "active_reps": active.groupby(column)["rep_id"].nunique(),
            }
        )
        .reindex(index)
        .fillna(0)
    )
    won = bookings(ds, period, by).set_index(column)["won_deals"].reindex(index)
    out["per_rep"] = out["activities"] / out["active_reps"].where(out["active_reps"] > 0)
    out["per_won_deal"] = out["activities"] / won.where(won > 0)
    return out.rename_axis(column).reset_index()


def stage_outcomes(ds: Dataset) -> pd.DataFrame:
    """One row per (opportunity, open stage entered): opportunity_id, rep_id, stage, stage_rank,
    entered_date, created_date, converted, lost, decided, won (the deal's final outcome).

    Computed once per stage-history table (a copy is returned: callers may add columns)."""
    history = ds.get("stage_history")
    cols = [
        "opportunity_id",
        "rep_id",
        "stage",
        "stage_rank",
        "entered_date",
        "created_date",
        "converted",
        "lost",
        "decided",
        "won",
    ]
    if history is None or history.empty:
        return pd.DataFrame(columns=cols)
    key = f"stage_outcomes {id(ds.opportunities)} {ds.config.stage_names} {ds.config.open_stages}"
    return once_per(history, key, lambda: _stage_outcomes(ds, history, cols)).copy()


def _stage_outcomes(ds: Dataset, history: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    open_stages = ds.config.open_stages
    opps = ds.opportunities[["opportunity_id", "rep_id", "created_date", "is_closed", "is_won"]]
    entries = history[history["stage"].isin(open_stages)].merge(opps, on="opportunity_id")
    entries = entries.sort_values("entered_date", kind="stable").drop_duplicates(
        ["opportunity_id", "stage"]
    )
    entries["stage_rank"] = pd.Index(ds.config.stage_names).get_indexer(entries["stage"])
    deepest = entries.groupby("opportunity_id", sort=False)["stage_rank"].transform("max")
    further = deepest > entries["stage_rank"]
    entries["converted"] = further | entries["is_won"]
    entries["lost"] = ~entries["converted"] & entries["is_closed"]
    entries["decided"] = entries["converted"] | entries["lost"]
    entries["won"] = entries["is_won"]
    return entries[cols].reset_index(drop=True)


def stage_conversion(ds: Dataset, period: Period, by: str | None = None) -> pd.DataFrame:
    """Per group and open stage: deals that entered the stage in the period (``entered``),
    ``converted`` (reached a later stage or won, by the data's as-of date), ``lost`` (closed lost
    without going further), ``undecided`` (still open there), and conversion = converted /
    (converted + lost). Needs stage history; empty without it."""
    column = group_column(by)
    cols = [column, "stage", "entered", "converted", "lost", "undecided", "conversion"]
    outcomes = stage_outcomes(ds)
    if outcomes.empty:
        return pd.DataFrame(columns=cols)
    entered = outcomes[_in(outcomes["entered_date"], period)]
    entered = _with_groups(entered.assign(undecided=~entered["decided"]), ds, by)
    out = (
        entered.groupby([column, "stage"])
        .agg(
            entered=("opportunity_id", "size"),
            converted=("converted", "sum"),
            lost=("lost", "sum"),
            undecided=("undecided", "sum"),
            stage_order=("stage_rank", "first"),
        )
        .reset_index()
    )
    decided = out["converted"] + out["lost"]
    out["conversion"] = out["converted"] / decided.where(decided > 0)
    out = out.sort_values([column, "stage_order"], ignore_index=True)
    return out[cols]


def with_changes(
    metric, ds: Dataset, period: Period, value: str, by: str | None = "rep", points: bool = False
) -> pd.DataFrame:
    """``metric`` for the period beside the prior period and the same period last year:
    adds ``<value>_prior``, ``change_prior``, ``<value>_last_year``, ``change_last_year``. A
    change is value / base - 1, or with ``points`` (for rates) value - base; a base the data
    does not cover whole (:meth:`~spm_lib.dataset.Dataset.covers`) is NaN, and so its change."""
    column = group_column(by)
    now = metric(ds, period, by)
    out = now
    for suffix, other in (
        ("prior", period.previous()),
        ("last_year", period.same_period_last_year()),
    ):
        base = metric(ds, other, by)[[column, value]].rename(columns={value: f"{value}_{suffix}"})
        if not ds.covers(other):  # the data covers it in part: no base for a change
            base[f"{value}_{suffix}"] = float("nan")
        out = out.merge(base, on=column, how="left")
    for suffix, name in (("prior", "change_prior"), ("last_year", "change_last_year")):
        base = out[f"{value}_{suffix}"]
        out[name] = out[value] - base if points else out[value] / base.where(base != 0) - 1
    return out


# a rep is at quota at 100% exactly: 99.93% is not
AT_QUOTA = 1.0


def at_quota(table: pd.DataFrame) -> dict[str, float]:
    """Of the counted reps with a quota in ``table``
    (:func:`spm_lib.compensation.attainment.rep_attainment`: columns counted, quota, attainment):
    ``reps_with_quota``, ``reps_at_or_above_quota`` (attainment >= 1, unrounded) and
    ``reps_at_or_above_quota_pct`` (their share; NaN without any)."""
    counted = table[table["counted"] & (table["quota"] > 0)]
    at = int((counted["attainment"] >= AT_QUOTA).sum())
    n = len(counted)
    return {
        "reps_with_quota": n,
        "reps_at_or_above_quota": at,
        "reps_at_or_above_quota_pct": at / n if n else float("nan"),
    }

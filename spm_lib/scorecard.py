"""The rep scorecard, the at-risk list and the pipeline movement of a period.

- scorecard: one row per rep: bookings (owner), status (:mod:`spm_lib.roster`), credited
  bookings, quota and attainment (official, :mod:`spm_lib.attainment`; the owner-bookings
  variant beside it as attainment_owner), won/lost with the win rate and its
  shrunk value and 90% interval (trailing 12 months, see :mod:`spm_lib.ranking`), average deal,
  cycle, pipeline created, coverage; team and region roll-ups come from :mod:`spm_lib.metrics`
  with ``by="team"`` / ``by="region"``.
- at risk (for the quarter after the period): booked so far + the rep's open deals weighted by
  their chance to close won in the quarter (the pipeline forecast's stage-and-age rates, scaled
  by the rep's shrunk win rate relative to the company's) + what the rep typically books from
  deals created and won inside a quarter (mean of the last four quarters, pro rata for the part
  of the quarter left) < quota.
- pipeline movement: starting open pipeline + created - won - lost (+ other changes) = ending
  open pipeline, in amount and deals.
"""

from __future__ import annotations

import pandas as pd

from spm_lib import attainment, metrics
from spm_lib.data import Dataset
from spm_lib.periods import Period
from spm_lib.pipeline import pipeline_forecast
from spm_lib.ranking import win_rate_board

MOVEMENT_NEEDS_HISTORY = {
    "pulled in": "close-date history (when each deal's expected close date moved)",
    "pushed out": "close-date history (when each deal's expected close date moved)",
    "amount changes": "amount history (each deal's amount over time)",
}


def active_in(ds: Dataset, period: Period) -> pd.Series:
    """Reps employed at some point of the period (unknown hire or end dates count as employed)
    or with a deal closed in it."""
    reps = ds.reps
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    employed = (reps["hire_date"].isna() | (reps["hire_date"] <= end)) & (
        reps["end_date"].isna() | (reps["end_date"] >= start)
    )
    opps = ds.opportunities
    closed = opps.loc[opps["is_closed"] & period.mask(opps["close_date"]), "rep_id"]
    return employed | reps["rep_id"].isin(closed)


def scorecard(ds: Dataset, period: Period) -> pd.DataFrame:
    """One row per rep of the audience employed in the period (see module docstring for the
    columns' definitions)."""
    att = attainment.rep_attainment(ds, period)[
        ["rep_id", "status", "credited_bookings", "quota", "attainment", "attainment_owner"]
    ]
    bookings = metrics.bookings(ds, period, "rep")[["rep_id", "bookings"]]
    wins = metrics.win_rate(ds, period, "rep")[["rep_id", "won", "lost", "win_rate"]]
    board = win_rate_board(ds, period)[["rep_id", "shrunk_rate", "lower", "upper"]]
    deal = metrics.average_deal_size(ds, period, "rep")[["rep_id", "average_deal"]]
    cycle = metrics.sales_cycle(ds, period, "rep")[["rep_id", "cycle_median_days"]]
    created = metrics.pipeline_created(ds, period, "rep")[["rep_id", "pipeline_created"]]
    coverage = metrics.pipeline_coverage(ds, period, "rep")[["rep_id", "coverage"]]
    reps = ds.reps[active_in(ds, period)]
    reps = reps[[c for c in ("rep_id", "name", "team", "region") if c in reps]]
    out = reps
    for part in (bookings, att, wins, board, deal, cycle, created, coverage):
        out = out.merge(part, on="rep_id", how="left")
    return out.sort_values(
        ["attainment", "bookings"], ascending=False, na_position="last", ignore_index=True
    )


def at_risk(ds: Dataset, period: Period) -> pd.DataFrame:
    """Reps who, for the quarter after ``period``, cannot reach quota at their win rate.

    expected = booked so far + weighted pipeline + new-deal run rate x share of the quarter left
    (see the module docstring); at risk when expected < quota. Columns: rep_id, name, team,
    quarter, quota, booked, pipeline_due (open deals due in the quarter by their close date),
    weighted_pipeline, win_rate (shrunk), new_deal_run_rate, expected, gap (quota - expected),
    coverage (pipeline_due / quota left), required_coverage (1 / win_rate). Empty without
    quotas.
    """
    target = period.shift(1)
    as_of = max(pd.Timestamp(period.end), min(pd.Timestamp(ds.as_of), pd.Timestamp(target.end)))
    quotas = metrics.quota(ds, target, "rep").set_index("rep_id")["quota"]
    quotas = quotas[quotas > 0]
    if quotas.empty:
        return pd.DataFrame(columns=["rep_id", "name", "team", "quarter", "quota", "booked",
                                     "pipeline_due", "weighted_pipeline", "win_rate",
                                     "new_deal_run_rate", "expected", "gap", "coverage",
                                     "required_coverage"])  # fmt: skip
    opps = ds.opportunities
    won = opps[opps["is_won"] & target.mask(opps["close_date"]) & (opps["close_date"] <= as_of)]
    booked = won.groupby("rep_id")["amount"].sum()
    open_now = metrics.open_pipeline_at(ds, as_of)
    due = open_now[target.mask(open_now["close_date"])].groupby("rep_id")["amount"].sum()
    board = win_rate_board(ds, period)
    rate = board.set_index("rep_id")["shrunk_rate"]
    overall = board["won"].sum() / max(board["won"].sum() + board["lost"].sum(), 1)
    deals = pipeline_forecast(ds, end=pd.Timestamp(target.end), as_of=as_of, simulations=1).deals
    relative = (rate / overall).reindex(deals["rep_id"]).fillna(1.0).to_numpy() if overall else 1.0
    weighted = (deals["expected"] * relative).groupby(deals["rep_id"]).sum()
    out = pd.DataFrame({"quota": quotas})
    out["weighted_pipeline"] = weighted.reindex(out.index, fill_value=0.0)
    out["booked"] = booked.reindex(out.index, fill_value=0.0)
    out["pipeline_due"] = due.reindex(out.index, fill_value=0.0)
    out["win_rate"] = rate.reindex(out.index)
    out["new_deal_run_rate"] = _new_deal_run_rate(ds, period).reindex(out.index, fill_value=0.0)
    days = (pd.Timestamp(target.end) - pd.Timestamp(target.start)).days + 1
    left = max((pd.Timestamp(target.end) - as_of).days, 0) / days
    out["expected"] = out["booked"] + out["weighted_pipeline"] + out["new_deal_run_rate"] * left
    out["gap"] = out["quota"] - out["expected"]
    remaining = (out["quota"] - out["booked"]).clip(lower=0)
    out["coverage"] = out["pipeline_due"] / remaining.where(remaining > 0)
    out["required_coverage"] = 1 / out["win_rate"]
    out["quarter"] = target.label
    out = out[out["expected"] < out["quota"]].join(ds.reps.set_index("rep_id")[["name", "team"]])
    out = out.sort_values("gap", ascending=False).rename_axis("rep_id").reset_index()
    return out[["rep_id", "name", "team", "quarter", "quota", "booked", "pipeline_due",
                "weighted_pipeline", "win_rate", "new_deal_run_rate", "expected", "gap",
                "coverage", "required_coverage"]]  # fmt: skip


def _new_deal_run_rate(ds: Dataset, period: Period, quarters: int = 4) -> pd.Series:
    """Per rep: mean over the last ``quarters`` periods of bookings from deals created and won
    in the same period."""
    opps = ds.opportunities
    won = opps[opps["is_won"]]
    totals = []
    for k in range(quarters):
        q = period.shift(-k)
        inside = won[q.mask(won["close_date"]) & q.mask(won["created_date"])]
        totals.append(inside.groupby("rep_id")["amount"].sum())
    return pd.concat(totals, axis=1).fillna(0.0).sum(axis=1) / quarters


def pipeline_movement(ds: Dataset, period: Period) -> pd.DataFrame:
    """Open pipeline from the start to the end of the period, bucket by bucket.

    Rows: starting pipeline, created, won, lost, other changes (the residual: reopened deals
    and data corrections), ending pipeline, then pulled in / pushed out / amount changes with
    ``computable`` False and the reason (the canonical tables keep no close-date or amount
    history). Columns: bucket, amount, deals, computable, note.
    """
    start = pd.Timestamp(period.start) - pd.Timedelta(days=1)
    end = pd.Timestamp(period.end)
    opps = ds.opportunities
    opening = metrics.open_pipeline_at(ds, start)
    closing = metrics.open_pipeline_at(ds, end)
    created = opps[period.mask(opps["created_date"])]
    closed = opps[opps["is_closed"] & period.mask(opps["close_date"])]
    won, lost = closed[closed["is_won"]], closed[~closed["is_won"]]

    def row(bucket, frame, sign=1, note=""):
        return {"bucket": bucket, "amount": sign * float(frame["amount"].sum()),
                "deals": sign * len(frame), "computable": True, "note": note}  # fmt: skip

    rows = [row("starting pipeline", opening), row("created", created),
            row("won", won, -1), row("lost", lost, -1)]  # fmt: skip
    flow_amount = sum(r["amount"] for r in rows)
    flow_deals = sum(r["deals"] for r in rows)
    rows.append({"bucket": "other changes", "amount": float(closing["amount"].sum()) - flow_amount,
                 "deals": len(closing) - flow_deals, "computable": True,
                 "note": "reopened deals and corrections"})  # fmt: skip
    rows.append(row("ending pipeline", closing))
    for bucket, needs in MOVEMENT_NEEDS_HISTORY.items():
        rows.append({"bucket": bucket, "amount": float("nan"), "deals": pd.NA,
                     "computable": False, "note": f"needs {needs}"})  # fmt: skip
    return pd.DataFrame(rows)


def rollup(ds: Dataset, period: Period, by: str | None) -> pd.DataFrame:
    """Team, region or segment roll-up: bookings, quota, attainment, won, closed, win_rate,
    average_deal, cycle_median_days, pipeline_created, coverage, required_coverage,
    velocity_per_day, activities_per_rep."""
    column = metrics.group_column(by)
    parts = [
        metrics.quota_attainment(ds, period, by)[[column, "bookings", "quota", "attainment"]],
        metrics.win_rate(ds, period, by)[[column, "won", "closed", "win_rate"]],
        metrics.average_deal_size(ds, period, by)[[column, "average_deal"]],
        metrics.sales_cycle(ds, period, by)[[column, "cycle_median_days"]],
        metrics.pipeline_created(ds, period, by)[[column, "pipeline_created"]],
        metrics.pipeline_coverage(ds, period, by)[[column, "coverage", "required_coverage"]],
        metrics.sales_velocity(ds, period, by)[[column, "velocity_per_day"]],
        metrics.activity_rates(ds, period, by)[[column, "per_rep"]].rename(
            columns={"per_rep": "activities_per_rep"}
        ),
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.merge(part, on=column, how="outer")
    return out


def headline(ds: Dataset, period: Period) -> dict[str, float]:
    """The key figures for the audience: bookings (owner bookings: what the CRM reports),
    quota_attainment (official: credited bookings / quota over reps with a quota,
    :mod:`spm_lib.attainment`), win_rate, reps_with_quota, reps_at_or_above_quota and
    reps_at_or_above_quota_pct (counted reps, :func:`spm_lib.attainment.at_quota`) for the
    period, the prior period and the same period last year (suffixes ``_prior``,
    ``_last_year``); ``closed`` deals behind the win rate."""
    out: dict[str, float] = {}
    for suffix, p in (("", period), ("_prior", period.previous()),
                      ("_last_year", period.same_period_last_year())):  # fmt: skip
        total = metrics.bookings(ds, p, None).iloc[0]
        wins = metrics.win_rate(ds, p, None).iloc[0]
        reps = attainment.rep_attainment(ds, p)
        out[f"bookings{suffix}"] = float(total["bookings"])
        out[f"quota_attainment{suffix}"] = attainment.total_attainment(reps)
        out[f"win_rate{suffix}"] = float(wins["win_rate"])
        out[f"closed{suffix}"] = float(wins["closed"])
        out.update({f"{k}{suffix}": float(v) for k, v in attainment.at_quota(reps).items()})
    return out


def reading(figures: dict[str, float], period: Period, at_risk_count: int | None) -> str:
    """One line on the key figures."""
    from spm_lib.report.context import CONTEXT
    from spm_lib.report.formats import format_change, format_currency, format_percent

    def change(name: str) -> str:
        now, before = figures[name], figures[f"{name}_prior"]
        return format_change(now / before - 1) if before else "no prior figure"

    text = (
        f"Bookings of {format_currency(figures['bookings'], CONTEXT.currency)} in {period.label} "
        f"({change('bookings')} on the quarter before), win rate "
        f"{format_percent(figures['win_rate'])} over {int(figures['closed']):,} closed deals"
    )
    if figures["reps_with_quota"]:
        text += (
            f"; {format_percent(figures['quota_attainment'])} of quota, "
            f"{format_percent(figures['reps_at_or_above_quota_pct'])} of "
            f"{int(figures['reps_with_quota'])} reps at or above it"
        )
    else:
        text += "; no quotas in this dataset, so attainment is not shown"
    if at_risk_count:
        text += f". {at_risk_count} reps are at risk for {period.shift(1).label}"
    return text + "."

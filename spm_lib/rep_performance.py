"""The rep scorecard, the at-risk list and the pipeline movement of a period.

- scorecard: one row per rep: bookings (owner), status (:mod:`spm_lib.measures.roster`), credited
  bookings, quota and attainment (official, :mod:`spm_lib.compensation.attainment`; the
  owner-bookings variant beside it as attainment_owner), won/lost with the win rate and its
  shrunk value and 90% interval (trailing 12 months, see :mod:`spm_lib.measures.ranking`), average
  deal, cycle, pipeline created, coverage; team and region roll-ups come from
  :mod:`spm_lib.measures.metrics` with ``by="team"`` / ``by="region"``.
- at risk (for the quarter after the period): the rep's expectation from the one pipeline run
  of that quarter (:func:`spm_lib.pipeline.quarter_ahead.next_quarter`: open deals at their
  calibrated chance to close won, plus the rep's share of deals not yet created) < quota; the
  expectations add up to the forecasting report's pipeline forecast
  (:func:`outlook_reconciliation`).
- pipeline movement: the whole open pipeline's roll-forward of :mod:`spm_lib.pipeline.movement`
  (with the CRM's history; else starting + created - won - lost + other changes = ending, in amount
  and deals).
"""

from __future__ import annotations

import pandas as pd

from spm_lib.compensation import attainment
from spm_lib.dataset import Dataset
from spm_lib.measures import metrics, roster
from spm_lib.measures.ranking import win_rate_board
from spm_lib.periods import Period
from spm_lib.pipeline import movement
from spm_lib.pipeline.quarter_ahead import next_quarter, rep_expectations

MOVEMENT_NEEDS_HISTORY = {
    "pulled in": "needs_close_date_history",
    "pushed out": "needs_close_date_history",
    "amount changes": "needs_amount_history",
}  # the buckets only history can fill, and the code of what each needs


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


def scorecard(
    ds: Dataset, period: Period, reps_attainment: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per rep of the audience employed in the period (see module docstring for the
    columns' definitions). ``reps_attainment`` reuses
    :func:`spm_lib.compensation.attainment.rep_attainment` for the period (it replays the commission
    plans)."""
    if reps_attainment is None:
        reps_attainment = attainment.rep_attainment(ds, period)
    att = reps_attainment[
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


AT_RISK_COLUMNS = [
    "rep_id",
    "name",
    "team",
    "status",
    "quarter",
    "quota",
    "pipeline_due",
    "open_expected",
    "new_business",
    "expected",
    "gap",
    "coverage",
    "required_coverage",
]


def at_risk(ds: Dataset, period: Period, run: tuple | None = None) -> pd.DataFrame:
    """Counted reps whose expected bookings for the quarter after ``period`` fall short of
    their quota (official, :mod:`spm_lib.compensation.attainment`).

    expected = open_expected + new_business from the one pipeline run of the quarter
    (:func:`spm_lib.pipeline.quarter_ahead.next_quarter`, the run the forecasting and compensation
    reports read): the rep's open deals at their calibrated chance to close won inside the quarter,
    plus the rep's share of deals not yet created. coverage = pipeline_due / quota;
    required_coverage = 1 / model_win_rate, the same win-rate basis (open_expected /
    pipeline_due), so a rep is below the required coverage exactly when the open pipeline is
    expected to fall short of quota. Empty without quotas.
    """
    quarter, pipe = run if run is not None else next_quarter(ds, period)
    table = attainment.rep_attainment(ds, quarter)
    table = table[table["counted"] & (table["quota"] > 0)].set_index("rep_id")
    if table.empty:
        return pd.DataFrame(columns=AT_RISK_COLUMNS)
    expect = rep_expectations(pipe).set_index("rep_id")
    out = table[["status", "quota"]].join(expect, how="left")
    for column in ("open_expected", "new_business", "expected", "pipeline_due"):
        out[column] = out[column].fillna(0.0)
    out["gap"] = out["quota"] - out["expected"]
    out["coverage"] = out["pipeline_due"] / out["quota"]
    out["required_coverage"] = 1 / out["model_win_rate"].where(out["model_win_rate"] > 0)
    out["quarter"] = quarter.label
    out = out[out["expected"] < out["quota"]].join(ds.reps.set_index("rep_id")[["name", "team"]])
    out = out.sort_values("gap", ascending=False).rename_axis("rep_id").reset_index()
    return out[AT_RISK_COLUMNS]


def outlook_reconciliation(ds: Dataset, period: Period, run: tuple | None = None) -> dict:
    """How the per-rep expectations add up to the quarter's pipeline forecast: ``counted``
    (the counted reps' expected), ``others`` (deals of reps who left or are not counted, and
    new business shared to them), ``total`` (= counted + others = the pipeline run's mean),
    ``open_deals`` and ``new_business`` (the total split by source), ``quarter``."""
    quarter, pipe = run if run is not None else next_quarter(ds, period)
    expect = rep_expectations(pipe)
    counted = roster.counted_ids(ds, quarter)
    mine = expect["rep_id"].isin(counted)
    return {
        "quarter": quarter.label,
        "counted": float(expect.loc[mine, "expected"].sum()),
        "others": float(expect.loc[~mine, "expected"].sum()),
        "total": float(pipe.totals.mean()),
        "open_deals": float(expect["open_expected"].sum()),
        "new_business": float(expect["new_business"].sum()),
    }


def pipeline_movement(ds: Dataset, period: Period) -> pd.DataFrame:
    """Open pipeline from the start to the end of the period, bucket by bucket.

    With ``opportunity_history``: the whole open pipeline's roll-forward of
    :func:`spm_lib.pipeline.movement.waterfall` (the pipeline-review report's, the same function):
    starting pipeline, created, pulled in, increased, decreased, pushed out, won, lost,
    deleted, other, ending pipeline. Without it: starting pipeline, created, won, lost, other
    changes (the residual: reopened deals and data corrections), ending pipeline, then pulled
    in / pushed out / amount changes with ``computable`` False and the reason. Columns:
    bucket, amount, deals, computable, why (a code: empty; ``reopened_or_corrected`` for the
    residual; ``needs_close_date_history`` or ``needs_amount_history``).
    """
    if ds.has("opportunity_history"):
        flows = movement.period_movement(ds, period, window=False)
        table = movement.waterfall(flows)
        return table.assign(computable=True, why="")
    start = pd.Timestamp(period.start) - pd.Timedelta(days=1)
    end = pd.Timestamp(period.end)
    opps = ds.opportunities
    opening = metrics.open_pipeline_at(ds, start)
    closing = metrics.open_pipeline_at(ds, end)
    created = opps[period.mask(opps["created_date"])]
    closed = opps[opps["is_closed"] & period.mask(opps["close_date"])]
    won, lost = closed[closed["is_won"]], closed[~closed["is_won"]]

    def row(bucket, frame, sign=1):
        return {
            "bucket": bucket,
            "amount": sign * float(frame["amount"].sum()),
            "deals": sign * len(frame),
            "computable": True,
            "why": "",
        }

    rows = [
        row("starting pipeline", opening),
        row("created", created),
        row("won", won, -1),
        row("lost", lost, -1),
    ]
    flow_amount = sum(r["amount"] for r in rows)
    flow_deals = sum(r["deals"] for r in rows)
    rows.append(
        {
            "bucket": "other changes",
            "amount": float(closing["amount"].sum()) - flow_amount,
            "deals": len(closing) - flow_deals,
            "computable": True,
            "why": "reopened_or_corrected",
        }
    )
    rows.append(row("ending pipeline", closing))
    for bucket, needs in MOVEMENT_NEEDS_HISTORY.items():
        rows.append(
            {
                "bucket": bucket,
                "amount": float("nan"),
                "deals": pd.NA,
                "computable": False,
                "why": needs,
            }
        )
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


HEADLINE_NAMES = (
    "bookings",
    "quota_attainment",
    "win_rate",
    "closed",
    "reps_with_quota",
    "reps_at_or_above_quota",
    "reps_at_or_above_quota_pct",
)


def headline(
    ds: Dataset, period: Period, reps_attainment: pd.DataFrame | None = None
) -> dict[str, float]:
    """The key figures for the audience: bookings (owner bookings: what the CRM reports),
    quota_attainment (official: credited bookings / quota over reps with a quota,
    :mod:`spm_lib.compensation.attainment`), win_rate, reps_with_quota, reps_at_or_above_quota and
    reps_at_or_above_quota_pct (counted reps, :func:`spm_lib.compensation.attainment.at_quota`) for
    the period, the prior period and the same period last year (suffixes ``_prior``,
    ``_last_year``; for a period to date, their same days; NaN where the data does not cover
    that period whole, :meth:`~spm_lib.dataset.Dataset.covers`); ``closed`` deals behind the
    win rate. ``reps_attainment`` reuses
    :func:`spm_lib.compensation.attainment.rep_attainment` for ``period``."""
    out: dict[str, float] = {}
    for suffix, p in (
        ("", period),
        ("_prior", period.previous()),
        ("_last_year", period.same_period_last_year()),
    ):
        if suffix and not ds.covers(p):  # no base for a comparison: NaN, never $0
            for name in HEADLINE_NAMES:
                out[f"{name}{suffix}"] = float("nan")
            continue
        total = metrics.bookings(ds, p, None).iloc[0]
        wins = metrics.win_rate(ds, p, None).iloc[0]
        reps = (
            reps_attainment
            if suffix == "" and reps_attainment is not None
            else attainment.rep_attainment(ds, p)
        )
        out[f"bookings{suffix}"] = float(total["bookings"])
        out[f"quota_attainment{suffix}"] = attainment.total_attainment(reps)
        out[f"win_rate{suffix}"] = float(wins["win_rate"])
        out[f"closed{suffix}"] = float(wins["closed"])
        out.update({f"{k}{suffix}": float(v) for k, v in attainment.at_quota(reps).items()})
    return out


TREND_COLUMNS = ["period", "period_start", "period_end", "bookings", "quota_attainment", "win_rate"]


def headline_trend(ds: Dataset, period: Period, periods: int = 8) -> pd.DataFrame:
    """The headline's bookings, quota_attainment and win_rate (as :func:`headline` defines them)
    for the ``periods`` periods ending with ``period`` and the same period a year before:
    columns ``period, period_start, period_end, bookings, quota_attainment, win_rate``, oldest
    first. The brief's trends fall back on these where no earlier run is kept. A period the
    data covers only in part (:meth:`~spm_lib.dataset.Dataset.covers`) has no row; the
    period itself always has one (a period to date labelled with its days)."""
    earlier = {period.shift(-i) for i in range(1, periods)} | {period.same_period_last_year()}
    wanted = [period] + [p for p in earlier if ds.covers(p)]
    rows = []
    for p in sorted(wanted, key=lambda q: q.start):
        rows.append(
            {
                "period": p.title,
                "period_start": p.start.isoformat(),
                "period_end": p.last_day.isoformat(),
                "bookings": float(metrics.bookings(ds, p, None).iloc[0]["bookings"]),
                "quota_attainment": attainment.total_attainment(attainment.rep_attainment(ds, p)),
                "win_rate": float(metrics.win_rate(ds, p, None).iloc[0]["win_rate"]),
            }
        )
    return pd.DataFrame(rows, columns=TREND_COLUMNS)

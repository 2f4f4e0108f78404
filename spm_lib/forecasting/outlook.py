"""The forecasting report's figures, assembled from series, forecast, pipeline and tracking.

Every function takes a Dataset and the report period (the last complete quarter, whose end is
the forecast origin) and returns plain values or DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.forecasting import coherent
from spm_lib.forecasting.tracking import (
    HISTORY_COLUMNS,
    accuracy_summary,
    merge_history,
    score,
)
from spm_lib.measures.series import bookings_series, period_freq
from spm_lib.periods import Period, quarter_label
from spm_lib.pipeline.model import PipelineForecast, pipeline_forecast
from spm_lib.pipeline.quarter_ahead import combine_forecasts, next_quarter

TRACKED_LEVELS = ("company", "region")
BACKTEST_HORIZON = 6
BACKTEST_ORIGINS = 24


@dataclass
class ForecastRun:
    """The run's one set of coherent forecasts: ``live`` from the end of the report period,
    ``runs`` from each of the earlier month ends of the backtest (``live`` is the last),
    ``history`` the monthly bookings of every series known at the period end."""

    history: pd.DataFrame
    runs: list[coherent.CoherentForecast]
    interval: float

    @property
    def live(self) -> coherent.CoherentForecast:
        return self.runs[-1]


def forecast_run(
    ds: Dataset,
    period: Period,
    interval: float = 0.8,
    horizon_months: int = 6,
    origins: int = BACKTEST_ORIGINS,
) -> ForecastRun:
    """Coherent forecasts (:mod:`spm_lib.forecasting.coherent`) from the end of ``period`` and from
    each of the ``origins`` month ends before it: computed once, read by every table and chart."""
    history, runs = coherent.rolling_forecasts(
        ds, _origin(period), BACKTEST_HORIZON, origins, interval, live_horizon=horizon_months
    )
    return ForecastRun(history, runs, interval)


@dataclass
class QuarterOutlook:
    """Next quarter: time-series forecast, pipeline forecast, their blend, and yardsticks."""

    target: pd.Period
    forecast_mean: float
    forecast_lower: float
    forecast_upper: float
    interval: float
    method: str
    same_quarter_last_year: float
    quota: float
    pipeline: PipelineForecast
    combined: dict

    @property
    def target_label(self) -> str:
        return quarter_label(self.target)

    @property
    def change_on_last_year(self) -> float:
        """forecast / same quarter last year - 1 (NaN without last year's bookings)."""
        if not self.same_quarter_last_year:
            return float("nan")
        return self.forecast_mean / self.same_quarter_last_year - 1

    @property
    def share_of_quota(self) -> float:
        """forecast / total quota of the quarter (NaN without quotas)."""
        return self.forecast_mean / self.quota if self.quota else float("nan")


def _origin(period: Period) -> pd.Timestamp:
    return pd.Timestamp(period.end)


def quarterly(ds: Dataset, level: str, period: Period) -> pd.DataFrame:
    """Quarterly bookings by ``level`` known at the end of ``period``."""
    return bookings_series(ds, level, "Q", as_of=_origin(period))


def quota_total(ds: Dataset, target: pd.Period) -> float:
    """Sum of quota rows whose period_start falls in ``target`` (NaN without a quotas table)."""
    quotas = ds.get("quotas")
    if quotas is None or quotas.empty:
        return float("nan")
    inside = (quotas["period_start"] >= target.start_time) & (
        quotas["period_start"] <= target.end_time
    )
    return float(quotas.loc[inside, "amount"].sum()) if inside.any() else float("nan")


def quarter_totals(ds: Dataset, run: ForecastRun) -> pd.DataFrame:
    """The run's monthly bookings of every series summed by fiscal quarter (rows: quarters)."""
    table = run.history.copy()
    table.index = table.index.asfreq(period_freq(ds, "Q")) if len(table) else table.index
    return table.groupby(level=0).sum()


def covered(ds: Dataset, quarter: pd.Period) -> bool:
    """Whether the data covers a pandas quarter whole (:meth:`Dataset.covers`)."""
    return ds.data_start <= quarter.start_time.date() and quarter.end_time.date() <= ds.as_of


def quarter_outlook(ds: Dataset, period: Period, run: ForecastRun) -> QuarterOutlook:
    """The next quarter after ``period``: the coherent company forecast (the sum of its months)
    beside the pipeline forecast, from the data known at the period's end."""
    live = run.live
    quarters = live.series(coherent.COMPANY, "Q")
    nan = float("nan")
    target = (
        quarters.index[0] if len(quarters) else pd.Period(_origin(period), period_freq(ds, "Q")) + 1
    )
    row = (
        quarters.iloc[0] if len(quarters) else pd.Series({"mean": nan, "lower": nan, "upper": nan})
    )
    same_q = float(quarter_totals(ds, run)[coherent.COMPANY].get(target - 4, nan))
    if not covered(ds, target - 4):  # the data's first, partial quarter is no base
        same_q = nan
    quarter, pipe = next_quarter(ds, period)  # the run rep performance and compensation read
    if quarter.label != quarter_label(target):  # a month or year period: the target's own run
        pipe = pipeline_forecast(ds, end=target.end_time.normalize(), as_of=_origin(period))
    q = pipe.quantiles()
    if pipe.history.empty or row["mean"] != row["mean"]:
        combined = {"mean": float(row["mean"]), "weight_time_series": 1.0, "weight_pipeline": 0.0}
    else:
        combined = combine_forecasts(
            row["mean"], row["lower"], row["upper"], run.interval, q["p10"], q["p50"], q["p90"]
        )
    return QuarterOutlook(
        target=target,
        forecast_mean=float(row["mean"]),
        forecast_lower=float(row["lower"]),
        forecast_upper=float(row["upper"]),
        interval=run.interval,
        method=live.methods.get(coherent.COMPANY, "no history to forecast from"),
        same_quarter_last_year=same_q,
        quota=quota_total(ds, target),
        pipeline=pipe,
        combined=combined,
    )


def monthly_fan(run: ForecastRun) -> tuple[pd.Series, pd.DataFrame]:
    """Company monthly bookings known at the origin and their coherent forecast."""
    return run.history[coherent.COMPANY], run.live.series(coherent.COMPANY, "M")


def coherence(run: ForecastRun) -> dict[str, float]:
    """The next quarter's company forecast three ways that must agree: ``quarter`` (the
    headline), ``sum_of_months`` (its months) and ``sum_of_regions`` (its regions)."""
    live = run.live
    q = live.quarterly
    first = q["period"].min() if len(q) else None
    if first is None:
        nan = float("nan")
        return {"quarter": nan, "sum_of_months": nan, "sum_of_regions": nan}
    company = live.monthly[live.monthly["series"] == coherent.COMPANY]
    months = company[company["period"].map(lambda p: p.asfreq(first.freq) == first)]
    regions = q[(q["level"] == "region") & (q["period"] == first)]
    headline = q[(q["series"] == coherent.COMPANY) & (q["period"] == first)]["mean"]
    return {
        "quarter": float(headline.iloc[0]),
        "sum_of_months": float(months["mean"].sum()),
        "sum_of_regions": float(regions["mean"].sum()) if len(regions) else float("nan"),
    }


def forecast_table(run: ForecastRun, freq: str = "Q") -> pd.DataFrame:
    """The live coherent forecast as a plain table (level, series, period as text, mean,
    lower, upper), by quarter (``Q``) or month (``M``)."""
    frame = run.live.quarterly if freq == "Q" else run.live.monthly
    out = frame[["level", "series", "period", "mean", "lower", "upper"]].copy()
    out["period"] = out["period"].astype(str)
    return out


def group_forecasts(ds: Dataset, level: str, run: ForecastRun) -> pd.DataFrame:
    """Next-quarter coherent forecast per group of ``level``: series, target, mean, lower,
    upper, last_year (the same quarter a year before), change (mean / last_year - 1)."""
    q = run.live.quarterly
    first = q["period"].min() if len(q) else None
    rows = q[(q["level"] == level) & (q["period"] == first)].copy()
    by_quarter = quarter_totals(ds, run)
    rows["last_year"] = [
        float(by_quarter[s].get(first - 4, float("nan")))
        if s in by_quarter and covered(ds, first - 4)
        else float("nan")
        for s in rows["series"]
    ]
    rows["change"] = rows["mean"] / rows["last_year"].where(rows["last_year"] > 0) - 1
    rows["target"] = rows["period"].map(quarter_label)
    return rows[["series", "target", "mean", "lower", "upper", "last_year", "change"]].reset_index(
        drop=True
    )


def accuracy_backtest(run: ForecastRun) -> pd.DataFrame:
    """Rolling-origin backtest (6 months ahead, from each month end of the run) of the coherent
    forecast and seasonal naive on the company's and each region's monthly bookings: one row
    per (series, model), plus ``ratio`` = the method's MASE / seasonal naive's; coverage with
    its 90% band (``coverage_low``, ``coverage_high``: see :func:`spm_lib.forecasting.models.
    coverage_band`)."""
    out = coherent.backtest(run.history, run.runs, horizon=BACKTEST_HORIZON)
    naive = out[out["model"] == "seasonal_naive"].set_index("series")["mase"]
    out["ratio"] = out["mase"] / out["series"].map(naive)
    return out[
        [
            "series",
            "model",
            "mase",
            "ratio",
            "smape",
            "wape",
            "bias",
            "coverage",
            "coverage_low",
            "coverage_high",
            "n",
        ]
    ]


def backtest_summary(table: pd.DataFrame) -> dict[str, float]:
    """Over the company and region series: ``worst_mase_ratio`` (the highest ratio of the
    method's MASE to seasonal naive's), ``coverage_min`` and ``coverage_max`` (interval coverage
    of the method)."""
    ours = table[table["model"] == "forecast"]
    nan = float("nan")
    if ours.empty:
        return {"worst_mase_ratio": nan, "coverage_min": nan, "coverage_max": nan}
    return {
        "worst_mase_ratio": float(ours["ratio"].max()),
        "coverage_min": float(ours["coverage"].min()),
        "coverage_max": float(ours["coverage"].max()),
    }


def _history_rows(run: coherent.CoherentForecast, source: str) -> pd.DataFrame:
    q = run.quarterly
    q = q[q["level"].isin(TRACKED_LEVELS)]
    if q.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    made_at = run.origin.asfreq(q["period"].iloc[0].freq)
    return pd.DataFrame(
        {
            "made_at": str(made_at),
            "level": q["level"],
            "series": q["series"].astype(str),
            "target": q["period"].astype(str),
            "horizon": [(p - made_at).n for p in q["period"]],
            "mean": q["mean"],
            "lower": q["lower"],
            "upper": q["upper"],
            "interval": run.interval,
            "source": source,
        }
    )[HISTORY_COLUMNS]


def tracked_history(
    run: ForecastRun,
    stored: pd.DataFrame | None = None,
    backfill_quarters: int = 8,
) -> pd.DataFrame:
    """This run's coherent quarter forecasts (company and regions, one and two quarters
    ahead), the backfill (the run's own forecasts from earlier quarter ends, made from the
    data known then) and the ``stored`` history (if any), merged (the page reads and writes the
    file)."""
    quarter_ends = [
        r
        for r in run.runs[:-1]
        if r.origin is not None and r.origin.month % 3 == run.live.origin.month % 3
    ]
    frames = [_history_rows(r, "backfill") for r in quarter_ends[-backfill_quarters:]]
    frames.append(_history_rows(run.live, "run"))
    return merge_history(stored, *frames) if stored is not None else merge_history(*frames)


def tracking_scores(
    ds: Dataset, period: Period, run: ForecastRun, history: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scored forecasts, summary by level and horizon) against actuals known at period end
    (the quarters the run's history closes)."""
    by_quarter = quarter_totals(ds, run).loc[: pd.Period(_origin(period), period_freq(ds, "Q"))]
    levels = {node.name: node.level for node in run.live.nodes}
    actuals = {
        level: by_quarter[[c for c in by_quarter if levels.get(c) == level]]
        for level in TRACKED_LEVELS
    }
    scored = score(history, actuals)
    return scored, accuracy_summary(scored)


def last_quarter_error(scored: pd.DataFrame, period: Period) -> float:
    """Signed error (F - A) / A of the company forecast of ``period`` made one quarter ahead."""
    rows = scored[
        (scored["level"] == "company")
        & (scored["horizon"] == 1)
        & (scored["target"].map(quarter_label) == period.label)
    ]
    return float(rows["error_pct"].iloc[-1]) if len(rows) else float("nan")


def pipeline_quarters(ds: Dataset, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The pipeline forecast for the quarter containing the day after ``as_of`` (the current
    quarter: booked so far plus what the pipeline adds by its end) and the quarter after it.

    Columns: quarter, booked_to_date, p10, p50, p90 (totals for the quarter), open_deals.
    """
    as_of = pd.Timestamp(as_of if as_of is not None else ds.as_of)
    current = (as_of + pd.Timedelta(days=1)).to_period(period_freq(ds, "Q"))
    opps = ds.opportunities
    rows = []
    for quarter in (current, current + 1):
        start = max(as_of, quarter.start_time - pd.Timedelta(days=1))
        result = pipeline_forecast(ds, end=quarter.end_time.normalize(), as_of=as_of, start=start)
        booked = opps.loc[
            opps["is_won"]
            & (opps["close_date"] >= quarter.start_time)
            & (opps["close_date"] <= as_of),
            "amount",
        ].sum()
        q = result.quantiles()
        rows.append(
            {
                "quarter": quarter_label(quarter),
                "booked_to_date": float(booked),
                "p10": booked + q["p10"],
                "p50": booked + q["p50"],
                "p90": booked + q["p90"],
                "open_deals": int((result.deals["win_probability"] > 0).sum()),
            }
        )
    return pd.DataFrame(rows)

"""The forecasting report's figures, assembled from series, forecast, pipeline and tracking.

Every function takes a Dataset and the report period (the last complete quarter, whose end is
the forecast origin) and returns plain values or DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spm_lib.data import Dataset
from spm_lib.forecast import backtest, forecast
from spm_lib.periods import Period, quarter_label
from spm_lib.pipeline import PipelineForecast, combine_forecasts, pipeline_forecast
from spm_lib.series import bookings_series
from spm_lib.tracking import (
    accuracy_summary,
    backfill,
    forecasts_as_of,
    merge_history,
    read_history,
    score,
    write_history,
)

TRACKED_LEVELS = ("company", "region")


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


def quarter_outlook(ds: Dataset, period: Period, interval: float = 0.8) -> QuarterOutlook:
    """The next quarter after ``period``, forecast from the data known at its end."""
    company = quarterly(ds, "company", period)["Company"]
    fc = forecast(company, 1, level=interval)
    target = fc.index[0]
    last_year = target - 4
    same_q = float(company.get(last_year, float("nan")))
    pipe = pipeline_forecast(ds, end=target.end_time.normalize(), as_of=_origin(period))
    q = pipe.quantiles()
    row = fc.iloc[0]
    if pipe.history.empty:  # no past window to calibrate on: the time series stands alone
        combined = {"mean": float(row["mean"]), "weight_time_series": 1.0, "weight_pipeline": 0.0}
    else:
        combined = combine_forecasts(
            row["mean"], row["lower"], row["upper"], interval, q["p10"], q["p50"], q["p90"]
        )
    return QuarterOutlook(
        target=target,
        forecast_mean=float(row["mean"]),
        forecast_lower=float(row["lower"]),
        forecast_upper=float(row["upper"]),
        interval=interval,
        method=fc.attrs["method"],
        same_quarter_last_year=same_q,
        quota=quota_total(ds, target),
        pipeline=pipe,
        combined=combined,
    )


def monthly_fan(
    ds: Dataset, period: Period, horizon_months: int = 6, interval: float = 0.8
) -> tuple[pd.Series, pd.DataFrame]:
    """Company monthly bookings known at the end of ``period`` and their forecast."""
    history = bookings_series(ds, "company", "M", as_of=_origin(period))["Company"]
    return history, forecast(history, horizon_months, level=interval)


def group_forecasts(ds: Dataset, level: str, period: Period, interval: float = 0.8) -> pd.DataFrame:
    """Next-quarter forecast per group of ``level``: series, mean, lower, upper, last_year
    (same quarter a year earlier), change (mean / last_year - 1)."""
    table = quarterly(ds, level, period)
    rows = forecasts_as_of(table, table.index[-1], level, horizons=1, interval=interval)
    rows["last_year"] = [
        float(table[s].get(pd.Period(t, freq=table.index.freq) - 4, float("nan")))
        for s, t in zip(rows["series"], rows["target"], strict=True)
    ]
    rows["change"] = rows["mean"] / rows["last_year"].where(rows["last_year"] > 0) - 1
    rows["target"] = rows["target"].map(quarter_label)
    return rows[["series", "target", "mean", "lower", "upper", "last_year", "change"]]


def accuracy_backtest(
    ds: Dataset, period: Period, interval: float = 0.8, origins: int = 24
) -> pd.DataFrame:
    """Rolling-origin backtest (6 months ahead) of the forecaster and seasonal naive on the
    company's and each region's monthly bookings: one row per (series, model)."""
    frames = []
    for level in ("company", "region"):
        table = bookings_series(ds, level, "M", as_of=_origin(period))
        for name in table.columns:
            result = backtest(table[name].dropna(), 6, origins=origins, level=interval)
            frames.append(result.assign(series=name))
    out = pd.concat(frames, ignore_index=True)
    return out[["series", "model", "mase", "smape", "wape", "bias", "coverage", "n"]]


def tracked_history(
    ds: Dataset,
    period: Period,
    history_path: str | Path | None = None,
    interval: float = 0.8,
    backfill_quarters: int = 8,
) -> pd.DataFrame:
    """Backfilled forecasts, the stored history (if any) and this run's forecasts, merged;
    written back to ``history_path`` when given."""
    frames = []
    for level in TRACKED_LEVELS:
        table = quarterly(ds, level, period)
        frames.append(backfill(table, level, quarters=backfill_quarters, interval=interval))
        frames.append(forecasts_as_of(table, table.index[-1], level, horizons=2, interval=interval))
    stored = read_history(history_path) if history_path else None
    history = merge_history(stored, *frames) if stored is not None else merge_history(*frames)
    if history_path:
        write_history(history_path, history)
    return history


def tracking_scores(
    ds: Dataset, period: Period, history: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scored forecasts, summary by level and horizon) against actuals known at period end."""
    actuals = {level: quarterly(ds, level, period) for level in TRACKED_LEVELS}
    scored = score(history, actuals)
    return scored, accuracy_summary(scored)


def last_quarter_error(scored: pd.DataFrame, period: Period) -> float:
    """Signed error (F - A) / A of the company forecast of ``period`` made one quarter ahead."""
    rows = scored[(scored["level"] == "company") & (scored["horizon"] == 1)
                  & (scored["target"].map(quarter_label) == period.label)]  # fmt: skip
    return float(rows["error_pct"].iloc[-1]) if len(rows) else float("nan")


def reading(view: QuarterOutlook) -> str:
    """The one-line reading of the key figures."""
    from spm_lib.report.context import CONTEXT
    from spm_lib.report.formats import format_change, format_currency, format_percent

    cur = CONTEXT.currency
    money = lambda v: format_currency(v, cur)  # noqa: E731
    q = view.pipeline.quantiles()
    parts = [
        f"The forecast for {view.target_label} is {money(view.forecast_mean)} "
        f"({view.interval:.0%} interval {money(view.forecast_lower)}–{money(view.forecast_upper)})"
    ]
    if view.same_quarter_last_year == view.same_quarter_last_year and view.same_quarter_last_year:
        parts.append(f", {format_change(view.change_on_last_year)} on the same quarter last year")
    if view.quota == view.quota and view.quota:
        parts.append(f" and {format_percent(view.share_of_quota)} of quota")
    if view.pipeline.history.empty:
        parts.append(". There is too little history to calibrate a pipeline forecast.")
        return "".join(parts)
    parts.append(
        f". The open pipeline points to {money(q['p50'])} (P10–P90 {money(q['p10'])}–"
        f"{money(q['p90'])}); weighing both by their precision gives "
        f"{money(view.combined['mean'])}."
    )
    return "".join(parts)


def backtest_reading(table: pd.DataFrame) -> str:
    """Whether the forecaster beat seasonal naive on the company series, in one sentence."""
    company = table[table["series"] == "Company"].set_index("model")
    if not {"forecast", "seasonal_naive"} <= set(company.index):
        return "Not enough history to backtest the company series."
    ours, naive = company.loc["forecast"], company.loc["seasonal_naive"]
    verdict = "beat" if ours["mase"] < naive["mase"] else "did not beat"
    return (
        f"Over the last {int(ours['n'])} monthly forecasts (6 months ahead), the method {verdict} "
        f"seasonal naive on company bookings: MASE {ours['mase']:.2f} against {naive['mase']:.2f}; "
        f"its {ours['coverage']:.0%} of actuals fell inside the interval."
    )


def pipeline_quarters(ds: Dataset, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The pipeline forecast for the quarter containing the day after ``as_of`` (the current
    quarter: booked so far plus what the pipeline adds by its end) and the quarter after it.

    Columns: quarter, booked_to_date, p10, p50, p90 (totals for the quarter), open_deals.
    """
    from spm_lib.series import period_freq

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
        rows.append({"quarter": quarter_label(quarter), "booked_to_date": float(booked),
                     "p10": booked + q["p10"], "p50": booked + q["p50"], "p90": booked + q["p90"],
                     "open_deals": int((result.deals["win_probability"] > 0).sum())})  # fmt: skip
    return pd.DataFrame(rows)

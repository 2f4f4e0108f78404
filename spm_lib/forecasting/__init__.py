"""Forecasting: the models (:mod:`.models`), exponential smoothing, reconciliation, the coherent
run across the hierarchy, tracking of past forecasts, and the outlook the report shows
(:mod:`.outlook`).

``from spm_lib import forecasting`` reads as the outlook module did before the folder: its public
names are re-exported here for analysts' notebooks. Inside the library, import the module itself.
"""

from spm_lib.forecasting.outlook import (
    BACKTEST_HORIZON,
    BACKTEST_ORIGINS,
    TRACKED_LEVELS,
    ForecastRun,
    QuarterOutlook,
    accuracy_backtest,
    backtest_summary,
    coherence,
    covered,
    forecast_run,
    forecast_table,
    group_forecasts,
    last_quarter_error,
    monthly_fan,
    pipeline_quarters,
    quarter_outlook,
    quarter_totals,
    quarterly,
    quota_total,
    tracked_history,
    tracking_scores,
)

__all__ = [
    "BACKTEST_HORIZON",
    "BACKTEST_ORIGINS",
    "ForecastRun",
    "QuarterOutlook",
    "TRACKED_LEVELS",
    "accuracy_backtest",
    "backtest_summary",
    "coherence",
    "covered",
    "forecast_run",
    "forecast_table",
    "group_forecasts",
    "last_quarter_error",
    "monthly_fan",
    "pipeline_quarters",
    "quarter_outlook",
    "quarter_totals",
    "quarterly",
    "quota_total",
    "tracked_history",
    "tracking_scores",
]

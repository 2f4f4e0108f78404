"""Forecast accuracy tracking: keep the forecasts each run makes, score them once actuals close.

The history is a frame with one row per forecast: ``made_at`` (the last complete quarter the
forecast knew), ``level`` (company, region, team), ``series`` (the group), ``target`` (the
quarter forecast), ``horizon`` (quarters ahead), ``mean``, ``lower``, ``upper``, ``interval`` and
``source`` (``run``, or ``backfill`` for forecasts recomputed as of earlier quarters from the
data known then, :func:`spm_lib.forecasting.outlook.tracked_history`). The forecasting page keeps
it as ``forecast_history.csv`` in the report's output folder (:mod:`spm_lib.pages.forecasting`;
``spm run`` keeps one per audience, carried from each run of the audience to the next, see
:mod:`spm_lib.suite.layout`). A later forecast for the same (made_at,
level, series, target) replaces an earlier one.

Scores per forecast with an actual: signed error = (F - A) / A, absolute percentage error
= |F - A| / A, hit = |F - A| / A <= 10%, and whether the interval held the actual.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HISTORY_COLUMNS = [
    "made_at",
    "level",
    "series",
    "target",
    "horizon",
    "mean",
    "lower",
    "upper",
    "interval",
    "source",
]
KEY = ["made_at", "level", "series", "target"]
TEXT_COLUMNS = ["level", "series"]  # names from the data: neutralised for spreadsheets
HIT_TOLERANCE = 0.10


def merge_history(*frames: pd.DataFrame) -> pd.DataFrame:
    """Concatenate histories; for a repeated key a run beats a backfill, later beats earlier."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    merged = pd.concat(frames, ignore_index=True)
    merged["_rank"] = (merged["source"] == "run").astype(int)
    merged = merged.sort_values("_rank", kind="stable").drop_duplicates(KEY, keep="last")
    return merged.drop(columns="_rank").sort_values(KEY, ignore_index=True)


def score(history: pd.DataFrame, actuals: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Forecasts with their actual: adds ``actual``, ``error_pct``, ``ape``, ``hit``,
    ``in_interval``. ``actuals`` maps a level to its quarterly series (columns = series)."""
    rows = []
    for row in history.itertuples(index=False):
        table = actuals.get(row.level)
        if table is None or row.series not in table.columns:
            continue
        target = pd.Period(row.target, freq=table.index.freq)
        if target not in table.index or pd.isna(table.at[target, row.series]):
            continue
        actual = float(table.at[target, row.series])
        rows.append({**row._asdict(), "actual": actual})
    scored = pd.DataFrame(rows, columns=[*HISTORY_COLUMNS, "actual"])
    positive = scored["actual"] > 0
    scored["error_pct"] = np.where(
        positive, (scored["mean"] - scored["actual"]) / scored["actual"].where(positive, 1), np.nan
    )
    scored["ape"] = scored["error_pct"].abs()
    scored["hit"] = scored["ape"] <= HIT_TOLERANCE
    scored["in_interval"] = (scored["actual"] >= scored["lower"]) & (
        scored["actual"] <= scored["upper"]
    )
    return scored


def accuracy_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """By level and horizon: forecasts scored, mean signed error, MAPE, hit rate (within 10%),
    interval coverage."""
    if scored.empty:
        return pd.DataFrame(
            columns=["level", "horizon", "forecasts", "bias", "mape", "hit_rate", "coverage"]
        )
    grouped = scored.groupby(["level", "horizon"])
    out = grouped.agg(
        forecasts=("ape", "size"),
        bias=("error_pct", "mean"),
        mape=("ape", "mean"),
        hit_rate=("hit", "mean"),
        coverage=("in_interval", "mean"),
    ).reset_index()
    order = {"company": 0, "region": 1, "team": 2, "rep": 3}
    return out.sort_values(
        ["level", "horizon"],
        key=lambda s: s.map(order) if s.name == "level" else s,
        ignore_index=True,
    )

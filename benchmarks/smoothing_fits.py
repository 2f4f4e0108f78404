"""The three smoothing fits of `spm_lib.forecasting.models` (SES, damped Holt, Theta): statsmodels'
own against `spm_lib.forecasting.smoothing`'s closed form, on the sample's hierarchy series cut at
every third month from 24 to 48 months (90 series, the sizes a forecast run fits). Usage:
    .venv/bin/python benchmarks/smoothing_fits.py
"""

from __future__ import annotations

import time
import warnings

from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

from spm_lib import load_dataset
from spm_lib.forecasting import smoothing
from spm_lib.forecasting.hierarchy import hierarchy_bookings
from spm_lib.sample import bundled_sample


def statsmodels_fits(x) -> None:
    SimpleExpSmoothing(x, initialization_method="estimated").fit().forecast(6)
    ExponentialSmoothing(
        x, trend="add", damped_trend=True, initialization_method="estimated"
    ).fit().forecast(6)
    ThetaModel(x, period=1, deseasonalize=False).fit().forecast(6)


def closed_form_fits(x) -> None:
    smoothing.ses(x, 6)
    smoothing.damped(x, 6)
    smoothing.theta(x, 6)


def main() -> None:
    warnings.simplefilter("ignore")
    history, nodes, _ = hierarchy_bookings(load_dataset(bundled_sample()))
    series = [
        history[n.name].to_numpy(float)[:end] / 1e4 for n in nodes for end in range(24, 49, 3)
    ]
    candidates = (
        ("statsmodels", statsmodels_fits),
        ("spm_lib.forecasting.smoothing", closed_form_fits),
    )
    for name, fits in candidates:
        started = time.perf_counter()
        for x in series:
            fits(x)
        per = (time.perf_counter() - started) / len(series) * 1000
        print(f"{name}: {per:.1f} ms a series for the three fits ({len(series)} series)")


if __name__ == "__main__":
    main()

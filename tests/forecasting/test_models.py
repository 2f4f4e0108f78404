"""forecast(), seasonal_naive(), accuracy measures and backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib.forecasting.accuracy import backtest, coverage_band, mase, smape
from spm_lib.forecasting.models import fit_arima011, forecast, is_seasonal, seasonal_naive


def monthly(values, start="2022-01") -> pd.Series:
    return pd.Series(
        np.asarray(values, float), index=pd.period_range(start, periods=len(values), freq="M")
    )


def test_shape_index_and_ordering():
    rng = np.random.default_rng(1)
    y = monthly(100 + np.arange(40) + rng.normal(0, 5, 40))
    fc = forecast(y, 6, level=0.8)
    assert fc.columns.tolist() == ["mean", "lower", "upper"]
    assert fc.index[0] == pd.Period("2025-05", "M") and len(fc) == 6
    assert (fc["lower"] <= fc["mean"]).all() and (fc["mean"] <= fc["upper"]).all()
    assert fc["mean"].iloc[-1] > y.iloc[-12:].mean()  # the trend carries on
    wider = forecast(y, 6, level=0.95)
    assert ((wider["upper"] - wider["lower"]) > (fc["upper"] - fc["lower"])).all()


@pytest.mark.parametrize(
    "values",
    [
        [5.0],
        [5.0, 7.0, 6.0],  # fewer than six points
        [0.0] * 30,  # all zeros
        [42.0] * 30,  # constant
        [10, 12, 11, 13, 12, 11, 13, 12, 14, 13, 12, 11] * 2 + [500] + [12] * 8,  # one outlier
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3000, 0, 0, 12000, 0],  # sparse rep
        [0, 0, 25000],  # a rep hired last quarter
    ],
)
def test_awkward_series_give_finite_forecasts(values):
    fc = forecast(monthly(values), 6)
    assert np.isfinite(fc.to_numpy()).all()
    assert (fc["lower"] >= 0).all()  # bookings never go negative
    assert (fc["lower"] <= fc["upper"]).all()


def test_single_outlier_does_not_derail_the_forecast():
    rng = np.random.default_rng(3)
    base = 1000 + rng.normal(0, 30, 36)
    spiked = base.copy()
    spiked[20] = 10_000
    clean, noisy = forecast(monthly(base), 3), forecast(monthly(spiked), 3)
    assert np.isfinite(noisy.to_numpy()).all()
    assert abs(noisy["mean"].iloc[0] - clean["mean"].iloc[0]) < 0.5 * clean["mean"].iloc[0]


def test_constant_series_gets_a_flat_forecast():
    fc = forecast(monthly([42.0] * 30), 4)
    assert (fc["mean"] == 42).all() and (fc["lower"] == 42).all()


def test_very_short_series_get_a_wide_interval():
    fc = forecast(monthly([100.0, 120.0, 110.0]), 3)
    assert (fc["mean"] == 110).all()
    assert fc["upper"].iloc[0] - fc["lower"].iloc[0] > 100  # wider than the data's own range


def test_planted_seasonality_is_recovered():
    rng = np.random.default_rng(7)
    season = np.tile([1.0, 1.0, 1.6, 1.0, 1.0, 1.6, 0.7, 0.7, 1.6, 1.0, 1.0, 1.8], 4)
    y = monthly(1000 * season * (1 + 0.01 * np.arange(48)) * rng.lognormal(0, 0.05, 48))
    assert is_seasonal(y.to_numpy(), 12)
    fc = forecast(y, 12)
    peak_months = set(fc["mean"].nlargest(4).index.month)
    assert peak_months == {3, 6, 9, 12}
    assert fc["mean"][fc.index.month == 7].item() < fc["mean"][fc.index.month == 5].item()


def test_noise_is_not_called_seasonal():
    rng = np.random.default_rng(11)
    assert not is_seasonal(rng.normal(100, 10, 60), 12)


def test_arima011_recovers_planted_parameters():
    rng = np.random.default_rng(5)
    e = rng.normal(0, 1, 2001)
    dy = 0.3 + e[1:] + (-0.6) * e[:-1]
    fit = fit_arima011(np.cumsum(np.r_[0.0, dy]))
    assert fit.theta == pytest.approx(-0.6, abs=0.05)
    assert fit.drift == pytest.approx(0.3, abs=0.05)
    assert fit.sigma == pytest.approx(1.0, abs=0.05)


def test_seasonal_naive_repeats_last_season():
    y = monthly(list(range(1, 25)))
    fc = seasonal_naive(y, 14)
    assert fc["mean"].tolist() == list(range(13, 25)) + [13, 14]


def test_accuracy_measures_by_hand():
    # sMAPE: |100-110|*200/210 = 9.5238; |50-50| = 0; mean 4.7619
    assert smape(np.array([100, 50]), np.array([110, 50])) == pytest.approx(4.76190, abs=1e-4)
    assert smape(np.array([0.0]), np.array([0.0])) == 0.0
    # MASE: train seasonal (m=2) differences |3-1|, |4-2| -> scale 2; errors 1 and 3 -> 2 / 2
    assert mase(np.array([5, 6]), np.array([6, 3]), np.array([1, 2, 3, 4]), 2) == pytest.approx(1.0)


def test_backtest_by_hand():
    y = monthly([10.0] * 20)
    y.iloc[-1] = 14.0

    def flat(train, horizon, level=0.8):
        index = pd.period_range(train.index[-1] + 1, periods=horizon, freq="M")
        return pd.DataFrame({"mean": 10.0, "lower": 9.0, "upper": 11.0}, index=index)

    result = backtest(y, 1, origins=4, models={"flat": flat}).set_index("model").loc["flat"]
    # four one-step forecasts of 10; actuals 10, 10, 10, 14
    assert result["n"] == 4
    assert result["coverage"] == pytest.approx(0.75)
    assert result["wape"] == pytest.approx(4 / 44)
    assert result["bias"] == pytest.approx(-4 / 44)
    assert result["smape"] == pytest.approx(200 * 4 / 24 / 4)


def test_coverage_band_by_hand():
    # two origins of one step, one hit: a draw is two blocks of one origin, so the coverage
    # drawn is 0, 0.5 or 1 with chances 1/4, 1/2, 1/4; the middle 40% is 0.5
    assert coverage_band([np.array([True]), np.array([False])], level=0.4) == (0.5, 0.5)
    low, high = coverage_band([np.array([True]), np.array([False])], level=0.9)
    assert (low, high) == (0.0, 1.0)
    assert coverage_band([np.ones(3, bool)] * 10) == (1.0, 1.0)
    assert np.isnan(coverage_band([])[0])


def test_coverage_band_narrows_with_more_origins_and_reruns_the_same():
    rng = np.random.default_rng(5)
    short = [rng.random(6) < 0.8 for _ in range(12)]
    long = short + [rng.random(6) < 0.8 for _ in range(108)]
    s_low, s_high = coverage_band(short)
    l_low, l_high = coverage_band(long)
    assert s_low <= np.mean(short) <= s_high
    assert l_high - l_low < s_high - s_low
    assert coverage_band(long) == (l_low, l_high)  # a fixed seed: the same band on a rerun


def test_a_positive_series_is_not_forecast_to_collapse_to_zero():
    """A series falling fast but never zero keeps half of its last season's lowest value (a
    forecast of 0 scores sMAPE 200 against any positive actual); one with zeros may reach 0."""
    values = np.r_[np.linspace(100, 5, 30), np.full(6, 4.0)]
    y = pd.Series(values, index=pd.period_range("2020-01", periods=len(values), freq="M"))
    fc = forecast(y, 12)
    assert (fc["mean"] >= 0.5 * values[-12:].min() - 1e-9).all()
    assert (fc["upper"] >= fc["mean"]).all()
    with_zero = y.copy()
    with_zero.iloc[-1] = 0.0
    assert forecast(with_zero, 12)["mean"].min() < 0.5 * values[-12:].min()

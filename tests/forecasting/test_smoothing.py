"""spm_lib.forecasting.smoothing against statsmodels' own fits and against the plain recursions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

from spm_lib.forecasting import smoothing


def _series() -> list[np.ndarray]:
    """Random walks with drift, noisy trends, positive noise and a seasonal-looking series."""
    rng = np.random.default_rng(11)
    found = [np.cumsum(rng.normal(0.3, 1, 40)) + 20 for _ in range(8)]
    found += [np.linspace(5, 50, 30) + rng.normal(0, 2, 30) for _ in range(4)]
    found += [rng.gamma(2.0, 10.0, 36) for _ in range(6)]
    months = np.arange(48)
    found += [100 + 2 * months + 15 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 5, 48)]
    return found


SERIES = _series()


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


def _ses_sse(y, alpha, level):
    """The plain SES recursion: yhat_0 = level, then level += alpha (y - yhat)."""
    sse = 0.0
    for value in y:
        sse += (value - level) ** 2
        level += alpha * (value - level)
    return sse, level


def _holt_sse(y, alpha, beta, phi, level, trend):
    """The plain damped-Holt recursion, as statsmodels writes it."""
    sse = 0.0
    for value in y:
        error = value - (level + phi * trend)
        sse += error**2
        new_level = level + phi * trend + alpha * error
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return sse, level, trend


@pytest.mark.parametrize("i", range(len(SERIES)))
def test_ses_fits_no_worse_than_statsmodels_and_matches_its_recursion(i):
    y = SERIES[i]
    ours = smoothing.ses_fit(y)
    theirs = _quiet(lambda: SimpleExpSmoothing(y, initialization_method="estimated").fit())
    assert ours["sse"] <= theirs.sse * (1 + 1e-6)
    sse, last = _ses_sse(y, ours["alpha"], ours["initial_level"])
    assert sse == pytest.approx(ours["sse"], rel=1e-9) and last == pytest.approx(ours["level"])


@pytest.mark.parametrize("i", range(len(SERIES)))
def test_damped_holt_fits_no_worse_than_statsmodels_and_matches_its_recursion(i):
    y = SERIES[i]
    ours = smoothing.damped_fit(y)
    theirs = _quiet(
        lambda: ExponentialSmoothing(
            y, trend="add", damped_trend=True, initialization_method="estimated"
        ).fit()
    )
    assert ours["sse"] <= theirs.sse * (1 + 1e-6)
    assert 0 <= ours["beta"] <= ours["alpha"] <= 1 and 0.8 <= ours["phi"] <= 0.995
    # the fitted initial states, run through statsmodels' recursion, give the same errors
    plain, level, trend = _holt_sse(
        y, ours["alpha"], ours["beta"], ours["phi"], ours["initial_level"], ours["initial_trend"]
    )
    assert plain == pytest.approx(ours["sse"], rel=1e-8)
    assert (level, trend) == pytest.approx((ours["level"], ours["trend"]), rel=1e-8, abs=1e-8)
    forecast = smoothing.damped(y, 3)
    weights = np.cumsum(ours["phi"] ** np.arange(1, 4))
    assert forecast == pytest.approx(ours["level"] + weights * ours["trend"])


@pytest.mark.parametrize("i", range(len(SERIES)))
def test_theta_is_statsmodels_theta_model(i):
    y = SERIES[i]
    fitted = _quiet(lambda: ThetaModel(y, period=1, deseasonalize=False).fit())
    ours, theirs = smoothing.theta(y, 6), np.asarray(fitted.forecast(6))
    if not np.allclose(ours, theirs, rtol=1e-4):  # then our alpha fits SES better than theirs
        alpha = float(fitted.params["alpha"])
        level = float(y[0])
        assert smoothing.ses_fit(y, initial_level=level)["sse"] < _ses_sse(y, alpha, level)[0]
        assert ours == pytest.approx(theirs, rel=0.01)


def test_hand_examples():
    flat = np.full(12, 7.0)
    assert smoothing.ses(flat, 3) == pytest.approx([7.0] * 3)
    assert smoothing.ses_fit(flat)["sse"] == pytest.approx(0.0, abs=1e-18)
    line = 5.0 + 2.0 * np.arange(20)  # an exact trend: missed only by the damping
    fit = smoothing.damped_fit(line)
    assert fit["sse"] <= 20 * (2.0 * (1 - 0.995)) ** 2 + 1e-9  # phi at most 0.995
    assert fit["level"] == pytest.approx(43.0, rel=1e-4)
    assert fit["trend"] == pytest.approx(2.0, rel=1e-3)
    assert smoothing.damped(line, 1)[0] == pytest.approx(43.0 + 2.0 * fit["phi"])


@pytest.mark.parametrize(
    "b, a", [([0.3], [1.0, -0.7]), ((0.4, -0.1), (1.0, -1.2, 0.35)), ((1.0,), (1.0, 0.5, 0.06))]
)
def test_the_filter_gives_scipy_lfilters_numbers(b, a):
    from scipy import signal

    for y in SERIES:
        assert np.array_equal(smoothing.lfilter(b, a, y), signal.lfilter(b, a, y))
    strided = np.arange(40.0)[::2]  # not contiguous
    assert np.array_equal(smoothing.lfilter(b, a, strided), signal.lfilter(b, a, strided))

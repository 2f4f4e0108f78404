"""Exponential smoothing fitted in closed form where it can be: SES, damped-trend Holt, Theta.

The three models :func:`spm_lib.forecasting.models.forecast` combines, as statsmodels defines them
(``SimpleExpSmoothing``, ``ExponentialSmoothing(trend="add", damped_trend=True)`` and
``ThetaModel``, each ``initialization_method="estimated"`` where it has one), fitted 3.8-6.2x
faster (4.7-6.2 ms against 23.5-29.2 ms for the three on a sample series over two runs of
``benchmarks/smoothing_fits.py``): a forecast run fits them some 900 times. The models are
linear in their initial states, so for given smoothing parameters the one-step errors are

    e = y - (zero-state response of the filter to y) - U x0

where the filter is a first- or second-order recursion (``scipy.signal.lfilter``) and ``U`` the
response to each initial state; the best ``x0`` is a least-squares solution, and only the
smoothing parameters are searched (a grid, then bounded quasi-Newton). The fit minimises the
same sum of squared one-step errors as statsmodels under the same bounds (alpha in
[sqrt(eps), 1 - sqrt(eps)], beta <= alpha, phi in [0.8, 0.995]); tests check its sum of
squares is never above statsmodels' and the forecasts agree.

Recursions (state before observation t: level l, trend b):

* SES: yhat_t = l; l <- l + alpha e_t.
* Damped Holt: yhat_t = l + phi b; l <- l + phi b + alpha e_t; b <- phi b + alpha beta e_t
  (statsmodels' ``smoothing_trend`` is beta); forecast l + (phi + ... + phi^h) b.
* Theta (theta = 2, Assimakopoulos & Nikolopoulos; statsmodels' two-step fit): SES from the
  known initial level y_0, b0 the OLS slope of y on time; forecast
  SES + b0 / 2 (h - 1 + 1/alpha - (1 - alpha)^n / alpha).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import optimize, signal

try:  # the C routine behind scipy.signal.lfilter, without its per-call argument handling
    from scipy.signal._sigtools import _linear_filter
except ImportError:  # pragma: no cover - a scipy that moved it: the public function
    _linear_filter = None

EPS = float(np.sqrt(np.finfo(float).eps))
PHI_BOUNDS = (0.8, 0.995)
_ALPHA_GRID = np.r_[EPS, np.linspace(0.05, 0.95, 19), 1 - EPS]


def lfilter(b, a, x: np.ndarray) -> np.ndarray:
    """``scipy.signal.lfilter(b, a, x)`` for a 1-D float ``x``, the same numbers: a fit calls
    it some 130 times, and the public function's argument handling was 60% of each call."""
    if _linear_filter is None:
        return signal.lfilter(b, a, x)
    return _linear_filter(np.asarray(b, float), np.asarray(a, float), np.asarray(x, float), -1)


def _ses_parts(y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(zero-state one-step forecasts, response to a unit initial level) of SES."""
    s = lfilter([alpha], [1.0, alpha - 1.0], y)
    zero_state = np.r_[0.0, s[:-1]]
    unit = (1.0 - alpha) ** np.arange(len(y))
    return zero_state, unit


def _ses_sse(y: np.ndarray, alpha: float, level: float | None) -> tuple[float, float]:
    """(sum of squared one-step errors, initial level): the best level unless given."""
    zero_state, unit = _ses_parts(y, alpha)
    rest = y - zero_state
    if level is None:
        level = float(rest @ unit / (unit @ unit))
    e = rest - level * unit
    return float(e @ e), level


def _best_alpha(objective) -> float:
    """Minimise a function of alpha on [EPS, 1 - EPS]: a grid, then Brent's bounded search in
    the grid cell around the best point."""
    values = [objective(a) for a in _ALPHA_GRID]
    i = int(np.argmin(values))
    lo, hi = _ALPHA_GRID[max(i - 1, 0)], _ALPHA_GRID[min(i + 1, len(_ALPHA_GRID) - 1)]
    found = optimize.minimize_scalar(
        objective, bounds=(lo, hi), method="bounded", options={"xatol": 1e-7}
    )
    return float(found.x) if found.fun <= values[i] else float(_ALPHA_GRID[i])


def ses_fit(y: np.ndarray, initial_level: float | None = None) -> dict:
    """SES fit: ``{"alpha", "initial_level", "level" (after the last value), "sse"}``; the
    initial level is estimated unless given."""
    y = np.asarray(y, float)
    alpha = _best_alpha(lambda a: _ses_sse(y, a, initial_level)[0])
    sse, level0 = _ses_sse(y, alpha, initial_level)
    zero_state, unit = _ses_parts(y, alpha)
    last = alpha * y[-1] + (1 - alpha) * (zero_state[-1] + level0 * unit[-1])
    return {"alpha": alpha, "initial_level": level0, "level": float(last), "sse": sse}


def ses(y: np.ndarray, h: int) -> np.ndarray:
    """``h`` forecasts of simple exponential smoothing (estimated initial level)."""
    return np.full(h, ses_fit(y)["level"])


def _holt_sse(y: np.ndarray, params, impulse: np.ndarray) -> tuple[float, float, float]:
    """(sum of squared one-step errors, best initial level, best initial trend) of damped Holt
    with ``params`` = (alpha, beta / alpha, phi); ``impulse`` = (1, 0, 0, ...) as long as y.

    State after an observation evolves as x <- D x + g y with g = (alpha, alpha beta),
    w = (1, phi), D = [[1, phi], [0, phi]] - g w'; the one-step forecast is w x. The forecasts
    from y alone are the filter w (I - D/z)^-1 g (numerator c, denominator det(I - D/z)); a
    unit initial state v adds w D^t v, a sequence with the same denominator."""
    alpha, fraction, phi = params
    g1, g2 = alpha, alpha * alpha * fraction
    d11, d12, d21, d22 = 1.0 - g1, phi * (1.0 - g1), -g2, phi * (1.0 - g2)
    trace, det = d11 + d22, d11 * d22 - d12 * d21
    den = (1.0, -trace, det)
    c0 = g1 + phi * g2
    c1 = -g1 * d22 + d12 * g2 + phi * d21 * g1 - phi * g2 * d11
    s = lfilter((c0, c1), den, y)
    rest = y.copy()
    rest[1:] -= s[:-1]
    base = lfilter((1.0,), den, impulse)
    lag = np.empty_like(base)
    lag[0], lag[1:] = 0.0, base[:-1]
    # w D^t v for v = (1, 0) and (0, 1): first terms w v and w D v
    level = base + (d11 + phi * d21 - trace) * lag
    trend = phi * base + (d12 + phi * d22 - trace * phi) * lag
    a, b, c = level @ level, level @ trend, trend @ trend
    p, q = level @ rest, trend @ rest
    det_n = a * c - b * b
    if det_n <= 1e-12 * max(a * c, 1e-300):
        x0, *_ = np.linalg.lstsq(np.column_stack([level, trend]), rest, rcond=None)
        l0, b0 = float(x0[0]), float(x0[1])
    else:
        l0, b0 = (c * p - b * q) / det_n, (a * q - b * p) / det_n
    e = rest - l0 * level - b0 * trend
    return float(e @ e), l0, b0


_HOLT_GRID = list(
    itertools.product((0.1, 0.3, 0.5, 0.7, 0.9), (0.01, 0.1, 0.4, 0.9), (0.85, 0.95, 0.99))
)
_HOLT_BOUNDS = [(EPS, 1 - EPS), (0.0, 1.0), PHI_BOUNDS]


def damped_fit(y: np.ndarray) -> dict:
    """Damped-trend Holt fit: ``{"alpha", "beta", "phi", "initial_level", "initial_trend",
    "level", "trend" (after the last value), "sse"}``."""
    y = np.asarray(y, float)
    scale = float(np.std(y)) or 1.0
    z = y / scale  # the search on a unit scale; sums of squares rescale exactly
    impulse = np.zeros(len(y))
    impulse[0] = 1.0

    def objective(p) -> float:
        return _holt_sse(z, p, impulse)[0]

    # two starts: the best of the grid, and the best with another damping (the sum of squares
    # is often flat in phi, with a second basin at the other end)
    scored = sorted((objective(p), p) for p in _HOLT_GRID)
    best_phi = scored[0][1][2]
    starts = [scored[0], next(s for s in scored if s[1][2] != best_phi)]
    value, params = scored[0][0], np.array(scored[0][1])
    for _, start in starts:
        found = optimize.minimize(
            objective, np.array(start), method="L-BFGS-B", bounds=_HOLT_BOUNDS
        )
        if found.fun < value:
            value, params = float(found.fun), found.x
    sse, level, trend = _holt_sse(y, params, impulse)
    initial = (level, trend)
    alpha, fraction, phi = (float(v) for v in params)
    beta = fraction * alpha
    for value in y:
        error = value - (level + phi * trend)
        level, trend = level + phi * trend + alpha * error, phi * trend + alpha * beta * error
    return {
        "alpha": alpha,
        "beta": beta,
        "phi": phi,
        "initial_level": initial[0],
        "initial_trend": initial[1],
        "level": level,
        "trend": trend,
        "sse": sse,
    }


def damped(y: np.ndarray, h: int) -> np.ndarray:
    """``h`` forecasts of damped-trend Holt: level + (phi + ... + phi^k) trend."""
    fit = damped_fit(y)
    weights = np.cumsum(fit["phi"] ** np.arange(1, h + 1))
    return fit["level"] + weights * fit["trend"]


def theta(y: np.ndarray, h: int) -> np.ndarray:
    """``h`` forecasts of the Theta method (theta = 2), as statsmodels' ``ThetaModel`` fits it
    without deseasonalising."""
    y = np.asarray(y, float)
    n = len(y)
    t = np.arange(n, dtype=float)
    slope = float(np.polyfit(t, y, 1)[0])
    fit = ses_fit(y, initial_level=float(y[0]))
    alpha = fit["alpha"]
    steps = np.arange(h, dtype=float)
    if alpha > 0:
        steps += 1 / alpha - (1 - alpha) ** n / alpha
    return fit["level"] + 0.5 * slope * steps


__all__ = ["damped", "damped_fit", "ses", "ses_fit", "theta"]

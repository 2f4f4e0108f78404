"""How good a forecast is: sMAPE, MASE, interval coverage with its bootstrap band, and the
rolling-origin backtest of any forecaster against seasonal naive."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from spm_lib.forecasting.models import MIN_POINTS, forecast, season_length, seasonal_naive

Forecaster = Callable[..., pd.DataFrame]
DEFAULT_MODELS: dict[str, Forecaster] = {"forecast": forecast, "seasonal_naive": seasonal_naive}


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """sMAPE = mean(200 |y - f| / (|y| + |f|)), terms with y = f = 0 count as 0."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    denom = np.abs(actual) + np.abs(predicted)
    terms = np.where(
        denom == 0, 0.0, 200 * np.abs(actual - predicted) / np.where(denom == 0, 1, denom)
    )
    return float(np.mean(terms))


def mase_scale(train: np.ndarray, m: int) -> float:
    """Mean absolute seasonal difference of the training series (lag m; lag 1 if too short)."""
    train = np.asarray(train, float)
    lag = m if len(train) > m else 1
    if len(train) <= lag:
        return float("nan")
    return float(np.mean(np.abs(train[lag:] - train[:-lag])))


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, m: int) -> float:
    """MASE = mean |y - f| / mean |x_t - x_{t-m}| over the training part x."""
    scale = mase_scale(train, m)
    if not scale or not np.isfinite(scale):
        return float("nan")
    return float(np.mean(np.abs(np.asarray(actual, float) - np.asarray(predicted, float))) / scale)


COVERAGE_BAND = 0.9  # the level of the band around a backtest's interval coverage

BOOTSTRAP_DRAWS = 2000


def coverage_band(
    hits: list[np.ndarray], level: float = COVERAGE_BAND, draws: int = BOOTSTRAP_DRAWS
) -> tuple[float, float]:
    """A ``level`` band for the coverage measured over rolling-origin ``hits`` (one boolean
    array per origin, oldest first): what another backtest of the same size could have measured.

    Consecutive origins forecast overlapping months, so their hits are not independent: the
    band is a moving-block bootstrap (Kunsch 1989) over origins, in blocks of as many origins as
    the longest forecast has steps (the origins whose forecasts overlap), with a fixed random
    seed so a report rerun prints the same band. An 80% interval whose band holds 0.80 is
    consistent with being calibrated. (NaN, NaN) without hits."""
    lengths = [len(h) for h in hits]
    if not hits or not sum(lengths):
        return float("nan"), float("nan")
    k, steps = len(hits), max(lengths)
    grid = np.full((k, steps), np.nan)
    for i, h in enumerate(hits):
        grid[i, : len(h)] = np.asarray(h, float)
    block = min(steps, k)
    rng = np.random.default_rng(0)
    starts = rng.integers(0, k - block + 1, size=(draws, -(-k // block)))
    rows = (starts[:, :, None] + np.arange(block)).reshape(draws, -1)[:, :k]
    drawn = np.nanmean(grid[rows], axis=(1, 2))
    return (float(np.quantile(drawn, (1 - level) / 2)), float(np.quantile(drawn, (1 + level) / 2)))


def accuracy(
    name: str,
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    m: int,
) -> dict | None:
    """One model's scores over rolling-origin ``pieces`` (train, actual, mean, lower, upper),
    oldest origin first: ``mase`` (mean over origins of MASE scaled by that origin's training
    data), ``smape``, ``wape`` = sum|y - f| / sum|y|, ``bias`` = sum(f - y) / sum(y),
    ``coverage`` = share of actuals inside [lower, upper] with its :func:`coverage_band`
    (``coverage_low``, ``coverage_high``), and ``n`` forecasts scored. None without pieces."""
    if not pieces:
        return None
    mases = [mase(a, f, train, m) for train, a, f, _, _ in pieces]
    e = np.concatenate([f - a for _, a, f, _, _ in pieces])
    a = np.concatenate([p[1] for p in pieces])
    hits = [(act >= lo) & (act <= hi) for _, act, _, lo, hi in pieces]
    inside = np.concatenate(hits)
    low, high = coverage_band(hits)
    total = float(np.abs(a).sum())
    return {
        "model": name,
        "mase": float(np.nanmean(mases)) if np.isfinite(mases).any() else float("nan"),
        "smape": float(np.mean([smape(act, f) for _, act, f, _, _ in pieces])),
        "wape": float(np.abs(e).sum() / total) if total else float("nan"),
        "bias": float(e.sum() / a.sum()) if a.sum() else float("nan"),
        "coverage": float(inside.mean()),
        "coverage_low": low,
        "coverage_high": high,
        "n": int(len(e)),
    }


ACCURACY_COLUMNS = [
    "model",
    "mase",
    "smape",
    "wape",
    "bias",
    "coverage",
    "coverage_low",
    "coverage_high",
    "n",
]


def backtest(
    y: pd.Series,
    horizon: int,
    origins: int = 12,
    level: float = 0.8,
    models: dict[str, Forecaster] | None = None,
    min_train: int | None = None,
) -> pd.DataFrame:
    """Rolling-origin evaluation of ``models`` on ``y``.

    The last ``origins`` forecast origins (one period apart, each with at least ``min_train``
    points before it, default :data:`MIN_POINTS`) each forecast the ``horizon`` periods after
    it from the data before it; scored by :func:`accuracy`. Seasonal naive is the yardstick.
    """
    models = models or DEFAULT_MODELS
    values = pd.to_numeric(y, errors="coerce").fillna(0.0)
    m = season_length(y.index)
    n = len(values)
    min_train = min_train or MIN_POINTS
    first = max(min_train, n - horizon - origins + 1)
    rows = []
    for name, model in models.items():
        pieces = []
        for origin in range(first, n - horizon + 1):
            train, test = values.iloc[:origin], values.iloc[origin : origin + horizon]
            fc = model(train, len(test), level=level)
            pieces.append(
                (
                    train.to_numpy(),
                    test.to_numpy(),
                    fc["mean"].to_numpy(),
                    fc["lower"].to_numpy(),
                    fc["upper"].to_numpy(),
                )
            )
        row = accuracy(name, pieces, m)
        if row is not None:
            rows.append(row)
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)

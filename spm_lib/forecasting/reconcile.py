"""Coherent forecasts of a hierarchy: reconciliation of base forecasts by weighted least squares.

A hierarchy of ``n`` series over ``b`` bottom series is described by its summing matrix ``S``
(n x b): row i has a 1 for each bottom series that series i adds up. Base forecasts ``y_hat``
(one per series, made independently) rarely add up. The WLS (variance-scaling) reconciliation
(Wickramasuriya, Athanasopoulos & Hyndman 2019, MinT with a diagonal error covariance) is

    y_tilde = S G y_hat,   G = (S' W^-1 S)^-1 S' W^-1,   W = diag(base forecast error variances)

the coherent forecast closest to the base forecasts, each weighted by its precision: a noisy
base forecast moves more than a precise one. ``y_tilde`` adds up exactly (up to rounding), and
when the base forecasts already add up it returns them unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def summing_matrix(parents: dict[str, list[str]], bottom: list[str]) -> pd.DataFrame:
    """Summing matrix S (rows: every series, aggregates first in ``parents`` order then the
    bottom; columns: ``bottom``). ``parents`` maps an aggregate to the bottom series it sums.

    >>> summing_matrix({"All": ["a", "b"]}, ["a", "b"]).to_numpy().tolist()
    [[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    """
    rows = {}
    for name, members in parents.items():
        unknown = set(members) - set(bottom)
        if unknown:
            raise ValueError(
                f"aggregate {name!r} sums series that are not bottom series: {sorted(unknown)}"
            )
        rows[name] = [1.0 if b in members else 0.0 for b in bottom]
    for b in bottom:
        if b in rows:
            raise ValueError(f"series {b!r} is both an aggregate and a bottom series")
        rows[b] = [1.0 if c == b else 0.0 for c in bottom]
    return pd.DataFrame.from_dict(rows, orient="index", columns=bottom)


def wls(base: np.ndarray, variance: np.ndarray, summing: np.ndarray) -> np.ndarray:
    """Reconciled forecasts S G y_hat for each column of ``base`` (n series x h steps), with
    W = diag(``variance``[:, step]) per step. Variances at or below 0 (a series known exactly)
    are floored at a tiny share of the largest so the solve stays defined."""
    base = np.asarray(base, float)
    variance = np.asarray(variance, float)
    S = np.asarray(summing, float)
    if base.shape != variance.shape or base.shape[0] != S.shape[0]:
        raise ValueError(
            f"base {base.shape}, variance {variance.shape} and summing matrix "
            f"{S.shape} do not match"
        )
    out = np.empty_like(base)
    for step in range(base.shape[1]):
        v = variance[:, step].copy()
        floor = max(float(np.nanmax(v)) * 1e-9, 1e-12) if np.isfinite(v).any() else 1.0
        v = np.where(np.isfinite(v) & (v > floor), v, floor)
        w_inv = 1.0 / v
        st_w = S.T * w_inv  # S' W^-1
        G = np.linalg.solve(st_w @ S, st_w)
        out[:, step] = S @ (G @ base[:, step])
    return out

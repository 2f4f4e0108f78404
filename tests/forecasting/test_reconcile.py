"""WLS reconciliation, checked against a case computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from spm_lib.forecasting.reconcile import summing_matrix, wls


def test_summing_matrix_rows_are_aggregates_then_bottom():
    S = summing_matrix({"All": ["a", "b"]}, ["a", "b"])
    assert S.index.tolist() == ["All", "a", "b"]
    assert S.to_numpy().tolist() == [[1, 1], [1, 0], [0, 1]]
    with pytest.raises(ValueError, match="not bottom series"):
        summing_matrix({"All": ["a", "c"]}, ["a", "b"])


def test_wls_by_hand():
    """Total forecast 12, parts 4 and 5 (they sum to 9: 3 short), variances 1, 1, 1. WLS with
    equal weights is OLS: the 3 is shared so that total and parts move alike,
    b = (S'S)^-1 S' y: S'S = [[2, 1], [1, 2]], S'y = [16, 17] -> b = [5, 6], total 11."""
    S = summing_matrix({"All": ["a", "b"]}, ["a", "b"]).to_numpy()
    out = wls(np.array([[12.0], [4.0], [5.0]]), np.ones((3, 1)), S)
    assert out[:, 0] == pytest.approx([11.0, 5.0, 6.0])


def test_wls_moves_the_noisy_forecast_more():
    """A precise total (variance 0.01) stays near 12; the parts absorb the gap, the noisier
    part (variance 4 against 1) taking four times the share: 4 + 0.6 and 5 + 2.4 (by hand:
    with a total known exactly the gap 3 splits in proportion to the variances)."""
    S = summing_matrix({"All": ["a", "b"]}, ["a", "b"]).to_numpy()
    out = wls(np.array([[12.0], [4.0], [5.0]]), np.array([[1e-9], [1.0], [4.0]]), S)
    assert out[:, 0] == pytest.approx([12.0, 4.6, 7.4], abs=1e-6)


def test_coherent_base_forecasts_are_returned_unchanged():
    S = summing_matrix({"All": ["a", "b", "c"]}, ["a", "b", "c"]).to_numpy()
    base = np.array([[6.0, 9.0], [1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    out = wls(base, np.random.default_rng(1).uniform(0.5, 2, base.shape), S)
    assert out == pytest.approx(base)
    assert S @ out[1:] == pytest.approx(out)  # always coherent

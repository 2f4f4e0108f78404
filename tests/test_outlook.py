"""The forecasting report's figures on the sample data: better than seasonal naive, honest bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset, outlook


@pytest.fixture(scope="module")
def ds(default_sample):
    return load_dataset(default_sample)


def test_backtest_beats_seasonal_naive_with_honest_coverage(ds):
    table = outlook.accuracy_backtest(ds, ds.period("latest"))
    company = table[table["series"] == "Company"].set_index("model")
    assert company.loc["forecast", "mase"] < company.loc["seasonal_naive", "mase"]
    coverage = table[table["model"] == "forecast"]["coverage"].mean()
    assert abs(coverage - 0.8) <= 0.10, coverage


def test_quarter_outlook_is_consistent(ds):
    view = outlook.quarter_outlook(ds, ds.period("2026-Q2"))
    assert str(view.target) == "2026Q3"
    assert view.forecast_lower < view.forecast_mean < view.forecast_upper
    assert view.quota > 0 and np.isfinite(view.share_of_quota)
    q = view.pipeline.quantiles()
    low, high = sorted([view.forecast_mean, q["p50"]])
    assert low <= view.combined["mean"] <= high
    assert "forecast for 2026-Q3" in outlook.reading(view)


def test_history_file_is_written_and_reused(ds, tmp_path):
    path = tmp_path / "forecast_history.csv"
    period = ds.period("latest")
    first = outlook.tracked_history(ds, period, path)
    assert path.exists() and (first["source"] == "run").any()
    second = outlook.tracked_history(ds, period, path)
    assert len(second) == len(first)
    scored, summary = outlook.tracking_scores(ds, period, second)
    assert set(summary["level"]) == {"company", "region"}
    assert np.isfinite(outlook.last_quarter_error(scored, period))


def test_pipeline_quarters_mid_quarter_counts_what_is_booked(ds):
    as_of = pd.Timestamp("2026-08-15")
    table = outlook.pipeline_quarters(ds, as_of).set_index("quarter")
    assert table.index.tolist() == ["2026-Q3", "2026-Q4"]
    opps = ds.opportunities
    won = opps[opps["is_won"]]
    booked = won.loc[(won["close_date"] >= "2026-07-01") & (won["close_date"] <= as_of), "amount"]
    assert table.loc["2026-Q3", "booked_to_date"] == booked.sum()
    assert table.loc["2026-Q3", "p10"] >= booked.sum()
    actual = won.loc[
        (won["close_date"] >= "2026-07-01") & (won["close_date"] <= "2026-09-30"), "amount"
    ]
    assert table.loc["2026-Q3", "p10"] <= actual.sum() <= table.loc["2026-Q3", "p90"]
    assert table.loc["2026-Q4", "booked_to_date"] == 0

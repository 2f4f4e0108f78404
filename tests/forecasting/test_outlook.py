"""The forecasting report's figures on the sample data: better than seasonal naive, honest bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.forecasting import outlook as forecasting
from spm_lib.pages import forecasting as page


@pytest.fixture(scope="module")
def ds(default_sample):
    return load_dataset(default_sample)


@pytest.fixture(scope="module")
def run(ds):
    return forecasting.forecast_run(ds, ds.period("latest"))


def test_backtest_beats_seasonal_naive_with_honest_coverage(run):
    table = forecasting.accuracy_backtest(run)
    company = table[table["series"] == "Company"].set_index("model")
    assert company.loc["forecast", "mase"] < company.loc["seasonal_naive", "mase"]
    assert set(table["series"]) == {"Company", "Central", "East", "West"}
    coverage = table[table["model"] == "forecast"]["coverage"]
    assert coverage.between(0.65, 0.95).all(), coverage
    summary = forecasting.backtest_summary(table)
    assert summary["worst_mase_ratio"] == table.loc[table["model"] == "forecast", "ratio"].max()
    assert summary["coverage_min"] <= summary["coverage_max"]


def test_the_headline_is_the_sum_of_its_months_and_of_its_regions(ds, run):
    view = forecasting.quarter_outlook(ds, ds.period("latest"), run)
    sums = forecasting.coherence(run)
    assert sums["quarter"] == pytest.approx(view.forecast_mean, abs=0.01)
    assert sums["sum_of_months"] == pytest.approx(view.forecast_mean, abs=0.01)
    assert sums["sum_of_regions"] == pytest.approx(view.forecast_mean, abs=0.01)
    regions = forecasting.group_forecasts(ds, "region", run)
    teams = forecasting.group_forecasts(ds, "team", run)
    assert regions["mean"].sum() == pytest.approx(view.forecast_mean, abs=0.01)
    assert teams["mean"].sum() == pytest.approx(view.forecast_mean, abs=0.01)
    history, fan = forecasting.monthly_fan(run)
    assert fan["mean"].iloc[:3].sum() == pytest.approx(view.forecast_mean, abs=0.01)


def test_the_quarter_keeps_its_seasonality(ds, run):
    """Q4 beat Q3 in each of the sample's years (autumn demand, year-end push); so does the
    forecast, and each region's change is on the same quarter a year before."""
    period = ds.period("latest")
    view = forecasting.quarter_outlook(ds, period, run)
    q = forecasting.quarterly(ds, "company", period)["Company"]
    years = [y for y in (2023, 2024, 2025) if pd.Period(f"{y}Q4", q.index.freq) in q.index]
    assert all(
        q[pd.Period(f"{y}Q4", q.index.freq)] > q[pd.Period(f"{y}Q3", q.index.freq)] for y in years
    )
    assert view.forecast_mean > q.iloc[-1]
    regions = forecasting.group_forecasts(ds, "region", run)
    expected = regions["mean"] / regions["last_year"] - 1
    assert np.allclose(regions["change"], expected)


def test_quarter_outlook_is_consistent(ds):
    period = ds.period("2026-Q2")
    view = forecasting.quarter_outlook(ds, period, forecasting.forecast_run(ds, period, origins=4))
    assert str(view.target) == "2026Q3"
    assert view.forecast_lower < view.forecast_mean < view.forecast_upper
    assert view.quota > 0 and np.isfinite(view.share_of_quota)
    q = view.pipeline.quantiles()
    low, high = sorted([view.forecast_mean, q["p50"]])
    assert low <= view.combined["mean"] <= high
    assert "forecast for 2026-Q3" in page.reading(view)


def test_history_frames_are_merged_and_reused(ds, run, tmp_path):
    """tracking takes and returns frames; the page writes the file and reads it back."""
    from spm_lib.pages.forecasting import read_history, write_history

    path = tmp_path / "forecast_history.csv"
    period = ds.period("latest")
    first = forecasting.tracked_history(run)
    assert not path.exists() and (first["source"] == "run").any()
    assert (first["source"] == "backfill").any()
    write_history(path, first)
    second = forecasting.tracked_history(run, read_history(path))
    assert len(second) == len(first)
    scored, summary = forecasting.tracking_scores(ds, period, run, second)
    assert set(summary["level"]) == {"company", "region"}
    assert np.isfinite(forecasting.last_quarter_error(scored, period))
    this_run = first[
        (first["source"] == "run") & (first["level"] == "company") & (first["horizon"] == 1)
    ]
    assert this_run["mean"].iloc[0] == pytest.approx(forecasting.coherence(run)["quarter"])


def test_pipeline_quarters_mid_quarter_counts_what_is_booked(ds):
    as_of = pd.Timestamp("2026-08-15")
    table = forecasting.pipeline_quarters(ds, as_of).set_index("quarter")
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


@pytest.mark.parametrize("seed", [42, 1, 2])
def test_backtest_gains_and_coverage_on_three_seeds(seed, run, tmp_path):
    """The report's own backtest, not tuned on one company: the coherent forecast beats
    seasonal naive on the company series; on a region it beats it or the reading says it did
    not (and loses by less than 10%); on every series the 80% intervals held 75-85% of actuals
    or their coverage band holds 80%, and the reading says the intervals are as wide as the
    errors were. (The issue's stricter targets, every ratio below 1 and every coverage within
    75-85%, are measured on eight seeds by benchmarks/forecast_backtest_seeds.py: the README
    gives the figures.)"""
    from spm_lib.sample import write_sample

    if seed != 42:  # 42 is the default sample, whose run the module already has
        ds = load_dataset(write_sample(tmp_path / "s", seed=seed))
        run = forecasting.forecast_run(ds, ds.period("latest"))
    table = forecasting.accuracy_backtest(run)
    ours = table[table["model"] == "forecast"].set_index("series")
    reading = page.backtest_reading(table)
    assert ours.loc["Company", "ratio"] < 1
    assert "beat seasonal naive on company bookings" in reading
    for series in ours.index.drop("Company"):
        assert ours.at[series, "ratio"] < 1 or f"On {series} it did not beat" in reading
    assert ours["ratio"].max() < 1.1
    close = (ours["coverage"] - 0.8).abs() <= page.COVERAGE_TOLERANCE
    holds = (ours["coverage_low"] <= 0.8) & (ours["coverage_high"] >= 0.8)
    assert (close | holds).all(), ours[["coverage", "coverage_low", "coverage_high"]]
    assert "the intervals are as wide as the errors were" in reading
    assert (ours["coverage_low"] <= ours["coverage"]).all()
    assert (ours["coverage"] <= ours["coverage_high"]).all()


def test_backtest_reading_names_what_missed():
    def row(series, model, ratio, coverage, low, high):
        return {
            "series": series,
            "model": model,
            "mase": ratio,
            "ratio": ratio,
            "coverage": coverage,
            "coverage_low": low,
            "coverage_high": high,
            "n": 144,
        }

    table = pd.DataFrame(
        [
            row("Company", "forecast", 0.8, 0.79, 0.7, 0.88),
            row("Company", "seasonal_naive", 1, 0.7, 0.6, 0.8),
            row("West", "forecast", 1.05, 0.66, 0.58, 0.74),
            row("West", "seasonal_naive", 1, 0.7, 0.6, 0.8),
            row("East", "forecast", 0.9, 0.90, 0.86, 0.95),
            row("East", "seasonal_naive", 1, 0.7, 0.6, 0.8),
        ]
    )
    text = page.backtest_reading(table)
    assert "On West it did not beat seasonal naive" in text
    assert "East it did not" not in text
    assert "The intervals of West were too narrow" in text
    assert "The intervals of East were too wide" in text
    assert "79% of actuals fell inside the 80% interval" in text

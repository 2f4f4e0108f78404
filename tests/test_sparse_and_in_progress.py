"""Honest on sparse history and on a period in progress (the small sample: its data starts on
2024-06-18, inside 2024-Q2, and ends on 2026-09-30)."""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from spm_lib import load_dataset, rep_performance
from spm_lib.forecasting import outlook as forecasting
from spm_lib.measures import metrics
from spm_lib.pipeline.as_of import pipeline_as_of
from spm_lib.pipeline.model import open_at
from spm_lib.report.display import header_info


@pytest.fixture(scope="module")
def ds(small_sample):
    return load_dataset(small_sample)


def test_no_comparison_against_the_partial_first_quarter(ds, small_sample):
    opps = pd.read_csv(small_sample / "opportunities.csv")
    assert opps["created_date"].min() > "2024-04-01"  # the data starts inside 2024-Q2
    assert not ds.covers(ds.period("2024-Q2")) and ds.covers(ds.period("2024-Q3"))
    figures = rep_performance.headline(ds, ds.period("2024-Q3"))
    assert math.isnan(figures["bookings_prior"]) and math.isnan(figures["win_rate_prior"])
    assert math.isnan(figures["bookings_last_year"])
    assert rep_performance.headline(ds, ds.period("2024-Q4"))["bookings_prior"] == 0  # covered
    trend = rep_performance.headline_trend(ds, ds.period("2025-Q2"))
    assert "2024-Q2" not in set(trend["period"]) and "2024-Q3" in set(trend["period"])
    run = forecasting.forecast_run(ds, ds.period("2025-Q1"), origins=2)
    outlook = forecasting.quarter_outlook(ds, ds.period("2025-Q1"), run)
    assert str(outlook.target_label) == "2025-Q2"
    assert math.isnan(outlook.same_quarter_last_year) and math.isnan(outlook.change_on_last_year)
    groups = forecasting.group_forecasts(ds, "region", run)
    assert groups["change"].isna().all()


def test_the_pipeline_forecast_counts_the_open_deals_the_history_replays(small_sample, tmp_path):
    """The history starts months after the deals: before its first row a deal is as first
    written. The forecast's open deals are the replay's, not those the close dates suggest."""
    folder = tmp_path / "late-history"
    shutil.copytree(small_sample, folder)
    history = pd.read_csv(folder / "opportunity_history.csv", dtype=str)
    history[history["changed_at"] >= "2024-11-15"].to_csv(
        folder / "opportunity_history.csv", index=False
    )
    (folder / "stage_history.csv").unlink()  # derived from the history on load
    late = load_dataset(folder)
    for day in ("2024-09-30", "2024-12-31", "2025-06-30"):
        replay = pipeline_as_of(late, day)
        mine = open_at(late, pd.Timestamp(day))
        assert len(mine) == len(replay) > 0, day
        assert mine["amount"].sum() == pytest.approx(replay["amount"].fillna(0).sum())


def _as_it_stood(small_sample, folder, day: str):
    """The sample as an export taken at the end of ``day`` would hold it: deals created later
    left out, deals closed later still open, later history, activities and leads left out."""
    shutil.copytree(small_sample, folder)
    opps = pd.read_csv(folder / "opportunities.csv", dtype=str)
    opps = opps[opps["created_date"] <= day].copy()
    later = opps["close_date"] > day
    opps.loc[later, ["is_closed", "is_won", "stage"]] = ["false", "false", "Negotiation"]
    opps.loc[later, "cancelled_date"] = None
    opps.to_csv(folder / "opportunities.csv", index=False)
    keep = set(opps["opportunity_id"])
    for name, column in (
        ("opportunity_history", "changed_at"),
        ("stage_history", "entered_date"),
        ("activities", "date"),
        ("leads", "created_date"),
        ("forecast_calls", "submitted_at"),
        ("opportunity_splits", None),
    ):
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str)
        if column is not None:
            frame = frame[frame[column].str[:10] <= day]
        if "opportunity_id" in frame and name != "leads":
            frame = frame[frame["opportunity_id"].isna() | frame["opportunity_id"].isin(keep)]
        frame.to_csv(folder / f"{name}.csv", index=False)
    leads = pd.read_csv(folder / "leads.csv", dtype=str)
    leads.loc[leads["converted_date"] > day, ["converted_date", "opportunity_id"]] = None
    leads.to_csv(folder / "leads.csv", index=False)
    config = folder / "spm.yaml"
    config.write_text(config.read_text().replace("as_of: '2026-09-30'", f"as_of: '{day}'"))
    return folder, opps


def test_a_period_in_progress_says_to_date_and_compares_the_same_days(small_sample, tmp_path):
    folder, opps = _as_it_stood(small_sample, tmp_path / "mid-quarter", "2026-08-15")
    mid = load_dataset(folder)
    period = mid.period("2026-Q3")
    assert period.to_date and period.title == "2026-Q3 to date (day 46 of 92)"
    assert (
        "2026-Q3 to date (day 46 of 92) (2026-07-01 to 2026-08-15)"
        in header_info("Rep performance", mid, period)["period_text"]
    )
    assert mid.period("latest").label == "2026-Q2"  # the last complete quarter
    figures = rep_performance.headline(mid, period)
    raw = pd.read_csv(small_sample / "opportunities.csv")
    won = raw[raw["is_won"].astype(str).str.lower().eq("true")]

    def booked(start: str, end: str) -> float:
        inside = (won["close_date"] >= start) & (won["close_date"] <= end)
        return float(won.loc[inside, "amount"].sum())

    assert figures["bookings"] == pytest.approx(booked("2026-07-01", "2026-08-15"))
    assert figures["bookings_prior"] == pytest.approx(booked("2026-04-01", "2026-05-16"))
    assert figures["bookings_last_year"] == pytest.approx(booked("2025-07-01", "2025-08-15"))
    region = metrics.with_changes(metrics.bookings, mid, period, "bookings", "region")
    assert region["bookings_prior"].sum() == pytest.approx(figures["bookings_prior"])

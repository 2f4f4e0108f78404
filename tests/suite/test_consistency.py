"""The suite checks itself: one run of every report, and the identities between them.

On the sample (2026-Q3) and on the Maven export, from the manifest's key figures and the tables
the notebooks record (:func:`spm_lib.report.record_table`): the forecast adds up across months,
quarters and the hierarchy; bookings, reps at quota, per-rep attainment and rep counts are the
same in rep performance and compensation; the per-rep expectations add up to the pipeline
forecast and are the ones compensation's payout forecast uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import MAVEN_RAW as RAW
from tests.helpers import unreadable_values

CENT = 0.01


RUNS = ["sample_run", "maven_run"]


@pytest.fixture(params=RUNS)
def run(request):
    return request.getfixturevalue(request.param)


def test_the_forecast_adds_up(run):
    f = run["figures"]["forecasting"]
    headline = f["forecast_next_quarter"]
    assert f["forecast_next_quarter_sum_of_months"] == pytest.approx(headline, abs=CENT)
    assert f["forecast_next_quarter_sum_of_regions"] == pytest.approx(headline, abs=CENT)
    tables = run["tables"]["forecasting"]
    for name in ("forecast_quarters", "forecast_months"):
        table = tables[name]
        by = table.pivot_table(index="period", columns="level", values="mean", aggfunc="sum")
        assert np.allclose(by["region"], by["company"], atol=CENT), name
        if "team" in by:
            assert np.allclose(by["team"], by["company"], atol=CENT), name
    months = tables["forecast_months"]
    company = months[months["level"] == "company"].iloc[:3]
    assert company["mean"].sum() == pytest.approx(headline, abs=CENT)
    if f["backtest_coverage_min"] is not None:  # Maven's one year is too short to backtest
        assert f["backtest_coverage_min"] <= f["backtest_coverage_max"]
        assert f["backtest_worst_mase_ratio"] > 0


def test_attainment_and_reps_at_quota_are_one_figure(run):
    figures, tables = run["figures"], run["tables"]
    rep, comp = figures["rep_performance"], figures["compensation"]
    if "reps_above_quota" not in comp:  # no commission plans (Maven): nothing to compare
        assert rep["reps_at_or_above_quota"] in (0, None) and rep["reps_counted"] > 0
        return
    assert rep["reps_counted"] == comp["reps_counted"]
    assert rep["reps_at_or_above_quota"] == comp["reps_above_quota"]
    assert rep["bookings"] == pytest.approx(comp["credited_bookings"], abs=CENT)
    ours = tables["rep_performance"]["attainment"].set_index("rep_id")
    theirs = tables["compensation"]["attainment"].set_index("rep_id")
    both = ours.index.intersection(theirs.index)
    assert len(both) >= 0.9 * len(ours)
    a, b = ours.loc[both, "attainment"], theirs.loc[both, "attainment"]
    assert np.allclose(a.astype(float), b.astype(float), equal_nan=True, rtol=1e-12)
    at_quota = ((theirs["attainment"] >= 1) & theirs["status"].isin(["active", "ramping"])).sum()
    assert at_quota == comp["reps_above_quota"]


def test_per_rep_expectations_add_up_to_the_pipeline_forecast(run):
    figures, tables = run["figures"], run["tables"]
    expect = tables["rep_performance"]["rep_expectations"].set_index("rep_id")["expected"]
    total = figures["forecasting"]["pipeline_forecast_mean"]
    assert expect.sum() == pytest.approx(total, rel=1e-9)
    if "payout_bookings" in tables["compensation"]:
        paid = tables["compensation"]["payout_bookings"].set_index("rep_id")["bookings_mean"]
        assert np.allclose(paid, expect.reindex(paid.index), rtol=1e-9)


def test_maven_bookings_match_the_raw_file(maven_run):
    """The Maven export's bookings for the report's quarter, from the raw CSV with pandas."""
    raw = pd.read_csv(RAW / "sales_pipeline.csv")
    won = raw[raw["deal_stage"] == "Won"]
    close = pd.to_datetime(won["close_date"])
    quarter = maven_run["folder"].parent.name
    start = pd.Period(quarter.replace("-", ""), freq="Q").start_time
    end = pd.Period(quarter.replace("-", ""), freq="Q").end_time
    expected = won.loc[(close >= start) & (close <= end), "close_value"].sum()
    assert maven_run["figures"]["rep_performance"]["bookings"] == pytest.approx(expected)


def test_the_pipeline_review_rolls_forward_and_agrees_with_rep_performance(run):
    figures = run["figures"]
    review = figures["pipeline_review"]
    if not review:  # Maven keeps no history: the page says so and records no figure
        return
    flows = sum(
        review[f"flow_{k}"] for k in ("created", "increased", "decreased", "won", "lost", "other")
    )
    assert review["open_pipeline_start"] + flows == pytest.approx(
        review["open_pipeline_end"], abs=CENT
    )
    # what the whole pipeline lost to wins is the period's bookings, as rep performance has it
    assert review["flow_won"] == pytest.approx(-figures["rep_performance"]["bookings"], abs=CENT)
    assert review["pipeline_change_pct"] == pytest.approx(
        review["open_pipeline_end"] / review["open_pipeline_start"] - 1
    )


def test_the_review_page_lists_its_deals_and_hides_its_data(sample_run):
    """The brief's actions and the recorded tables are data for the runner, not text on the
    page; the deal lists in the notebook are whole (the page shows the largest ten)."""
    page = (sample_run["folder"] / "pipeline_review.html").read_text()
    assert "action: " not in page and "table deals_won" not in page
    won = sample_run["tables"]["pipeline_review"]["deals_won"]
    assert len(won) > 10 and f"Showing the first 10 of {len(won):,} rows" in page
    assert list(won["amount"]) == sorted(won["amount"], reverse=True)


def _raw_plan_inputs(name: str, request) -> tuple[int, float]:
    """(accounts, won amount of the quarter a year before the planned one), from the raw
    files: the sample's CSVs (planned 2026-Q4, so 2025-Q4) or Maven's (planned 2018-Q1)."""
    if name == "sample_run":
        folder = request.getfixturevalue("default_sample")
        opps = pd.read_csv(folder / "opportunities.csv", parse_dates=["close_date"])
        won = opps[opps["is_won"].astype(str).str.lower().isin(["true", "1"])]
        quarter = won["close_date"].dt.to_period("Q") == pd.Period("2025Q4")
        return len(pd.read_csv(folder / "accounts.csv")), float(won.loc[quarter, "amount"].sum())
    pipeline = pd.read_csv(RAW / "sales_pipeline.csv", parse_dates=["close_date"])
    won = pipeline[
        (pipeline["deal_stage"] == "Won")
        & (pipeline["close_date"].dt.to_period("Q") == pd.Period("2017Q1"))
    ]
    return len(pd.read_csv(RAW / "accounts.csv")), float(won["close_value"].sum())


@pytest.mark.parametrize("name", RUNS)
def test_the_plan_agrees_with_the_territory_report_and_its_targets(name, request):
    """The planning report's moves are the territory report's; its quotas sum to the target
    (the sample's: +8% on the same quarter a year before; Maven's, without planning: flat on
    it), recomputed here from the raw files; its solved rate meets the cost target at P50."""
    run = request.getfixturevalue(name)
    plan, terr = run["figures"]["planning"], run["figures"]["territory_assignment"]
    accounts, last_year = _raw_plan_inputs(name, request)
    assert plan["territory_moves"] == round(terr["accounts_moved_pct"] * accounts)
    quotas = run["tables"]["planning"]["quotas"]
    assert plan["planned_quota_total"] == pytest.approx(quotas["quota"].sum(), abs=CENT)
    assert 0 <= plan["reps_at_quota_p50_pct"] <= 1
    if name == "sample_run":
        assert plan["planned_quota_total"] == pytest.approx(1.08 * last_year, abs=CENT)
        assert abs(plan["cost_of_sales_p50_pct"] - 0.08) < 0.001
        assert 0 < plan["solved_base_rate"] < 1
    else:  # no planning section and no commission plans: flat on last year, no rate solved
        assert plan["planned_quota_total"] == pytest.approx(last_year, abs=CENT)
        assert plan["solved_base_rate"] is None


def test_no_page_shows_nan_inf_or_none(sample_run, maven_run, tmp_path):
    """Every page of the sample's and Maven's runs, as a reader sees it; and the check finds
    such a value where one is printed."""
    assert unreadable_values(sample_run["folder"]) == {}
    assert unreadable_values(maven_run["folder"]) == {}
    (tmp_path / "page.html").write_text(
        "<style>p { display: none; }</style><p>Win rate +nan pts</p><td>&lt;NA&gt;</td>"
    )
    assert unreadable_values(tmp_path) == {"page.html": ["+nan", "<NA>"]}

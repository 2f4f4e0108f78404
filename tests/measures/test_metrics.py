"""Every metric against a small example computed by hand (tests/helpers.py's dataset, Q1 2025).

Deals: O1 R1 won 1,000 (created 01-05, closed 02-10); O2 R1 lost 2,500.50 (closed 03-01);
O3 R2 open 4,000 (due 04-30); O4 R3 won 9,000 (created 03-01, closed 03-20).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.measures import metrics as m
from spm_lib.periods import parse_period

Q1 = parse_period("2025-Q1")
QUOTAS = [
    {"rep_id": "R1", "period_start": "2025-01-01", "amount": "2000"},
    {"rep_id": "R2", "period_start": "2025-01-01", "amount": "0"},
    {"rep_id": "R3", "period_start": "2025-01-01", "amount": "10000"},
    {"rep_id": "R1", "period_start": "2025-04-01", "amount": "2000"},
    {"rep_id": "R2", "period_start": "2025-04-01", "amount": "8000"},
]
ACTIVITIES = [
    {"activity_id": "T1", "rep_id": "R1", "date": "2025-01-10", "type": "Call"},
    {"activity_id": "T2", "rep_id": "R1", "date": "2025-02-01", "type": "Email"},
    {"activity_id": "T3", "rep_id": "R2", "date": "2025-02-15", "type": "Call"},
    {"activity_id": "T4", "rep_id": "R3", "date": "2025-04-02", "type": "Call"},
]
HISTORY = [
    ("O1", "Prospecting", "2025-01-05"),
    ("O1", "Proposal", "2025-01-20"),
    ("O1", "Closed Won", "2025-02-10"),
    ("O2", "Prospecting", "2025-01-10"),
    ("O2", "Closed Lost", "2025-03-01"),
    ("O3", "Prospecting", "2025-02-01"),
    ("O3", "Proposal", "2025-03-15"),
    ("O4", "Prospecting", "2025-03-01"),
    ("O4", "Closed Won", "2025-03-20"),
]


@pytest.fixture
def ds(make_dataset):
    history = [
        dict(zip(("opportunity_id", "stage", "entered_date"), h, strict=True)) for h in HISTORY
    ]
    return load_dataset(make_dataset(quotas=QUOTAS, activities=ACTIVITIES, stage_history=history))


def by_rep(frame: pd.DataFrame, column: str) -> dict:
    return {
        k: (None if isinstance(v, float) and math.isnan(v) else v)
        for k, v in frame.set_index("rep_id")[column].items()
    }


def test_bookings(ds):
    assert by_rep(m.bookings(ds, Q1), "bookings") == {"R1": 1000, "R2": 0, "R3": 9000}
    assert m.bookings(ds, Q1, None).iloc[0][["bookings", "won_deals"]].tolist() == [10000, 2]
    assert m.bookings(ds, Q1, "region").set_index("region")["bookings"].to_dict() == {
        "East": 9000,
        "West": 1000,
    }


def test_quota_attainment_with_zero_quota(ds):
    att = m.quota_attainment(ds, Q1)
    assert by_rep(att, "attainment") == {"R1": 0.5, "R2": None, "R3": 0.9}  # R2's quota is 0
    assert m.quota_attainment(ds, Q1, None).iloc[0]["attainment"] == pytest.approx(10000 / 12000)


def test_quota_attainment_without_quotas(make_dataset):
    att = m.quota_attainment(load_dataset(make_dataset()), Q1)
    assert att["quota"].isna().all() and att["attainment"].isna().all()


def test_win_rate_by_count_and_value(ds):
    wr = m.win_rate(ds, Q1)
    assert by_rep(wr, "win_rate") == {"R1": 0.5, "R2": None, "R3": 1.0}
    assert by_rep(wr, "win_rate_value")["R1"] == pytest.approx(1000 / 3500.5)
    assert by_rep(wr, "closed") == {"R1": 2, "R2": 0, "R3": 1}
    company = m.win_rate(ds, Q1, None).iloc[0]
    assert company["win_rate"] == pytest.approx(2 / 3)
    assert company["win_rate_value"] == pytest.approx(10000 / 12500.5)


def test_no_closed_deals_in_the_period(ds):
    empty = parse_period("2024-Q1")
    assert m.bookings(ds, empty, None).iloc[0]["bookings"] == 0
    assert math.isnan(m.win_rate(ds, empty, None).iloc[0]["win_rate"])
    assert math.isnan(m.average_deal_size(ds, empty, None).iloc[0]["average_deal"])
    assert math.isnan(m.sales_cycle(ds, empty, None).iloc[0]["cycle_mean_days"])


def test_average_deal_and_cycle(ds):
    assert by_rep(m.average_deal_size(ds, Q1), "average_deal") == {
        "R1": 1000,
        "R2": None,
        "R3": 9000,
    }
    cycle = m.sales_cycle(ds, Q1)
    assert by_rep(cycle, "cycle_median_days") == {"R1": 36, "R2": None, "R3": 19}
    company = m.sales_cycle(ds, Q1, None).iloc[0]
    assert company["cycle_median_days"] == 27.5 and company["cycle_mean_days"] == 27.5


def test_pipeline_created(ds):
    created = m.pipeline_created(ds, Q1)
    assert by_rep(created, "created_deals") == {"R1": 2, "R2": 1, "R3": 1}
    assert by_rep(created, "pipeline_created") == {"R1": 3500.5, "R2": 4000, "R3": 9000}


def test_pipeline_coverage(ds):
    cov = m.pipeline_coverage(ds, Q1)
    assert by_rep(cov, "pipeline_due_next") == {"R1": 0, "R2": 4000, "R3": 0}
    assert by_rep(cov, "coverage") == {"R1": 0.0, "R2": 0.5, "R3": None}  # R3 has no Q2 quota
    # required coverage = 1 / trailing 12-month win rate by value
    assert by_rep(cov, "required_coverage")["R1"] == pytest.approx(3500.5 / 1000)
    assert by_rep(cov, "required_coverage")["R2"] is None  # nothing closed: unknown


def test_sales_velocity(ds):
    v = m.sales_velocity(ds, Q1)
    # R1: 2 created x 1,000 average x 0.5 win rate / 36 days
    assert by_rep(v, "velocity_per_day")["R1"] == pytest.approx(2 * 1000 * 0.5 / 36)
    assert by_rep(v, "velocity_per_day")["R2"] is None


def test_activity_rates(ds):
    acts = m.activity_rates(ds, Q1)
    assert by_rep(acts, "activities") == {"R1": 2, "R2": 1, "R3": 0}
    assert by_rep(acts, "per_won_deal") == {"R1": 2.0, "R2": None, "R3": 0.0}
    company = m.activity_rates(ds, Q1, None).iloc[0]
    # 3 activities in Q1; active reps R1, R2 (activities) and R3 (created a deal)
    assert company["per_rep"] == 1.0 and company["per_won_deal"] == 1.5


def test_activity_rates_without_activities(make_dataset):
    acts = m.activity_rates(load_dataset(make_dataset()), Q1)
    assert acts["per_rep"].isna().all()


def test_stage_conversion(ds):
    conv = m.stage_conversion(ds, Q1).set_index("stage")
    assert conv.loc["Prospecting", ["entered", "converted", "lost", "undecided"]].tolist() == [
        4,
        3,
        1,
        0,
    ]
    assert conv.loc["Prospecting", "conversion"] == 0.75
    assert conv.loc["Proposal", ["entered", "converted", "undecided"]].tolist() == [2, 1, 1]
    assert conv.loc["Proposal", "conversion"] == 1.0


def test_changes_against_prior_and_last_year(ds, monkeypatch):
    # the data starts on 2025-01-05: Q1 is covered only in part, so it is no base
    out = m.with_changes(m.bookings, ds, parse_period("2025-Q2"), "bookings", None).iloc[0]
    assert out["bookings"] == 0 and math.isnan(out["bookings_prior"])
    assert math.isnan(out["change_prior"]) and math.isnan(out["change_last_year"])
    # the arithmetic, as if the data covered every period
    monkeypatch.setattr(type(ds), "covers", lambda self, period: True)
    out = m.with_changes(m.bookings, ds, parse_period("2025-Q2"), "bookings", None).iloc[0]
    assert out["bookings"] == 0 and out["bookings_prior"] == 10000
    assert out["change_prior"] == -1.0 and out["bookings_last_year"] == 0
    rates = m.with_changes(m.win_rate, ds, Q1, "win_rate", None, points=True).iloc[0]
    assert math.isnan(rates["change_prior"])  # nothing closed the quarter before


def test_unknown_grouping_is_an_error(ds):
    with pytest.raises(ValueError, match="by must be one of"):
        m.bookings(ds, Q1, "planet")

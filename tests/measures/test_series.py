"""Bookings series: sums by close period, zero-filled, by level, on the fiscal calendar."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.measures.series import bookings_series, fiscal_quarter_freq
from tests.helpers import OPPORTUNITIES

EXTRA = [
    {
        "opportunity_id": "O5",
        "rep_id": "R2",
        "account_id": "A2",
        "product": "Core",
        "created_date": "2025-01-02",
        "close_date": "2025-05-15",
        "stage": "Closed Won",
        "amount": "500",
        "is_closed": "true",
        "is_won": "true",
    },
]


def test_monthly_company_bookings_by_hand(make_dataset):
    ds = load_dataset(make_dataset(opportunities=OPPORTUNITIES + EXTRA, yaml="as_of: 2025-06-30\n"))
    company = bookings_series(ds, "company", "M")["Company"]
    # won: O1 1000 (2025-02), O4 9000 (2025-03), O5 500 (2025-05); O2 lost; O3 open
    assert company.index[0] == pd.Period("2025-02", "M")
    assert company.to_dict() == {
        pd.Period("2025-02", "M"): 1000.0,
        pd.Period("2025-03", "M"): 9000.0,
        pd.Period("2025-04", "M"): 0.0,
        pd.Period("2025-05", "M"): 500.0,
        pd.Period("2025-06", "M"): 0.0,
    }


def test_levels_and_employment_window(make_dataset):
    ds = load_dataset(make_dataset(opportunities=OPPORTUNITIES + EXTRA, yaml="as_of: 2025-07-31\n"))
    region = bookings_series(ds, "region", "M")
    assert region.columns.tolist() == ["East", "West"]
    assert region.loc["2025-03", "East"] == 9000 and region.loc["2025-02", "West"] == 1000
    reps = bookings_series(ds, "rep", "M")
    # R3 left on 2025-06-30: empty from July, zero in June
    assert reps.loc["2025-06", "R3"] == 0 and pd.isna(reps.loc["2025-07", "R3"])
    quarters = bookings_series(ds, "company", "Q")["Company"]
    assert quarters.to_dict() == {
        pd.Period("2025Q1", "Q-DEC"): 10000.0,
        pd.Period("2025Q2", "Q-DEC"): 500.0,
    }


def test_incomplete_last_period_is_left_out(make_dataset):
    ds = load_dataset(make_dataset(opportunities=OPPORTUNITIES + EXTRA, yaml="as_of: 2025-06-15\n"))
    assert bookings_series(ds, "company", "M").index[-1] == pd.Period("2025-05", "M")
    assert bookings_series(ds, "company", "Q").index[-1] == pd.Period("2025Q1", "Q-DEC")


def test_fiscal_quarters_follow_the_fiscal_year(make_dataset):
    assert fiscal_quarter_freq(1) == "Q-DEC" and fiscal_quarter_freq(2) == "Q-JAN"
    ds = load_dataset(
        make_dataset(
            opportunities=OPPORTUNITIES + EXTRA,
            yaml="fiscal_year_start_month: 2\nas_of: 2025-07-31\n",
        )
    )
    q = bookings_series(ds, "company", "Q")["Company"]
    # FY2026 starts 2025-02-01: Q1 = Feb-Apr 2025 holds O1 and O4; Q2 = May-Jul holds O5
    assert {str(k): v for k, v in q.items()} == {"2026Q1": 10000.0, "2026Q2": 500.0}


def test_unknown_level_is_an_error(make_dataset):
    with pytest.raises(ValueError, match="level must be one of"):
        bookings_series(load_dataset(make_dataset()), "planet")

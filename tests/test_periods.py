"""Periods: parsing, fiscal calendars, relative periods, navigation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from spm_lib.exceptions import PeriodError
from spm_lib.periods import fiscal_year_of, parse_period, period_containing

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2026-09", D(2026, 9, 1), D(2026, 9, 30), "month"),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29), "month"),
        ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30), "quarter"),
        ("2026-q1", D(2026, 1, 1), D(2026, 3, 31), "quarter"),
        ("FY2026", D(2026, 1, 1), D(2026, 12, 31), "year"),
    ],
)
def test_calendar_periods(text, start, end, kind):
    p = parse_period(text)
    assert (p.start, p.end, p.kind) == (start, end, kind)


def test_fiscal_year_starting_in_february_is_named_by_its_end_year():
    p = parse_period("FY2026", fiscal_year_start_month=2)
    assert (p.start, p.end) == (D(2025, 2, 1), D(2026, 1, 31))
    q1 = parse_period("2026-Q1", fiscal_year_start_month=2)
    assert (q1.start, q1.end) == (D(2025, 2, 1), D(2025, 4, 30))
    q4 = parse_period("2026-Q4", fiscal_year_start_month=2)
    assert (q4.start, q4.end) == (D(2025, 11, 1), D(2026, 1, 31))
    assert fiscal_year_of(D(2025, 12, 15), 2) == 2026
    assert period_containing(D(2026, 1, 20), "quarter", 2).label == "2026-Q4"


def test_fiscal_year_starting_in_july():
    p = parse_period("2027-Q1", fiscal_year_start_month=7)
    assert (p.start, p.end) == (D(2026, 7, 1), D(2026, 9, 30))
    assert period_containing(D(2026, 9, 30), "quarter", 7).label == "2027-Q1"


def test_latest_is_latest_complete_quarter_in_the_data():
    assert parse_period("latest", data_as_of=D(2026, 9, 30)).label == "2026-Q3"
    assert parse_period("latest", data_as_of=D(2026, 9, 29)).label == "2026-Q2"
    assert parse_period("latest", data_as_of=D(2026, 1, 5)).label == "2025-Q4"
    with pytest.raises(PeriodError, match="needs the data's as-of date"):
        parse_period("latest")


def test_last_quarter_and_last_month_relative_to_as_of():
    assert parse_period("last-quarter", as_of=D(2026, 10, 2)).label == "2026-Q3"
    assert parse_period("last-quarter", as_of=D(2026, 1, 1)).label == "2025-Q4"
    assert parse_period("last-month", as_of=D(2026, 1, 15)).label == "2025-12"
    assert parse_period("last-quarter", 2, as_of=D(2026, 2, 1)).label == "2026-Q4"


def test_navigation():
    q = parse_period("2026-Q1")
    assert q.previous().label == "2025-Q4"
    assert q.same_period_last_year().label == "2025-Q1"
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("FY2026").previous().label == "FY2025"
    assert q.shift(2).label == "2026-Q3"


def test_mask_and_contains_include_the_last_day():
    q = parse_period("2026-Q3")
    dates = pd.Series(
        pd.to_datetime(
            ["2026-06-30", "2026-07-01", "2026-09-30 18:00", "2026-10-01"], format="ISO8601"
        )
    )
    assert q.mask(dates).tolist() == [False, True, True, False]
    assert q.contains(D(2026, 9, 30)) and not q.contains(D(2026, 10, 1))


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "Q3", "FY26", "next-year", ""])
def test_bad_periods_raise_a_clear_error(text):
    with pytest.raises(PeriodError):
        parse_period(text, data_as_of=D(2026, 9, 30))


def test_a_period_in_progress_is_to_date_and_compares_the_same_days():
    q3 = parse_period("2023-Q3")
    now = q3.up_to(dt.date(2023, 9, 1))
    assert now.to_date and now.days == 63 and now.last_day == dt.date(2023, 9, 1)
    assert now.end == q3.end  # what the CRM dates ahead within the quarter still counts
    assert now.title == "2023-Q3 to date (day 63 of 92)" and now.label == "2023-Q3"
    before = now.previous()
    assert (before.start, before.end, before.days) == (dt.date(2023, 4, 1), dt.date(2023, 6, 2), 63)
    year = now.same_period_last_year()
    assert (year.start, year.end, year.last_day) == (
        dt.date(2022, 7, 1),
        dt.date(2022, 9, 1),
        dt.date(2022, 9, 1),
    )
    assert q3.up_to(dt.date(2023, 9, 30)) == q3  # its last day: the whole period
    assert q3.up_to(dt.date(2023, 10, 5)) == q3  # after it: as it is
    # a February has fewer days than the 30 it is compared on: the whole month
    assert parse_period("2024-03").up_to(dt.date(2024, 3, 30)).previous() == parse_period("2024-02")

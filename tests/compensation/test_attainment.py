"""One attainment and one rep status, against cases computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib import compensation, load_dataset, rep_performance
from spm_lib.compensation import attainment
from spm_lib.measures import roster
from spm_lib.pages.common import who_counts
from spm_lib.report.formats import format_percent

PLAN = """
commission_plans:
  standard:
    quota_period: quarter
    ramp: [0.5]
    base_rate: 0.10
    tiers: [{from: 0, multiplier: 1.0}]
    pay_after_departure: {rule}
"""
REPS = [
    {
        "rep_id": "R1",
        "name": "Ann",
        "team": "T",
        "region": "West",
        "hire_date": "2024-01-01",
        "end_date": "",
    },
    {
        "rep_id": "R2",
        "name": "Bob",
        "team": "T",
        "region": "West",
        "hire_date": "2025-02-01",
        "end_date": "",
    },
    {
        "rep_id": "R3",
        "name": "Cy",
        "team": "T",
        "region": "West",
        "hire_date": "2024-01-01",
        "end_date": "2025-02-15",
    },
]


def _won(oid, rep, day, amount):
    return {
        "opportunity_id": oid,
        "rep_id": rep,
        "account_id": "",
        "product": "Core",
        "created_date": "2025-01-02",
        "close_date": day,
        "stage": "Closed Won",
        "amount": str(amount),
        "is_closed": "true",
        "is_won": "true",
    }


DEALS = [
    _won("D1", "R1", "2025-01-10", 20_000),  # split 50/50 with R2
    _won("D2", "R1", "2025-02-10", 19_979),
    _won("D3", "R2", "2025-03-01", 5_000),
    _won("D4", "R3", "2025-02-01", 4_000),  # before R3's end date: paid
    _won("D5", "R3", "2025-03-01", 6_000),  # after it: withheld under through_end_date
]
SPLITS = [
    {"opportunity_id": "D1", "rep_id": "R1", "share": 0.5},
    {"opportunity_id": "D1", "rep_id": "R2", "share": 0.5},
]
QUOTAS = [{"rep_id": r, "period_start": "2025-01-01", "amount": 30_000} for r in ("R1", "R2", "R3")]


@pytest.fixture
def dataset(make_dataset):
    def make(rule="through_end_date"):
        folder = make_dataset(
            yaml=PLAN.replace("{rule}", rule),
            reps=REPS,
            opportunities=DEALS,
            opportunity_splits=SPLITS,
            quotas=QUOTAS,
            accounts=None,
        )
        ds = load_dataset(folder)
        return ds, ds.period("2025-Q1")

    return make


def test_official_attainment_by_hand(dataset):
    """R1: credited 10,000 (half of D1) + 19,979 = 29,979 of 30,000 = 99.93%: not at quota, and
    not printed as 100%; owner variant 39,979 / 30,000. R2, hired 1 Feb with a ramp of 50% in
    the hire month: quota 0 (Jan) + 5,000 (Feb) + 10,000 (Mar) = 15,000; credited 10,000 +
    5,000 = 15,000: exactly 100%, at quota. R3 left on 15 Feb: departed, not counted."""
    ds, period = dataset()
    table = attainment.rep_attainment(ds, period).set_index("rep_id")
    assert table.at["R1", "credited_bookings"] == pytest.approx(29_979)
    assert table.at["R1", "attainment"] == pytest.approx(29_979 / 30_000)
    assert table.at["R1", "attainment_owner"] == pytest.approx(39_979 / 30_000)
    assert format_percent(table.at["R1", "attainment"]) == "99.9%"
    assert table.at["R2", "quota"] == pytest.approx(15_000)
    assert table.at["R2", "attainment"] == pytest.approx(1.0)
    assert table.at["R3", "status"] == "departed" and not table.at["R3", "counted"]
    counts = attainment.at_quota(table.reset_index())
    assert counts == {
        "reps_with_quota": 2,
        "reps_at_or_above_quota": 1,
        "reps_at_or_above_quota_pct": 0.5,
    }
    # the same count in both reports, from the same function
    statement = compensation.statements(ds, period)
    assert compensation.headline(statement)["reps_above_quota"] == 1
    figures = rep_performance.headline(ds, period)
    assert figures["reps_at_or_above_quota"] == 1 and figures["reps_with_quota"] == 2
    card = rep_performance.scorecard(ds, period).set_index("rep_id")
    assert card.at["R1", "attainment"] == pytest.approx(table.at["R1", "attainment"])


@pytest.mark.parametrize(
    ("rule", "paid"), [("through_end_date", 400.0), ("all", 1_000.0), ("none", 0.0)]
)
def test_a_departed_rep_is_paid_as_the_plan_says(dataset, rule, paid):
    """R3's deals pay 10%: D4 (400, before the end date) and D5 (600, after it)."""
    ds, period = dataset(rule)
    statement = compensation.statements(ds, period).set_index("rep_id")
    assert float(statement.at["R3", "payout"]) == pytest.approx(paid)
    assert float(statement.at["R3", "commission"]) == pytest.approx(1_000.0)
    lines = compensation.statement_lines(ds, period)
    withheld = compensation.withheld_after_departure(lines, statement.reset_index())
    expected = 1_000.0 - paid
    total = float(withheld["amount"].sum()) if len(withheld) else 0.0
    assert total == pytest.approx(expected)


def test_rep_status_by_hand(make_dataset):
    reps = [
        *REPS,
        {
            "rep_id": "S1",
            "name": "Sid",
            "team": "T",
            "region": "West",
            "hire_date": "2023-01-01",
            "end_date": "",
            "role": "SDR",
        },
        {
            "rep_id": "N1",
            "name": "New",
            "team": "T",
            "region": "West",
            "hire_date": "2025-06-01",
            "end_date": "",
        },
    ]
    ds = load_dataset(make_dataset(reps=reps, opportunities=DEALS, accounts=None))
    status = roster.rep_status(ds, ds.period("2025-Q1")).set_index("rep_id")["status"]
    # no plans: ramp of 3 months; R2 hired in February is 1 month in at the end of March
    assert status.to_dict() == {
        "R1": "active",
        "R2": "ramping",
        "R3": "departed",
        "S1": "SDR",
        "N1": "not yet hired",
    }
    text = who_counts(roster.rep_status(ds, ds.period("2025-Q1")))
    assert text.startswith("2 reps counted (1 active, 1 ramping)")
    assert "1 SDR (lead development" in text and "1 who left" in text


def test_departed_reps_are_not_ranked(dataset):
    from spm_lib.measures.ranking import win_rate_board

    ds, period = dataset()
    board = win_rate_board(ds, period, min_closed=1).set_index("rep_id")
    assert pd.isna(board.at["R3", "rank"]) and board.at["R3", "status"] == "departed"
    assert sorted(board["rank"].dropna().astype(int)) == [1, 2]


def test_no_one_is_ranked_below_the_minimum_of_closed_deals(dataset):
    from spm_lib.measures.ranking import win_rate_board

    ds, period = dataset()
    board = win_rate_board(ds, period, min_closed=10**6).set_index("rep_id")
    assert board["rank"].isna().all()  # no rep has a million closed deals
    closed = board["won"] + board["lost"]
    some = int(closed[board["status"] != "departed"].max())
    board = win_rate_board(ds, period, min_closed=some).set_index("rep_id")
    ranked = board[board["rank"].notna()]
    assert len(ranked) and (ranked["won"] + ranked["lost"]).ge(some).all()
    # ranked reps come first, whatever the prior gives the others
    assert board["rank"].notna().tolist() == sorted(board["rank"].notna(), reverse=True)


def test_the_ramp_is_read_as_the_plan_parser_reads_it(make_dataset):
    """Both ramp spellings of a plan give the same shares; without plans the ramp is linear
    over three months."""
    listed = PLAN.replace("{rule}", "all").replace("ramp: [0.5]", "ramp: [0, 0.5]")
    mapped = listed.replace("ramp: [0, 0.5]", "ramp: {by_month_of_tenure: [0, 0.5]}")
    for yaml in (listed, mapped):
        ds = load_dataset(make_dataset(yaml=yaml, reps=REPS, opportunities=DEALS, accounts=None))
        assert roster.ramp_shares(ds).tolist() == [0.0, 0.5] and roster.ramp_months(ds) == 2
    plain = load_dataset(make_dataset(reps=REPS, opportunities=DEALS, accounts=None))
    assert roster.ramp_shares(plain).tolist() == [0.25, 0.5, 0.75]

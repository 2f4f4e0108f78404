"""Data-quality summaries, checked against small examples counted by hand."""

from __future__ import annotations

import pandas as pd

from spm_lib import load_dataset
from spm_lib.dataset.quality import (
    created_per_month,
    created_trend,
    deals_without_accounts,
    quarantine_summary,
    reps_without_deals,
    table_summary,
    warning_summary,
)
from spm_lib.pages.data_quality import reading
from tests.helpers import OPPORTUNITIES


def test_table_summary_spans_and_reconciles(make_dataset):
    rows = [dict(OPPORTUNITIES[0], amount="-3"), *OPPORTUNITIES[1:]]
    summary = table_summary(load_dataset(make_dataset(opportunities=rows))).set_index("table")
    opp = summary.loc["opportunities"]
    assert (opp.rows_read, opp.rows_used, opp.rows_quarantined) == (4, 3, 1)
    # used rows only: O1 (quarantined) created 2025-01-05 is not the first date any more
    assert opp.first_date == pd.Timestamp("2025-01-10")
    assert opp.last_date == pd.Timestamp("2025-04-30")
    assert pd.isna(summary.loc["accounts", "first_date"])  # accounts have no dates
    assert summary["reconciles"].all()


def test_quarantine_summary_counts_rows_per_reason(make_dataset):
    rows = [
        dict(OPPORTUNITIES[0], amount="-3", is_won="maybe"),
        dict(OPPORTUNITIES[1], amount="-1"),
        *OPPORTUNITIES[2:],
    ]
    summary = quarantine_summary(load_dataset(make_dataset(opportunities=rows)))
    assert summary[["check", "rows"]].values.tolist() == [
        ["negative_amount", 2],
        ["unparseable_bool", 1],
    ]
    assert quarantine_summary(load_dataset(make_dataset())).empty


def test_warning_summary_counts_odd_but_real_rows_kept_in_the_figures(make_dataset):
    rows = [
        dict(OPPORTUNITIES[0], amount="0", close_date="2024-01-01"),  # won at $0, early
        dict(OPPORTUNITIES[1], amount=""),
        *OPPORTUNITIES[2:],
    ]
    ds = load_dataset(make_dataset(opportunities=rows, yaml="as_of: 2025-06-30\n"))
    summary = warning_summary(ds)
    assert summary[["check", "rows"]].values.tolist() == [
        ["closed_before_created", 1],
        ["no_amount", 1],
        ["won_with_zero_amount", 1],
    ]
    assert summary["example"].str.contains("counted").all()
    assert len(ds.opportunities) == 4 and ds.quarantine.empty  # every row stays in the figures
    assert ds.reconciliation().set_index("table").loc["opportunities", "rows_warned"] == 2
    assert warning_summary(load_dataset(make_dataset(yaml="as_of: 2025-06-30\n"))).empty


def test_reps_without_deals_and_deals_without_accounts(make_dataset):
    ds = load_dataset(make_dataset())
    assert reps_without_deals(ds).empty
    missing = deals_without_accounts(ds).set_index("status")
    assert missing.loc["open", "deals"] == 1 and missing.loc["open", "amount"] == 4000
    assert missing.loc["closed", "deals"] == 0
    rows = [r for r in OPPORTUNITIES if r["rep_id"] != "R3"]
    assert reps_without_deals(load_dataset(make_dataset(opportunities=rows)))[
        "rep_id"
    ].tolist() == ["R3"]


def test_created_per_month_and_trend(make_dataset):
    per_month = created_per_month(load_dataset(make_dataset()))
    assert per_month["created"].tolist() == [2, 1, 1]
    assert per_month["month"].dt.strftime("%Y-%m").tolist() == ["2025-01", "2025-02", "2025-03"]
    trend = created_trend(pd.DataFrame({"created": [10] * 12 + [12, 12, 15]}))
    assert trend["recent_mean"] == 13 and trend["baseline_mean"] == 10
    assert abs(trend["change"] - 0.3) < 1e-12


def test_reading_says_whether_rows_add_up(make_dataset):
    clean = reading(table_summary(load_dataset(make_dataset())))
    assert clean.startswith("Every row is accounted for") and "No row had to be set aside" in clean
    rows = [dict(OPPORTUNITIES[0], amount="-3"), *OPPORTUNITIES[1:]]
    text = reading(table_summary(load_dataset(make_dataset(opportunities=rows))))
    assert "Most set-aside rows are in opportunities (1 row, 25.0% of the table)" in text

"""Compensation statements against golden figures computed by hand, and properties.

The golden plan pays a base rate of 10% with tiers 0-50% of quota at 0.5x, 50-100% at 1x,
100-150% at 1.5x and above 150% at 2x, so per unit of credit: 0.05, 0.10, 0.15, 0.20.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spm_lib import load_dataset
from spm_lib.compensation.crediting import credits, split_cents
from spm_lib.compensation.quota_periods import quota_for
from spm_lib.compensation.summaries import cost_of_sales, headline, statement_lines, statements
from spm_lib.exceptions import DataError
from spm_lib.measures.plans import parse_plan, payout_curve, tier_portions
from tests.compensation.cases import PLAN, QUOTAS, REPS, TIERS, D, dataset, deal  # noqa: F401


def rep_row(statement: pd.DataFrame, rep: str) -> pd.Series:
    return statement.set_index("rep_id").loc[rep]


def test_exactly_at_a_tier_boundary(tmp_path):
    ds = dataset(tmp_path, [deal("O1", "R1", 50000, "2026-07-10")])
    row = rep_row(statements(ds, "2026-Q3"), "R1")
    assert row["attainment"] == 0.5
    assert row["tier_1"] == D("2500.00") and row["tier_2"] == D("0.00")  # 50,000 x 0.05
    assert row["payout"] == D("2500.00")


def test_just_above_a_tier_boundary(tmp_path):
    ds = dataset(tmp_path, [deal("O1", "R1", 50010, "2026-07-10")])
    row = rep_row(statements(ds, "2026-Q3"), "R1")
    assert row["tier_1"] == D("2500.00") and row["tier_2"] == D("1.00")  # 10 x 0.10
    assert row["payout"] == D("2501.00")


def test_one_deal_crossing_two_tier_boundaries(tmp_path):
    ds = dataset(
        tmp_path, [deal("O1", "R1", 40000, "2026-07-10"), deal("O2", "R1", 80000, "2026-08-10")]
    )
    statement = statements(ds, "2026-Q3")
    lines = statement_lines(ds, "2026-Q3")
    o2 = lines[lines["opportunity_id"] == "O2"]
    # 40,000 -> 120,000: 10,000 at 0.05, 50,000 at 0.10, 20,000 at 0.15
    assert list(o2["credit"]) == [D("10000"), D("50000"), D("20000")]
    assert list(o2["amount"]) == [D("500.00"), D("5000.00"), D("3000.00")]
    row = rep_row(statement, "R1")
    assert row["payout"] == D("2000.00") + D("8500.00") and row["attainment"] == 1.2


def test_at_the_cap_and_above_it(tmp_path):
    capped = PLAN.replace("clawback: {days: 30}", "clawback: {days: 30}\n    cap: {amount: 10000}")
    # R1: 150,000 earns 2,500 + 5,000 + 7,500 = 15,000, cut to 10,000; R2: 112,500 earns
    # 2,500 + 5,000 + 12,500 x 0.15 = 9,375, under the cap; exactly at it: 116,666.67 -> 10,000
    ds = dataset(
        tmp_path,
        [deal("O1", "R1", 150000, "2026-07-10"), deal("O2", "R2", "116666.67", "2026-07-10")],
        yaml=capped,
    )
    statement = statements(ds, "2026-Q3")
    r1, r2 = rep_row(statement, "R1"), rep_row(statement, "R2")
    assert r1["commission"] == D("15000.00") and r1["cap_adjustment"] == D("-5000.00")
    assert r1["payout"] == D("10000.00")
    assert r2["commission"] == D("10000.00")  # 16,666.67 x 0.15 = 2,500.0005 -> 2,500.00
    assert r2["cap_adjustment"] == D("0.00") and r2["payout"] == D("10000.00")


def test_a_clawback_takes_the_commission_back_and_keeps_attainment(tmp_path):
    deals = [
        deal("O1", "R1", 60000, "2026-07-10"),
        deal("O2", "R1", 20000, "2026-09-20", product="Suite", cancelled="2026-10-05"),
        deal("O3", "R1", 10000, "2026-08-01", cancelled="2026-09-15"),
    ]  # 45 days: kept
    ds = dataset(tmp_path, deals)
    q3 = rep_row(statements(ds, "2026-Q3"), "R1")
    # 60,000 then 10,000 then 20,000 (cumulative 70,000 -> 90,000, all at 0.10) + SPIF 300
    assert q3["commission"] == D("2500.00") + D("1000.00") + D("1000.00") + D("2000.00")
    assert q3["spifs"] == D("300.00") and q3["clawbacks"] == D("0.00")
    q4 = rep_row(statements(ds, "2026-Q4"), "R1")
    assert q4["clawbacks"] == D("-2300.00")  # O2's 2,000 commission and 300 SPIF, 15 days on
    assert q4["credited_bookings"] == D("0.00") and q4["payout"] == D("-2300.00")
    assert rep_row(statements(ds, "2026-Q3"), "R1")["attainment"] == 0.9  # unchanged


def test_a_clawback_that_reduces_attainment_is_a_negative_credit(tmp_path):
    plan = PLAN.replace("clawback: {days: 30}", "clawback: {days: 30, reduce_attainment: true}")
    deals = [
        deal("O1", "R1", 60000, "2026-07-10"),
        deal("O2", "R1", 20000, "2026-08-01", cancelled="2026-08-20"),
    ]
    ds = dataset(tmp_path, deals, yaml=plan)
    row = rep_row(statements(ds, "2026-Q3"), "R1")
    # +20,000 at 0.10 (60,000 -> 80,000), then -20,000 at 0.10 back to 60,000
    assert row["commission"] == D("3500.00") and row["attainment"] == 0.6
    assert row["credited_bookings"] == D("60000.00")


def test_a_split_deal(tmp_path):
    splits = [
        {"opportunity_id": "O1", "rep_id": "R1", "share": 0.5},
        {"opportunity_id": "O1", "rep_id": "R2", "share": 0.3},
        {"opportunity_id": "O1", "rep_id": "R3", "share": 0.2},
    ]
    ds = dataset(
        tmp_path, [deal("O1", "R1", "1000.01", "2026-07-10", product="Suite")], splits=splits
    )
    credit = credits(ds).set_index("rep_id")["credit"]
    # 500.005, 300.003, 200.002: one cent left, to the largest remainder (R1)
    assert credit.to_dict() == {"R1": D("500.01"), "R2": D("300.00"), "R3": D("200.00")}
    statement = statements(ds, "2026-Q3").set_index("rep_id")
    assert statement.loc["R1", "spifs"] == D("150.00") and statement.loc["R3", "spifs"] == D(
        "60.00"
    )
    assert statement.loc["R2", "tier_1"] == D("15.00")  # 300.00 x 0.05


def test_split_shares_that_do_not_sum_to_one_are_quarantined_and_the_owner_credited(tmp_path):
    from tests.helpers import write_tables

    splits = [
        {"opportunity_id": "O1", "rep_id": "R1", "share": 0.5},
        {"opportunity_id": "O1", "rep_id": "R2", "share": 0.4},
        {"opportunity_id": "O2", "rep_id": "R2", "share": 1.0},
    ]
    deals = [deal("O1", "R1", 1000, "2026-07-10"), deal("O2", "R1", 500, "2026-07-11")]
    folder = write_tables(
        tmp_path / "ds",
        {"reps": REPS, "opportunities": deals, "quotas": QUOTAS, "opportunity_splits": splits},
        PLAN,
    )
    ds = load_dataset(folder)
    q = ds.quarantine[ds.quarantine["table"] == "opportunity_splits"]
    assert list(q["row"]) == [1, 2] and set(q["check"]) == {"split_shares_sum"}
    assert "the shares of O1 sum to 0.9, not 1" in q["reason"].iloc[0]
    recon = ds.reconciliation().set_index("table").loc["opportunity_splits"]
    assert (recon["rows_read"], recon["rows_used"], recon["rows_quarantined"]) == (3, 1, 2)
    credit = credits(ds).set_index(["opportunity_id", "rep_id"])["credit"]
    assert credit[("O1", "R1")] == D("1000.00") and ("O1", "R2") not in credit.index
    assert credit[("O2", "R2")] == D("500.00")  # a split that sums to 1 is used as written


def test_a_ramped_new_hire(tmp_path):
    plan = f"""
commission_plans:
  ramped:
    quota_period: quarter
    quota: 90000
    ramp: [0, 0.25, 0.5, 0.75]
    base_rate: 0.10{TIERS}
"""
    ds = dataset(tmp_path, [deal("O1", "R3", 67500, "2026-08-10")], yaml=plan)
    # hired 2026-05-15: July is tenure month 2 (0.5), August 3 (0.75), September 4 (1)
    # quota = 30,000 x (0.5 + 0.75 + 1) = 67,500
    row = rep_row(statements(ds, "2026-Q3"), "R3")
    assert row["quota"] == D("67500.00") and row["attainment"] == 1.0
    assert row["payout"] == D("1687.50") + D("3375.00")  # 33,750 at 0.05 and at 0.10
    assert rep_row(statements(ds, "2026-Q3"), "R1")["quota"] == D("90000.00")  # not ramped


def test_zero_quota_pays_the_base_rate_or_stops(tmp_path):
    deals = [deal("O1", "R3", 10000, "2026-07-10")]
    row = rep_row(statements(dataset(tmp_path, deals), "2026-Q3"), "R3")  # R3 has no quota
    assert row["payout"] == D("1000.00") and row["pay_basis"] == "no_quota"
    assert np.isnan(row["attainment"])
    strict = PLAN.replace("clawback: {days: 30}", "clawback: {days: 30}\n    no_quota: error")
    with pytest.raises(DataError, match="rep R3 has no quota for 2026-Q3 under plan golden"):
        statements(dataset(tmp_path, deals, yaml=strict, name="strict"), "2026-Q3")


def test_a_year_plan_is_trued_up_by_quarter(tmp_path):
    plan = f"""
commission_plans:
  annual:
    quota_period: year
    quota: 400000
    base_rate: 0.10{TIERS}
"""
    deals = [deal("O1", "R1", 150000, "2026-02-10"), deal("O2", "R1", 100000, "2026-05-10")]
    ds = dataset(tmp_path, deals, yaml=plan)
    q1, q2 = (rep_row(statements(ds, q), "R1") for q in ("2026-Q1", "2026-Q2"))
    assert q1["payout"] == D("7500.00")  # 150,000 at 0.05
    # year to date 250,000: 50,000 more at 0.05 to 200,000, then 50,000 at 0.10
    assert q2["payout"] == D("7500.00") and q2["attainment"] == 0.625
    assert rep_row(statements(ds, "FY2026"), "R1")["payout"] == D("15000.00")


def test_plan_assignment_by_reps_column_and_reps_without_a_plan(tmp_path):
    plan = PLAN.replace(
        "    quota_period: quarter", "    applies_to: {team: [A]}\n    quota_period: quarter"
    )
    ds = dataset(tmp_path, [deal("O1", "R3", 5000, "2026-07-10")], yaml=plan)
    statement = statements(ds, "2026-Q3").set_index("rep_id")
    assert statement.loc["R3", "plan"] == "(none)" and statement.loc["R3", "payout"] == 0
    assert statement.loc["R3", "pay_basis"] == "no_plan"
    assert statement.loc["R1", "plan"] == "golden"


def test_cost_of_sales_by_hand(tmp_path):
    ds = dataset(
        tmp_path, [deal("O1", "R1", 50000, "2026-07-10"), deal("O2", "R3", 10000, "2026-07-10")]
    )
    costs = cost_of_sales(statements(ds, "2026-Q3"), by="team").set_index("team")
    assert costs.loc["A", "cost_of_sales"] == pytest.approx(2500 / 50000)
    assert costs.loc["B", "cost_of_sales"] == pytest.approx(1000 / 10000)
    assert costs.loc["Total", "payout"] == D("3500.00")


def test_quotas_table_granularity_is_read_from_its_spacing(tmp_path):
    monthly = [
        {"rep_id": "R1", "period_start": f"2026-{m:02d}-01", "amount": 10000} for m in range(1, 13)
    ]
    plan = parse_plan("p", {"base_rate": 0.1, "tiers": [{"from": 0, "multiplier": 1}]})
    ds = dataset(tmp_path, [deal("O1", "R1", 1, "2026-07-10")], quotas=monthly)
    assert quota_for(ds, plan, "R1", ds.period("2026-Q3")) == D("30000.00")
    year = parse_plan(
        "y", {"base_rate": 0.1, "quota_period": "year", "tiers": [{"from": 0, "multiplier": 1}]}
    )
    assert quota_for(ds, year, "R1", ds.period("FY2026")) == D("120000.00")


# --- properties ----------------------------------------------------------------------------

GOLDEN = parse_plan(
    "golden",
    {
        "base_rate": 0.10,
        "tiers": [
            {"from": 0, "to": 0.5, "multiplier": 0.5},
            {"from": 0.5, "to": 1.0, "multiplier": 1},
            {"from": 1.0, "to": 1.5, "multiplier": 1.5},
            {"from": 1.5, "multiplier": 2},
        ],
    },
)
money = st.decimals(min_value=0, max_value=500000, places=2, allow_nan=False)


def exact_commission(plan, deals: list[Decimal], quota: Decimal) -> Decimal:
    total, cumulative = D("0.00"), D("0.00")
    for credit in deals:
        for tier, portion in tier_portions(plan, cumulative, credit, quota):
            total += (portion * plan.base_rate * plan.tiers[tier].multiplier).quantize(D("0.01"))
        cumulative += credit
    return total


@settings(max_examples=200, deadline=None)
@given(
    deals=st.lists(money, min_size=1, max_size=8),
    extra=money,
    quota=st.decimals(min_value=1000, max_value=300000, places=2),
)
def test_payout_never_falls_as_bookings_rise(deals, extra, quota):
    assert not GOLDEN.decelerates
    assert exact_commission(GOLDEN, [*deals, extra], quota) >= exact_commission(
        GOLDEN, deals, quota
    )


@settings(max_examples=200, deadline=None)
@given(
    deals=st.lists(money, min_size=1, max_size=8),
    quota=st.decimals(min_value=1000, max_value=300000, places=2),
)
def test_exact_lines_agree_with_the_vectorised_curve(deals, quota):
    exact = exact_commission(GOLDEN, deals, quota)
    curve = payout_curve(GOLDEN, np.array([float(sum(deals))]), float(quota))[0]
    assert abs(float(exact) - curve) <= 0.005 * len(deals) * 4 + 1e-6  # half a cent a line


@settings(max_examples=300, deadline=None)
@given(amount=money, weights=st.lists(st.integers(1, 100), min_size=1, max_size=6))
def test_split_credits_sum_to_the_deal_amount(amount, weights):
    shares = [D(w) / D(sum(weights)) for w in weights]
    parts = split_cents(amount, shares)
    assert sum(parts) == amount and all(p >= 0 for p in parts)
    assert max(abs(p - amount * s) for p, s in zip(parts, shares, strict=True)) < D("0.01")


@settings(max_examples=25, deadline=None)
@given(
    amounts=st.lists(st.decimals(min_value=1, max_value=90000, places=2), min_size=1, max_size=12),
    days=st.lists(st.integers(0, 91), min_size=12, max_size=12),
)
def test_total_payout_is_the_sum_of_the_lines_to_the_cent(tmp_path_factory, amounts, days):
    import datetime as dt

    capped = PLAN.replace("clawback: {days: 30}", "clawback: {days: 30}\n    cap: {amount: 9000}")
    deals = [
        deal(
            f"O{i}",
            ["R1", "R2"][i % 2],
            str(a),
            str(dt.date(2026, 7, 1) + dt.timedelta(days=days[i])),
            product="Suite" if i % 3 == 0 else "Core",
        )
        for i, a in enumerate(amounts)
    ]
    ds = dataset(tmp_path_factory.mktemp("p"), deals, yaml=capped)
    statement = statements(ds, "2026-Q3")
    lines = statement_lines(ds, "2026-Q3")
    assert sum(statement["payout"]) == sum(lines["amount"])
    for rep, row in statement.set_index("rep_id").iterrows():
        mine = lines[lines["rep_id"] == rep]
        assert row["payout"] == sum(mine["amount"], D(0))
        assert row["payout"] == (
            row["commission"] + row["spifs"] + row["clawbacks"] + row["cap_adjustment"]
        )
        assert row["payout"] <= D(9000) + row["spifs"]
    assert sum(statement["credited_bookings"]) == sum(D(str(a)) for a in amounts)


def test_a_statement_with_no_rep_in_scope_has_the_columns_and_no_rows(default_sample):
    """An audience whose one rep left long before the period: the statement is empty but keeps
    its columns, so the headline and the pages read zeros instead of failing."""
    ds = load_dataset(default_sample)
    whole = statements(ds, "2026-Q3")
    reps = ds["reps"]
    gone = reps.loc[reps["end_date"] < pd.Timestamp("2024-01-01"), "rep_id"].iloc[0]
    empty = statements(ds.narrow(f"rep_id={gone}"), "2026-Q3")
    assert empty.empty and list(empty.columns) == list(whole.columns)
    assert headline(empty)["total_payout"] == 0 and headline(empty)["reps_paid"] == 0

"""Commission plans: validation with errors that name the key, tiers, caps and assignment."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from spm_lib.exceptions import DataError
from spm_lib.measures.plans import (
    assign_plans,
    capped_curve,
    parse_plan,
    parse_plans,
    tier_portions,
)

TIERS = [{"from": 0, "to": 1, "multiplier": 1}, {"from": 1, "multiplier": 2}]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"tiers": [{"from": 0.1, "multiplier": 1}]}, "tiers[0].from"),
        (
            {"tiers": [{"from": 0, "to": 1, "multiplier": 1}, {"from": 1.2, "multiplier": 2}]},
            "tiers[1].from",
        ),
        ({"tiers": [{"from": 0, "to": 0, "multiplier": 1}]}, "tiers[0]"),
        ({"tiers": [{"from": 0, "multiplier": "lots"}]}, "tiers[0].multiplier"),
        ({"quota_period": "week"}, "quota_period"),
        ({"base_rate": -0.1}, "base_rate"),
        ({"cap": {"percent": 3}}, "cap"),
        ({"spifs": [{"product": "Suite"}]}, "spifs"),
        ({"clawback": {"weeks": 3}}, "clawback"),
        ({"ramp": [0, 1.5]}, "ramp"),
        ({"no_quota": "skip"}, "no_quota"),
        ({"bonus": 1}, "bonus"),
    ],
)
def test_invalid_plans_name_the_key(change, key):
    with pytest.raises(DataError) as info:
        parse_plan("p", {"base_rate": 0.1, "tiers": TIERS} | change)
    assert info.value.column == f"commission_plans.p.{key}"
    assert f"commission_plans.p.{key}" in str(info.value) and "expected" in str(info.value)


def test_missing_rate_or_tiers():
    with pytest.raises(DataError, match="base_rate"):
        parse_plan("p", {"tiers": TIERS})


def test_decelerators_are_allowed_and_reported():
    plan = parse_plan(
        "p",
        {
            "base_rate": 0.1,
            "tiers": [{"from": 0, "to": 1, "multiplier": 1}, {"from": 1, "multiplier": 0.5}],
        },
    )
    assert plan.decelerates
    assert not parse_plan("q", {"base_rate": 0.1, "tiers": TIERS}).decelerates


def test_tier_portions_split_a_credit_and_handle_negative_credit():
    plan = parse_plan("p", {"base_rate": 0.1, "tiers": TIERS})
    q = Decimal(100)
    assert tier_portions(plan, Decimal(80), Decimal(50), q) == [(0, Decimal(20)), (1, Decimal(30))]
    assert tier_portions(plan, Decimal(130), Decimal(-50), q) == [
        (0, Decimal(-20)),
        (1, Decimal(-30)),
    ]
    assert tier_portions(plan, Decimal(0), Decimal(50), Decimal(0)) == [(-1, Decimal(50))]


def test_cap_by_amount_and_by_target_pay():
    plan = parse_plan(
        "p",
        {"base_rate": 0.1, "tiers": TIERS, "cap": {"amount": 50000, "multiple_of_target_pay": 2}},
    )
    assert plan.cap(Decimal(100000)) == Decimal("20000.00")  # 2 x 0.1 x 100,000
    assert plan.cap(Decimal(1000000)) == Decimal("50000.00")  # the amount is lower
    assert plan.cap(Decimal(0)) == Decimal("50000.00")
    curve = capped_curve(plan, np.array([50000.0, 150000.0, 400000.0]), 100000.0)
    assert list(curve) == [5000.0, 20000.0, 20000.0]  # 10,000 + 10,000 at 2x reaches the cap


def test_assignment_by_column_and_overlap_is_an_error():
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "role": ["AE", "SDR", "AE"],
            "segment": ["SMB", "SMB", "Ent"],
        }
    )
    plans = parse_plans(
        {
            "ae_smb": {
                "base_rate": 0.1,
                "tiers": TIERS,
                "applies_to": {"role": "AE", "segment": ["SMB"]},
            },
            "ent": {"base_rate": 0.08, "tiers": TIERS, "applies_to": {"segment": ["Ent"]}},
        }
    )
    assigned = assign_plans(reps, plans).fillna("-").to_dict()
    assert assigned == {"R1": "ae_smb", "R2": "-", "R3": "ent"}
    plans["all"] = parse_plan("all", {"base_rate": 0.1, "tiers": TIERS})
    with pytest.raises(DataError, match="rep R1 matches plans ae_smb, all"):
        assign_plans(reps, plans)


def test_a_plan_in_another_currency_is_converted_with_the_datasets_rates():
    """A plan written in EUR for a USD dataset at 1.1 USD per EUR: its money keys (quota,
    cap amount, spifs) are in USD after loading; rates and multipliers are not money."""
    from spm_lib.measures.plans import in_currency

    plan = parse_plan(
        "eu",
        {
            "base_rate": 0.1,
            "tiers": TIERS,
            "currency": "eur",
            "quota": 10_000,
            "cap": {"amount": 5_000},
            "spifs": [{"product": "Suite", "amount": 500}],
        },
    )
    usd = in_currency(plan, "USD", {"EUR": 1.1})
    assert (usd.quota_amount, usd.cap_amount, usd.spifs["Suite"]) == (
        Decimal("11000.00"),
        Decimal("5500.00"),
        Decimal("550.00"),
    )
    assert usd.base_rate == plan.base_rate and usd.currency == "USD"
    assert in_currency(usd, "USD", {}) is usd  # already in the dataset's currency
    with pytest.raises(DataError, match=r"commission_plans.eu.currency.*no rate.*GBP"):
        in_currency(plan, "GBP", {"USD": 0.8})


def test_the_datasets_plans_are_loaded_in_its_currency(make_dataset):
    from spm_lib import load_dataset
    from spm_lib.compensation.quota_periods import load_plans

    yaml = (
        "currency_rates: {EUR: 1.1}\ncommission_plans:\n  eu: {currency: EUR, quota: 10000, "
        "base_rate: 0.1, tiers: [{from: 0, multiplier: 1}]}\n"
    )
    plan = load_plans(load_dataset(make_dataset(yaml=yaml)))["eu"]
    assert plan.quota_amount == Decimal("11000.00") and plan.currency == "USD"

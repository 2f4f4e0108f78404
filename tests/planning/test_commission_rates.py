"""Commission rates solved for a cost-of-sales target: a two-rep case by hand, the sample's
draws hit the target at the median, and a target no rate reaches is named."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from spm_lib.exceptions import DataError
from spm_lib.measures.plans import Plan, Tier
from spm_lib.planning import commission_rates as rates


def _plan(cap_multiple=None) -> Plan:
    return Plan(
        "shape",
        Decimal("0.10"),
        (Tier(Decimal(0), Decimal(1), Decimal(1)), Tier(Decimal(1), None, Decimal(2))),
        cap_multiple=None if cap_multiple is None else Decimal(cap_multiple),
    )


# Two reps, quotas 100 and 200, one draw booking 150 and 100. At base rate b: rep 1 earns
# 100 b + 50 x 2b = 200 b, rep 2 earns 100 b: 300 b on 250 of bookings, a cost of 1.2 b.
SIMS, QUOTA = np.array([[150.0, 100.0]]), np.array([100.0, 200.0])


def test_two_reps_by_hand():
    assert rates.cost_of_sales(_plan(), SIMS, QUOTA)[0] == pytest.approx(1.2 * 0.10)
    assert rates.solve_rate(_plan(), SIMS, QUOTA, 0.06) == pytest.approx(0.05)
    # the accelerator instead, b = 0.10: 10 + 50 x 2m x 0.10 + 10 = 250 x 0.10 -> m = 0.5
    assert rates.solve_rate(_plan(), SIMS, QUOTA, 0.10, solve="accelerator") == pytest.approx(0.5)
    outcome = rates.plan_outcome(rates.with_rates(_plan(), 0.05), SIMS, QUOTA)
    assert outcome["payout_p50"] == pytest.approx(15.0)
    assert outcome["target_pay"] == pytest.approx(0.05 * 300)  # both exactly at quota
    # one more point: rep 1 (above quota) +1 at 2b, rep 2 (below) +2 at b: 0.2
    assert outcome["marginal_point"] == pytest.approx(0.05 * 2 * 1 + 0.05 * 2)
    shares = rates.tier_shares(_plan(), SIMS, QUOTA)
    assert shares.tolist() == [0.5, 0.5]


def test_a_cap_of_target_pay_scales_with_the_rate():
    capped = _plan(cap_multiple="1.2")  # rep 1 capped at 1.2 x 100 b = 120 b
    assert rates.cost_of_sales(capped, SIMS, QUOTA)[0] == pytest.approx((120 + 100) * 0.1 / 250)
    assert rates.solve_rate(capped, SIMS, QUOTA, 0.044) == pytest.approx(0.05)


def test_accelerators_scale_only_the_tiers_above_quota():
    faster = rates.with_rates(_plan(), accelerator=1.5)
    assert [float(t.multiplier) for t in faster.tiers] == [1.0, 3.0]
    assert faster.base_rate == Decimal("0.10")


def test_a_target_no_rate_reaches_is_named():
    with pytest.raises(DataError, match="cost of sales of 150.0%"):
        rates.solve_rate(_plan(), SIMS, QUOTA, 1.5)


def test_the_solved_rate_hits_the_target_at_the_median_on_simulated_bookings():
    rng = np.random.default_rng(3)
    quota = rng.uniform(50_000, 300_000, 40)
    sims = quota[None, :] * rng.lognormal(0, 0.5, (2000, 40))
    cases = [
        (0.05, "base_rate"),
        (0.08, "base_rate"),
        (0.12, "base_rate"),
        (0.12, "accelerator"),
        (0.15, "accelerator"),
    ]
    for target, solve in cases:
        x = rates.solve_rate(_plan("3"), sims, quota, target, solve=solve)
        shaped = rates.with_rates(
            _plan("3"), **({"base_rate": x} if solve == "base_rate" else {"accelerator": x})
        )
        p50 = rates.plan_outcome(shaped, sims, quota)["cost_of_sales_p50"]
        assert abs(p50 - target) < 0.001, (target, solve, p50)  # within 0.1 point

"""Commission rates solved for a cost-of-sales target, on simulated bookings.

Given a plan's shape (its tiers, accelerators and cap: :class:`spm_lib.measures.plans.Plan`), the
proposed quotas and simulated bookings per rep (draws x reps, the forecasting report's model),
each draw's

    cost of sales = sum over reps of commission(bookings_r, quota_r) / sum of bookings_r

where commission is the plan's capped tiered commission
(:func:`spm_lib.measures.plans.capped_curve`, in floats: this is a forecast, not a statement; SPIFs
are left out). :func:`solve_rate` finds, with :func:`scipy.optimize.brentq`, the base rate (or, with
``solve="accelerator"``, the factor on the multipliers of the tiers above quota, the base rate kept)
whose **median** cost of sales over the draws is the target. :func:`plan_outcome` describes a plan
on the same draws: the P10-P50-P90 cost of sales and payout, the share of reps in each tier, target
pay at quota (the commission of a rep at exactly 100%), and the marginal cost of one more point of
attainment (the median over draws of the extra commission were every rep to book 1% of quota more).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pandas as pd
from scipy import optimize

from spm_lib.exceptions import DataError
from spm_lib.measures.plans import Plan, Tier, capped_curve

POINT = 0.01  # one point of attainment


def with_rates(plan: Plan, base_rate: float | None = None, accelerator: float = 1.0) -> Plan:
    """``plan`` with another base rate and its multipliers above quota (tiers from 100% up)
    times ``accelerator``."""
    tiers = tuple(
        Tier(t.lower, t.upper, t.multiplier * Decimal(str(accelerator)))
        if t.lower >= 1 and accelerator != 1.0
        else t
        for t in plan.tiers
    )
    rate = plan.base_rate if base_rate is None else Decimal(str(base_rate))
    return replace(plan, base_rate=rate, tiers=tiers)


def _commission(plans: list[Plan], sims: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """draws x reps: each rep's capped commission under its plan."""
    out = np.zeros_like(sims, dtype=float)
    for j, plan in enumerate(plans):
        out[:, j] = capped_curve(plan, sims[:, j], quota[j])
    return out


def _per_rep(plans: Plan | list[Plan], sims: np.ndarray) -> list[Plan]:
    return plans if isinstance(plans, list) else [plans] * sims.shape[1]


def _share(paid: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """Per draw: total commission ``paid`` / total bookings (NaN without bookings)."""
    booked = sims.sum(axis=1)
    return np.where(booked > 0, paid / np.where(booked > 0, booked, 1.0), np.nan)


def cost_of_sales(plans: Plan | list[Plan], sims: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Per draw: total commission / total bookings (NaN for a draw without bookings).
    ``plans``: one plan for every rep, or one per rep."""
    return _share(_commission(_per_rep(plans, sims), sims, quota).sum(axis=1), sims)


def solve_rate(
    plan: Plan, sims: np.ndarray, quota: np.ndarray, target: float, solve: str = "base_rate"
) -> float:
    """The base rate (``solve="base_rate"``) or accelerator factor (``"accelerator"``) at
    which the median cost of sales over the draws equals ``target`` (module docstring).
    Raises DataError when no rate in [0, 1] (factor in [0, 20]) reaches it."""
    if solve not in ("base_rate", "accelerator"):
        raise ValueError(f"solve must be base_rate or accelerator; got {solve!r}")

    def shaped(x: float) -> Plan:
        return (
            with_rates(plan, base_rate=x)
            if solve == "base_rate"
            else with_rates(plan, accelerator=x)
        )

    def gap(x: float) -> float:
        return float(np.nanmedian(cost_of_sales(shaped(x), sims, quota))) - target

    high = 1.0 if solve == "base_rate" else 20.0
    if gap(0.0) > 0 or gap(high) < 0:
        raise DataError(
            f"no {solve.replace('_', ' ')} between 0 and {high:g} gives a median cost of sales "
            f"of {target:.1%} under plan {plan.name!r}",
            column="planning.cost_of_sales_target",
            expected=f"a target between {gap(0.0) + target:.1%} and {gap(high) + target:.1%}",
        )
    return float(optimize.brentq(gap, 0.0, high, xtol=1e-10))


def tier_shares(plan: Plan, sims: np.ndarray, quota: np.ndarray) -> pd.Series:
    """The share of rep-draws whose attainment falls in each tier of ``plan`` (by label)."""
    attainment = sims / np.where(quota > 0, quota, np.nan)[None, :]
    labels = [t.label for t in plan.tiers]
    counts = np.zeros(len(labels))
    for i, t in enumerate(plan.tiers):
        upper = float(t.upper) if t.upper is not None else np.inf
        counts[i] = ((attainment >= float(t.lower)) & (attainment < upper)).sum()
    total = np.isfinite(attainment).sum()
    return pd.Series(counts / total if total else counts, index=labels, name="share")


def plan_outcome(plans: Plan | list[Plan], sims: np.ndarray, quota: np.ndarray) -> dict[str, float]:
    """A plan (or a plan per rep) on the draws: cost_of_sales_p10/p50/p90, payout_p10/p50/p90,
    target_pay (total commission were every rep exactly at quota), marginal_point (median extra
    commission of every rep booking 1% of quota more)."""
    plans = _per_rep(plans, sims)
    paid = _commission(plans, sims, quota).sum(axis=1)
    cost = _share(paid, sims)
    more = _commission(plans, sims + POINT * quota[None, :], quota).sum(axis=1)
    at_quota = _commission(plans, quota[None, :].astype(float), quota).sum()
    out = {f"cost_of_sales_p{q}": float(np.nanpercentile(cost, q)) for q in (10, 50, 90)}
    out.update({f"payout_p{q}": float(np.percentile(paid, q)) for q in (10, 50, 90)})
    out["target_pay"] = float(at_quota)
    out["marginal_point"] = float(np.median(more - paid))
    return out

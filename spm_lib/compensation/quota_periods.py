"""Quota periods: the quota each rep carries in each period of a plan, and the plans in force."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from spm_lib.compensation.crediting import rows_by_rep
from spm_lib.dataset import Dataset
from spm_lib.dataset.derived import once_per
from spm_lib.measures.plans import (
    Plan,
    in_currency,
    parse_plans,
    to_cents,
)
from spm_lib.periods import Period, months_between


def quota_granularity(quotas: pd.DataFrame) -> int:
    """Months each quotas row covers: the commonest gap between a rep's consecutive rows
    (1, 3 or 12), 3 when no rep has two rows."""
    return once_per(quotas, "granularity", lambda: _granularity(quotas))


def _granularity(quotas: pd.DataFrame) -> int:
    ordered = quotas.sort_values(["rep_id", "period_start"])
    months = ordered["period_start"].dt.year * 12 + ordered["period_start"].dt.month
    gaps = months.groupby(ordered["rep_id"]).diff().dropna()
    gaps = gaps[gaps.isin([1, 3, 12])]
    return int(gaps.mode().iloc[0]) if len(gaps) else 3


def _month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _quota_rows(quotas: pd.DataFrame) -> dict[str, list[tuple[int, float]]]:
    """Each rep's quotas rows as (month number of period_start, amount), in the table's
    order (once per table object)."""

    def build() -> dict[str, list[tuple[int, float]]]:
        start = quotas["period_start"]
        months = (start.dt.year * 12 + start.dt.month - 1).tolist()
        out: dict[str, list[tuple[int, float]]] = {}
        for rep, month, amount in zip(
            quotas["rep_id"].tolist(), months, quotas["amount"].tolist(), strict=True
        ):
            if month == month:  # a row without a start (NaN) covers no month
                out.setdefault(rep, []).append((int(month), amount))
        return out

    return once_per(quotas, "quota rows", build)


def quota_for(
    ds: Dataset, plan: Plan, rep_id: str, period: Period, span: int | None = None
) -> Decimal | None:
    """The rep's quota for a quota period of the plan (see the module docstring); None when the
    plan reads the quotas table and the dataset has none. ``span``: months a quotas row covers
    (default: read from the table)."""
    first_month = _month_number(period.start)
    n_months = _month_number(period.end) - first_month + 1
    if plan.quota_amount is not None:
        monthly = np.full(n_months, float(plan.quota_amount) / n_months)
    else:
        quotas = ds.get("quotas")
        if quotas is None:
            return None
        span = span or quota_granularity(quotas)
        monthly = np.zeros(n_months)
        for start, amount in _quota_rows(quotas).get(rep_id, ()):
            for k in range(span):
                i = start + k - first_month
                if 0 <= i < n_months:
                    monthly[i] += amount / span
    if plan.ramp:
        rows = rows_by_rep(ds.reps).get(rep_id)
        hire = rows["hire_date"].iloc[0] if rows is not None else None
        if hire is not None and not pd.isna(hire):
            for i in range(n_months):
                year, month = divmod(first_month + i, 12)
                tenure = months_between(hire.date(), dt.date(year, month + 1, 1))
                if 0 <= tenure < len(plan.ramp):
                    monthly[i] *= float(plan.ramp[tenure])
                elif tenure < 0:
                    monthly[i] = 0.0
    return to_cents(round(float(monthly.sum()), 6))


def load_plans(ds: Dataset, plans: dict[str, Plan] | dict | None = None) -> dict[str, Plan]:
    """Plans given (already parsed, or raw mappings), else those of the dataset's spm.yaml;
    each plan's amounts in the dataset's currency (:func:`spm_lib.measures.plans.in_currency`)."""
    if plans is None:
        plans = ds.config.commission_plans
    if not (plans and all(isinstance(p, Plan) for p in plans.values())):
        plans = parse_plans(plans or {})
    rates = ds.config.currency_rates
    return {name: in_currency(plan, ds.config.currency, rates) for name, plan in plans.items()}

"""Payouts ahead and under another plan: the next quarter's payout distribution, and what-ifs.

- :func:`bookings_draws`: simulated bookings per rep for the quarter after a period. From the
  forecasting report's pipeline model (:func:`spm_lib.pipeline.model.pipeline_forecast` with
  ``by_rep``: each open deal won or not at its calibrated probability, the common factor, and
  new business shared by rep) when the data has open pipeline and closed history; otherwise
  each rep's bookings are resampled from their last eight quarters (``method`` says which).
- :func:`payout_forecast`: each draw through the rep's plan, in floats
  (:func:`spm_lib.measures.plans.capped_curve`; cent-exact statements are for paying, not
  forecasting): payout = capped commission on (credit already in the quota period + the draw) minus
  that on the credit already there, plus SPIFs at the rep's trailing SPIF-to-credit ratio. Credit
  splits and clawbacks are left out; a month plan is taken over the quarter as a whole; reps
  who left by the period's end are not paid (their expected bookings are reported).
- :func:`alternative_plans` and :func:`what_if`: the same period and draws under other plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import yaml

from spm_lib.compensation.crediting import credits, rows_by_rep
from spm_lib.compensation.quota_periods import load_plans, quota_for
from spm_lib.compensation.summaries import statements
from spm_lib.dataset import Dataset
from spm_lib.exceptions import DataError
from spm_lib.measures.plans import PLAN_KEYS, Plan, assign_plans, capped_curve
from spm_lib.periods import Period, period_containing, quarter_after
from spm_lib.pipeline.model import summarise
from spm_lib.pipeline.quarter_ahead import NEXT_QUARTER_SIMULATIONS, next_quarter

PIPELINE = "pipeline"
RESAMPLED = "resampled"


@dataclass
class BookingsDraws:
    """Simulated bookings of the quarter ``quarter`` per rep: ``draws`` is simulations x reps."""

    quarter: Period
    rep_ids: np.ndarray
    draws: np.ndarray
    method: str  # PIPELINE or RESAMPLED


def bookings_draws(
    ds: Dataset, period: Period | str, simulations: int = NEXT_QUARTER_SIMULATIONS, seed: int = 0
) -> BookingsDraws:
    """Bookings per rep for the quarter after ``period`` (see the module docstring)."""
    period = ds.period(period)
    quarter = quarter_after(period)
    as_of = pd.Timestamp(period.end)
    opps = ds.opportunities
    open_now = (~opps["is_closed"] | (opps["close_date"] > as_of)) & (opps["created_date"] <= as_of)
    has_history = (
        opps["is_closed"] & (opps["close_date"] <= as_of - pd.DateOffset(months=6))
    ).any()
    if open_now.any() and has_history:
        _, result = next_quarter(ds, period, simulations, seed)
        return BookingsDraws(quarter, result.rep_ids, result.rep_totals, PIPELINE)
    return _resampled(ds, quarter, as_of, simulations, seed)


def _resampled(ds, quarter, as_of, simulations, seed) -> BookingsDraws:
    """Each active rep's quarterly won amount, resampled from their last eight quarters."""
    reps = ds.reps
    active = reps.loc[reps["end_date"].isna() | (reps["end_date"] > as_of), "rep_id"].to_numpy()
    quarters = [quarter.shift(-k) for k in range(2, 10)]
    opps = ds.opportunities
    won = opps[opps["is_won"]]
    table = np.array(
        [
            [
                won.loc[(won["rep_id"] == rep) & q.mask(won["close_date"]), "amount"].sum()
                for q in quarters
            ]
            for rep in active
        ]
    ).reshape(len(active), len(quarters))
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(quarters), (simulations, len(active)))
    draws = table[np.arange(len(active))[None, :], pick] if len(active) else pick * 0.0
    return BookingsDraws(quarter, active.astype(object), draws.astype(float), RESAMPLED)


@dataclass
class PayoutForecast:
    """Total payout per simulation (``totals``) and per rep P10/P50/P90 (``per_rep``)."""

    quarter: Period
    method: str
    totals: np.ndarray
    per_rep: pd.DataFrame  # rep_id, name, plan, quota, bookings_p50, payout_p10/p50/p90
    departed_bookings: float = 0.0  # expected bookings on open deals of reps who have left

    def quantiles(self) -> dict[str, float]:
        return summarise(self.totals)


def payout_forecast(
    ds: Dataset,
    period: Period | str,
    plans: dict | None = None,
    draws: BookingsDraws | None = None,
) -> PayoutForecast:
    """The payout distribution of the quarter after ``period`` (see the module docstring)."""
    period = ds.period(period)
    draws = draws or bookings_draws(ds, period)
    plans = load_plans(ds, plans)
    assigned = assign_plans(ds.reps, plans) if plans else pd.Series(dtype=object)
    credit = credits(ds)
    spif_ratio = _spif_ratios(credit, assigned, period, plans)
    reps = ds.reps
    as_of = pd.Timestamp(period.end)
    active = set(reps.loc[reps["end_date"].isna() | (reps["end_date"] > as_of), "rep_id"])
    keep = np.array([rep in active for rep in draws.rep_ids], dtype=bool)
    left_out = float(draws.draws[:, ~keep].sum(axis=1).mean()) if (~keep).any() else 0.0
    draws = BookingsDraws(draws.quarter, draws.rep_ids[keep], draws.draws[:, keep], draws.method)
    payouts = np.zeros_like(draws.draws)
    rows = []
    for j, rep in enumerate(draws.rep_ids):
        name = assigned.get(rep)
        if not isinstance(name, str):
            rows.append({"rep_id": rep, "plan": "(none)", "quota": np.nan})
            continue
        plan = plans[name]
        quota, before = _quarter_position(ds, plan, rep, draws.quarter, credit)
        x = draws.draws[:, j]
        paid = capped_curve(plan, before + x, quota) - capped_curve(plan, before, quota)
        payouts[:, j] = paid + x * spif_ratio.get(rep, 0.0)
        rows.append({"rep_id": rep, "plan": name, "quota": quota})
    per_rep = pd.DataFrame(rows, columns=["rep_id", "plan", "quota"])  # none: no active rep
    per_rep.insert(1, "name", per_rep["rep_id"].map(ds.rep_names))
    per_rep["bookings_mean"] = draws.draws.mean(axis=0)
    per_rep["bookings_p50"] = np.percentile(draws.draws, 50, axis=0)
    for q in (10, 50, 90):
        per_rep[f"payout_p{q}"] = np.percentile(payouts, q, axis=0)
    return PayoutForecast(draws.quarter, draws.method, payouts.sum(axis=1), per_rep, left_out)


def _quarter_position(ds, plan: Plan, rep, quarter: Period, credit) -> tuple[float, float]:
    """Quota of the quota period the quarter falls in (the quarter's months for a month plan)
    and the rep's credit in that quota period before the quarter starts."""
    fsm = quarter.fiscal_year_start_month
    if plan.quota_period == "month":
        months = [period_containing(quarter.start, "month", fsm).shift(k) for k in range(3)]
        quotas = [quota_for(ds, plan, rep, m) for m in months]
        return float(sum(q for q in quotas if q is not None)), 0.0
    qp = period_containing(quarter.start, plan.quota_period, fsm)
    quota = quota_for(ds, plan, rep, qp)
    mine = rows_by_rep(credit).get(rep, credit.iloc[0:0])
    mine = mine[
        (mine["close_date"] >= pd.Timestamp(qp.start))
        & (mine["close_date"] < pd.Timestamp(quarter.start))
    ]
    return float(quota or 0.0), float(sum(mine["credit"], Decimal(0)))


def _spif_ratios(
    credit: pd.DataFrame, assigned: pd.Series, period: Period, plans: dict[str, Plan]
) -> dict[str, float]:
    """Per rep: the SPIFs their plan pays on their credited deals over credited bookings, in
    the year to ``period``'s end."""
    if not any(p.spifs for p in plans.values()):
        return {}
    end = pd.Timestamp(period.end)
    year = credit[
        (credit["close_date"] > end - pd.DateOffset(years=1)) & (credit["close_date"] <= end)
    ]
    out = {}
    for rep, rows in year.groupby("rep_id"):
        plan = plans.get(assigned.get(rep)) if isinstance(assigned.get(rep), str) else None
        booked = float(sum(rows["credit"], Decimal(0)))
        if plan is None or not booked:
            continue
        spif = sum(
            float(plan.spifs.get(str(p), 0)) * float(s)
            for p, s in zip(rows["product"], rows["share"], strict=True)
        )
        out[rep] = spif / booked
    return out


def alternative_plans(ds: Dataset, alternative: str | dict | None) -> dict[str, Plan] | None:
    """The plans of a what-if, from the ``alternative_plan`` parameter (YAML text or a mapping):

    - empty: None (no what-if);
    - the name of a plan in spm.yaml: that plan for every rep;
    - plan keys (``{tiers: [...], cap: {...}}``): those keys replace the same keys in every
      current plan;
    - plans by name (``{new: {base_rate: ..., tiers: [...]}}``): those plans instead.
    """
    if alternative is None or (isinstance(alternative, str) and not alternative.strip()):
        return None
    raw_plans = ds.config.commission_plans or {}
    try:
        spec: Any = yaml.safe_load(alternative) if isinstance(alternative, str) else alternative
    except yaml.YAMLError as exc:
        raise DataError(
            f"alternative_plan is not valid YAML: {exc}", column="alternative_plan", expected="YAML"
        ) from exc
    if isinstance(spec, str):
        if spec not in raw_plans:
            raise DataError(
                f"alternative_plan {spec!r} is not a plan in spm.yaml "
                f"({', '.join(raw_plans) or 'none'})",
                column="alternative_plan",
                expected="a plan name, plan keys or plans by name",
            )
        return load_plans(
            ds, {spec: {k: v for k, v in raw_plans[spec].items() if k != "applies_to"}}
        )
    if not isinstance(spec, dict) or not spec:
        raise DataError(
            f"alternative_plan {alternative!r}: expected a mapping or a plan name",
            column="alternative_plan",
            expected="YAML mapping",
        )
    if set(spec) <= PLAN_KEYS:
        return load_plans(ds, {name: dict(raw) | spec for name, raw in raw_plans.items()})
    return load_plans(ds, spec)


@dataclass
class WhatIf:
    """Current against alternative plans for one period and the next quarter's forecast."""

    per_rep: pd.DataFrame  # rep_id, name, payout_current, payout_alternative, change
    summary: dict[str, float]
    forecast_current: PayoutForecast
    forecast_alternative: PayoutForecast


def what_if(
    ds: Dataset,
    period: Period | str,
    alternative: dict[str, Plan],
    plans: dict | None = None,
    draws: BookingsDraws | None = None,
    current: tuple[pd.DataFrame, PayoutForecast] | None = None,
) -> WhatIf:
    """Run ``alternative`` on the same period and the same bookings draws as the current plans.
    ``summary``: payout and cost of sales under each, the change, and reps earning more, less
    and the same (to the cent). ``current``: the current plans' statements for the period and
    payout forecast on ``draws``, when the caller has them already (else computed)."""
    period = ds.period(period)
    current_plans = load_plans(ds, plans)
    now = current[0] if current is not None else statements(ds, period, current_plans)
    alt = statements(ds, period, alternative)
    per_rep = now[["rep_id", "name", "credited_bookings", "payout"]].merge(
        alt[["rep_id", "payout"]], on="rep_id", how="outer", suffixes=("_current", "_alternative")
    )
    for column in ("payout_current", "payout_alternative"):
        per_rep[column] = per_rep[column].apply(
            lambda v: v if isinstance(v, Decimal) else Decimal("0.00")
        )
    per_rep["change"] = per_rep["payout_alternative"] - per_rep["payout_current"]
    booked = float(sum(now["credited_bookings"], Decimal(0)))
    total_now = float(sum(per_rep["payout_current"], Decimal(0)))
    total_alt = float(sum(per_rep["payout_alternative"], Decimal(0)))
    draws = draws or bookings_draws(ds, period)
    forecast_now = (
        current[1] if current is not None else payout_forecast(ds, period, current_plans, draws)
    )
    summary = {
        "payout_current": total_now,
        "payout_alternative": total_alt,
        "payout_change": total_alt - total_now,
        "payout_change_pct": (total_alt / total_now - 1) if total_now else float("nan"),
        "cost_of_sales_current": total_now / booked if booked else float("nan"),
        "cost_of_sales_alternative": total_alt / booked if booked else float("nan"),
        "reps_earning_more": int((per_rep["change"] > 0).sum()),
        "reps_earning_less": int((per_rep["change"] < 0).sum()),
        "reps_unchanged": int((per_rep["change"] == 0).sum()),
    }
    return WhatIf(
        per_rep.sort_values("change", kind="stable").reset_index(drop=True),
        summary,
        forecast_now,
        payout_forecast(ds, period, alternative, draws),
    )

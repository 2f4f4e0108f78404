"""What the planning page computes before it shows anything: territory moves and the curve of
gain against moves allowed, next quarter's quotas with their predicted attainment and backtest,
and the base rate solved for the cost target (:class:`PlanningPage`, :func:`compute`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spm_lib.compensation import quota_periods
from spm_lib.compensation.payouts import BookingsDraws, bookings_draws
from spm_lib.dataset import Dataset
from spm_lib.exceptions import DataError, InfeasibleAssignment
from spm_lib.measures.plans import Plan, assign_plans
from spm_lib.periods import Period
from spm_lib.planning import commission_rates, quotas
from spm_lib.report import format_currency
from spm_lib.territory import assignment, books


def target_basis_text(basis: dict) -> str:
    """How the quarter's target was set, in words (:func:`.quotas.target_amount`)."""
    if basis["kind"] == "amount":
        return "the amount set in planning.target"
    if basis["kind"] == "growth":
        return f"{basis['growth']:+.0%} on {basis['base_period']}'s bookings"
    return f"{basis['base_period']}'s bookings (no planning.target: flat on last year)"


@dataclass
class PlanningPage:
    """What the planning page shows, computed once."""

    ds: Dataset
    period: Period
    settings: dict
    assignment: assignment.AssignmentResult | None = None
    curve: pd.DataFrame | None = None
    relaxed: list[assignment.Relaxation] = field(default_factory=list)
    no_territory: str = ""  # why no assignment was found, even relaxed
    quotas: pd.DataFrame | None = None
    draws: BookingsDraws | None = None
    sims: np.ndarray | None = None  # the draws for the reps of ``quotas``, in their order
    predicted: dict | None = None
    backtest: pd.DataFrame | None = None
    shape: Plan | None = None
    solved_rate: float | None = None
    rate_error: str = ""
    today: dict | None = None
    solved: dict | None = None
    no_quota: str = ""  # why no quota is proposed
    accelerator: float | None = None  # the factor on accelerators meeting the target instead


def compute(
    ds: Dataset, period: Period, max_moves_pct: float, curve_steps: tuple[float, ...]
) -> PlanningPage:
    """Territory moves (and the curve of gain against moves allowed), next quarter's quotas
    and their predicted attainment, and the base rate solved for the cost target."""
    settings = ds.config.planning or {}
    page = PlanningPage(ds, period, settings)
    if ds.has("accounts") and len(ds["accounts"]) and not books.active_reps(ds, period.end).empty:
        try:
            page.assignment, page.relaxed = assignment.optimize_with_relaxation(
                ds, max_moves_pct=max_moves_pct, as_of=period.end
            )
        except InfeasibleAssignment as exc:
            page.no_territory = str(exc)
        else:  # the curve under the limits the assignment was made with
            steps = tuple(s for s in curve_steps if s <= 1)
            page.curve = assignment.move_curve(
                ds, steps=steps, as_of=period.end, solved=page.assignment
            )
    known = page.assignment.problem.acc if page.assignment is not None else None
    counted = quotas.propose_quotas(ds, period, settings.get("target"), potential=known)
    if counted.empty or not counted.attrs["target"] > 0:
        page.no_quota = (
            "No rep is counted at the period's end: no quota to propose."
            if counted.empty
            else f"The target is {format_currency(counted.attrs['target'])} "
            f"({target_basis_text(counted.attrs['target_basis'])}): set "
            "planning.target in spm.yaml "
            "to propose quotas."
        )
        return page
    page.draws = bookings_draws(ds, period)
    share = settings.get("reps_at_quota_target")
    page.quotas = quotas.solve_share_at_quota(page.draws, counted, share)[0] if share else counted
    page.sims = quotas.aligned_draws(page.draws, page.quotas)[0]
    page.predicted = quotas.predicted_attainment(page.draws, page.quotas)
    page.backtest = quotas.backtest(ds, period, settings.get("target"))
    solved_rates(page)
    return page


def solved_rates(page: PlanningPage) -> None:
    """Today's plans and the shape of the plan of most counted reps, its base rate (and the
    accelerator factor) solved for the cost target, on the quotas and draws of the page."""
    plans = quota_periods.load_plans(page.ds)
    target = page.settings.get("cost_of_sales_target")
    if not plans or target is None:
        return
    sims, quota = page.sims, page.quotas["quota"].to_numpy(float)
    assigned = assign_plans(page.ds.reps, plans).reindex(page.quotas["rep_id"])
    named = assigned.dropna()
    page.shape = plans[named.value_counts().index[0]] if len(named) else None
    if page.shape is None:
        return
    current = [plans[a] if isinstance(a, str) else page.shape for a in assigned]
    page.today = commission_rates.plan_outcome(current, sims, quota)
    try:
        page.solved_rate = commission_rates.solve_rate(page.shape, sims, quota, target)
    except DataError as exc:
        page.rate_error = str(exc)
        return
    page.solved = commission_rates.plan_outcome(
        commission_rates.with_rates(page.shape, page.solved_rate), sims, quota
    )
    try:  # the other lever: today's base rate, accelerators above quota scaled
        page.accelerator = commission_rates.solve_rate(
            page.shape, sims, quota, target, solve="accelerator"
        )
    except DataError:
        page.accelerator = None

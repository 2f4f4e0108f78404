"""Statements: per rep and period, what the ledger pays, and the summaries a page shows."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from spm_lib.compensation.crediting import ZERO, credits
from spm_lib.compensation.earnings import NO_QUOTA_TIER, ledger, reps_in
from spm_lib.compensation.quota_periods import load_plans
from spm_lib.dataset import Dataset
from spm_lib.measures.metrics import at_quota
from spm_lib.measures.plans import (
    Plan,
    assign_plans,
)
from spm_lib.measures.roster import COUNTED, rep_status
from spm_lib.periods import Period


def statements(dataset: Dataset, period: Period | str, plans: dict | None = None) -> pd.DataFrame:
    """One row per rep in scope (employed in the period, or credited in it): rep_id, name,
    team, region, plan, credited_bookings, quota, attainment, tier_1 .. tier_n (commission by
    tier), base_rate_no_quota (commission paid at the base rate for want of a quota),
    commission, spifs, clawbacks, cap_adjustment, after_departure (what the plan's
    pay_after_departure withholds, negative), payout, pay_basis (``plan``; ``no_plan``: no plan
    applies to the rep; ``no_quota``: paid at the base rate for want of a quota); ``status``
    (:mod:`spm_lib.measures.roster`) after the plan.

    credited_bookings = credits dated in the period (net of cancellations under a plan whose
    clawback reduces attainment); quota = the quota of the plan's quota periods overlapping the
    period; attainment = credit to the period's end in those quota periods / their quota (NaN
    without a quota). Money columns are Decimals; payout is the sum of the rep's lines
    (:func:`statement_lines`).
    """
    ds = dataset
    period = ds.period(period)
    plans = load_plans(ds, plans)
    credit = credits(ds)
    lines, quota_periods = ledger(ds, period, plans, credit)
    assigned = assign_plans(ds.reps, plans) if plans else pd.Series(dtype=object)
    in_period = credit[period.mask(credit["close_date"])]
    reps = ds.reps.set_index("rep_id")
    scope = reps_in(ds, period, credit)
    n_tiers = max((len(p.tiers) for p in plans.values()), default=0)
    sums = _line_sums(lines)
    booked_by: dict[str, Decimal] = {}
    for rep, value in zip(in_period["rep_id"].tolist(), in_period["credit"].tolist(), strict=True):
        booked_by[rep] = booked_by.get(rep, ZERO) + value
    quota_by: dict[str, list] = {}
    columns = ("rep_id", "quota", "credit_to_date")
    for rep, quota, to_date in zip(*(quota_periods[c].tolist() for c in columns), strict=True):
        quota_by.setdefault(rep, []).append((quota, to_date))
    rows = [
        _statement_row(
            rep,
            reps,
            plans,
            assigned.get(rep),
            sums.get(rep, {}),
            booked_by.get(rep, ZERO),
            quota_by.get(rep, []),
            n_tiers,
        )
        for rep in scope
    ]
    columns = [
        "rep_id",
        "name",
        "team",
        "region",
        "plan",
        "credited_bookings",
        "quota",
        "attainment",
        *(f"tier_{i + 1}" for i in range(n_tiers)),
        "base_rate_no_quota",
        "commission",
        "spifs",
        "clawbacks",
        "cap_adjustment",
        "after_departure",
        "payout",
        "pay_basis",
    ]
    out = pd.DataFrame(rows, columns=columns)  # no rep in scope: the columns, no rows
    status = rep_status(ds, period).set_index("rep_id")["status"] if len(out) else {}
    out.insert(5, "status", out["rep_id"].map(status).fillna("not in the reps table"))
    return out


def _statement_row(
    rep: str,
    reps: pd.DataFrame,
    plans: dict[str, Plan],
    plan_name: object,
    mine: dict,
    booked: Decimal,
    qps: list,
    n_tiers: int,
) -> dict:
    """One rep's statement: ``mine`` the sums of the rep's ledger lines (:func:`_line_sums`),
    ``booked`` the rep's credits in the period, ``qps`` (quota, credit to date) per quota
    period."""
    plan = plans.get(plan_name) if isinstance(plan_name, str) else None
    if plan is not None and plan.clawback_reduces_attainment:
        booked += mine.get("cancelled credit", ZERO)
    quotas = [q for q, _ in qps if q is not None]
    quota = sum(quotas, ZERO) if quotas else None
    credit_to = sum((c for _, c in qps), ZERO)
    row = {
        "rep_id": rep,
        "name": reps["name"].get(rep),
        "team": reps["team"].get(rep),
        "region": reps["region"].get(rep),
        "plan": plan_name if plan else "(none)",
        "credited_bookings": booked,
        "quota": quota,
        "attainment": float(credit_to / quota) if quota else float("nan"),
    }
    for i in range(n_tiers):
        label = plan.tiers[i].label if plan is not None and i < len(plan.tiers) else None
        row[f"tier_{i + 1}"] = mine.get(("tier", label), ZERO)
    row["base_rate_no_quota"] = mine.get(("tier", NO_QUOTA_TIER), ZERO)
    row["commission"] = mine.get("commission", ZERO)
    kinds = (
        ("spif", "spifs"),
        ("clawback", "clawbacks"),
        ("cap", "cap_adjustment"),
        ("departure", "after_departure"),
    )
    for kind, column in kinds:
        row[column] = mine.get(kind, ZERO)
    row["payout"] = mine.get("payout", ZERO)
    row["pay_basis"] = _pay_basis(plan, quota, ("tier", NO_QUOTA_TIER) in mine)
    return row


def statement_lines(
    dataset: Dataset, period: Period | str, plans: dict | None = None
) -> pd.DataFrame:
    """The line-level table behind :func:`statements`: one row per tier portion of a credited
    deal, SPIF, clawback and cap adjustment (columns :data:`LINE_COLUMNS`), explaining every
    cent of each payout."""
    return ledger(dataset, period, plans)[0]


def _line_sums(lines: pd.DataFrame) -> dict[str, dict]:
    """Per rep, the sums of the ledger's lines a statement shows, in one pass: ``payout``
    (every line), ``commission``, (``"tier"``, label) (commission by tier), each other kind,
    and ``cancelled credit`` (the negative credits of cancellations run through the tiers).
    Decimal sums are exact, so they do not depend on the order of the lines."""
    sums: dict[str, dict] = {}
    columns = ("rep_id", "kind", "tier", "amount", "credit", "note")
    for rep, kind, tier, amount, credit, note in zip(
        *(lines[c].tolist() for c in columns), strict=True
    ):
        mine = sums.setdefault(rep, {})
        mine["payout"] = mine.get("payout", ZERO) + amount
        keys = [kind] if kind != "commission" else ["commission", ("tier", tier)]
        for key in keys:
            mine[key] = mine.get(key, ZERO) + amount
        if kind == "commission" and note.startswith("cancel"):
            mine["cancelled credit"] = mine.get("cancelled credit", ZERO) + credit
    return sums


def _pay_basis(plan: Plan | None, quota: Decimal | None, no_quota_lines: bool) -> str:
    if plan is None:
        return "no_plan"
    if no_quota_lines or not quota:
        return "no_quota"
    return "plan"


def cost_of_sales(statement: pd.DataFrame, by: str = "team") -> pd.DataFrame:
    """Per ``by`` (a statements column: team, region, plan) and in total: payout,
    credited_bookings and cost_of_sales = payout / credited_bookings (NaN without bookings)."""
    grouped = statement.groupby(by, dropna=False)
    out = pd.DataFrame(
        {
            "payout": grouped["payout"].apply(lambda s: sum(s, ZERO)),
            "credited_bookings": grouped["credited_bookings"].apply(lambda s: sum(s, ZERO)),
            "reps": grouped.size(),
        }
    )
    total = pd.DataFrame(
        {
            "payout": [sum(statement["payout"], ZERO)],
            "credited_bookings": [sum(statement["credited_bookings"], ZERO)],
            "reps": [len(statement)],
        },
        index=pd.Index(["Total"], name=by),
    )
    out = pd.concat([out, total])
    out["cost_of_sales"] = [
        float(p / b) if b else float("nan")
        for p, b in zip(out["payout"], out["credited_bookings"], strict=True)
    ]
    return out.rename_axis(by).reset_index()


def plan_curves(
    statement: pd.DataFrame, plans: dict[str, Plan], max_attainment: float = 2.5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The attainment-to-pay curve of each plan used in ``statement`` and the reps on it.

    pay_share = capped commission / target pay, target pay = base_rate x quota; the curve uses
    the median quota of the plan's reps (which matters only for a cap set as an amount).
    Returns (curves, points), both with plan, attainment, pay_share; points also rep_id.
    Reps without a quota are left out of the points.
    """
    from spm_lib.measures.plans import capped_curve

    curve_rows, point_rows = [], []
    reached = statement["attainment"].astype(float).max()
    if np.isfinite(reached):
        max_attainment = max(max_attainment, float(reached) * 1.05)
    grid = np.linspace(0, max_attainment, 251)
    for name, rows in statement.groupby("plan"):
        plan = plans.get(name)
        quotas = [float(q) for q in rows["quota"] if q is not None and not pd.isna(q) and q > 0]
        if plan is None or not quotas or not float(plan.base_rate) > 0:
            continue  # no target pay (no quota, or a plan that pays no base rate): no curve
        quota = float(np.median(quotas))
        target = float(plan.base_rate) * quota
        pay = capped_curve(plan, grid * quota, quota) / target
        curve_rows.append(pd.DataFrame({"plan": name, "attainment": grid, "pay_share": pay}))
        for r in rows.itertuples(index=False):
            if r.quota is not None and not pd.isna(r.quota) and r.quota > 0:
                paid = float(r.commission + r.cap_adjustment)
                share = paid / (float(plan.base_rate) * float(r.quota))
                point_rows.append(
                    {
                        "plan": name,
                        "rep_id": r.rep_id,
                        "attainment": r.attainment,
                        "pay_share": share,
                    }
                )
    curves = (
        pd.concat(curve_rows)
        if curve_rows
        else pd.DataFrame(columns=["plan", "attainment", "pay_share"])
    )
    points = pd.DataFrame(point_rows, columns=["plan", "rep_id", "attainment", "pay_share"])
    return curves, points


def headline(statement: pd.DataFrame) -> dict[str, float]:
    """Key figures of a statement: total_payout, credited_bookings, cost_of_sales_pct
    (payout / credited bookings), reps_paid, reps_with_quota and reps_above_quota (counted reps
    at or above 100%, unrounded: :func:`spm_lib.measures.metrics.at_quota`, the count rep
    performance shows too)."""
    payout = float(sum(statement["payout"], ZERO))
    booked = float(sum(statement["credited_bookings"], ZERO))
    table = (
        attainment_table(statement)
        if len(statement)
        else pd.DataFrame(columns=["status", "quota", "attainment"])
    )
    reps = at_quota(table.assign(counted=table["status"].isin(COUNTED)))
    return {
        "total_payout": payout,
        "credited_bookings": booked,
        "cost_of_sales_pct": payout / booked if booked else float("nan"),
        "reps_paid": int((statement["payout"] != 0).sum()),
        "reps_with_quota": reps["reps_with_quota"],
        "reps_above_quota": reps["reps_at_or_above_quota"],
    }


def plan_summary(plans: dict[str, Plan]) -> pd.DataFrame:
    """One row per plan: who it applies to, quota period, base rate, tiers, cap, SPIFs,
    clawback, ramp, in words."""
    rows = []
    for plan in plans.values():
        cap = [f"{plan.cap_multiple:g}x target pay"] if plan.cap_multiple is not None else []
        cap += [f"{plan.cap_amount:,.2f}"] if plan.cap_amount is not None else []
        rows.append(
            {
                "plan": plan.name,
                "applies_to": "; ".join(
                    f"{k} in {', '.join(v)}" for k, v in plan.applies_to.items()
                )
                or "everyone",
                "quota_period": plan.quota_period,
                "base_rate": f"{float(plan.base_rate):.2%}",
                "tiers": "; ".join(t.label for t in plan.tiers)
                + (" (decelerates)" if plan.decelerates else ""),
                "cap": " or ".join(cap) or "none",
                "spifs": ", ".join(f"{p}: {a:,.2f}" for p, a in plan.spifs.items()) or "none",
                "clawback": f"within {plan.clawback_days} days"
                + (", reduces attainment" if plan.clawback_reduces_attainment else "")
                if plan.clawback_days is not None
                else "none",
                "ramp": ", ".join(f"{float(r):.0%}" for r in plan.ramp) or "none",
            }
        )
    return pd.DataFrame(rows)


def attainment_table(statement: pd.DataFrame) -> pd.DataFrame:
    """rep_id, status, credited_bookings, quota, attainment of a statement, in floats: the
    official attainment (:mod:`spm_lib.compensation.attainment`) as compensation pays it."""
    out = statement[["rep_id", "status", "credited_bookings", "quota", "attainment"]].copy()
    out["credited_bookings"] = out["credited_bookings"].astype(float)
    out["quota"] = pd.to_numeric(out["quota"].astype(object), errors="coerce").astype(float)
    return out


def line_summary(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines and amount per kind (and tier for commission), with the total."""
    label = lines["kind"].where(lines["kind"] != "commission", "commission " + lines["tier"])
    grouped = lines.groupby(label, sort=True)
    out = pd.DataFrame(
        {"lines": grouped.size(), "amount": grouped["amount"].apply(lambda s: sum(s, ZERO))}
    )
    total = pd.DataFrame(
        {"lines": [len(lines)], "amount": [sum(lines["amount"], ZERO)]}, index=["total"]
    )
    return pd.concat([out, total]).rename_axis("kind").reset_index()

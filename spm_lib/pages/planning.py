"""The planning report's words and sections (notebook ``planning``; figures from
:mod:`spm_lib.territory`, :mod:`spm_lib.planning.quotas` and
:mod:`spm_lib.planning.commission_rates`)."""

from __future__ import annotations

import pandas as pd

from spm_lib.pages.common import open_report
from spm_lib.pages.planning_inputs import PlanningPage, compute, target_basis_text
from spm_lib.pages.territory_assignment import (
    MOVE_FORMATS,
    MOVE_LABELS,
    move_reasons,
    relaxation_text,
)
from spm_lib.planning import commission_rates
from spm_lib.report import format_currency, format_percent, plots
from spm_lib.report.display import note, say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action, record_table
from spm_lib.report.section import Section, section

__all__ = [
    "PlanningPage",
    "compute",
    "key_figures",
    "open_report",
    "quota_backtest",
    "quota_section",
    "rates_section",
    "territory_section",
]

QUOTA_FORMATS = {
    "tenure_months": "number",
    "capacity": "percent",
    "book": "currency",
    "quota": "currency",
    "probability": "percent",
    "attainment_p50": "percent",
    "bookings_p50": "currency",
}
QUOTA_LABELS = {
    "book": "Book a quarter",
    "probability": "Chance of quota",
    "attainment_p50": "Attainment P50",
    "bookings_p50": "Bookings P50",
    "book_basis": "Book from",
}
OUTCOME_ROWS = {
    "cost_of_sales_p10": ("Cost of sales P10", "percent"),
    "cost_of_sales_p50": ("Cost of sales P50", "percent"),
    "cost_of_sales_p90": ("Cost of sales P90", "percent"),
    "payout_p50": ("Commission P50", "currency"),
    "target_pay": ("Target pay at quota", "currency"),
    "marginal_point": ("One more point of attainment", "currency"),
}


BOOK_BASIS_LABELS = {
    "potential": "accounts' potential",
    "trailing_bookings": "last four quarters' bookings",
    "median_book": "median book",
}  # where a rep's book comes from (spm_lib.planning.quotas.propose_quotas)


@section
def key_figures(page: PlanningPage) -> Section:
    """Planned quota, reps at quota (P50), the solved base rate and its cost, territory moves."""
    q, p = page.quotas, page.predicted
    moves = page.assignment.figures["accounts_moved"] if page.assignment else None
    target = page.settings.get("cost_of_sales_target")
    label = q.attrs["quarter"] if q is not None else ""
    show_key_figures(
        record(
            "planned_quota_total",
            q["quota"].sum() if q is not None else None,
            label=f"Planned quota {label}",
            unit="currency",
            detail=(
                f"{len(q)} reps; target {format_currency(q.attrs['target'])}"
                if q is not None
                else ""
            ),
        ),
        record(
            "reps_at_quota_p50_pct",
            p["share_p50"] if p else None,
            label="Reps at quota (P50)",
            unit="percent",
            detail=(
                f"80% interval {format_percent(p['share_p10'])}–{format_percent(p['share_p90'])}"
                if p
                else ""
            ),
        ),
        record(
            "solved_base_rate",
            page.solved_rate,
            label="Solved base rate",
            unit="percent",
            detail=(
                f"plan {page.shape.name!r}, today {format_percent(float(page.shape.base_rate))}"
                if page.shape is not None
                else ""
            ),
        ),
        record(
            "cost_of_sales_p50_pct",
            page.solved["cost_of_sales_p50"] if page.solved else None,
            label="Cost of sales (P50)",
            unit="percent",
            detail=(
                f"target {format_percent(target)}; P10–P90 "
                f"{format_percent(page.solved['cost_of_sales_p10'])}–"
                f"{format_percent(page.solved['cost_of_sales_p90'])}"
                if page.solved
                else ""
            ),
        ),
        record(
            "territory_moves",
            moves,
            label="Territory moves",
            unit="count",
            detail=(
                f"{format_currency(page.assignment.figures['net_gain'])} a year after their cost"
                if page.assignment
                else ""
            ),
        ),
        reading=_reading(page),
    )


def _reading(page: PlanningPage) -> str:
    q, p = page.quotas, page.predicted
    if q is None:
        return page.no_quota
    text = (
        f"Quotas summing to {format_currency(q['quota'].sum())} for {q.attrs['quarter']} put "
        f"a median {format_percent(p['share_p50'])} of the {len(q)} reps at quota (80% "
        f"interval {format_percent(p['share_p10'])}–{format_percent(p['share_p90'])})"
    )
    if page.solved_rate is not None:
        text += (
            f"; a base rate of {page.solved_rate:.2%} on plan {page.shape.name!r} costs "
            f"{format_percent(page.solved['cost_of_sales_p50'])} of bookings at the median"
        )
    return text + "."


@section
def territory_section(page: PlanningPage) -> Section:
    """Gain after cost against the moves allowed, and the moves proposed at the limit set."""
    if page.assignment is None:
        note(
            "No accounts, or no active rep, in this dataset: territories are not planned."
            if not page.no_territory
            else f"No territory plan: {page.no_territory}"
        )
        return
    for step in page.relaxed:
        note(f"The constraints as set have no solution; {relaxation_text(step)}.")
    curve = page.curve
    best = curve.loc[curve["net_gain"].idxmax()]
    knee = curve[curve["net_gain"] >= 0.8 * best["net_gain"]].iloc[0]
    title = (
        f"{knee['max_moves_pct']:.0%} of accounts moved give "
        f"{knee['net_gain'] / best['net_gain']:.0%} of the gain of "
        f"{best['max_moves_pct']:.0%}"
        if best["net_gain"] > 0
        else "No move pays for itself at any limit"
    )
    plots.show(plots.move_curve_chart(curve, title))
    table(
        curve,
        {
            "max_moves_pct": "percent",
            "accounts_moved": "count",
            "net_gain": "currency",
            "uplift_pct": "percent",
            "potential_cv_after": "number",
        },
        labels={
            "max_moves_pct": "Moves allowed",
            "net_gain": "Gain after cost a year",
            "uplift_pct": "Uplift",
            "potential_cv_after": "CV of potential",
        },
        caption="Gain after the cost of moving, by the share of accounts allowed to move",
    )
    moves = page.assignment.moves
    voluntary = moves[~moves["forced"]]
    settings = page.assignment.settings or {}
    say(
        "At the limit set ({limit} of accounts), **{n}** moves add **{gain}** of expected "
        "bookings a year after their cost ({cost} of each account's expected bookings); the "
        "territory report shows the same moves with every rep's book.",
        limit=f"{settings.get('max_moves_pct', 0):.0%}",
        n=len(voluntary),
        gain=format_currency(page.assignment.figures["net_gain"]),
        cost=f"{settings.get('move_cost_pct', 0):.0%}",
    )
    if len(voluntary):
        shown = voluntary.assign(reason=move_reasons(voluntary))
        table(
            shown[
                [
                    "account",
                    "industry",
                    "potential",
                    "from_name",
                    "to_name",
                    "net_gain",
                    "evidence",
                    "reason",
                ]
            ],
            MOVE_FORMATS,
            labels=MOVE_LABELS,
            max_rows=20,
            caption="The 20 moves with the largest gain after cost",
        )


@section
def quota_section(page: PlanningPage) -> Section:
    """Each rep's proposed quota, and the attainment they will produce."""
    q, p = page.quotas, page.predicted
    if q is None:
        note(page.no_quota)
        return
    say(
        "The quotas share the target ({basis}: **{target}**) by each rep's book (the potential "
        "of the accounts they own) times their capacity (the ramp curve at their tenure in the "
        "middle of {quarter}).",
        basis=target_basis_text(q.attrs["target_basis"]),
        target=format_currency(q.attrs["target"]),
        quarter=q.attrs["quarter"],
    )
    if "factor" in q.attrs:
        gap = q["quota"].sum() - q.attrs["target"]
        say(
            "Solved for **{share}** of reps at quota (planning.reps_at_quota_target): the quotas "
            "are {factor} of the target's shares and sum to {total}, {gap} against the target.",
            share=format_percent(page.settings["reps_at_quota_target"]),
            factor=f"{q.attrs['factor']:.3f}x",
            total=format_currency(q["quota"].sum()),
            gap=format_currency(gap),
        )
    shares = p["shares"]
    plots.show(
        plots.share_at_quota_chart(
            shares,
            f"A median {format_percent(p['share_p50'])} of reps would reach these quotas "
            f"(80% interval {format_percent(p['share_p10'])}–{format_percent(p['share_p90'])})",
        )
    )
    say(
        "Attainment across reps and simulations: P10 **{a}**, P25 {b}, median **{c}**, P75 {d}, "
        "P90 **{e}**.",
        **{
            k: format_percent(p[f"attainment_p{n}"])
            for k, n in zip("abcde", (10, 25, 50, 75, 90), strict=True)
        },
    )
    rows = q.merge(p["per_rep"].drop(columns="quota"), on="rep_id")
    record_table("quotas", rows[["rep_id", "quota", "probability"]])
    rows["book_basis"] = rows["book_basis"].map(BOOK_BASIS_LABELS)
    table(
        rows[
            [
                "name",
                "status",
                "tenure_months",
                "capacity",
                "book",
                "book_basis",
                "quota",
                "bookings_p50",
                "attainment_p50",
                "probability",
            ]
        ].sort_values("quota", ascending=False),
        QUOTA_FORMATS,
        labels=QUOTA_LABELS,
        max_rows=200,
        caption=f"Proposed quotas for {q.attrs['quarter']}, the largest first",
    )
    if p["share_p50"] < 0.5:
        record_action(
            f"The proposed quotas would put only {format_percent(p['share_p50'])} of "
            "reps at quota: set planning.reps_at_quota_target, or lower the target.",
            "What quotas for next quarter?",
            weight=1.0,
        )


@section
def quota_backtest(page: PlanningPage) -> Section:
    """The same method on the last four quarters: predicted share at quota against actual."""
    if page.quotas is None:
        return
    table_ = page.backtest
    inside = int(table_["inside"].sum())
    say(
        "In **{inside} of {n}** past quarters the share of reps who reached quotas set this way "
        "lay inside the predicted 80% interval.",
        inside=inside,
        n=len(table_),
    )
    table(
        table_,
        {
            "target": "currency",
            "share_p10": "percent",
            "share_p50": "percent",
            "share_p90": "percent",
            "actual_share": "percent",
            "reps": "count",
        },
        labels={
            "share_p10": "Predicted P10",
            "share_p50": "Predicted P50",
            "share_p90": "Predicted P90",
            "actual_share": "Actual",
        },
        caption="Quotas set at each quarter's start: the share at quota predicted and reached",
    )
    record_table("quota_backtest", table_)


@section
def rates_section(page: PlanningPage) -> Section:
    """The base rate that meets the cost target, against today's plans on the same draws."""
    target = page.settings.get("cost_of_sales_target")
    if target is None:
        note("No planning.cost_of_sales_target in spm.yaml: no rate is solved.")
        return
    if page.shape is None:
        note("No commission_plans in spm.yaml: there is no plan shape to solve a rate for.")
        return
    if page.rate_error:
        note(page.rate_error)
        return
    say(
        "On plan **{plan}**'s shape (its tiers, accelerators and cap), a base rate of "
        "**{rate}** costs {target} of bookings at the median of the simulated quarter, against "
        "{today} under today's plans on the same quotas and draws.",
        plan=page.shape.name,
        rate=f"{page.solved_rate:.2%}",
        target=format_percent(target),
        today=format_percent(page.today["cost_of_sales_p50"]),
    )
    rows = pd.DataFrame(
        [
            {"plan": "today's plans", **page.today},
            {"plan": f"{page.shape.name} at {page.solved_rate:.2%}", **page.solved},
        ]
    )
    table(
        rows[["plan", *OUTCOME_ROWS]],
        {k: unit for k, (_, unit) in OUTCOME_ROWS.items()},
        labels={k: label for k, (label, _) in OUTCOME_ROWS.items()},
        caption="Today's plans and the solved rate on the same simulated quarter",
    )
    above = [t for t in page.shape.tiers if t.lower >= 1]
    if page.accelerator is not None and above:
        say(
            "The other lever: keeping the base rate at {rate}, the accelerators above quota "
            "({tiers}) times **{factor}** meet the same target.",
            rate=format_percent(float(page.shape.base_rate)),
            tiers=", ".join(t.label for t in above),
            factor=f"{page.accelerator:.2f}",
        )
    elif above:
        say(
            "The accelerators alone cannot meet the target at today's base rate of {rate} (no "
            "factor from 0 to 20 on them does).",
            rate=format_percent(float(page.shape.base_rate)),
        )
    tiers = commission_rates.tier_shares(
        page.shape, page.sims, page.quotas["quota"].to_numpy(float)
    )
    table(
        tiers.rename_axis("tier").reset_index(),
        {"share": "percent"},
        labels={"share": "Share of reps"},
        caption="Where reps would land in the tiers",
    )

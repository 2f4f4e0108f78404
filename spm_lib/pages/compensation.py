"""The compensation report's words and sections (notebook ``compensation``; figures from
:mod:`spm_lib.compensation` and :mod:`spm_lib.compensation.payouts`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spm_lib.compensation import earnings, payouts, quota_periods, summaries
from spm_lib.compensation.payouts import PIPELINE, PayoutForecast, WhatIf
from spm_lib.compensation.quota_periods import load_plans
from spm_lib.dataset import Dataset
from spm_lib.measures import roster
from spm_lib.measures.plans import assign_plans
from spm_lib.pages.common import open_report, who_counts
from spm_lib.periods import Period
from spm_lib.report import format_currency, format_money, format_percent, plots
from spm_lib.report.display import note, say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_table
from spm_lib.report.section import Section, section

__all__ = [
    "PayPage",
    "checked_plans",
    "compute",
    "cost_of_sales",
    "forecast",
    "key_figures",
    "open_report",
    "plans",
    "rep_pages",
    "statements",
    "what_if",
]

NO_PLANS = (
    "No commission_plans in spm.yaml: there is nothing to pay. See the README for the plan keys."
)


@dataclass
class PayPage:
    """What the compensation page shows, computed once (None everywhere without plans)."""

    ds: Dataset
    period: Period
    plans: dict
    statement: pd.DataFrame | None = None
    lines: pd.DataFrame | None = None
    draws: object = None
    forecast: PayoutForecast | None = None


def compute(ds: Dataset, period: Period) -> PayPage:
    """The period's statements and lines, and the next quarter's payout forecast."""
    plans = quota_periods.load_plans(ds)
    if not plans:
        note(NO_PLANS)
        return PayPage(ds, period, plans)
    draws = payouts.bookings_draws(ds, period)
    return PayPage(
        ds,
        period,
        plans,
        summaries.statements(ds, period, plans),
        summaries.statement_lines(ds, period, plans),
        draws,
        payouts.payout_forecast(ds, period, plans, draws),
    )


@section
def key_figures(page: PayPage) -> Section:
    """Total payout, cost of sales, reps at quota and the payout forecast; and the tables the
    suite checks itself by."""
    if page.statement is None:
        return
    h, q, fc = summaries.headline(page.statement), page.forecast.quantiles(), page.forecast
    money = format_currency
    show_key_figures(
        record(
            "total_payout",
            h["total_payout"],
            label="Total payout",
            unit="currency",
            detail=f"{h['reps_paid']} reps paid",
        ),
        record(
            "cost_of_sales_pct",
            h["cost_of_sales_pct"],
            label="Cost of sales",
            unit="percent",
            detail=f"on {money(h['credited_bookings'])} credited bookings",
        ),
        record(
            "reps_above_quota",
            h["reps_above_quota"],
            label="Reps at or above quota",
            unit="count",
            detail=f"of {h['reps_with_quota']} counted reps with a quota",
        ),
        record(
            "payout_forecast_p50",
            q["p50"],
            label=f"Payout forecast {fc.quarter.label}",
            unit="currency",
            detail=f"80% interval {money(q['p10'])}–{money(q['p90'])}",
        ),
        reading=(
            f"The plans pay {money(h['total_payout'])} for {page.period.label}, "
            f"{h['cost_of_sales_pct']:.1%} of credited bookings; {h['reps_above_quota']} "
            f"of {h['reps_with_quota']} reps reached quota."
        ),
    )
    record("credited_bookings", h["credited_bookings"], label="Credited bookings", unit="currency")
    counted = int(roster.rep_status(page.ds, page.period)["counted"].sum())
    record("reps_counted", counted, label="Reps counted", unit="count")
    record_table("attainment", summaries.attainment_table(page.statement))
    record_table("payout_bookings", fc.per_rep[["rep_id", "bookings_mean"]])


@section
def plans(page: PayPage) -> Section:
    """Where the reps landed on their plans' payout curves, and the plans in words."""
    if page.statement is None:
        return
    curves, points = summaries.plan_curves(page.statement, page.plans)
    plots.show(plots.payout_curve_chart(curves, points, curve_title(points, page.period.label)))
    table(summaries.plan_summary(page.plans), caption="Plans in spm.yaml")


@section
def statements(page: PayPage) -> Section:
    """Every rep's statement, and what was withheld after a rep's end date."""
    statement = page.statement
    if statement is None:
        return
    say(
        who_counts(roster.rep_status(page.ds, page.period))
        + " Everyone with a credit or a payout in the period has a statement."
    )
    table(
        statement_shown(statement),
        statement_formats(statement),
        caption="Statements: every amount is the sum of the lines behind it, exact to the cent",
        labels=tier_labels(page.plans, statement),
        max_rows=300,
    )
    withheld = earnings.withheld_after_departure(page.lines, statement)
    if len(withheld):
        table(
            withheld,
            {"lines": "count", "amount": "money"},
            caption="Not paid after a rep's end date (each plan's pay_after_departure)",
        )


@section
def cost_of_sales(page: PayPage) -> Section:
    """Payout over credited bookings by team and by region."""
    if page.statement is None:
        return
    for by in ("team", "region"):
        table(
            summaries.cost_of_sales(page.statement, by),
            {
                "payout": "money",
                "credited_bookings": "money",
                "cost_of_sales": "percent",
                "reps": "count",
            },
            caption=f"Cost of sales by {by} (payout / credited bookings)",
        )


@section
def rep_pages(page: PayPage) -> Section:
    """Each rep's lines, for a small audience; else the lines by kind."""
    statement, lines = page.statement, page.lines
    if statement is None:
        return
    if len(statement) > STATEMENT_PAGES_MAX_REPS:
        note(
            f"{len(statement)} reps: render this report for one team or rep (segment, e.g. "
            f"team={statement['team'].iloc[0]}) for a statement page per rep, every line of "
            "every deal."
        )
        table(
            summaries.line_summary(lines),
            {"amount": "money", "lines": "count"},
            caption="All lines by kind: commission per tier portion, SPIFs, clawbacks, cap "
            "adjustments",
        )
        return
    for rep in statement.itertuples(index=False):
        say(
            "**{name}** ({rep}), plan {plan}: payout **{payout}** on {credit} credited, "
            "attainment {att}.",
            name=rep.name,
            rep=rep.rep_id,
            plan=rep.plan,
            payout=format_money(rep.payout),
            credit=format_money(rep.credited_bookings),
            att=format_percent(rep.attainment),
        )
        mine = lines[lines["rep_id"] == rep.rep_id]
        table(mine.drop(columns=["rep_id", "plan"]), LINE_FORMATS, max_rows=500)


@section
def forecast(page: PayPage) -> Section:
    """The next quarter's payout distribution, how it was made, and per rep."""
    fc = page.forecast
    if fc is None:
        return
    q, money = fc.quantiles(), format_currency
    plots.show(
        plots.distribution_chart(
            fc.totals,
            {"P10": q["p10"], "P50": q["p50"], "P90": q["p90"]},
            f"{fc.quarter.label} payout: {money(q['p50'])} median, {money(q['p10'])}–"
            f"{money(q['p90'])} in 4 of 5 outcomes",
            "Total payout",
        )
    )
    say(method_text(fc))
    m = "currency"
    table(
        fc.per_rep.sort_values("payout_p50", ascending=False),
        {"quota": m, "bookings_p50": m, "payout_p10": m, "payout_p50": m, "payout_p90": m},
        caption=f"Per rep, {fc.quarter.label}",
        max_rows=200,
    )


@section
def what_if(page: PayPage, alternative_plan: str) -> Section:
    """The period and the next quarter under an alternative plan (``alternative_plan``)."""
    alternative = (
        payouts.alternative_plans(page.ds, alternative_plan) if page.statement is not None else None
    )
    if alternative is None:
        note("No alternative plan given (parameter alternative_plan).")
        return
    result = payouts.what_if(
        page.ds,
        page.period,
        alternative,
        page.plans,
        page.draws,
        current=(page.statement, page.forecast),
    )
    quarter = page.forecast.quarter.label
    say(what_if_reading(result, quarter))
    plots.show(
        plots.overlaid_distributions_chart(
            {
                "Current plans": result.forecast_current.totals,
                "Alternative": result.forecast_alternative.totals,
            },
            what_if_title(result, quarter),
            "Total payout",
        )
    )
    table(
        result.per_rep,
        {
            "credited_bookings": "money",
            "payout_current": "money",
            "payout_alternative": "money",
            "change": "money",
        },
        caption=f"{page.period.label} payout per rep under each plan, largest cut first",
        max_rows=300,
    )


MONEY_COLUMNS = [
    "credited_bookings",
    "quota",
    "base_rate_no_quota",
    "commission",
    "spifs",
    "clawbacks",
    "cap_adjustment",
    "after_departure",
    "payout",
]


def statement_formats(statement: pd.DataFrame) -> dict[str, str]:
    """Report formats of a statements table: money to the cent, attainment as a percent."""
    money = [c for c in statement.columns if c in MONEY_COLUMNS or c.startswith("tier_")]
    return {c: "money" for c in money} | {"attainment": "percent"}


LINE_FORMATS = {
    "deal_amount": "money",
    "credit": "money",
    "amount": "money",
    "share": "percent",
    "rate": "percent",
    "date": "date",
}
PAY_BASIS_NOTES = {
    "plan": "",
    "no_plan": "no plan applies to this rep",
    "no_quota": "no quota: paid at the base rate",
}


def statement_shown(statement: pd.DataFrame) -> pd.DataFrame:
    """The statements as the page shows them: without team and region, the pay basis worded
    in a ``note`` column (:data:`PAY_BASIS_NOTES`)."""
    shown = statement.drop(columns=["team", "region"])
    return shown.assign(note=shown.pop("pay_basis").map(PAY_BASIS_NOTES))


def tier_labels(plans: dict, statement: pd.DataFrame) -> dict[str, str]:
    """The header of each ``tier_i`` column: the tier's label where every plan names tier i
    alike, else ``Tier i``."""
    labels = {}
    for column in (c for c in statement.columns if c.startswith("tier_")):
        i = int(column.removeprefix("tier_")) - 1
        named = {p.tiers[i].label for p in plans.values() if i < len(p.tiers)}
        labels[column] = named.pop() if len(named) == 1 else f"Tier {i + 1}"
    return labels


STATEMENT_PAGES_MAX_REPS = 12  # an audience this small gets every rep's lines in the report


def curve_title(points: pd.DataFrame, period_label: str) -> str:
    """A title that states where the reps landed."""
    if points.empty:
        return f"No rep with a quota in {period_label}"
    above = int((points["attainment"] >= 1).sum())
    return f"{above} of {len(points)} reps reached the accelerators in {period_label}"


def _reps(n: int) -> str:
    return f"{n} rep" if n == 1 else f"{n} reps"


def what_if_reading(result: WhatIf, quarter: str) -> str:
    """The what-if in one sentence (also when the current plans pay nothing)."""
    s = result.summary
    now, alt = result.forecast_current.quantiles(), result.forecast_alternative.quantiles()
    direction = "more" if s["payout_change"] > 0 else "less"
    if s["payout_current"] > 0:
        paid = f"would have paid {abs(s['payout_change_pct']):.1%} {direction} this period"
    elif s["payout_alternative"] > 0:
        paid = (
            f"would have paid {format_currency(s['payout_alternative'])} this period, "
            "where the current plans pay nothing"
        )
    else:
        paid = "would have paid nothing this period, as the current plans do"
    cost = (
        f" (cost of sales {s['cost_of_sales_alternative']:.1%} against "
        f"{s['cost_of_sales_current']:.1%})"
        if np.isfinite(s["cost_of_sales_current"])
        else ""
    )
    if now["p50"] > 0:
        ahead = f"its median payout is {alt['p50'] / now['p50'] - 1:+.1%} against the current plans"
    else:
        ahead = (
            f"its median payout is {format_currency(alt['p50'])}, where the current plans' "
            "median is "
            "nothing"
        )
    return (
        f"The alternative {paid}{cost}: {_reps(s['reps_earning_more'])} earn more, "
        f"{s['reps_earning_less']} less, {s['reps_unchanged']} the same. For {quarter} {ahead}."
    )


def what_if_title(result: WhatIf, quarter: str) -> str:
    """The what-if chart's finding: the alternative's median payout against the current one."""
    now = result.forecast_current.quantiles()["p50"]
    alt = result.forecast_alternative.quantiles()["p50"]
    if now > 0:
        return f"{quarter} median payout {alt / now - 1:+.1%} under the alternative"
    return (
        f"{quarter} median payout {format_currency(alt)} under the alternative, nothing "
        "under the "
        "current plans"
    )


def method_text(forecast: PayoutForecast) -> str:
    """How the forecast was made, for the report."""
    how = (
        "each rep's bookings simulated from the forecasting report's pipeline model (every open "
        "deal won or not at its calibrated probability, plus new business)"
        if forecast.method == PIPELINE
        else "each rep's bookings resampled from their last eight quarters (no usable open "
        "pipeline in this data)"
    )
    text = (
        f"Forecast from {len(forecast.totals):,} simulations of {how}, run through each rep's plan."
    )
    if forecast.departed_bookings:
        text += (
            f" Open deals of reps who have left (about "
            f"{format_currency(forecast.departed_bookings)} of expected bookings) are not paid "
            "here."
        )
    return text


def checked_plans(ds: Dataset) -> dict:
    """The dataset's commission plans, parsed, in its currency and assigned to its reps, as
    this report reads them (``spm validate``: a plan error stops validate, not a scheduled
    run)."""
    plans = load_plans(ds)
    if plans:
        assign_plans(ds.reps, plans)
    return plans

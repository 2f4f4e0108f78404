"""The rep-performance report's words and sections (notebook ``rep_performance``; figures from
:mod:`spm_lib.rep_performance`, :mod:`spm_lib.measures.metrics`, :mod:`spm_lib.measures.ranking` and
:mod:`spm_lib.measures.ramp`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spm_lib import rep_performance
from spm_lib.compensation import attainment
from spm_lib.dataset import Dataset
from spm_lib.measures import metrics, ramp, ranking, roster
from spm_lib.pages.common import open_report, who_counts
from spm_lib.pages.ramp_reading import cohort_cells, ramp_reading, ramp_title
from spm_lib.periods import Period
from spm_lib.pipeline import quarter_ahead
from spm_lib.report import format_change, format_currency, format_percent, plots
from spm_lib.report.display import note, say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action, record_series, record_table
from spm_lib.report.section import Section, section

__all__ = [
    "RepPage",
    "at_risk",
    "compute",
    "key_figures",
    "leaderboard",
    "open_report",
    "outlook_reading",
    "pipeline_flow",
    "ramp_section",
    "reading",
    "rollups",
    "scorecard",
    "stage_conversion",
]


@dataclass
class RepPage:
    """What the rep-performance page shows, computed once."""

    ds: Dataset
    period: Period
    figures: dict[str, float]
    next_quarter: tuple  # the pipeline run forecasting and compensation read too
    risk: pd.DataFrame
    reps_attainment: pd.DataFrame  # the period's, read by the key figures and the scorecard


def compute(ds: Dataset, period: Period) -> RepPage:
    next_quarter = quarter_ahead.next_quarter(ds, period)
    reps = attainment.rep_attainment(ds, period)
    return RepPage(
        ds,
        period,
        rep_performance.headline(ds, period, reps),
        next_quarter,
        rep_performance.at_risk(ds, period, next_quarter),
        reps,
    )


@section
def key_figures(page: RepPage) -> Section:
    """The key figures, the reading, who counts, and the figures the suite checks itself by."""
    f, period = page.figures, page.period

    def change(name: str) -> float | None:
        before = f[f"{name}_prior"]
        return f[name] / before - 1 if before and before == before else None

    before = period.previous()
    words = (
        f"the same {period.days} days of {before.label}" if period.to_date else "the period before"
    )

    show_key_figures(
        record(
            "bookings",
            f["bookings"],
            label="Bookings",
            unit="currency",
            change=change("bookings"),
            change_label=f"on {words}",
        ),
        record(
            "quota_attainment",
            f["quota_attainment"],
            label="Quota attainment",
            unit="percent",
            detail=f"{format_percent(f['quota_attainment_prior'])} {words}",
        ),
        record(
            "win_rate",
            f["win_rate"],
            label="Win rate (won / closed)",
            unit="percent",
            detail=f"{int(f['closed']):,} closed deals; "
            f"{format_percent(f['win_rate_prior'])} {words}",
        ),
        record(
            "reps_at_or_above_quota_pct",
            f["reps_at_or_above_quota_pct"],
            label="Reps at or above quota",
            unit="percent",
            detail=f"{int(f['reps_at_or_above_quota'])} of {int(f['reps_with_quota'])} "
            "counted reps with a quota",
        ),
        reading=reading(f, period, len(page.risk)),
    )
    record(
        "reps_at_or_above_quota",
        f["reps_at_or_above_quota"],
        label="Reps at or above quota",
        unit="count",
    )
    status = roster.rep_status(page.ds, period)
    record("reps_counted", int(status["counted"].sum()), label="Reps counted", unit="count")
    record_table("rep_expectations", quarter_ahead.rep_expectations(page.next_quarter[1]))
    trend = rep_performance.headline_trend(page.ds, period)
    for name in ("bookings", "quota_attainment", "win_rate"):
        record_series(name, trend, name)
    say(who_counts(status))


@section
def scorecard(page: RepPage) -> Section:
    """One row per rep: bookings, attainment both ways, win rate with its interval, and more."""
    card = rep_performance.scorecard(page.ds, page.period, page.reps_attainment)
    if card["quota"].fillna(0).eq(0).all():
        note("No quotas in this dataset: attainment and coverage are not shown.")
    money, pct = "currency", "percent"
    table(
        card[
            [
                "name",
                "team",
                "status",
                "bookings",
                "credited_bookings",
                "quota",
                "attainment",
                "attainment_owner",
                "won",
                "lost",
                "shrunk_rate",
                "lower",
                "upper",
                "average_deal",
                "cycle_median_days",
                "coverage",
            ]
        ],
        {
            "bookings": money,
            "credited_bookings": money,
            "quota": money,
            "attainment": pct,
            "attainment_owner": pct,
            "won": "count",
            "lost": "count",
            "shrunk_rate": pct,
            "lower": pct,
            "upper": pct,
            "average_deal": money,
            "cycle_median_days": "number",
            "coverage": "ratio",
        },
        labels={
            "bookings": "Bookings (owner)",
            "credited_bookings": "Credited (splits)",
            "attainment": "Attainment",
            "attainment_owner": "On owner bookings",
            "shrunk_rate": "Win rate (shrunk)",
            "lower": "90% low",
            "upper": "90% high",
            "cycle_median_days": "Cycle (days)",
            "average_deal": "Avg deal",
        },
        max_rows=200,
    )
    record_table(
        "attainment", card[["rep_id", "status", "credited_bookings", "quota", "attainment"]]
    )


def _points(value: float) -> str:
    return f"{value * 100:+.1f} pts"


@section
def rollups(page: RepPage) -> Section:
    """By team and region, then the change by region on the period before and a year before."""
    ds, period, money = page.ds, page.period, "currency"
    for level in ("team", "region"):
        table(
            rep_performance.rollup(ds, period, level),
            {
                "bookings": money,
                "quota": money,
                "attainment": "percent",
                "won": "count",
                "closed": "count",
                "win_rate": "percent",
                "average_deal": money,
                "cycle_median_days": "number",
                "pipeline_created": money,
                "coverage": "ratio",
                "required_coverage": "ratio",
                "velocity_per_day": money,
                "activities_per_rep": "number",
            },
            labels={
                "cycle_median_days": "Cycle (median days)",
                "velocity_per_day": "Velocity per day",
            },
            caption=f"By {level}",
        )
    changes = metrics.with_changes(metrics.bookings, ds, period, "bookings", "region").merge(
        metrics.with_changes(metrics.win_rate, ds, period, "win_rate", "region", points=True),
        on="region",
    )
    table(
        changes[
            [
                "region",
                "bookings",
                "change_prior_x",
                "change_last_year_x",
                "win_rate",
                "closed",
                "change_prior_y",
                "change_last_year_y",
            ]
        ],
        {
            "bookings": money,
            "change_prior_x": format_change,
            "change_last_year_x": format_change,
            "win_rate": "percent",
            "closed": "count",
            "change_prior_y": _points,
            "change_last_year_y": _points,
        },
        labels={
            "change_prior_x": "vs period before",
            "change_last_year_x": "vs a year earlier",
            "change_prior_y": "Win rate vs period before",
            "change_last_year_y": "Win rate vs a year earlier",
        },
        caption="Change by region",
    )


@section
def leaderboard(page: RepPage) -> Section:
    """Shrunk win rates with their intervals (departed reps listed, not ranked)."""
    board = ranking.win_rate_board(page.ds, page.period)
    ranked = board[board["rank"].notna()]
    shown = ranked.head(10) if len(ranked) > 20 else ranked
    if len(shown):
        plots.show(
            plots.interval_chart(
                shown, f"Highest shrunk win rates, trailing 12 months to {page.period.end}"
            )
        )
    pct = "percent"
    table(
        board.drop(columns=["rep_id"]),
        {
            "won": "count",
            "lost": "count",
            "raw_rate": pct,
            "shrunk_rate": pct,
            "lower": pct,
            "upper": pct,
        },
        labels={
            "raw_rate": "Raw",
            "shrunk_rate": "Shrunk",
            "lower": "90% low",
            "upper": "90% high",
        },
        max_rows=200,
    )
    unranked = int((board["rank"].isna() & board["status"].isin(roster.COUNTED)).sum())
    if unranked:
        note(
            f"{unranked} counted reps closed fewer than {ranking.MIN_CLOSED_TO_RANK} deals in "
            "the 12 months: they are listed after the ranked reps, without a rank (their "
            "shrunk rate is mostly the team's)."
        )


@section
def at_risk(page: RepPage) -> Section:
    """How the per-rep expectations add up, and the reps expected to miss quota."""
    totals = rep_performance.outlook_reconciliation(page.ds, page.period, page.next_quarter)
    say(outlook_reading(totals))
    risk = page.risk
    if risk.empty:
        note("No rep is at risk, or there are no quotas to measure against.")
        return
    say(
        "**{n}** reps are at risk for {q}, {gap} short of their quotas in total.",
        n=len(risk),
        q=totals["quarter"],
        gap=format_currency(risk["gap"].sum()),
    )
    largest = ", ".join(str(n) for n in risk.sort_values("gap", ascending=False)["name"][:3])
    record_action(
        f"{len(risk)} reps are at risk for {totals['quarter']}, "
        f"{format_currency(risk['gap'].sum())} short of quota (largest gaps: "
        f"{largest}): review their pipeline with their managers.",
        "Who is at risk next quarter?",
        weight=float(risk["gap"].sum()),
    )
    money = "currency"
    table(
        risk.drop(columns=["rep_id", "quarter"]),
        {
            "quota": money,
            "pipeline_due": money,
            "open_expected": money,
            "new_business": money,
            "expected": money,
            "gap": money,
            "coverage": "ratio",
            "required_coverage": "ratio",
        },
        labels={
            "open_expected": "From open deals",
            "new_business": "Not yet created",
            "pipeline_due": "Open pipeline due",
        },
        max_rows=200,
    )


@section
def pipeline_flow(page: RepPage) -> Section:
    """The open pipeline's roll-forward over the period."""
    movement = rep_performance.pipeline_movement(page.ds, page.period)
    flow = movement.set_index("bucket")["amount"]
    label = page.period.label
    start, end = flow["starting pipeline"], flow["ending pipeline"]
    title = (
        f"Open pipeline {format_change(end / start - 1)} over {label}"
        if start
        else f"Open pipeline over {label}"
    )
    plots.show(plots.waterfall_chart(movement, title))
    table(movement_shown(movement), {"amount": "currency", "deals": "count"})


MOVEMENT_NOTES = {
    "": "",
    "reopened_or_corrected": "reopened deals and corrections",
    "needs_close_date_history": "needs close-date history (when each deal's expected close date "
    "moved)",
    "needs_amount_history": "needs amount history (each deal's amount over time)",
}  # a roll-forward row's ``why`` (spm_lib.rep_performance.pipeline_movement) in words


def movement_shown(movement: pd.DataFrame) -> pd.DataFrame:
    """The roll-forward as the page shows it: ``why`` worded in a ``note`` column."""
    shown = movement.drop(columns="why")
    shown["note"] = movement["why"].map(MOVEMENT_NOTES)
    return shown


@section
def stage_conversion(page: RepPage) -> Section:
    """Stage-to-stage conversion by region."""
    conversion = metrics.stage_conversion(page.ds, page.period, "region")
    if conversion.empty:
        note("No stage history in this dataset: stage-to-stage conversion cannot be computed.")
        return
    table(
        conversion,
        {
            "entered": "count",
            "converted": "count",
            "lost": "count",
            "undecided": "count",
            "conversion": "percent",
        },
        max_rows=200,
    )


@section
def ramp_section(page: RepPage) -> Section:
    """How fast new hires reach their full productivity, and where that lies."""
    ds = page.ds
    if ds.reps["hire_date"].isna().all():
        note("No hire dates in this dataset: the ramp cannot be computed.")
        return
    curve = ramp.ramp_curve(ds, as_of=page.period.end)
    months = ramp.months_to_target(curve)
    record(
        "ramp_months_to_80pct",
        months if months == months else None,
        label="Months to 80% of full productivity",
        unit="count",
    )
    plots.show(plots.ramp_chart(curve, ramp_title(months)))
    say(ramp_reading(curve))
    cohorts = ramp.cohort_table(ds)
    table(
        cohort_cells(cohorts),
        {"reps": "count"},
        caption="Productivity against tenured reps by hire year and months since hire "
        "(reps behind each cell)",
    )


def outlook_reading(totals: dict) -> str:
    """How the per-rep expectations add up, in one sentence (from
    :func:`spm_lib.rep_performance.outlook_reconciliation`), and why the forecasting report's
    headline differs."""
    money = format_currency

    text = (
        f"The counted reps' expectations for {totals['quarter']} add up to "
        f"{money(totals['counted'])}"
    )
    if totals["others"]:
        text += f"; {money(totals['others'])} more is expected on deals of reps not counted"
    return text + (
        f", the pipeline forecast's mean of {money(totals['total'])} "
        f"({money(totals['open_deals'])} from open deals, {money(totals['new_business'])} from "
        "deals not yet created). The forecasting report's headline is a time-series forecast "
        "of bookings and differs from it by design; that report shows both and their blend."
    )


def reading(figures: dict[str, float], period: Period, at_risk_count: int | None) -> str:
    """One line on the key figures."""
    against = (
        f"on the same {period.days} days of {period.previous().label}"
        if period.to_date
        else "on the quarter before"
    )

    def change(name: str) -> str:
        now, before = figures[name], figures[f"{name}_prior"]
        if before != before:
            return "no comparison: the data does not cover the period before whole"
        return f"{format_change(now / before - 1)} {against}" if before else "no prior figure"

    text = (
        f"Bookings of {format_currency(figures['bookings'])} in {period.title} "
        f"({change('bookings')}), win rate "
        f"{format_percent(figures['win_rate'])} over {int(figures['closed']):,} closed deals"
    )
    if figures["reps_with_quota"]:
        text += (
            f"; {format_percent(figures['quota_attainment'])} of quota, "
            f"{format_percent(figures['reps_at_or_above_quota_pct'])} of "
            f"{int(figures['reps_with_quota'])} reps at or above it"
        )
    else:
        text += "; no quotas in this dataset, so attainment is not shown"
    if at_risk_count:
        text += f". {at_risk_count} reps are at risk for {period.shift(1).label}"
    return text + "."

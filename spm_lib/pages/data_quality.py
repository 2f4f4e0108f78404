"""The data-quality report's words and sections (notebook ``data_quality``; figures from
:mod:`spm_lib.dataset.quality` and the dataset's reconciliation)."""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset, quality
from spm_lib.pages.common import open_report
from spm_lib.report import format_change, format_percent, plots
from spm_lib.report.display import say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action
from spm_lib.report.section import Section, section

# rows the figures leave out come first on the brief, whatever money other lines name
QUARANTINE_WEIGHT = 1e15

__all__ = [
    "accounts",
    "creation_trend",
    "currencies",
    "key_figures",
    "open_report",
    "quarantined",
    "reading",
    "reps",
    "tables",
    "warned",
]

COUNTS = {
    "rows_read": "count",
    "rows_used": "count",
    "rows_quarantined": "count",
    "rows_warned": "count",
}


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


@section
def key_figures(ds: Dataset) -> Section:
    """Rows read, used, quarantined and warned, summed over the tables."""
    summary = quality.table_summary(ds)
    show_key_figures(
        record("rows_read", summary["rows_read"].sum(), label="Rows read", unit="count"),
        record("rows_used", summary["rows_used"].sum(), label="Rows used", unit="count"),
        record(
            "rows_quarantined",
            summary["rows_quarantined"].sum(),
            label="Rows quarantined",
            unit="count",
        ),
        record(
            "rows_warned",
            summary["rows_warned"].sum(),
            label="Rows used with a warning",
            unit="count",
        ),
        reading=reading(summary),
    )


@section
def tables(ds: Dataset) -> Section:
    """Per table: rows read = used + quarantined, and those used with a warning."""
    table(quality.table_summary(ds), COUNTS)


def _listing(frame: pd.DataFrame, caption: str) -> None:
    table(
        frame[["table", "row", "key", "reason"]],
        caption=f"{caption} (row = data row in the file, header excluded)",
        max_rows=50,
    )


@section
def quarantined(ds: Dataset) -> Section:
    """The rows set aside, by reason and one by one."""
    reasons = quality.quarantine_summary(ds)
    if reasons.empty:
        say("No row was quarantined.")
        return
    table(reasons, {"rows": "count"}, caption="Quarantined rows by table and reason")
    _listing(ds.quarantine, "Quarantined rows")
    first = reasons.sort_values("rows", ascending=False).iloc[0]
    record_action(
        f"{int(reasons['rows'].sum()):,} rows were set aside and count in no figure "
        f"(most: {int(first['rows']):,} in {first['table']}): fix them in the CRM.",
        "Which rows were set aside, and why?",
        weight=QUARANTINE_WEIGHT,
    )


@section
def warned(ds: Dataset) -> Section:
    """The rows kept with a warning, by reason and one by one."""
    oddities = quality.warning_summary(ds)
    if oddities.empty:
        say("No row used by the reports carries a warning.")
        return
    table(oddities, {"rows": "count"}, caption="Rows kept with a warning, by reason")
    _listing(ds.warnings, "Rows kept with a warning")


@section
def reps(ds: Dataset) -> Section:
    """Selling reps without any opportunity (people who do not sell are left out, and said so)."""
    idle = quality.reps_without_deals(ds)
    sellers = len(ds.reps)
    others = len(ds["reps"]) - sellers
    aside = (
        f" ({others} people in lead development or non-selling roles own leads or records, "
        "not deals, and are left out)"
        if others
        else ""
    )
    if idle.empty:
        say(
            "Every one of the {n} selling reps has at least one opportunity" + aside + ".",
            n=sellers,
        )
        return
    say(
        "**{n}** of {total} selling reps have no opportunity at all" + aside + ".",
        n=len(idle),
        total=sellers,
    )
    table(idle)


@section
def accounts(ds: Dataset) -> Section:
    """Opportunities without an account."""
    no_account = quality.deals_without_accounts(ds)
    deals = no_account.deals.sum()
    say(
        "**{n}** opportunities ({share}) have no account.",
        n=f"{deals:,}",
        share=format_percent(deals / max(len(ds.opportunities), 1)),
    )
    table(no_account, {"deals": "count", "amount": "currency"})


@section
def currencies(ds: Dataset) -> Section:
    """Amounts held in other currencies, the rate each was converted with and by which date."""
    found = quality.currency_summary(ds)
    if found.empty:
        say("Every amount is in {currency}: nothing was converted.", currency=ds.config.currency)
        return
    say(
        "Every amount is shown in {currency}. An amount held in another currency is converted "
        "at the dated rate in force on its row's date (a deal's close date; a history row's "
        "close date after that change; a quota's period start; a forecast call's submission), "
        "else at the one rate spm.yaml gives its currency.",
        currency=ds.config.currency,
    )
    table(
        found,
        {"rows": "count", "amount": "currency"},
        caption=f"Rows by the currency they were held in (amount in {ds.config.currency})",
    )


@section
def creation_trend(ds: Dataset) -> Section:
    """Opportunities created per month, and the recent months against the year before."""
    per_month = quality.created_per_month(ds)
    trend = quality.created_trend(per_month)
    title = (
        f"Opportunities created per month: {trend['recent_mean']:,.0f} a month lately, "
        f"{format_change(trend['change'])} on the year before"
    )
    plots.show(
        plots.count_line_chart(
            per_month["month"],
            per_month["created"],
            title,
            "Month created",
            "Opportunities created (count)",
        )
    )


def reading(summary: pd.DataFrame) -> str:
    """One-line reading of :func:`table_summary`: does every row add up, and where are gaps."""
    read, used, quarantined = (
        int(summary[c].sum()) for c in ("rows_read", "rows_used", "rows_quarantined")
    )
    adds_up = bool(summary["reconciles"].all())
    head = (
        f"Every row is accounted for: {read:,} read = {used:,} used + {quarantined:,} quarantined."
        if adds_up
        else f"Rows do not add up: {read:,} read, {used:,} used, {quarantined:,} quarantined."
    )
    warned = int(summary["rows_warned"].sum()) if "rows_warned" in summary else 0
    tail = (
        f" {_rows(warned)} used {'carries' if warned == 1 else 'carry'} a warning (odd but "
        "real, counted in every figure)."
        if warned
        else ""
    )
    if not quarantined:
        return head + " No row had to be set aside." + tail
    worst = summary.assign(share=summary["rows_quarantined"] / summary["rows_read"].clip(lower=1))
    worst = worst.sort_values("rows_quarantined", ascending=False).iloc[0]
    return (
        head
        + (
            f" Most set-aside rows are in {worst['table']} "
            f"({_rows(int(worst['rows_quarantined']))}, {worst['share']:.1%} of the table)."
        )
        + tail
    )

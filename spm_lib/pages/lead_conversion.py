"""The lead-conversion report's words and sections (notebook ``lead_conversion``; figures from
:mod:`spm_lib.leads`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spm_lib import leads
from spm_lib.dataset import Dataset
from spm_lib.leads.frame import NONE, has_leads
from spm_lib.leads.sources import SourceEffects, Unusable
from spm_lib.leads.timing import MIN_CONVERSIONS_FOR_THRESHOLD
from spm_lib.pages.common import load_audience
from spm_lib.pages.lead_caveats import (
    NO_LEADS,
    audience_caveat,
    invalid_durations_note,
    missing_opportunity_note,
    open_lead_caveats,
    period_moved_text,
)
from spm_lib.periods import Period, trailing_year
from spm_lib.report import format_percent, header, plots
from spm_lib.report.display import escape_markdown, note, say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action
from spm_lib.report.section import Section, section


@dataclass
class LeadPage:
    """What the lead-conversion page shows, computed once: ``frame`` (every lead, None without
    leads) and ``recent`` (those created in the trailing year to the period's end)."""

    ds: Dataset
    period: Period
    frame: pd.DataFrame | None
    recent: pd.DataFrame | None
    window: Period | None
    money: bool
    effects: SourceEffects | None
    no_effects: Unusable | None

    @property
    def drop(self) -> list[str]:
        """Columns left out without deal amounts."""
        return [] if self.money else ["revenue", "revenue_per_lead"]


def open_report(title: str, data: str, config: str, period: str, segment: str) -> LeadPage:
    """The set-up (as :func:`spm_lib.pages.common.open_report`, with the period moved to the
    latest complete one the leads allow) and the lead frames."""
    ds = load_audience(data, config, segment)
    resolved, moved = leads.lead_period(ds, period)
    header(title, ds, resolved)
    for line in (period_moved_text(moved, resolved), audience_caveat(ds)):
        if line:
            note(line)
    if not has_leads(ds):
        note(NO_LEADS)
        return LeadPage(ds, resolved, None, None, None, False, None, None)
    frame = leads.lead_frame(ds)
    window = trailing_year(resolved)
    recent = leads.created_in(frame, window)
    effects, no_effects = leads.try_source_effects(ds, recent)
    return LeadPage(ds, resolved, frame, recent, window, leads.has_amounts(ds), effects, no_effects)


@section
def key_figures(page: LeadPage) -> Section:
    """Leads, conversion so far, revenue per lead so far and speed, against the period before
    at the same age."""
    if page.frame is None:
        return
    figures = leads.key_figures(page.ds, page.period, page.frame)
    f, before, money = figures.set_index("figure"), figures.attrs["previous_period"], page.money
    same_age = f"vs {before} at the same age"
    show_key_figures(
        record(
            "leads",
            f.at["leads", "value"],
            label="Leads",
            unit="count",
            change=f.at["leads", "change"],
            change_label=f"vs {before}",
        ),
        record(
            "lead_conversion_rate",
            f.at["lead_conversion_rate", "value"],
            label="Converted so far",
            unit="percent",
            change=f.at["lead_conversion_rate", "change"],
            change_label=same_age,
            detail=f"{figures.attrs['converted']:,} opportunities; "
            f"{format_percent(f.at['lead_conversion_rate', 'previous'])} for {before} "
            "at the same age",
        ),
        record(
            "revenue_per_lead",
            f.at["revenue_per_lead", "value"] if money else None,
            label="Revenue per lead so far",
            unit="currency",
            change=f.at["revenue_per_lead", "change"] if money else None,
            change_label=same_age,
            detail="won so far by leads of the period: an immature cohort, compared at the same age"
            if money
            else "no amounts in this data",
        ),
        record(
            "median_days_to_convert",
            f.at["median_days_to_convert", "value"],
            label="Median days to convert",
            unit="days",
            change=f.at["median_days_to_convert", "change"],
            change_label=f"vs {before}",
            detail="of the leads converted in the period",
        ),
        reading=reading(figures, page.effects, page.period),
    )


def _funnel_table(frame: pd.DataFrame, **kwargs) -> None:
    table(frame, funnel_formats(frame), **{"labels": FUNNEL_LABELS, **kwargs})


@section
def by_source(page: LeadPage) -> Section:
    """The funnel by source over the trailing year."""
    if page.frame is None:
        return
    if not page.money:
        note(
            "This data has no deal amounts (currency: deals), so revenue is not shown; won "
            "counts deals."
        )
    missing = missing_opportunity_note(page.recent)
    if missing:
        note(missing)
    funnel = leads.funnel(page.ds, "source", frame=page.recent).sort_values(
        "revenue_per_lead" if page.money else "conversion_rate", ascending=False
    )
    _funnel_table(
        funnel.drop(columns=page.drop), caption=f"By source, leads created in {page.window.label}"
    )


@section
def source_effects(page: LeadPage) -> Section:
    """Conversion by source with the other factors held equal (a logistic regression)."""
    effects = page.effects
    if page.frame is None:
        return
    if effects is None:
        note(f"Sources are not compared: {not_compared_text(page.no_effects)}.")
        return
    plots.show(
        plots.rate_interval_chart(
            effects.table,
            "source",
            "adjusted_rate",
            "adjusted_lower",
            "adjusted_upper",
            effects_title(effects),
            "Adjusted conversion (95% interval)",
        )
    )
    pct = "percent"
    table(
        effects.table.drop(columns=["log_odds_ratio", "rank"]),
        {
            "leads": "count",
            "converted": "count",
            "odds_ratio": "ratio",
            "lower": "ratio",
            "upper": "ratio",
            "adjusted_rate": pct,
            "adjusted_lower": pct,
            "adjusted_upper": pct,
        },
        labels={
            "odds_ratio": f"Odds vs {effects.reference}",
            "lower": "95% low",
            "upper": "95% high",
            "adjusted_rate": "Adjusted conversion",
            "adjusted_lower": "95% low ",
            "adjusted_upper": "95% high ",
        },
        caption=f"{effects.leads_used:,} leads created at least {effects.mature_days} days "
        "before the data's date",
    )
    say(effects_note(effects))
    if len(effects.others):
        table(
            named_levels(effects.others, page.ds),
            {
                "leads": "count",
                "conversion_rate": pct,
                "odds_ratio": "ratio",
                "lower": "ratio",
                "upper": "ratio",
            },
            labels={
                "odds_ratio": "Odds vs reference",
                "lower": "95% low",
                "upper": "95% high",
                "conversion_rate": "Raw conversion",
            },
            caption="The other factors of the same model",
        )


@section
def speed(page: LeadPage) -> Section:
    """How fast leads convert, by source (Kaplan-Meier, censoring-aware)."""
    if page.frame is None:
        return
    curves = leads.conversion_curves(page.ds, "source", frame=page.recent)
    fast = leads.speed(page.ds, "source", frame=page.recent)
    plots.show(
        plots.conversion_curve_chart(
            curves, "source", speed_title(fast), "Days since the lead came in"
        )
    )
    table(
        fast,
        {
            "leads": "count",
            "converted": "count",
            "converted_30d": "percent",
            "converted_90d": "percent",
            "median_days_to_convert": "days",
            "median_days_to_won": "days",
        },
        labels={
            "converted_30d": "Converted in 30 days",
            "converted_90d": "Converted in 90 days",
            "median_days_to_convert": "Median days to opportunity",
            "median_days_to_won": "Median days to won",
        },
        caption="Medians among the leads that convert (win) within a year, censoring-aware",
    )
    left_out = leads.invalid_durations(page.recent)
    if left_out:
        note(invalid_durations_note(left_out))


@section
def by_owner(page: LeadPage) -> Section:
    """The funnel by lead owner (SDR), where owners are recorded."""
    if page.frame is None:
        return
    reason = leads.usable_factor(page.recent, "sdr")
    if reason is not None:
        note(f"Owners are not compared: {unusable_text(reason)}.")
        return
    by_sdr = leads.named(leads.funnel(page.ds, "sdr", frame=page.recent), page.ds)
    _funnel_table(by_sdr.drop(columns=page.drop), caption="By lead owner (SDR)", max_rows=100)


@section
def by_segment_month_and_ae(page: LeadPage) -> Section:
    """The funnel by segment, by month of arrival, and by the AE who took the leads over."""
    if page.frame is None:
        return
    ds, recent, drop = page.ds, page.recent, page.drop
    if leads.usable_factor(recent, "segment") is None:
        _funnel_table(
            leads.funnel(ds, "segment", frame=recent).drop(columns=drop), caption="By segment"
        )
    _funnel_table(
        leads.funnel(ds, "cohort", frame=recent).drop(columns=drop),
        caption="By the month the leads came in (recent months are still converting)",
    )
    by_ae = leads.named(leads.funnel(ds, "ae", frame=recent), ds, "rep_id")
    by_ae = by_ae.sort_values("won", ascending=False).drop(
        columns=drop + ["converted", "conversion_rate", "lower", "upper"]
    )
    _funnel_table(
        by_ae,
        labels={**FUNNEL_LABELS, "leads": "Leads taken"},
        max_rows=25,
        caption="By AE: leads taken over as opportunities and how many were won",
    )


@section
def stalled(page: LeadPage) -> Section:
    """Open leads older than their source's usual time to convert."""
    if page.frame is None:
        return
    frame = page.frame
    stuck = leads.stalled_leads(page.ds, frame=frame)
    for line in open_lead_caveats(frame):
        note(line)
    if len(stuck):
        record_action(
            f"{len(stuck):,} open leads are older than their source's usual time to "
            "convert: follow them up or close them.",
            "Which leads are stalling?",
        )
    table(
        leads.stalled_by_owner(page.ds, stuck, frame),
        {
            "open_leads": "count",
            "stalled": "count",
            "stalled_share": "percent",
            "oldest_days": "days",
        },
        caption=f"{len(stuck):,} stalled leads by owner",
    )
    table(
        leads.stall_thresholds(frame),
        {"conversions": "count", "threshold_days": "days"},
        caption="Stalled after (days), by source",
    )
    table(
        stuck,
        {"age_days": "days", "threshold_days": "days", "created_date": "date"},
        max_rows=60,
        caption="Stalled leads",
    )


def reading(figures: pd.DataFrame, effects: SourceEffects | None, period: Period) -> str:
    """The key figures in two sentences: volume and conversion against the period before at the
    same age, and the source worth most once SDR and segment are accounted for."""
    f = figures.set_index("figure")
    leads_now, rate = f.at["leads", "value"], f.at["lead_conversion_rate", "value"]
    before = figures.attrs.get("previous_period", "the period before")
    text = f"{int(leads_now):,} leads came in during {period.label}"
    if pd.notna(f.at["leads", "change"]):
        text += f" ({f.at['leads', 'change']:+.0%} on {before})"
    if pd.notna(rate):
        text += f"; {rate:.1%} have converted so far"
        previous = f.at["lead_conversion_rate", "previous"]
        if pd.notna(previous):
            text += f", against {previous:.1%} of {before}'s leads at the same age"
    text += "."
    known = effects.known if effects is not None else pd.DataFrame()
    if len(known):
        best = known.iloc[0]
        text += (
            f" {best['source']} leads convert best: {best['adjusted_rate']:.0%} "
            f"({best['adjusted_lower']:.0%}–{best['adjusted_upper']:.0%})"
        )
        if effects.held_equal:
            text += f" with {held_equal_text(effects)} held equal"
        if len(known) > 1 and known.iloc[1]["adjusted_upper"] >= best["adjusted_lower"]:
            text += f", though {known.iloc[1]['source']} is within the margin of error"
        text += "."
    return text


def factor_label(factor: str) -> str:
    """How a model factor is named in a sentence (``sdr`` -> ``SDR``)."""
    return "SDR" if factor == "sdr" else factor


def held_equal_text(effects: SourceEffects) -> str:
    """The model's other factors, as words (``segment and SDR``; empty: none)."""
    return " and ".join(factor_label(f) for f in effects.held_equal)


def unusable_text(reason: Unusable) -> str:
    """Why a factor is not in the model, in words (:class:`spm_lib.leads.sources.Unusable`)."""
    column = reason.column
    if reason.code == "not_recorded":
        return f"{column} is not recorded"
    if reason.code == "recorded_on_conversion":
        return (
            f"{column} is recorded on {reason.share_converted:.0%} of converted leads but "
            f"{reason.share_others:.0%} of the others, so it would only tell which leads were "
            "converted"
        )
    if reason.code == "single_value":
        return f"{column} has a single value"
    if reason.code == "single_value_after_pooling":
        return f"{column} has one usable value after pooling small ones"
    return "no leads old enough with both converted and unconverted ones to compare sources"


def not_compared_text(reason: Unusable) -> str:
    """Why the sources are not compared at all."""
    if reason.code == "no_mature_leads":
        return unusable_text(reason)
    return f"cannot compare sources: {unusable_text(reason)}"


def effects_note(effects: SourceEffects) -> str:
    """What the model holds equal, what it left out and pooled, in a sentence or two."""
    held = ", ".join(factor_label(f) for f in effects.factors)
    text = f"Model of conversion on {held}, {effects.leads_used:,} leads."
    for factor, reason in effects.left_out.items():
        text += f" Not in the model: {factor_label(factor)} ({unusable_text(reason)})."
    for factor, small in effects.pooled.items():
        shown = ", ".join(escape_markdown(s) for s in small[:8]) + (
            f" and {len(small) - 8} more" if len(small) > 8 else ""
        )
        text += f" Pooled {factor_label(factor)} levels: {shown}."
    return text


def named_levels(others: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """The other factors' table with SDR ids shown as ``Name (id)``."""
    names = ds.rep_names
    out = others.copy()
    for column in ("level", "reference"):
        sdr = out["factor"] == "sdr"
        out.loc[sdr, column] = [f"{names.get(v, v)} ({v})" for v in out.loc[sdr, column]]
    out["factor"] = out["factor"].map(factor_label)
    return out


def speed_title(speed: pd.DataFrame, column: str = "source") -> str:
    """The chart's finding: the fastest-converting group (of those with at least 20
    conversions, known groups only) and its median days to convert."""
    known = speed[
        (speed["converted"] >= MIN_CONVERSIONS_FOR_THRESHOLD)
        & ~speed[column].isin([NONE])
        & speed["median_days_to_convert"].notna()
    ]
    if known.empty:
        return "Too few conversions to tell which leads convert fastest"
    fastest = known.loc[known["median_days_to_convert"].idxmin()]
    return (
        f"{fastest[column]} leads convert fastest: half of those that convert do so within "
        f"{fastest['median_days_to_convert']:.0f} days"
    )


def effects_title(effects: SourceEffects) -> str:
    """The source chart's finding: the best known source and what the model held equal."""
    if effects.known.empty:
        return "Conversion by source"
    title = f"{effects.known['source'].iloc[0]} leads convert best"
    held = held_equal_text(effects)
    return title + (f" with {held} held equal" if held else "")


FUNNEL_FORMATS = {
    "leads": "count",
    "converted": "count",
    "conversion_rate": "percent",
    "lower": "percent",
    "upper": "percent",
    "won": "count",
    "win_rate": "percent",
    "revenue": "currency",
    "revenue_per_lead": "currency",
}
FUNNEL_LABELS = {
    "conversion_rate": "Conversion rate",
    "lower": "95% low",
    "upper": "95% high",
    "win_rate": "Win rate (won / closed)",
}


def funnel_formats(table: pd.DataFrame) -> dict[str, str]:
    """The display units of the funnel columns ``table`` has."""
    return {c: unit for c, unit in FUNNEL_FORMATS.items() if c in table}

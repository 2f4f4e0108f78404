"""The forecasting report's words and sections (notebook ``forecasting``; figures from
:mod:`spm_lib.forecasting.outlook`).

:func:`compute` makes the report's one forecast run and everything read from it; each other
function shows one section of the page from that :class:`ForecastPage`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.dataset.spreadsheet import neutralise, restore
from spm_lib.forecasting import outlook as forecasting
from spm_lib.forecasting.outlook import ForecastRun, QuarterOutlook
from spm_lib.forecasting.tracking import HISTORY_COLUMNS, TEXT_COLUMNS
from spm_lib.pages.common import open_report
from spm_lib.periods import Period
from spm_lib.pipeline.model import MIN_STAGE_EVIDENCE
from spm_lib.report import format_change, format_currency, format_percent, plots
from spm_lib.report.display import escape_markdown, note, say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action, record_table
from spm_lib.report.section import Section, section

__all__ = [
    "ForecastPage",
    "accuracy",
    "backtest_reading",
    "by_group",
    "compute",
    "key_figures",
    "method",
    "monthly_outlook",
    "open_report",
    "pipeline_outlook",
    "read_history",
    "reading",
    "track_record",
    "write_history",
]

INTERVAL_FORMATS = {"mean": "currency", "lower": "currency", "upper": "currency"}
INTERVAL_LABELS = {"mean": "Forecast", "lower": "Interval, low", "upper": "Interval, high"}


@dataclass
class ForecastPage:
    """What the forecasting page shows, computed once."""

    ds: Dataset
    period: Period
    interval: float
    run: ForecastRun
    view: QuarterOutlook
    scored: pd.DataFrame
    tracking: pd.DataFrame
    backtest: pd.DataFrame

    @property
    def pipeline(self) -> dict[str, float]:
        return self.view.pipeline.quantiles()


def compute(
    ds: Dataset, period: Period, interval: float, horizon_months: int, out_dir: str = ""
) -> ForecastPage:
    """The forecast run and what is read from it; the tracked history is kept in
    ``out_dir/forecast_history.csv`` (none without ``out_dir``): the runner puts the
    audience's history there before the run and keeps the updated one after it."""
    run = forecasting.forecast_run(ds, period, interval, horizon_months)
    history_file = Path(out_dir) / "forecast_history.csv" if out_dir else None
    stored = read_history(history_file) if history_file else None
    history = forecasting.tracked_history(run, stored)
    if history_file:
        write_history(history_file, history)
    scored, tracking = forecasting.tracking_scores(ds, period, run, history)
    return ForecastPage(
        ds,
        period,
        interval,
        run,
        forecasting.quarter_outlook(ds, period, run),
        scored,
        tracking,
        forecasting.accuracy_backtest(run),
    )


@section
def key_figures(page: ForecastPage) -> Section:
    """The key figures, the reading, and the figures and tables the suite checks itself by."""
    view, pipeline, period = page.view, page.pipeline, page.period
    error = forecasting.last_quarter_error(page.scored, period)
    show_key_figures(
        record(
            "forecast_next_quarter",
            view.forecast_mean,
            label=f"Forecast for {view.target_label}",
            unit="currency",
            change=view.change_on_last_year,
            change_label="on the same quarter a year before",
            detail=f"{page.interval:.0%} interval {format_currency(view.forecast_lower)}–"
            f"{format_currency(view.forecast_upper)}",
        ),
        record(
            "pipeline_forecast_p50",
            pipeline["p50"],
            label="Pipeline forecast (P50)",
            unit="currency",
        ),
        record("forecast_share_of_quota", view.share_of_quota, label="Of quota", unit="percent"),
        record(
            "last_quarter_forecast_error",
            error,
            label=f"Error of the {period.label} forecast",
            unit="percent",
            detail="above the actual" if error > 0 else "below the actual" if error < 0 else "",
        ),
        reading=reading(view),
    )
    if view.quota and view.forecast_mean < view.quota:
        record_action(
            f"The forecast for {view.target_label} is "
            f"{format_percent(view.share_of_quota)} of quota, "
            f"{format_currency(view.quota - view.forecast_mean)} short: plan the "
            "pipeline to close the gap.",
            "Where will next quarter's bookings come from?",
            weight=float(view.quota - view.forecast_mean),
        )
    sums = forecasting.coherence(page.run)
    checks = forecasting.backtest_summary(page.backtest)
    for name, value, label, unit in (
        ("forecast_next_quarter_lower", view.forecast_lower, "Forecast interval, low", "currency"),
        ("forecast_next_quarter_upper", view.forecast_upper, "Forecast interval, high", "currency"),
        (
            "forecast_next_quarter_sum_of_months",
            sums["sum_of_months"],
            "Sum of the monthly forecasts",
            "currency",
        ),
        (
            "forecast_next_quarter_sum_of_regions",
            sums["sum_of_regions"],
            "Sum of the regions' forecasts",
            "currency",
        ),
        (
            "backtest_worst_mase_ratio",
            checks["worst_mase_ratio"],
            "Worst MASE against seasonal naive",
            "number",
        ),
        ("backtest_coverage_min", checks["coverage_min"], "Lowest interval coverage", "percent"),
        ("backtest_coverage_max", checks["coverage_max"], "Highest interval coverage", "percent"),
        ("pipeline_forecast_mean", pipeline["mean"], "Pipeline forecast (mean)", "currency"),
    ):
        record(name, value, label=label, unit=unit)
    record_table("forecast_quarters", forecasting.forecast_table(page.run, "Q"))
    record_table("forecast_months", forecasting.forecast_table(page.run, "M"))


@section
def monthly_outlook(page: ForecastPage) -> Section:
    """The monthly fan chart and its table."""
    history, fan = forecasting.monthly_fan(page.run)
    title = (
        f"Monthly bookings: {format_currency(fan['mean'].sum())} expected over the next "
        f"{len(fan)} months"
    )
    plots.show(plots.fan_chart(history, fan, title, "Bookings per month", page.interval))
    table(fan.rename_axis("month").reset_index(), INTERVAL_FORMATS, labels=INTERVAL_LABELS)


@section
def by_group(page: ForecastPage, level: str = "company") -> Section:
    """Next quarter's forecast by ``level`` (the company page: by region and by team)."""
    for lvl in [level] if level != "company" else ["region", "team"]:
        table(
            forecasting.group_forecasts(page.ds, lvl, page.run),
            {**INTERVAL_FORMATS, "last_year": "currency", "change": format_change},
            labels={
                "series": lvl.capitalize(),
                **INTERVAL_LABELS,
                "last_year": "Same quarter a year before",
                "change": "Change on a year before",
            },
            caption=f"Next-quarter forecast by {lvl}: the {lvl}s add up to the company's "
            f"{format_currency(page.view.forecast_mean)}",
        )


@section
def accuracy(page: ForecastPage) -> Section:
    """The backtest's reading and table."""
    say(backtest_reading(page.backtest, page.interval))
    pct = "percent"
    table(
        page.backtest,
        {
            "mase": "number",
            "ratio": "number",
            "smape": "number",
            "wape": pct,
            "bias": pct,
            "coverage": pct,
            "coverage_low": pct,
            "coverage_high": pct,
            "n": "count",
        },
        labels={
            "mase": "MASE",
            "ratio": "MASE / seasonal naive's",
            "smape": "sMAPE",
            "wape": "WAPE",
            "coverage_low": "Coverage band, low",
            "coverage_high": "Coverage band, high",
            "n": "Forecasts",
        },
    )


@section
def pipeline_outlook(page: ForecastPage) -> Section:
    """The pipeline forecast's distribution, the rates it used, and this quarter and the next."""
    view, q = page.view, page.pipeline
    plots.show(
        plots.distribution_chart(
            view.pipeline.totals,
            {"P10": q["p10"], "P50": q["p50"], "P90": q["p90"]},
            f"Pipeline forecast for {view.target_label}: {format_currency(q['p50'])} at the median",
            "Bookings in the quarter",
        )
    )
    table(
        view.pipeline.rates,
        {"deals": "count", "won": "count", "raw_rate": "percent", "rate": "percent"},
        labels={"raw_rate": "Observed", "rate": "Rate used (smoothed)", "won": "Won in window"},
        caption="Chance to close won inside the window, by stage and age at the snapshot",
    )
    thin = view.pipeline.thin_stages or {}
    if thin:
        say(
            "The rates of {stages} rest on fewer than {n} past deals each, too few to fix them: "
            "each simulation draws them from what those deals allow, so the band carries that "
            "uncertainty.",
            n=MIN_STAGE_EVIDENCE,
            stages=", ".join(f"{stage} ({count} past deals)" for stage, count in thin.items()),
        )
    factors = view.pipeline.rates.attrs.get("push_factor")
    if factors:
        say(
            "Rates are slip-adjusted from the CRM's history, as the pipeline review measures "
            "pushes: a deal whose close date was pushed once wins {one} times as often as its "
            "stage and age predict, one pushed twice or more {two} times, one never pushed "
            "{zero} times.",
            one=f"{factors['1']:.2f}",
            two=f"{factors['2+']:.2f}",
            zero=f"{factors['0']:.2f}",
        )
    money = "currency"
    table(
        forecasting.pipeline_quarters(page.ds, page.period.end),
        {"booked_to_date": money, "p10": money, "p50": money, "p90": money, "open_deals": "count"},
        labels={"booked_to_date": "Booked so far", "p10": "P10", "p50": "P50", "p90": "P90"},
        caption="Pipeline forecast for the current quarter and the next (totals for the quarter)",
    )


@section
def track_record(page: ForecastPage) -> Section:
    """Earlier forecasts against what happened."""
    scored = page.scored
    ahead = scored[(scored["level"] == "company") & (scored["horizon"] == 1)]
    if ahead.empty:
        note("No earlier forecast can be scored yet.")
    else:
        plots.show(
            plots.forecast_vs_actual_chart(
                ahead,
                f"Company forecasts one quarter ahead: {ahead['hit'].mean():.0%} within 10% "
                "of the actual",
            )
        )
    table(
        page.tracking,
        {
            "forecasts": "count",
            "bias": "percent",
            "mape": "percent",
            "hit_rate": "percent",
            "coverage": "percent",
        },
        labels={"bias": "Mean signed error", "mape": "Mean abs. % error", "hit_rate": "Within 10%"},
    )


@section
def method(page: ForecastPage) -> Section:
    """The method the quarter's forecast used, as the forecaster named it."""
    say("Method used for the quarter: {method}.", method=page.view.method)


def reading(view: QuarterOutlook) -> str:
    """The one-line reading of the key figures."""
    money = format_currency
    q = view.pipeline.quantiles()
    parts = [
        f"The forecast for {view.target_label} is {money(view.forecast_mean)} "
        f"({view.interval:.0%} interval {money(view.forecast_lower)}–{money(view.forecast_upper)})"
    ]
    if view.same_quarter_last_year == view.same_quarter_last_year and view.same_quarter_last_year:
        parts.append(f", {format_change(view.change_on_last_year)} on the same quarter last year")
    if view.quota == view.quota and view.quota:
        parts.append(f" and {format_percent(view.share_of_quota)} of quota")
    if view.pipeline.history.empty:
        parts.append(". There is too little history to calibrate a pipeline forecast.")
        return "".join(parts)
    parts.append(
        f". The open pipeline points to {money(q['p50'])} (P10–P90 {money(q['p10'])}–"
        f"{money(q['p90'])}); weighing both by their precision gives "
        f"{money(view.combined['mean'])}."
    )
    return "".join(parts)


# Coverage this close to the interval's level reads as calibrated whatever its band: the
# issue's tolerance (75-85% for an 80% interval).
COVERAGE_TOLERANCE = 0.05


def backtest_reading(table: pd.DataFrame, interval: float = 0.8) -> str:
    """Whether the method beat seasonal naive on every series shown, and whether its
    ``interval`` intervals held what they claim, in a few sentences. Names the series where it
    did not beat seasonal naive (the same quarter a year before, shown beside each forecast, is
    the better guide there), and those whose intervals missed: coverage more than
    :data:`COVERAGE_TOLERANCE` from ``interval`` with a band (:func:`~spm_lib.forecasting.models.
    coverage_band`) that excludes it. A band that holds it is what a calibrated interval gives
    on a backtest of this size."""
    ours = table[table["model"] == "forecast"].set_index("series")
    if ours.empty or "Company" not in ours.index:
        return "Not enough history to backtest the company series."
    company = ours.loc["Company"]
    naive = table[table["model"] == "seasonal_naive"].set_index("series")["mase"]
    verdict = "beat" if company["ratio"] < 1 else "did not beat"
    level = format_percent(interval)
    text = (
        f"Over the last {int(company['n'])} monthly forecasts (6 months ahead), the method "
        f"{verdict} seasonal naive on company bookings: MASE {company['mase']:.2f} against "
        f"{naive['Company']:.2f}. {format_percent(company['coverage'])} of actuals fell inside "
        f"the {level} interval; a backtest of this size could have measured "
        f"{format_percent(company['coverage_low'])}–{format_percent(company['coverage_high'])}"
        f" (90% band)."
    )
    losing = [s for s in ours.index if s != "Company" and ours.at[s, "ratio"] >= 1]
    if losing:
        names = ", ".join(escape_markdown(n) for n in losing)
        text += (
            f" On {names} it did not beat seasonal naive (the same month a year before), "
            f"the better method there on this data: the series is too noisy for a model "
            f"to add to last year's figure, so read its forecast beside the same quarter a "
            f"year before."
        )
    else:
        text += " It beat seasonal naive on every region too."
    off = (ours["coverage"] - interval).abs() > COVERAGE_TOLERANCE
    narrow = [s for s in ours.index if off[s] and ours.at[s, "coverage_high"] < interval]
    wide = [s for s in ours.index if off[s] and ours.at[s, "coverage_low"] > interval]
    if narrow or wide:
        for names, word in ((narrow, "narrow"), (wide, "wide")):
            if names:
                shown = ", ".join(escape_markdown(n) for n in names)
                text += (
                    f" The intervals of {shown} were too {word}: the band of "
                    f"their coverage excludes {level}."
                )
    else:
        text += (
            f" On every series the coverage is within {COVERAGE_TOLERANCE * 100:.0f} "
            f"points of {level} or its band holds {level}: the intervals are as wide as "
            "the errors were."
        )
    return text


def read_history(path: str | Path) -> pd.DataFrame:
    """The stored history, or an empty one when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    frame = pd.read_csv(path, dtype={"made_at": str, "target": str, "series": str, "level": str})
    missing = set(HISTORY_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: not a forecast history (missing {sorted(missing)})")
    return restore(frame[HISTORY_COLUMNS], TEXT_COLUMNS)


def write_history(path: str | Path, history: pd.DataFrame) -> Path:
    """Write ``history`` to ``path`` atomically: through a temporary file renamed over it, so
    that a run stopped while writing leaves the previous history whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    safe = neutralise(history[HISTORY_COLUMNS], TEXT_COLUMNS)  # a team named =HYPERLINK(...)
    safe.to_csv(temporary, index=False, lineterminator="\n")
    os.replace(temporary, path)
    return path

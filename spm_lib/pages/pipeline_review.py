"""The pipeline-review report's words and sections (notebook ``pipeline_review``; figures from
:mod:`spm_lib.pipeline.movement`, :mod:`spm_lib.pipeline.slippage` and
:mod:`spm_lib.pipeline.calls`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.pages.call_accuracy import call_readings, show_call_accuracy
from spm_lib.pages.common import open_report
from spm_lib.periods import Period
from spm_lib.pipeline import calls, movement, slippage
from spm_lib.report import format_change, format_currency, format_percent, plots
from spm_lib.report.display import note, say, table
from spm_lib.report.keyfigures import key_figures as show_key_figures
from spm_lib.report.keyfigures import record, record_action, record_table
from spm_lib.report.section import Section, section

__all__ = [
    "ReviewPage",
    "call_readings",
    "calls_section",
    "compute",
    "deal_lists",
    "figures",
    "key_figures",
    "movement_by",
    "open_report",
    "past_periods",
    "slippage_section",
    "waterfalls",
]

FLOW_FIGURES = (
    "open_pipeline_start",
    "open_pipeline_end",
    "flow_created",
    "flow_increased",
    "flow_decreased",
    "flow_won",
    "flow_lost",
    "flow_other",
)
LISTED = 10  # deals per bucket in the report; the executed notebook records them all
MONEY, PCT = "currency", "percent"


@dataclass
class ReviewPage:
    """What the pipeline-review page shows, computed once (``flows`` and ``whole``: the
    window's and the whole pipeline's deal flows; ``scores``/``accuracy``: the calls)."""

    ds: Dataset
    period: Period
    has_history: bool
    flows: pd.DataFrame | None = None
    whole: pd.DataFrame | None = None
    deals: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    accuracy: pd.DataFrame | None = None
    rebuilt: pd.DataFrame | None = None


def past_periods(ds: Dataset, period: Period) -> list[Period]:
    """The quarters of the data up to ``period``, oldest first (``period`` at least)."""
    first = ds.opportunities["created_date"].min()
    out, p = [period], period.previous()
    while pd.notna(first) and pd.Timestamp(p.end) >= first:
        out.append(p)
        p = p.previous()
    return out[::-1]


def compute(ds: Dataset, period: Period) -> ReviewPage:
    if not ds.has("opportunity_history"):
        return ReviewPage(ds, period, False)
    periods = past_periods(ds, period)
    rebuilt = calls.reconstructed_calls(ds, periods)
    every = calls.calls(ds, periods, rebuilt)
    model = calls.statistical_forecasts(ds, periods[-calls.VALUE_PERIODS :])
    scores = calls.period_scores(every, calls.actuals(ds, periods), model)
    return ReviewPage(
        ds,
        period,
        True,
        flows=movement.period_movement(ds, period, window=True),
        whole=movement.period_movement(ds, period, window=False),
        deals=slippage.pushes(ds, until=pd.Timestamp(period.end)),
        scores=scores,
        accuracy=calls.call_accuracy(scores),
        rebuilt=rebuilt,
    )


def _flows(page: ReviewPage) -> dict[str, float]:
    table = movement.waterfall(page.whole).set_index("bucket")["amount"]
    other = table[["pulled in", "pushed out", "deleted", "other"]].sum()
    return {
        "open_pipeline_start": table["starting pipeline"],
        "open_pipeline_end": table["ending pipeline"],
        "flow_created": table["created"],
        "flow_increased": table["increased"],
        "flow_decreased": table["decreased"],
        "flow_won": table["won"],
        "flow_lost": table["lost"],
        "flow_other": other,
    }


def _company_period(page: ReviewPage) -> pd.Series | None:
    s = page.scores
    row = s[(s["level"] == "company") & (s["period"] == page.period.label)]
    return row.iloc[0] if len(row) else None


def _commit_conversion(page: ReviewPage) -> float:
    """The company's commit conversion in the period: won / open Commit due, pooled over the
    weeks, from the CRM's Commit category (reconstructed calls)."""
    r = page.rebuilt
    r = r[(r["category"] == "Commit") & (r["period"] == page.period.label)]
    opened = r["commit_open"].astype(float).sum()
    return float(r["commit_won"].astype(float).sum() / opened) if opened else float("nan")


def figures(page: ReviewPage) -> dict[str, float]:
    """The key figures' numbers (issue #19 item 6): ``pipeline_change_pct`` (open pipeline at
    the end / at the start - 1), ``slipped_pct`` (:func:`spm_lib.pipeline.slippage.slipped_share`),
    ``commit_conversion_pct``, ``call_bias_pct`` (the company's Commit call bias in the period,
    :mod:`spm_lib.pipeline.calls`), ``open_pipeline_start`` / ``_end`` and the ``flow_*`` that take
    one to the other; ``slipped_deals`` and ``due_deals`` behind ``slipped_pct``."""
    f = _flows(page)
    start, end = f["open_pipeline_start"], f["open_pipeline_end"]
    slipped = (
        slippage.slipped_share(page.ds, page.period, flows=page.flows).iloc[0]
        if page.flows["in_start"].any()
        else None
    )
    company = _company_period(page)
    return {
        "pipeline_change_pct": end / start - 1 if start else float("nan"),
        "slipped_pct": float(slipped["slipped_pct"]) if slipped is not None else float("nan"),
        "slipped_deals": int(slipped["slipped_deals"]) if slipped is not None else 0,
        "due_deals": int(slipped["deals"]) if slipped is not None else 0,
        "commit_conversion_pct": _commit_conversion(page),
        "call_bias_pct": float(company["bias"]) if company is not None else float("nan"),
        **f,
    }


@section
def key_figures(page: ReviewPage) -> Section:
    """The key figures, the reading, and the roll-forward's identities as figures."""
    if not page.has_history:
        note(
            "This dataset has no opportunity_history table (the CRM's field history of "
            "stage, amount, close date and forecast category): the pipeline review needs it. "
            "Export it (Salesforce OpportunityHistory, HubSpot deal property history) beside "
            "the opportunities."
        )
        return
    n = figures(page)
    start, end = n["open_pipeline_start"], n["open_pipeline_end"]
    label = page.period.label
    show_key_figures(
        record(
            "pipeline_change_pct",
            n["pipeline_change_pct"],
            label="Open pipeline change",
            unit="percent",
            detail=f"{format_currency(start)} to {format_currency(end)} over {label}",
        ),
        record(
            "slipped_pct",
            n["slipped_pct"],
            label="Pipeline due that slipped",
            unit="percent",
            detail=(
                f"{n['slipped_deals']} of {n['due_deals']} deals due in {label} at its start"
                if n["due_deals"]
                else ""
            ),
        ),
        record(
            "commit_conversion_pct",
            n["commit_conversion_pct"],
            label="Commit conversion",
            unit="percent",
            detail="share of the Commit amount due that closed won",
        ),
        record(
            "call_bias_pct",
            n["call_bias_pct"],
            label="Company call bias",
            unit="percent",
            detail="mean weekly Commit call against bookings (below zero: under-called)",
        ),
        reading=_reading(
            page,
            n["pipeline_change_pct"],
            n["slipped_pct"],
            n["commit_conversion_pct"],
            n["call_bias_pct"],
        ),
    )
    for name in FLOW_FIGURES:
        record(name, n[name], label=name.replace("_", " ").capitalize(), unit="currency")


def _reading(
    page: ReviewPage, change: float, slipped: float, conversion: float, bias: float
) -> str:
    flags = page.accuracy[page.accuracy["flag"].isin(calls.BIASED)]
    text = (
        f"The open pipeline moved {format_change(change)} over {page.period.label}; "
        f"{format_percent(slipped)} of the pipeline due in it slipped out, and "
        f"{format_percent(conversion)} of the Commit amount closed won. "
    )
    if flags.empty:
        return text + "No rep's or manager's calls are biased beyond noise."
    return text + (
        f"{len(flags)} owners' calls are biased beyond noise "
        f"({(flags['flag'] == 'sandbagging').sum()} sandbagging, "
        f"{(flags['flag'] == 'over_committing').sum()} over-committing)."
    )


def _title(table: pd.DataFrame, what: str) -> str:
    t = table.set_index("bucket")["amount"]
    start, end = t["starting pipeline"], t["ending pipeline"]
    inner = t.drop(["starting pipeline", "ending pipeline"])
    biggest = inner.abs().idxmax() if inner.abs().sum() else None
    head = f"{what} {format_change(end / start - 1)}" if start else what
    return head + (
        f"; the largest flow: {biggest} {format_currency(inner[biggest])}" if biggest else ""
    )


@section
def waterfalls(page: ReviewPage) -> Section:
    """The window's and the whole pipeline's roll-forward: chart and table."""
    if not page.has_history:
        return
    label = page.period.label
    for flows, what in (
        (page.whole, f"Open pipeline over {label}"),
        (page.flows, f"Pipeline due in {label}"),
    ):
        wf = movement.waterfall(flows)
        title = _title(wf, what) if flows is page.whole else _window_title(wf, label)
        plots.show(plots.waterfall_chart(wf.assign(computable=True), title))
        table(wf, {"amount": MONEY, "deals": "count"}, caption=what)


def _window_title(table: pd.DataFrame, label: str) -> str:
    t = table.set_index("bucket")["amount"]
    return (
        f"Of {format_currency(t['starting pipeline'])} due in {label} at its start and "
        f"{format_currency(t['created'] + t['pulled in'])} added, "
        f"{format_currency(-t['won'])} was won and {format_currency(-t['pushed out'])} "
        "pushed out"
    )


@section
def movement_by(page: ReviewPage) -> Section:
    """The whole pipeline's roll-forward by region, team and rep."""
    if not page.has_history:
        return
    formats = {b: MONEY for b in movement.BUCKETS}
    for by in ("region", "team", "rep"):
        if by != "rep" and by not in page.ds.reps.columns:
            continue
        groups = movement.waterfall_by(page.ds, page.whole, by)
        if by == "rep":
            groups.insert(1, "name", groups["rep"].map(page.ds.rep_names).fillna(groups["rep"]))
            groups = groups.drop(columns="rep")
        table(groups, formats, caption=f"By {by}", max_rows=200)


@section
def deal_lists(page: ReviewPage) -> Section:
    """Each bucket's deals, the largest first (the full lists recorded in the notebook)."""
    if not page.has_history:
        return
    for bucket in movement.BUCKETS[1:-1]:  # the flows between the start and the end
        deals = movement.bucket_deals(page.flows, bucket, page.ds)
        record_table(f"deals_{bucket.replace(' ', '_')}", deals)
        if deals.empty:
            continue
        caption = (
            f"{bucket.capitalize()}: {len(deals):,} deals, {format_currency(deals['amount'].sum())}"
        )
        table(
            deals.drop(columns="opportunity_id"),
            {"amount": MONEY},
            caption=caption,
            max_rows=LISTED,
        )


SLIPPED_FORMATS = {
    "deals": "count",
    "slipped_deals": "count",
    "amount": MONEY,
    "slipped_amount": MONEY,
    "slipped_pct": PCT,
    "slipped_deal_share": PCT,
    "lower": PCT,
    "upper": PCT,
}
SLIPPED_LABELS = {
    "slipped_pct": "Slipped (value)",
    "slipped_deal_share": "Slipped (deals)",
    "lower": "90% low",
    "upper": "90% high",
}


@section
def slippage_section(page: ReviewPage) -> Section:
    """The slipped share by rep, stage and category; repeat slippers; win rate by pushes."""
    if not page.has_history:
        return
    _slipped_shares(page)
    _win_rate_by_pushes(page)
    _repeat_slippers(page)


def _slipped_shares(page: ReviewPage) -> None:
    """The share of the pipeline due in the period that slipped out, by stage, category, rep."""
    ds, period = page.ds, page.period
    if not page.flows["in_start"].any():
        note(f"No open deal was due in {period.label} at its start.")
        return
    for by in ("stage", "forecast_category", "rep"):
        share = slippage.slipped_share(ds, period, by, flows=page.flows)
        if by == "rep":
            share.insert(1, "name", share["rep"].map(ds.rep_names).fillna(share["rep"]))
            share = share.drop(columns="rep")
        table(
            share,
            SLIPPED_FORMATS,
            caption=f"Slipped out of {period.label}, by {by}",
            labels=SLIPPED_LABELS,
            max_rows=200,
        )


def _win_rate_by_pushes(page: ReviewPage) -> None:
    """Win rate by close-date pushes: the chart and its table."""
    by_pushes = slippage.win_rate_by_pushes(page.ds, page.deals)
    title = "Win rate by close-date pushes"
    if by_pushes["deals"].iloc[0] and by_pushes["deals"].iloc[-1]:
        title = (
            f"Deals pushed 3+ times win {format_percent(by_pushes['win_rate'].iloc[-1])}, "
            f"against {format_percent(by_pushes['win_rate'].iloc[0])} never pushed"
        )
    plots.show(
        plots.rate_interval_chart(
            by_pushes.assign(label=by_pushes["pushes"] + " pushes"),
            "label",
            "win_rate",
            "lower",
            "upper",
            title,
            "Win rate (won / closed)",
            legend="Win rate, 90% interval",
        )
    )
    table(
        by_pushes,
        {
            "won": "count",
            "lost": "count",
            "deals": "count",
            "win_rate": PCT,
            "lower": PCT,
            "upper": PCT,
        },
        labels={"lower": "90% low", "upper": "90% high"},
        caption=title,
    )


def _repeat_slippers(page: ReviewPage) -> None:
    """The open deals pushed three times or more, the largest first."""
    slippers = slippage.repeat_slippers(page.ds, page.deals)
    record_table("repeat_slippers", slippers)
    if slippers.empty:
        note("No open deal has been pushed three times or more.")
        return
    say(
        "**{n}** open deals ({amount}) have been pushed three times or more; the largest:",
        n=len(slippers),
        amount=format_currency(slippers["amount"].sum()),
    )
    record_action(
        f"{len(slippers)} open deals ({format_currency(slippers['amount'].sum())}) "
        "have been pushed three times or more: requalify them before they are "
        "called.",
        "Which deals keep slipping?",
        weight=float(slippers["amount"].sum()),
    )
    table(
        slippers.drop(columns="opportunity_id"),
        {"amount": MONEY, "pushes": "count", "days_pushed": "count", "close_date": "date"},
        max_rows=LISTED,
    )


@section
def calls_section(page: ReviewPage, level: str) -> Section:
    """The call accuracy of every rep or manager (``level``)."""
    if page.has_history:
        show_call_accuracy(page.accuracy, page.ds.rep_names, level)

"""HubSpot deals exports -> canonical tables (a connector's objects are
:mod:`spm_lib.dataset.vendors.hubspot`).

**HubSpot** (``spm import --from hubspot``): the deals export (Record ID, Deal Name, Deal Stage,
Pipeline, Amount, Close Date, Create Date, Deal owner; optional Deal Type, Associated Company,
Last Modified Date, Currency, and ``Date entered "<stage> (<pipeline>)"`` columns, which give
the stage history), or a connector's objects as files (:mod:`spm_lib.dataset.vendors.hubspot`).
Pipelines are kept apart: each open stage is named
``<pipeline>: <stage>`` when there are several pipelines (their funnels differ), won and lost
stay common ("Closed Won", "Closed Lost"), and a ``pipeline`` column is kept.

The import writes ``spm.yaml`` with the stages found and the currency (the commonest one;
others are kept per row for ``currency_rates``). Rows are never dropped: what the canonical
model cannot use is left for the loader to quarantine with a reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spm_lib.dataset.vendors.exports import (
    LOST,
    WON,
    commonest_currency,
    export_dates,
    first_column,
    has_columns,
    money,
    read_frame,
    reps_from_owners,
    stage_list,
    won_lost_names,
)
from spm_lib.dataset.vendors.objects import concatenated

HUBSPOT_STAGES = [
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
]


def hubspot_files(paths: list[Path]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and spm.yaml from a HubSpot deals export (see the module docstring)."""
    frames = {p.name: read_frame(p) for p in paths}
    deals = {n: f for n, f in frames.items() if has_columns(f, "Record ID", "Deal Stage")}
    if not deals:  # a connector's objects (deal, deal_pipeline_stage, ...) as CSV files
        from spm_lib.dataset.vendors.hubspot import convert

        return convert(frames)
    d = concatenated("HubSpot", "deals", deals)
    pipeline = first_column(d, "Pipeline").fillna("Sales Pipeline").astype("str")
    won_names, lost_names = won_lost_names(d["Deal Stage"])
    several = pipeline.nunique() > 1
    stage = d["Deal Stage"].astype("str").where(d["Deal Stage"].notna())
    is_won, is_lost = stage.isin(won_names), stage.isin(lost_names)
    named = stage.where(is_won | is_lost, pipeline + ": " + stage) if several else stage
    named = named.where(~is_won, WON).where(~is_lost, LOST)
    amount, code = money(first_column(d, "Amount"), first_column(d, "Currency", "Deal Currency"))
    opps = pd.DataFrame(
        {
            "opportunity_id": d["Record ID"],
            "rep_id": first_column(d, "Deal owner", "Deal Owner"),
            "account_id": first_column(d, "Associated Company", "Company"),
            "product": first_column(d, "Deal Type"),
            "created_date": export_dates(first_column(d, "Create Date", "Created Date")),
            "close_date": export_dates(first_column(d, "Close Date")),
            "stage": named,
            "amount": amount,
            "currency": code,
            "modified_date": export_dates(first_column(d, "Last Modified Date")),
            "deal_name": first_column(d, "Deal Name"),
            "pipeline": pipeline,
        }
    )
    known = [f"{p}: {s}" if several else s for p in dict.fromkeys(pipeline) for s in HUBSPOT_STAGES]
    tables = {"reps": reps_from_owners(opps["rep_id"]), "opportunities": opps}
    entries = _date_entered(d, pipeline, several, won_names, lost_names)
    if entries is not None:
        tables["stage_history"] = entries
    found = list(named.dropna()) + ([] if entries is None else list(entries["stage"]))
    config = {
        "currency": commonest_currency(code),
        "stages": stage_list(found, known, {WON}, {LOST}),
    }
    return tables, config


_ENTERED = re.compile(r'^Date entered\s+"?(?P<stage>.+?)(?:\s+\((?P<pipeline>[^()]+)\))?"?$')


def _date_entered(d, pipeline, several, won_names, lost_names) -> pd.DataFrame | None:
    """Stage history from the deals export's ``Date entered "<stage> (<pipeline>)"`` columns:
    one entry per non-empty cell, the stage named as the deals' stages are."""
    rows = []
    for name in d.columns:
        match = _ENTERED.match(str(name))
        if not match:
            continue
        stage, owner = match["stage"].strip(), match["pipeline"]
        when = export_dates(d[name])
        has = when.notna()
        if owner is not None:
            has &= pipeline.eq(owner.strip())
        if stage in won_names or re.search(r"\bwon\b", stage, re.I):
            named = pd.Series(WON, index=d.index)
        elif stage in lost_names or re.search(r"\blost\b", stage, re.I):
            named = pd.Series(LOST, index=d.index)
        else:
            named = (pipeline + ": " + stage) if several else pd.Series(stage, index=d.index)
        rows.append(
            pd.DataFrame(
                {
                    "opportunity_id": d.loc[has, "Record ID"],
                    "stage": named[has],
                    "entered_date": when[has],
                }
            )
        )
    if not rows:
        return None
    return pd.concat(rows, ignore_index=True).drop_duplicates()

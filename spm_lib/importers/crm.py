"""Salesforce and HubSpot exports -> canonical tables.

**Salesforce** (``spm import --from salesforce``), recognised by their columns:

- the *Opportunities* report: Opportunity ID, Opportunity Name, Opportunity Owner, Account Name,
  Stage, Amount (``$1,234.56``, ``USD 1,234.56``; a separate "Amount Currency" column is read
  too), Close Date, Created Date (US ``MM/DD/YYYY`` or ISO), Probability (%), Forecast Category,
  Lead Source, Type; optional Won / Closed flags and Last Modified Date;
- the *Opportunity History* export (Opportunity ID, To Stage or Stage, Last Modified / Edit
  Date): stage history;
- a *Users* export (Full Name, Role, Manager, Division or Region, Department or Team, Start
  Date, Active): reps with managers and roles.

Reps are identified by the owner's full name, as the reports export them. Stages are ordered
as Salesforce's defaults, with any other open stage in the order of its first appearance;
"Closed Won"-like stages (or the Won flag) are won, "Closed Lost"-like ones lost.

**HubSpot** (``spm import --from hubspot``): the deals export (Record ID, Deal Name, Deal Stage,
Pipeline, Amount, Close Date, Create Date, Deal owner; optional Deal Type, Associated Company,
Last Modified Date, Currency, and ``Date entered "<stage> (<pipeline>)"`` columns, which give
the stage history), or a connector's objects as files (:mod:`spm_lib.dataset.vendors.hubspot`).
Pipelines are kept apart: each open stage is named
``<pipeline>: <stage>`` when there are several pipelines (their funnels differ), won and lost
stay common ("Closed Won", "Closed Lost"), and a ``pipeline`` column is kept.

Both write ``spm.yaml`` with the stages found and the currency (the commonest one; others are
kept per row for ``currency_rates``). Rows are never dropped: what the canonical model cannot
use is left for the loader to quarantine with a reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spm_lib.dataset.config import currency_code
from spm_lib.dataset.numbers import read_numbers
from spm_lib.dataset.readers import read_raw
from spm_lib.dataset.vendors.objects import concatenated
from spm_lib.exceptions import DataError

SALESFORCE_STAGES = [
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review",
]  # fmt: skip
HUBSPOT_STAGES = [
    "Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled",
    "Decision Maker Bought-In", "Contract Sent",
]  # fmt: skip
WON, LOST = "Closed Won", "Closed Lost"
_CODE = re.compile(r"\b([A-Z]{3})\b")


def _frame(path: Path) -> pd.DataFrame:
    return read_raw(path, path.stem)[0]


def _has(frame: pd.DataFrame, *columns: str) -> bool:
    return all(c in frame.columns for c in columns)


def _col(frame: pd.DataFrame, *names: str) -> pd.Series:
    """The first of ``names`` the export has, else an empty column."""
    for name in names:
        if name in frame.columns:
            return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="object")


def _dates(raw: pd.Series) -> pd.Series:
    """ISO text of export dates: US ``MM/DD/YYYY`` (with an optional time), or ISO."""
    text = raw.astype("str").str.strip().where(raw.notna())
    us = text.str.match(r"^\d{1,2}/\d{1,2}/\d{4}", na=False)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    out[us] = pd.to_datetime(text[us].str.split(" ").str[0], format="%m/%d/%Y", errors="coerce")
    out[~us] = pd.to_datetime(text[~us], format="ISO8601", errors="coerce")
    iso = out.dt.strftime("%Y-%m-%d")
    return iso.where(out.notna(), text)  # unreadable dates stay, for the loader to report


def _money(raw: pd.Series, currency: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Amounts (``$1,234.56``, ``USD 1,234.56``, ``1234.56``) and their currency codes."""
    text = raw.astype("str").where(raw.notna())
    code = text.str.extract(_CODE, expand=False)
    if currency is not None:
        code = code.fillna(currency.astype("str").where(currency.notna()))
    code = code.where(code.notna(), text.str.contains(r"\$", na=False).map({True: "USD"}))
    value, ambiguous = read_numbers(text)
    shown = value.map(lambda v: f"{v:.2f}" if pd.notna(v) else None)
    # a value that reads two ways stays text the loader cannot read: quarantined, not guessed
    kept = text.where(~ambiguous, text + " (reads as two numbers)")
    return shown.where(value.notna(), kept), code


def _stages(found: list[str], known: list[str], won_names: set[str], lost_names: set[str]) -> list:
    """The spm.yaml stage list: known open stages in order, then other open stages in order
    of appearance, then won and lost."""
    open_found = [s for s in dict.fromkeys(found) if s not in won_names | lost_names]
    ordered = [s for s in known if s in open_found] + [s for s in open_found if s not in known]
    won = [s for s in dict.fromkeys(found) if s in won_names] or [WON]
    lost = [s for s in dict.fromkeys(found) if s in lost_names] or [LOST]
    return (
        ordered
        + [{"name": s, "won": True} for s in won]
        + [{"name": s, "lost": True} for s in lost]
    )


def _won_lost(stages: pd.Series) -> tuple[set[str], set[str]]:
    names = set(stages.dropna())
    won = {s for s in names if re.search(r"\bwon\b", s, re.I)}
    lost = {s for s in names if re.search(r"\blost\b", s, re.I)}
    return won, lost


def _currency(codes: pd.Series) -> str:
    """The dataset's currency: the commonest ISO 4217 code of the rows (a cell that is not a
    code stays on its row, for the loader to quarantine as ``invalid_currency``)."""
    counts = codes.dropna().map(currency_code).dropna().value_counts()
    return str(counts.index[0]) if len(counts) else "USD"


def _reps_from_owners(owners: pd.Series) -> pd.DataFrame:
    names = sorted(set(owners.dropna().astype("str").str.strip()) - {""})
    return pd.DataFrame({"rep_id": names, "name": names})


def salesforce(paths: list[Path]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and spm.yaml from Salesforce exports: the report layout (see the module
    docstring), or objects by API name (Data Export, Data Loader, Workbench, Bulk API; see
    :mod:`spm_lib.dataset.vendors.salesforce`), told apart by their columns."""
    frames = {path.name: _frame(path) for path in paths}
    if not any(_has(f, "Opportunity ID") or _has(f, "Full Name") for f in frames.values()):
        from spm_lib.dataset.vendors.salesforce import convert

        return convert(frames)
    reports: dict[str, dict[str, pd.DataFrame]] = {"Opportunities": {}, "Opportunity History": {},
                                                   "Users": {}}  # fmt: skip
    for path in paths:
        frame = frames[path.name]
        if _has(frame, "Opportunity ID", "Stage", "Amount", "Close Date"):
            reports["Opportunities"][path.name] = frame
        elif _has(frame, "Opportunity ID") and (_has(frame, "To Stage") or _has(frame, "Stage")):
            reports["Opportunity History"][path.name] = frame
        elif _has(frame, "Full Name"):
            reports["Users"][path.name] = frame
        else:
            raise DataError(
                f"{path}: not a Salesforce Opportunities report, Opportunity History or Users "
                f"export (columns: {', '.join(frame.columns)})",
                path=str(path), expected="an Opportunities report, Opportunity History or Users",
            )  # fmt: skip
    # a report exported in several files (one per year, say) is one report
    opportunities, history, users = (concatenated("Salesforce", kind, named) if named else None
                                     for kind, named in reports.items())  # fmt: skip
    if opportunities is None:
        raise DataError(
            "Salesforce: no Opportunities report among the files (it has Opportunity ID, Stage, "
            "Amount and Close Date columns)",
            table="opportunities", expected="Opportunity ID, Stage, Amount, Close Date",
        )
    o = opportunities
    amount, code = _money(o["Amount"], _col(o, "Amount Currency", "Opportunity Currency"))
    won_names, lost_names = _won_lost(o["Stage"])
    if "Won" in o.columns:  # the Won / Closed flags say what the stage names may not
        flags = o["Won"].astype("str").str.lower().isin(["1", "true", "yes"])
        closed = _col(o, "Closed").astype("str").str.lower().isin(["1", "true", "yes"])
        won_names |= set(o.loc[flags, "Stage"].dropna())
        lost_names |= set(o.loc[closed & ~flags, "Stage"].dropna())
    opps = pd.DataFrame({
        "opportunity_id": o["Opportunity ID"],
        "rep_id": o["Opportunity Owner"] if "Opportunity Owner" in o else _col(o, "Owner"),
        "account_id": _col(o, "Account Name", "Account ID"),
        "product": _col(o, "Product Name", "Type"),
        "created_date": _dates(_col(o, "Created Date")),
        "close_date": _dates(o["Close Date"]),
        "stage": o["Stage"],
        "amount": amount,
        "currency": code,
        "forecast_category": _col(o, "Forecast Category"),
        "lead_source": _col(o, "Lead Source"),
        "modified_date": _dates(_col(o, "Last Modified Date")),
        "opportunity_name": _col(o, "Opportunity Name"),
        "probability": _col(o, "Probability (%)"),
        "type": _col(o, "Type"),
    })  # fmt: skip
    tables: dict[str, pd.DataFrame] = {"opportunities": opps}
    if users is not None:
        u = users
        tables["reps"] = pd.DataFrame({
            "rep_id": u["Full Name"], "name": u["Full Name"], "manager": _col(u, "Manager"),
            "team": _col(u, "Department", "Team", "Role"), "region": _col(u, "Division", "Region"),
            "role": _col(u, "Role", "Profile"), "hire_date": _dates(_col(u, "Start Date")),
            "end_date": pd.NA,
        })  # fmt: skip
        known = set(u["Full Name"].dropna())
        extra = _reps_from_owners(opps["rep_id"])
        tables["reps"] = pd.concat([tables["reps"], extra[~extra["rep_id"].isin(known)]])
    else:
        tables["reps"] = _reps_from_owners(opps["rep_id"])
    if history is not None:
        h = history
        tables["stage_history"] = pd.DataFrame({
            "opportunity_id": h["Opportunity ID"],
            "stage": h["To Stage"] if "To Stage" in h else h["Stage"],
            "entered_date": _dates(_col(h, "Last Modified", "Last Modified Date", "Edit Date",
                                        "Created Date")),
        }).drop_duplicates()  # fmt: skip
    found = list(o["Stage"].dropna())
    if history is not None:
        found += list(tables["stage_history"]["stage"].dropna())
    config = {"currency": _currency(code),
              "stages": _stages(found, SALESFORCE_STAGES, won_names, lost_names)}  # fmt: skip
    return tables, config


def hubspot(paths: list[Path]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and spm.yaml from a HubSpot deals export (see the module docstring)."""
    frames = {p.name: _frame(p) for p in paths}
    deals = {n: f for n, f in frames.items() if _has(f, "Record ID", "Deal Stage")}
    if not deals:  # a connector's objects (deal, deal_pipeline_stage, ...) as CSV files
        from spm_lib.dataset.vendors.hubspot import convert

        return convert(frames)
    d = concatenated("HubSpot", "deals", deals)
    pipeline = _col(d, "Pipeline").fillna("Sales Pipeline").astype("str")
    won_names, lost_names = _won_lost(d["Deal Stage"])
    several = pipeline.nunique() > 1
    stage = d["Deal Stage"].astype("str").where(d["Deal Stage"].notna())
    is_won, is_lost = stage.isin(won_names), stage.isin(lost_names)
    named = stage.where(is_won | is_lost, pipeline + ": " + stage) if several else stage
    named = named.where(~is_won, WON).where(~is_lost, LOST)
    amount, code = _money(_col(d, "Amount"), _col(d, "Currency", "Deal Currency"))
    opps = pd.DataFrame({
        "opportunity_id": d["Record ID"], "rep_id": _col(d, "Deal owner", "Deal Owner"),
        "account_id": _col(d, "Associated Company", "Company"), "product": _col(d, "Deal Type"),
        "created_date": _dates(_col(d, "Create Date", "Created Date")),
        "close_date": _dates(_col(d, "Close Date")), "stage": named, "amount": amount,
        "currency": code, "modified_date": _dates(_col(d, "Last Modified Date")),
        "deal_name": _col(d, "Deal Name"), "pipeline": pipeline,
    })  # fmt: skip
    known = [f"{p}: {s}" if several else s for p in dict.fromkeys(pipeline) for s in HUBSPOT_STAGES]
    tables = {"reps": _reps_from_owners(opps["rep_id"]), "opportunities": opps}
    entries = _date_entered(d, pipeline, several, won_names, lost_names)
    if entries is not None:
        tables["stage_history"] = entries
    found = list(named.dropna()) + ([] if entries is None else list(entries["stage"]))
    config = {"currency": _currency(code),
              "stages": _stages(found, known, {WON}, {LOST})}  # fmt: skip
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
        when = _dates(d[name])
        has = when.notna()
        if owner is not None:
            has &= pipeline.eq(owner.strip())
        if stage in won_names or re.search(r"\bwon\b", stage, re.I):
            named = pd.Series(WON, index=d.index)
        elif stage in lost_names or re.search(r"\blost\b", stage, re.I):
            named = pd.Series(LOST, index=d.index)
        else:
            named = (pipeline + ": " + stage) if several else pd.Series(stage, index=d.index)
        rows.append(pd.DataFrame({"opportunity_id": d.loc[has, "Record ID"],
                                  "stage": named[has], "entered_date": when[has]}))
    if not rows:
        return None
    return pd.concat(rows, ignore_index=True).drop_duplicates()

"""Salesforce report exports -> canonical tables (the report layout; objects by API name are
:mod:`spm_lib.dataset.vendors.salesforce`).

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

The import writes ``spm.yaml`` with the stages found and the currency (the commonest one;
others are kept per row for ``currency_rates``). Rows are never dropped: what the canonical
model cannot use is left for the loader to quarantine with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spm_lib.dataset.vendors.exports import (
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
from spm_lib.dataset.vendors.salesforce_stages import DEFAULT_STAGES
from spm_lib.exceptions import DataError


def salesforce_files(paths: list[Path]) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical tables and spm.yaml from Salesforce exports: the report layout (see the module
    docstring), or objects by API name (Data Export, Data Loader, Workbench, Bulk API; see
    :mod:`spm_lib.dataset.vendors.salesforce`), told apart by their columns."""
    frames = {path.name: read_frame(path) for path in paths}
    if not any(
        has_columns(f, "Opportunity ID") or has_columns(f, "Full Name") for f in frames.values()
    ):
        from spm_lib.dataset.vendors.salesforce import convert

        return convert(frames)
    opportunities, history, users = _reports(paths, frames)
    o = opportunities
    amount, code = money(o["Amount"], first_column(o, "Amount Currency", "Opportunity Currency"))
    won_names, lost_names = won_lost_names(o["Stage"])
    if "Won" in o.columns:  # the Won / Closed flags say what the stage names may not
        flags = o["Won"].astype("str").str.lower().isin(["1", "true", "yes"])
        closed = first_column(o, "Closed").astype("str").str.lower().isin(["1", "true", "yes"])
        won_names |= set(o.loc[flags, "Stage"].dropna())
        lost_names |= set(o.loc[closed & ~flags, "Stage"].dropna())
    opps = _opportunities(o, amount, code)
    tables: dict[str, pd.DataFrame] = {"opportunities": opps, "reps": _reps(users, opps)}
    found = list(o["Stage"].dropna())
    if history is not None:
        tables["stage_history"] = _stage_history(history)
        found += list(tables["stage_history"]["stage"].dropna())
    config = {
        "currency": commonest_currency(code),
        "stages": stage_list(found, DEFAULT_STAGES, won_names, lost_names),
    }
    return tables, config


def _reports(paths: list[Path], frames: dict[str, pd.DataFrame]) -> tuple:
    """The Opportunities report, the Opportunity History and the Users export (None when
    absent), each file told by its columns; a report exported in several files is one."""
    reports: dict[str, dict[str, pd.DataFrame]] = {
        "Opportunities": {},
        "Opportunity History": {},
        "Users": {},
    }
    for path in paths:
        frame = frames[path.name]
        if has_columns(frame, "Opportunity ID", "Stage", "Amount", "Close Date"):
            reports["Opportunities"][path.name] = frame
        elif has_columns(frame, "Opportunity ID") and (
            has_columns(frame, "To Stage") or has_columns(frame, "Stage")
        ):
            reports["Opportunity History"][path.name] = frame
        elif has_columns(frame, "Full Name"):
            reports["Users"][path.name] = frame
        else:
            raise DataError(
                f"{path}: not a Salesforce Opportunities report, Opportunity History or Users "
                f"export (columns: {', '.join(frame.columns)})",
                path=str(path),
                expected="an Opportunities report, Opportunity History or Users",
            )
    opportunities, history, users = (
        concatenated("Salesforce", kind, named) if named else None
        for kind, named in reports.items()
    )
    if opportunities is None:
        raise DataError(
            "Salesforce: no Opportunities report among the files (it has Opportunity ID, Stage, "
            "Amount and Close Date columns)",
            table="opportunities",
            expected="Opportunity ID, Stage, Amount, Close Date",
        )
    return opportunities, history, users


def _opportunities(o: pd.DataFrame, amount: pd.Series, code: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": o["Opportunity ID"],
            "rep_id": o["Opportunity Owner"]
            if "Opportunity Owner" in o
            else first_column(o, "Owner"),
            "account_id": first_column(o, "Account Name", "Account ID"),
            "product": first_column(o, "Product Name", "Type"),
            "created_date": export_dates(first_column(o, "Created Date")),
            "close_date": export_dates(o["Close Date"]),
            "stage": o["Stage"],
            "amount": amount,
            "currency": code,
            "forecast_category": first_column(o, "Forecast Category"),
            "lead_source": first_column(o, "Lead Source"),
            "modified_date": export_dates(first_column(o, "Last Modified Date")),
            "opportunity_name": first_column(o, "Opportunity Name"),
            "probability": first_column(o, "Probability (%)"),
            "type": first_column(o, "Type"),
        }
    )


def _reps(users: pd.DataFrame | None, opps: pd.DataFrame) -> pd.DataFrame:
    """The Users export as reps, plus owners it lacks; else the owners, named by name."""
    if users is None:
        return reps_from_owners(opps["rep_id"])
    u = users
    reps = pd.DataFrame(
        {
            "rep_id": u["Full Name"],
            "name": u["Full Name"],
            "manager": first_column(u, "Manager"),
            "team": first_column(u, "Department", "Team", "Role"),
            "region": first_column(u, "Division", "Region"),
            "role": first_column(u, "Role", "Profile"),
            "hire_date": export_dates(first_column(u, "Start Date")),
            "end_date": pd.NA,
        }
    )
    known = set(u["Full Name"].dropna())
    extra = reps_from_owners(opps["rep_id"])
    return pd.concat([reps, extra[~extra["rep_id"].isin(known)]])


def _stage_history(h: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": h["Opportunity ID"],
            "stage": h["To Stage"] if "To Stage" in h else h["Stage"],
            "entered_date": export_dates(
                first_column(h, "Last Modified", "Last Modified Date", "Edit Date", "Created Date")
            ),
        }
    ).drop_duplicates()

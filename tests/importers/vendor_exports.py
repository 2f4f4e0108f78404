"""Vendor-style exports written from a sample dataset, following the vendors' documented
column layouts (Salesforce Opportunities report, Opportunity History and Users exports;
HubSpot deals export), with their formats: US dates, "$1,234.56" and "USD 1,234.56" amounts,
Windows-1252 text, a BOM, two HubSpot pipelines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SF_STAGES = {
    "Prospecting": "Prospecting",
    "Qualification": "Qualification",
    "Discovery": "Needs Analysis",
    "Proposal": "Proposal/Price Quote",
    "Negotiation": "Negotiation/Review",
    "Closed Won": "Closed Won",
    "Closed Lost": "Closed Lost",
}
HS_STAGES = {
    "Prospecting": "Appointment Scheduled",
    "Qualification": "Qualified To Buy",
    "Discovery": "Presentation Scheduled",
    "Proposal": "Decision Maker Bought-In",
    "Negotiation": "Contract Sent",
    "Closed Won": "Closed Won",
    "Closed Lost": "Closed Lost",
}
ACCENTED = {0: "José Müller", 1: "Zoë Ångström"}  # Windows-1252 can hold these


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _us(dates: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(dates.replace("", None))
    return parsed.dt.strftime("%m/%d/%Y").fillna("")


def _names(sample: Path) -> pd.Series:
    reps = _read(sample, "reps")
    names = reps["name"].copy()
    for i, name in ACCENTED.items():
        names.iloc[i] = name
    return pd.Series(names.to_numpy(), index=reps["rep_id"])


def salesforce(sample: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    names = _names(sample)
    o = _read(sample, "opportunities")
    amount = o["amount"].astype(float)
    shown = [f"${a:,.2f}" if i % 2 else f"USD {a:,.2f}" for i, a in enumerate(amount)]
    report = pd.DataFrame(
        {
            "Opportunity ID": o["opportunity_id"],
            "Opportunity Name": "Deal " + o["opportunity_id"],
            "Opportunity Owner": o["rep_id"].map(names),
            "Account Name": o["account_id"],
            "Stage": o["stage"].map(SF_STAGES),
            "Amount": shown,
            "Close Date": _us(o["close_date"]),
            "Created Date": _us(o["created_date"]),
            "Probability (%)": o["is_won"].map({"true": "100", "false": "10"}),
            "Forecast Category": o["forecast_category"],
            "Lead Source": o["lead_source"],
            "Type": o["product"],
        }
    )
    h = _read(sample, "stage_history")
    history = pd.DataFrame(
        {
            "Opportunity ID": h["opportunity_id"],
            "From Stage": "",
            "To Stage": h["stage"].map(SF_STAGES),
            "Last Modified": _us(h["entered_date"]),
        }
    )
    r = _read(sample, "reps")
    users = pd.DataFrame(
        {
            "Full Name": r["rep_id"].map(names),
            "Role": "Account Executive",
            "Manager": r["manager"],
            "Division": r["region"],
            "Department": r["team"],
            "Start Date": _us(r["hire_date"]),
            "Active": (r["end_date"] == "").map({True: "1", False: "0"}),
        }
    )
    paths = [out / "Opportunities.csv", out / "Opportunity History.csv", out / "Users.csv"]
    report.to_csv(paths[0], index=False, encoding="cp1252")
    history.to_csv(paths[1], index=False, encoding="cp1252")
    users.to_csv(paths[2], index=False, encoding="cp1252")
    return paths


def hubspot(sample: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    names = _names(sample)
    o = _read(sample, "opportunities")
    segment = _read(sample, "reps").set_index("rep_id")["segment"]
    pipeline = (
        o["rep_id"]
        .map(segment)
        .map({"Enterprise": "Enterprise Pipeline", "Commercial": "Sales Pipeline"})
    )
    deals = pd.DataFrame(
        {
            "Record ID": o["opportunity_id"].str[1:].astype(int) + 9_000_000,
            "Deal Name": "Deal " + o["opportunity_id"],
            "Deal Stage": o["stage"].map(HS_STAGES),
            "Pipeline": pipeline,
            "Amount": o["amount"],
            "Close Date": o["close_date"].where(o["close_date"] == "", o["close_date"] + " 00:00"),
            "Create Date": o["created_date"] + " 09:30",
            "Deal owner": o["rep_id"].map(names),
            "Associated Company": o["account_id"],
        }
    )
    path = out / "hubspot-crm-exports-all-deals.csv"
    deals.to_csv(path, index=False, encoding="utf-8-sig")
    return path

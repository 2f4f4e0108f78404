"""Salesforce opportunity history: OpportunityHistory, OpportunityFieldHistory or a connector's
history-mode versions of Opportunity -> opportunity_history."""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset.vendors.objects import (
    column,
    deleted,
    flag_text,
    left_out,
    stamps,
)


def history_rows(h: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "opportunity_id": h["opportunityid"],
            "changed_at": stamps(column(h, "createddate")),
            "stage": h["stagename"],
            "amount": column(h, "amount"),
            "close_date": stamps(column(h, "closedate")),
            "forecast_category": column(h, "forecastcategory", "forecastcategoryname"),
            "probability": column(h, "probability"),
            "currency": column(h, "currencyisocode"),
        }
    )
    return left_out(h, out)


def versions_history(v: pd.DataFrame) -> pd.DataFrame:
    """History-mode versions of Opportunity: each version is the state from its start."""
    out = pd.DataFrame(
        {
            "opportunity_id": v["id"],
            "changed_at": stamps(v["fivetranstart"]),
            "stage": v["stagename"],
            "amount": column(v, "amount"),
            "close_date": stamps(v["closedate"]),
            "forecast_category": column(v, "forecastcategoryname", "forecastcategory"),
            "probability": column(v, "probability"),
        }
    )
    out["deleted"] = flag_text(deleted(v))
    return out


FIELD_COLUMNS = {
    "stagename": "stage",
    "amount": "amount",
    "closedate": "close_date",
    "forecastcategoryname": "forecast_category",
    "forecastcategory": "forecast_category",
    "probability": "probability",
}


def field_history_rows(f: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    """OpportunityFieldHistory (one row per field change) as the state after each change: a
    field's value at a change is its latest new value so far, else the old value of its first
    later change, else the deal's current value."""
    name = f["field"].astype("str").str.replace("_", "").str.casefold()
    f = f[~deleted(f)].assign(field=name.map(FIELD_COLUMNS), at=stamps(column(f, "createddate")))
    # "created" rows mark the deal's creation: the state then is a change of its own
    f = f[f["field"].notna() | name.eq("created")]
    current = opps.set_index("opportunity_id")
    rows = []
    for opp, changes in f.sort_values("at", kind="stable").groupby("opportunityid", sort=True):
        for at in dict.fromkeys(changes["at"]):
            state = {"opportunity_id": opp, "changed_at": at}
            for name in dict.fromkeys(FIELD_COLUMNS.values()):
                mine = changes[changes["field"] == name]
                before = mine[mine["at"] <= at]
                after = mine[mine["at"] > at]
                if len(before):
                    state[name] = before["newvalue"].iloc[-1]
                elif len(after):
                    state[name] = after["oldvalue"].iloc[0]
                elif opp in current.index and name in current:
                    state[name] = current.at[opp, name]
            rows.append(state)
    columns = ["opportunity_id", "changed_at", *dict.fromkeys(FIELD_COLUMNS.values())]
    return pd.DataFrame(rows, columns=columns)

"""A deal's history that ends where the deal does not: counted, and the deal's own values win.

``opportunity_history`` should end in the deal's current state (Salesforce writes a row at
every stage, amount or close-date change). Where its last values contradict the deal (a stage
other than the deal's; for a closed deal, another amount or close date), the deal is what the
CRM counts, in bookings as everywhere: each such deal is a ``history_contradicts_deal``
warning, and :func:`reconciled_history` ends its history in the deal's own state, from its close
date (a closed deal) or the as-of date (an open one). So the pipeline review's won flow is the
bookings, whatever the history says (history rows that contradicted the deals once made it
report $112M won against $5.32M of bookings).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

FIELDS = ["stage", "amount", "close_date", "forecast_category"]
COMPARED = ["stage", "amount", "close_date"]


def last_values(history: pd.DataFrame) -> pd.DataFrame:
    """Per deal (indexed by opportunity_id): the last value written of each compared field."""
    ordered = history.sort_values(["opportunity_id", "changed_at"], kind="stable")
    present = [f for f in COMPARED if f in ordered]
    return ordered.groupby("opportunity_id", sort=False)[present].last()


def contradictions(opps: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (deal, field) whose history's last value contradicts the deal (module
    docstring): opportunity_id, column, history_value, deal_value."""
    columns = ["opportunity_id", "column", "history_value", "deal_value"]
    if history is None or not len(history):
        return pd.DataFrame(columns=columns)
    last = last_values(history)
    own = opps.drop_duplicates("opportunity_id").set_index("opportunity_id").reindex(last.index)
    found = own["stage"].notna()
    closed = own["is_closed"].fillna(False).astype(bool)
    rows = []
    for column in [c for c in COMPARED if c in last]:
        theirs, ours = last[column], own[column]
        if column == "amount":
            differ = ~np.isclose(
                theirs.astype(float), ours.astype(float), rtol=1e-9, atol=0.005, equal_nan=True
            )
            differ = pd.Series(differ, index=last.index) & closed
        elif column == "close_date":
            differ = theirs.notna() & (theirs != ours) & closed
        else:
            differ = theirs.notna() & (theirs != ours)
        for deal in last.index[(differ & found).to_numpy()]:
            rows.append(
                {
                    "opportunity_id": deal,
                    "column": column,
                    "history_value": theirs[deal],
                    "deal_value": ours[deal],
                }
            )
    return pd.DataFrame(rows, columns=columns)


def reconciled_history(history: pd.DataFrame, opps: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """``history`` in which each contradicting deal's rows after its close date (closed) or
    the as-of date (open) are dropped and one row with the deal's own values is added then."""
    wrong = contradictions(opps, history)["opportunity_id"].unique()
    if not len(wrong):
        return history
    own = opps.drop_duplicates("opportunity_id").set_index("opportunity_id").loc[wrong]
    at = own["close_date"].where(own["is_closed"].astype(bool), pd.Timestamp(as_of))
    at = pd.to_datetime(at).astype(history["changed_at"].dtype)
    after = history["opportunity_id"].map(at)
    kept = history[~(history["opportunity_id"].isin(wrong) & (history["changed_at"] > after))]
    closing = pd.DataFrame(
        {
            "opportunity_id": wrong,
            "changed_at": at.to_numpy(),
            **{f: own[f].to_numpy() for f in FIELDS if f in own},
        }
    )
    closing = closing.astype({c: kept[c].dtype for c in closing.columns if c in kept})
    return pd.concat([kept, closing], ignore_index=True)


def contradiction_warnings(opps: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """The warnings (``pos`` = the deal's row in ``opps``' index, column, check, value,
    reason) of :func:`contradictions`."""
    found = contradictions(opps, history)
    pos = pd.Series(opps.index, index=opps["opportunity_id"])
    pos = pos[~pos.index.duplicated()]
    rows = [
        {
            "pos": int(pos[r.opportunity_id]),
            "column": r.column,
            "check": "history_contradicts_deal",
            "value": _text(r.history_value),
            "reason": f"the deal's history ends with {r.column} {_text(r.history_value)}, the "
            f"deal has {_text(r.deal_value)}: counted as a warning; the reports "
            "use the deal's own values, in force from its close (or the as-of "
            "date)",
        }
        for r in found.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["pos", "column", "check", "value", "reason"])


def _text(value) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return "empty" if np.isnan(value) else f"{value:,.2f}"
    return "empty" if value is None or value is pd.NA else str(value)

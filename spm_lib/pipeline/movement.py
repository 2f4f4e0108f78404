"""How the open pipeline moved between two dates, deal by deal, reconciled to the cent.

The pipeline on a date (end of day) is the deals created by then, not cancelled (deleted) by
then, whose stage in force is open (:mod:`spm_lib.pipeline.as_of`); for a *window* (the deals
due in a period), also whose close date in force lies in the window. Between the start date
``d0`` and the end date ``d1`` each deal that was in the pipeline at either date, or that
entered it and was won or lost by ``d1``, is given:

- an **entry** unless it was in at ``d0``: ``created`` (created after ``d0``), ``pulled in``
  (open at ``d0``, due after the window), or ``other`` (reopened, undeleted, or re-dated from
  before the window: the reason is in ``entry_reason``), at its amount on entry (at ``d0``, or
  its first amount when created later);
- an **exit** unless it is in at ``d1``: ``won``, ``lost`` (a won deal cancelled since, a
  clawback, left the pipeline as won), ``deleted`` (cancelled while open), ``pushed out``
  (still open, due after the window), or ``other`` (re-dated before the window), at its
  amount at ``d1``;
- the **amount change** between: ``increased`` or ``decreased``.

So, per deal and in total: start + created + pulled in + increased - decreased - pushed out -
won - lost - deleted +/- other = end, exactly (:func:`waterfall`). Without a window the
whole open pipeline is followed, and pulled in / pushed out are zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.periods import Period
from spm_lib.pipeline.as_of import FIELDS, exists_at, states_at

BUCKETS = [
    "starting pipeline",
    "created",
    "pulled in",
    "increased",
    "decreased",
    "pushed out",
    "won",
    "lost",
    "deleted",
    "other",
    "ending pipeline",
]
ENTRIES = ["created", "pulled in", "other"]
EXITS = ["pushed out", "won", "lost", "deleted", "other"]
SIGN = {
    "created": 1,
    "pulled in": 1,
    "increased": 1,
    "decreased": -1,
    "pushed out": -1,
    "won": -1,
    "lost": -1,
    "deleted": -1,
}
FLOW_COLUMNS = [
    "opportunity_id",
    "rep_id",
    "in_start",
    "in_end",
    "entry",
    "entry_reason",
    "exit",
    "exit_reason",
    "start_amount",
    "entry_amount",
    "change",
    "exit_amount",
    "end_amount",
    "stage_from",
    "stage_to",
    "close_from",
    "close_to",
    "amount_from",
    "amount_to",
    "category_from",
    "category_to",
]


def _states(ds: Dataset, day: pd.Timestamp) -> pd.DataFrame:
    opps = ds.opportunities
    state = states_at(ds, pd.DataFrame({"opportunity_id": opps["opportunity_id"], "date": day}))
    state["exists"] = exists_at(ds, day).to_numpy()
    closed = [*ds.config.won_stages, *ds.config.lost_stages]
    state["open"] = state["exists"] & ~state["stage"].isin(closed)
    return state.set_index("opportunity_id")


def _due(state: pd.DataFrame, window: Period | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per deal: due inside ``window``, after it, before it (every deal inside without one)."""
    close = state["close_date"]
    if window is None:
        inside = pd.Series(True, index=state.index)
        return inside, ~inside, ~inside
    lo, hi = pd.Timestamp(window.start), pd.Timestamp(window.end)
    return (close >= lo) & (close <= hi), close > hi, close < lo


def deal_flows(
    ds: Dataset, start: pd.Timestamp, end: pd.Timestamp, window: Period | None = None
) -> pd.DataFrame:
    """One row per deal that moved through the pipeline from the end of ``start`` to the end
    of ``end`` (see the module docstring): columns :data:`FLOW_COLUMNS`; amounts in the
    dataset's currency, a missing amount as 0. ``window``: follow the deals due in it (else
    the whole open pipeline)."""
    d0, d1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    opps = ds.opportunities.set_index("opportunity_id")
    a, b = _states(ds, d0), _states(ds, d1)
    first = states_at(
        ds, pd.DataFrame({"opportunity_id": opps.index, "date": opps["created_date"].to_numpy()})
    )
    first_amount = pd.Series(first["amount"].to_numpy(), index=opps.index)

    in_a, after_a, before_a = _due(a, window)
    in_b, after_b, before_b = _due(b, window)
    p0, p1 = a["open"] & in_a, b["open"] & in_b
    # won or lost by d1, even if cancelled since (a clawback): it left the pipeline as won
    created = (opps["created_date"] <= d1) | (opps["is_closed"] & (opps["close_date"] <= d1))
    won_b = b["stage"].isin(ds.config.won_stages) & created
    lost_b = b["stage"].isin(ds.config.lost_stages) & created
    closed_a = a["exists"] & ~a["open"]
    decided = (won_b | lost_b) & ~closed_a & (in_b | (window is None)) & ~p0
    created_after = (
        ~a["exists"]
        & ~(opps["created_date"] <= d0)
        & ~(opps["is_closed"] & (opps["close_date"] <= d0))
    )
    keep = p0 | p1 | (decided & (created_after | (a["open"] & ~p0)))
    idx = keep[keep].index

    def pick(mask_values: list[tuple[pd.Series, str]], default: str) -> pd.Series:
        conditions = [m.reindex(idx).fillna(False).to_numpy(bool) for m, _ in mask_values]
        return pd.Series(np.select(conditions, [v for _, v in mask_values], default), index=idx)

    entry_reason = pick(
        [
            (p0, ""),
            (created_after, "created"),
            (a["open"] & after_a, "pulled in"),
            (closed_a, "reopened"),
            (~a["exists"], "undeleted"),
            (a["open"] & before_a, "past due at the start"),
        ],
        "other",
    )
    exit_reason = pick(
        [
            (p1, ""),
            (won_b, "won"),
            (lost_b, "lost"),
            (~b["exists"], "deleted"),
            (b["open"] & after_b, "pushed out"),
            (b["open"] & before_b, "re-dated before the window"),
        ],
        "other",
    )
    entry_amount = (
        a["amount"]
        .reindex(idx)
        .astype(float)
        .fillna(0.0)
        .where(~created_after.reindex(idx), first_amount.reindex(idx).astype(float).fillna(0.0))
    )
    flows = pd.DataFrame(
        {
            "opportunity_id": idx,
            "rep_id": opps["rep_id"].reindex(idx).to_numpy(),
            "in_start": p0.reindex(idx).to_numpy(bool),
            "in_end": p1.reindex(idx).to_numpy(bool),
            "entry_reason": entry_reason.to_numpy(),
            "exit_reason": exit_reason.to_numpy(),
            "entry_amount": entry_amount.to_numpy(),
            "exit_amount": b["amount"].reindex(idx).astype(float).fillna(0.0).to_numpy(),
        }
    )
    return _with_buckets_and_changes(flows, a.reindex(idx), b.reindex(idx))


def _with_buckets_and_changes(
    flows: pd.DataFrame, start: pd.DataFrame, end: pd.DataFrame
) -> pd.DataFrame:
    """``flows`` with the entry and exit buckets, the amounts at start and end, the change,
    and each deal's stage, close date, amount and category at ``start`` and ``end`` (the
    deals' states, in the order of ``flows``): columns :data:`FLOW_COLUMNS`."""
    out = flows
    out["entry"] = out["entry_reason"].where(out["entry_reason"].isin(["", *ENTRIES]), "other")
    out["exit"] = out["exit_reason"].where(out["exit_reason"].isin(["", *EXITS]), "other")
    out["start_amount"] = np.where(out["in_start"], out["entry_amount"], 0.0)
    out["end_amount"] = np.where(out["in_end"], out["exit_amount"], 0.0)
    out["change"] = out["exit_amount"] - out["entry_amount"]
    for field, name in (
        ("stage", "stage"),
        ("close_date", "close"),
        ("amount", "amount"),
        ("forecast_category", "category"),
    ):
        out[f"{name}_from"] = start[field].to_numpy()
        out[f"{name}_to"] = end[field].to_numpy()
    return out[FLOW_COLUMNS]


def bucket_amounts(flows: pd.DataFrame) -> pd.DataFrame:
    """Per deal, the signed amount it puts in each bucket of :data:`BUCKETS` (start and end
    positive; exits negative; ``other`` signed): one column per bucket, index as ``flows``."""
    out = pd.DataFrame(0.0, index=flows.index, columns=BUCKETS)
    out["starting pipeline"] = flows["start_amount"]
    out["ending pipeline"] = flows["end_amount"]
    for bucket in ENTRIES:
        out[bucket] += np.where(flows["entry"] == bucket, flows["entry_amount"], 0.0)
    for bucket in EXITS:
        out[bucket] -= np.where(flows["exit"] == bucket, flows["exit_amount"], 0.0)
    out["increased"] = flows["change"].clip(lower=0)
    out["decreased"] = flows["change"].clip(upper=0)
    return out


def waterfall(flows: pd.DataFrame) -> pd.DataFrame:
    """The roll-forward: one row per bucket of :data:`BUCKETS` with ``amount`` (signed: exits
    and decreases negative, so the flows add up from the start to the end) and ``deals``
    (deals in the bucket). start + sum(flows) = end exactly."""
    amounts = bucket_amounts(flows)
    deals = {
        "starting pipeline": int(flows["in_start"].sum()),
        "ending pipeline": int(flows["in_end"].sum()),
        "increased": int((flows["change"] > 0).sum()),
        "decreased": int((flows["change"] < 0).sum()),
    }
    for bucket in ENTRIES:
        deals[bucket] = int((flows["entry"] == bucket).sum())
    for bucket in EXITS:
        deals[bucket] = deals.get(bucket, 0) + int((flows["exit"] == bucket).sum())
    return pd.DataFrame(
        {
            "bucket": BUCKETS,
            "amount": [float(amounts[b].sum()) for b in BUCKETS],
            "deals": [deals[b] for b in BUCKETS],
        }
    )


def waterfall_by(ds: Dataset, flows: pd.DataFrame, by: str) -> pd.DataFrame:
    """The roll-forward per rep, team or region (``by``: a reps column or ``rep``): one row per
    group, one column per bucket (signed as in :func:`waterfall`), the deal's owner's group."""
    amounts = bucket_amounts(flows)
    if by == "rep":
        key = flows["rep_id"]
    else:
        key = flows["rep_id"].map(ds.reps.set_index("rep_id")[by]).fillna("(no rep)")
    out = amounts.groupby(key.to_numpy()).sum().rename_axis(by).reset_index()
    return out.sort_values("starting pipeline", ascending=False, ignore_index=True)


def bucket_deals(flows: pd.DataFrame, bucket: str, ds: Dataset | None = None) -> pd.DataFrame:
    """The deals in ``bucket``, the largest first: opportunity_id, name (its account's, else its
    id), owner, reason, from and to (stage, close date, amount), amount (absolute)."""
    amounts = bucket_amounts(flows)[bucket]
    rows = flows[amounts != 0].copy()
    if bucket in ("increased", "decreased"):
        rows = rows[(rows["change"] > 0) if bucket == "increased" else (rows["change"] < 0)]
    rows["amount"] = amounts.loc[rows.index].abs()
    rows["reason"] = np.where(rows["entry"] == bucket, rows["entry_reason"], rows["exit_reason"])
    if bucket in ("increased", "decreased", "starting pipeline", "ending pipeline"):
        rows["reason"] = ""
    rows["owner"] = rows["rep_id"]
    rows["name"] = rows["opportunity_id"]
    if ds is not None:
        rows["owner"] = (
            rows["rep_id"].map(ds.reps.set_index("rep_id")["name"]).fillna(rows["rep_id"])
        )
        opps = ds.opportunities.set_index("opportunity_id")
        if ds.has("accounts") and "name" in ds["accounts"] and "account_id" in opps:
            account = opps["account_id"].map(ds["accounts"].set_index("account_id")["name"])
            rows["name"] = rows["opportunity_id"].map(account).fillna(rows["name"])
    rows["from"] = _describe(rows, "from")
    rows["to"] = _describe(rows, "to")
    columns = ["opportunity_id", "name", "owner", "reason", "from", "to", "amount"]
    return rows.sort_values("amount", ascending=False)[columns].reset_index(drop=True)


def _describe(rows: pd.DataFrame, side: str) -> pd.Series:
    close = pd.to_datetime(rows[f"close_{side}"]).dt.strftime("%Y-%m-%d").fillna("-")
    amount = rows[f"amount_{side}"].astype(float).map(lambda v: "-" if pd.isna(v) else f"{v:,.0f}")
    return rows[f"stage_{side}"].astype(str).str.cat([close, amount], sep=", ")


def period_movement(ds: Dataset, period: Period, window: bool = True) -> pd.DataFrame:
    """:func:`deal_flows` from the day before ``period`` starts to its last day (or the
    dataset's as-of date, if earlier); ``window``: the deals due in the period, else the whole
    open pipeline."""
    start = pd.Timestamp(period.start) - pd.Timedelta(days=1)
    end = min(pd.Timestamp(period.end), pd.Timestamp(ds.as_of))
    return deal_flows(ds, start, end, period if window else None)


__all__ = [
    "BUCKETS",
    "ENTRIES",
    "EXITS",
    "FIELDS",
    "FLOW_COLUMNS",
    "bucket_amounts",
    "bucket_deals",
    "deal_flows",
    "period_movement",
    "waterfall",
    "waterfall_by",
]

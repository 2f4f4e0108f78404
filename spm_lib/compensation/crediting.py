"""Credits: each won deal's amount credited to its reps, split to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.dataset.derived import once_per
from spm_lib.measures.plans import (
    CENT,
    to_cents,
)

ZERO = Decimal("0.00")


def split_cents(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """``amount`` split by ``shares`` (summing to 1) into cents that sum to it exactly: each
    gets the floor of its share, and the remaining cents go to the largest remainders (ties:
    the earlier share)."""
    cents = int((amount / CENT).to_integral_value(ROUND_HALF_UP))
    raw = [Decimal(cents) * s for s in shares]
    floors = [int(r.to_integral_value(rounding="ROUND_FLOOR")) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def credits(ds: Dataset) -> pd.DataFrame:
    """One row per (won deal, credited rep): opportunity_id, rep_id, close_date,
    cancelled_date, product, deal_amount, share, credit (Decimals, cents). Over the whole
    company even for a narrowed dataset, since a deal may be split across audiences. (Split rows
    of a deal whose shares do not sum to 1 are quarantined by the loader.) Computed once per
    dataset: the same frame is returned each time, so do not modify it in place."""
    ds = ds.company if ds.company is not None else ds  # a split may cross audiences
    splits = ds.get("opportunity_splits")
    return once_per(ds.opportunities, f"credits {id(splits)}", lambda: _credits(ds))


CREDIT_COLUMNS = [
    "opportunity_id",
    "rep_id",
    "close_date",
    "cancelled_date",
    "product",
    "deal_amount",
    "share",
    "credit",
]


def _credits(ds: Dataset) -> pd.DataFrame:
    """The credits (see :func:`credits`): a deal without split rows credits its whole amount to
    its owner; a split deal's rows (by rep_id) share it by :func:`split_cents`. Rows in the
    deals' order, each deal's reps together."""
    opps = ds.opportunities
    won = opps[opps["is_won"] & opps["close_date"].notna()]
    won = won.assign(
        cancelled_date=won.get("cancelled_date", pd.NaT), product=won.get("product", pd.NA)
    )
    splits = ds.get("opportunity_splits")
    split_rows = (
        splits[splits["opportunity_id"].isin(won["opportunity_id"])]
        if splits is not None
        else pd.DataFrame(columns=["opportunity_id", "rep_id", "share"])
    )
    by_deal: dict[str, tuple[list, list]] = {}  # deal -> its split rows' (rep_ids, shares)
    ordered = split_rows.sort_values(["opportunity_id", "rep_id"], kind="stable")
    columns = ("opportunity_id", "rep_id", "share")
    for deal, rep, share in zip(*(ordered[c].tolist() for c in columns), strict=True):
        reps, shares = by_deal.setdefault(deal, ([], []))
        reps.append(rep)
        shares.append(share)
    one = Decimal(1)
    rows = []
    for deal, owner, closed, cancelled, product, amount in zip(
        *(
            won[c].tolist()
            for c in (
                "opportunity_id",
                "rep_id",
                "close_date",
                "cancelled_date",
                "product",
                "amount",
            )
        ),
        strict=True,
    ):
        cents = to_cents(amount if pd.notna(amount) else 0)  # no amount: no credit
        group = by_deal.get(deal)
        if group is None:  # the whole amount to the owner
            rows.append((deal, owner, closed, cancelled, product, cents, one, cents))
            continue
        reps, raw = group
        shares = [Decimal(repr(float(s))) for s in raw]
        for rep, share, credit in zip(reps, shares, split_cents(cents, shares), strict=True):
            rows.append((deal, rep, closed, cancelled, product, cents, share, credit))
    return pd.DataFrame(rows, columns=CREDIT_COLUMNS)


def rows_by_rep(table: pd.DataFrame) -> dict:
    """``table``'s rows grouped by rep_id, in their order (once per table object)."""
    return once_per(
        table, "by_rep", lambda: {rep: rows for rep, rows in table.groupby("rep_id", sort=False)}
    )

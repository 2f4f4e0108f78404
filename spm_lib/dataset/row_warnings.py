"""Rows that are odd but real: kept in every figure, counted as warnings.

Quarantine (:mod:`spm_lib.dataset`) is for rows that cannot be used. The rows below can: the CRM
itself counts them, so the reports must too, or bookings and win rates would not equal what
the CRM shows. Each rule returns the positions of the rows it flags, with a reason that says
how the reports treat them:

=======================  ====================================================================
check                    rule; how the reports count the row
=======================  ====================================================================
won_with_zero_amount     a won deal with amount 0: a win, with $0 of bookings
no_amount                amount empty: counted as won, lost or open, with no amount
closed_before_created    close_date < created_date on a closed deal: in bookings and win
                         rates, left out of cycle times (a back-dated or migrated record)
closed_after_as_of       a closed deal dated after the data's as-of date: counted in the
                         period of its close date
owned_after_rep_left     a deal closed (or still open, or created) after its rep's end_date
converted_amount_outlier an amount converted from another currency that lands far outside
                         the amounts in the dataset's own currency (a rate pasted the wrong
                         way round)
=======================  ====================================================================

Every function takes DataFrames and returns a DataFrame with columns ``pos`` (0-based row of
the table as loaded, before quarantine), ``column``, ``check``, ``value``, ``reason``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

WARNING_FIELDS = ["pos", "column", "check", "value", "reason"]
# a converted amount whose currency's median differs from the home currency's median by more
# than this factor is flagged
OUTLIER_FACTOR = 100.0


def _day(value) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _records(frame: pd.DataFrame, mask: pd.Series, column: str, check: str, reason) -> list:
    rows = frame[mask.fillna(False).astype(bool)]
    return [
        {"pos": int(pos), "column": column, "check": check, "value": value, "reason": text}
        for pos, value, text in reason(rows)
    ]


def opportunity_warnings(
    opps: pd.DataFrame, reps: pd.DataFrame | None, as_of: dt.date, currency: str
) -> pd.DataFrame:
    """The odd-but-real opportunities (see the module docstring). ``opps`` is indexed by the
    position of each row in its file (0-based)."""
    out: list[dict] = []
    amount, won, closed = opps["amount"], opps["is_won"], opps["is_closed"]
    status = np.where(won, "won", np.where(closed, "lost", "open"))
    status = pd.Series(status, index=opps.index)
    out += _records(
        opps,
        won & amount.eq(0),
        "amount",
        "won_with_zero_amount",
        lambda r: (
            (p, "0", "won with amount 0: counted as a win, with no bookings") for p in r.index
        ),
    )
    out += _records(
        opps,
        amount.isna(),
        "amount",
        "no_amount",
        lambda r: ((p, "", f"no amount: counted as {status[p]}, with no amount") for p in r.index),
    )
    before = closed & opps["close_date"].lt(opps["created_date"])
    out += _records(
        opps,
        before,
        "close_date",
        "closed_before_created",
        lambda r: (
            (
                p,
                _day(c),
                f"closed {_day(c)}, before it was created ({_day(k)}): counted in bookings "
                "and win rates, left out of cycle times",
            )
            for p, c, k in zip(r.index, r["close_date"], r["created_date"], strict=True)
        ),
    )
    after = closed & opps["close_date"].gt(pd.Timestamp(as_of))
    out += _records(
        opps,
        after,
        "close_date",
        "closed_after_as_of",
        lambda r: (
            (
                p,
                _day(c),
                f"closed {_day(c)}, after the data's as-of date {as_of}: counted in the "
                "period of its close date",
            )
            for p, c in zip(r.index, r["close_date"], strict=True)
        ),
    )
    if reps is not None and "end_date" in reps and reps["end_date"].notna().any():
        ends = reps.drop_duplicates("rep_id").set_index("rep_id")["end_date"]
        end = opps["rep_id"].map(ends)
        moment = opps["close_date"].where(closed, pd.Timestamp(as_of))
        late = end.notna() & (moment.gt(end) | opps["created_date"].gt(end))
        out += _records(
            opps,
            late,
            "rep_id",
            "owned_after_rep_left",
            lambda r: (
                (
                    p,
                    rep,
                    f"owned by {rep}, who left on {_day(end[p])}; the deal "
                    + (f"closed {_day(c)}" if closed[p] else f"is still open on {as_of}"),
                )
                for p, rep, c in zip(r.index, r["rep_id"], r["close_date"], strict=True)
            ),
        )
    return pd.DataFrame(out, columns=WARNING_FIELDS)


def converted_outliers(
    amounts: pd.Series, codes: pd.Series, rates: dict[str, float], currency: str
) -> pd.DataFrame:
    """Converted amounts whose currency's median is more than :data:`OUTLIER_FACTOR` times
    above or below the median amount in the dataset's own ``currency``.

    ``amounts`` are after conversion; ``codes`` the currency of each row (upper case, None for
    the home currency)."""
    home = amounts[codes.isna() | codes.eq(currency.upper())].dropna()
    home = home[home > 0]
    if home.empty:
        return pd.DataFrame(columns=WARNING_FIELDS)
    reference = float(home.median())
    out = []
    for code, rate in rates.items():
        rows = amounts[codes.eq(code)].dropna()
        rows = rows[rows > 0]
        if rows.empty:
            continue
        ratio = float(rows.median()) / reference
        if 1 / OUTLIER_FACTOR <= ratio <= OUTLIER_FACTOR:
            continue
        for pos, value in rows.items():
            out.append(
                {
                    "pos": int(pos),
                    "column": "currency",
                    "check": "converted_amount_outlier",
                    "value": code,
                    "reason": (
                        f"converted from {code} at {rate:g} {currency} per {code}: "
                        f"{value:,.0f} {currency}; the median {code} deal converts to "
                        f"{float(rows.median()):,.0f} against {reference:,.0f} for "
                        f"{currency} deals; is the rate the wrong way round "
                        f"(1/{rate:g} = {1 / rate:.6g})?"
                    ),
                }
            )
    return pd.DataFrame(out, columns=WARNING_FIELDS)


MAX_CELL_CHARS = 500  # longer text is cut for display; a name is never this long


def long_text_warnings(
    table: str, frame: pd.DataFrame, text_columns: list[str], keys: pd.Series
) -> tuple[pd.DataFrame, list[dict]]:
    """``frame`` (indexed by row position in its file) with every text cell longer than
    :data:`MAX_CELL_CHARS` cut to that length plus "…", and a warning record per cell cut
    (``text_too_long``): such a cell is odd but the row is real, and a 10^6-character name
    once drove a report's process to 16 GB."""
    records: list[dict] = []
    out = frame
    for column in text_columns:
        if column not in frame.columns:
            continue
        values = frame[column]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        lengths = values.map(lambda v: len(v) if isinstance(v, str) else 0)
        long = lengths > MAX_CELL_CHARS
        if not long.any():
            continue
        if out is frame:
            out = frame.copy()
        out.loc[long, column] = [v[:MAX_CELL_CHARS] + "…" for v in values[long]]
        for position, length in lengths[long].items():
            records.append(
                {
                    "table": table,
                    "row": int(position) + 1,
                    "key": keys.iloc[position],
                    "column": column,
                    "check": "text_too_long",
                    "value": values[position][:60] + "…",
                    "reason": f"{length:,} characters: cut to {MAX_CELL_CHARS} for display",
                }
            )
    return out, records

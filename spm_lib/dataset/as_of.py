"""The data's as-of date when spm.yaml gives none, and the rows dated after it.

The as-of date is the day the snapshot was taken: the latest date a record was created or
changed. A stray date must not move it (one history row dated 2099 made ``latest`` 2099-Q4,
with $0 of bookings), so it is read in two steps:

1. the anchor: the latest opportunity created on or before today (the machine's date: no
   export holds a record created after it was taken);
2. the as-of date: the latest creation or change (opportunities created or modified, history
   changes, stage entries, leads created or converted) on or before today and at most
   :data:`MAX_DAYS_AFTER_ANCHOR` days after the anchor (an export taken some weeks after the
   last new deal, with changes since).

Close dates are never used: a close date may be planned. Every creation or change dated after
the as-of date, whichever way it was set, is kept and counted as a ``dated_after_as_of``
warning.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

MAX_DAYS_AFTER_ANCHOR = 62
# table -> the columns that say when a record was created or changed
DATED: dict[str, tuple[str, ...]] = {
    "opportunities": ("created_date", "modified_date"),
    "opportunity_history": ("changed_at",),
    "stage_history": ("entered_date",),
    "leads": ("created_date", "converted_date"),
}


def data_as_of(tables: dict[str, pd.DataFrame], today: dt.date | None = None) -> dt.date:
    """The as-of date of ``tables`` (module docstring); ``today`` by default the machine's."""
    today_ts = pd.Timestamp(today or dt.date.today())
    created = tables["opportunities"]["created_date"] if "opportunities" in tables else None
    anchor = created[created <= today_ts].max() if created is not None else pd.NaT
    limit = today_ts if pd.isna(anchor) else min(
        today_ts, anchor + pd.Timedelta(days=MAX_DAYS_AFTER_ANCHOR))  # fmt: skip
    found = [
        dates[dates <= limit].max()
        for name, columns in DATED.items()
        if name in tables
        for column in columns
        if column in tables[name]
        for dates in [pd.to_datetime(tables[name][column])]
    ]
    found = [d for d in found if pd.notna(d)]
    return max(found).date() if found else today_ts.date()


def dated_after(
    tables: dict[str, pd.DataFrame],
    positions: dict[str, pd.Index],
    keys: dict[str, pd.Series],
    as_of: dt.date,
    explicit: bool,
) -> pd.DataFrame:
    """One warning per (row, column) of :data:`DATED` after ``as_of``: table, row (1-based, in
    its file), key, column, check ``dated_after_as_of``, value, reason."""
    limit = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    how = "spm.yaml as_of" if explicit else "the data's own (the dates most rows agree on)"
    rows = []
    for name, columns in DATED.items():
        frame = tables.get(name)
        if frame is None:
            continue
        for column in columns:
            if column not in frame:
                continue
            late = pd.to_datetime(frame[column]) >= limit
            for i in late[late].index:
                pos = int(positions[name][i])
                day = f"{pd.Timestamp(frame[column][i]):%Y-%m-%d}"
                rows.append({
                    "table": name, "row": pos + 1, "key": keys[name].iloc[pos],
                    "column": column, "check": "dated_after_as_of", "value": day,
                    "reason": f"{column} {day} is after the as-of date {as_of} ({how}): the "
                              "row is kept, and the as-of date is not moved by it",
                })  # fmt: skip
    return pd.DataFrame(rows, columns=["table", "row", "key", "column", "check", "value",
                                       "reason"])  # fmt: skip

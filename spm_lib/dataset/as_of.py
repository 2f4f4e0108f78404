"""The data's as-of date when spm.yaml gives none, and the rows dated after it.

The as-of date is the day the snapshot was taken: the latest date a record was created or
changed (opportunities created or modified, history changes, stage entries, leads created or
converted; never a close date, which may be planned). A stray date must not move it (one
history row dated 2099 made ``latest`` 2099-Q4, with $0 of bookings): the latest dates are
dropped while they stand more than :data:`MAX_GAP_DAYS` days after every other date, as a
typo or a placeholder does and the end of a real export does not. The rule reads the data
alone, so the same files give the same as-of date on any day.

Every creation or change dated after the as-of date, whichever way it was set, is kept and
counted as a ``dated_after_as_of`` warning.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

MAX_GAP_DAYS = 92  # a quarter without any record created or changed
# table -> the columns that say when a record was created or changed
DATED: dict[str, tuple[str, ...]] = {
    "opportunities": ("created_date", "modified_date"),
    "opportunity_history": ("changed_at",),
    "stage_history": ("entered_date",),
    "leads": ("created_date", "converted_date"),
}


def data_as_of(tables: dict[str, pd.DataFrame], today: dt.date | None = None) -> dt.date:
    """The as-of date of ``tables`` (module docstring); ``today`` when they hold no date."""
    found = [
        pd.to_datetime(tables[name][column]).dropna().dt.normalize()
        for name, columns in DATED.items()
        if name in tables
        for column in columns
        if column in tables[name]
    ]
    days = sorted(set(pd.concat(found)) if found else set())
    gap = pd.Timedelta(days=MAX_GAP_DAYS)
    while len(days) > 1 and days[-1] - days[-2] > gap:
        days.pop()
    return days[-1].date() if days else (today or dt.date.today())


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
                rows.append(
                    {
                        "table": name,
                        "row": pos + 1,
                        "key": keys[name].iloc[pos],
                        "column": column,
                        "check": "dated_after_as_of",
                        "value": day,
                        "reason": f"{column} {day} is after the as-of date {as_of} ({how}): the "
                        "row is kept and counted, and the as-of date is not moved by it",
                    }
                )
    return pd.DataFrame(rows, columns=["table", "row", "key", "column", "check", "value", "reason"])

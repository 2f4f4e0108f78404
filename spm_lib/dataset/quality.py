"""Data-quality summaries of a Dataset: what was read, used and quarantined, and gaps.

Every function takes a Dataset and returns a DataFrame; none reads files or prints.
"""

from __future__ import annotations

import pandas as pd

from spm_lib.dataset import Dataset
from spm_lib.dataset.schema import TABLES

DATE_COLUMNS = {
    name: [c.name for c in spec.columns if c.kind == "date"] for name, spec in TABLES.items()
}


def table_summary(ds: Dataset) -> pd.DataFrame:
    """One row per table present: rows read, used, quarantined, and the span of its dates.

    rows_read = rows_used + rows_quarantined (``reconciles``); ``first_date``/``last_date`` are
    the earliest and latest value over the table's date columns among used rows.
    """
    recon = ds.reconciliation()
    firsts, lasts = [], []
    for table in recon["table"]:
        frame = ds[table]
        dates = [frame[c] for c in DATE_COLUMNS.get(table, []) if c in frame]
        values = pd.concat(dates) if dates else pd.Series(dtype="datetime64[ns]")
        firsts.append(values.min() if len(values) else pd.NaT)
        lasts.append(values.max() if len(values) else pd.NaT)
    recon["first_date"] = pd.to_datetime(pd.Series(firsts, dtype="datetime64[ns]"))
    recon["last_date"] = pd.to_datetime(pd.Series(lasts, dtype="datetime64[ns]"))
    return recon


def _by_check(records: pd.DataFrame) -> pd.DataFrame:
    if records.empty:
        return pd.DataFrame(columns=["table", "check", "rows", "example"])
    grouped = records.groupby(["table", "check"], sort=True)
    out = grouped.agg(rows=("row", "nunique"), example=("reason", "first")).reset_index()
    return out.sort_values(
        ["rows", "table", "check"], ascending=[False, True, True], ignore_index=True
    )


def quarantine_summary(ds: Dataset) -> pd.DataFrame:
    """Quarantined rows by table and check: ``rows`` (distinct rows) and one example reason.

    A row that fails two checks counts under both, so the ``rows`` of a table may add up to more
    than its rows_quarantined.
    """
    return _by_check(ds.quarantine)


def warning_summary(ds: Dataset) -> pd.DataFrame:
    """Rows kept in every figure that are odd but real (:mod:`spm_lib.dataset.row_warnings`), by
    table and check: ``rows`` (distinct rows) and one example reason, which says how the
    reports count such a row."""
    return _by_check(ds.warnings)


def reps_without_deals(ds: Dataset) -> pd.DataFrame:
    """Reps with no opportunity at all: rep_id, name, team, region, hire_date, end_date."""
    reps = ds.reps
    has_deals = reps["rep_id"].isin(ds.opportunities["rep_id"])
    cols = [c for c in ["rep_id", "name", "team", "region", "hire_date", "end_date"] if c in reps]
    return reps.loc[~has_deals, cols].reset_index(drop=True)


def deals_without_accounts(ds: Dataset) -> pd.DataFrame:
    """Opportunities whose account_id is empty, counted by open/closed: status, deals, amount."""
    opps = ds.opportunities
    missing = opps[opps["account_id"].isna()]
    status = missing["is_closed"].map({True: "closed", False: "open"})
    out = (
        missing.assign(status=status)
        .groupby("status")
        .agg(deals=("opportunity_id", "size"), amount=("amount", "sum"))
        .reindex(["open", "closed"], fill_value=0)
        .reset_index()
    )
    return out.astype({"deals": "int64", "amount": "float64"})


def created_per_month(ds: Dataset) -> pd.DataFrame:
    """Opportunities created per calendar month: month (first day), created, amount."""
    opps = ds.opportunities
    month = opps["created_date"].dt.to_period("M").dt.to_timestamp()
    out = (
        opps.assign(month=month)
        .groupby("month")
        .agg(created=("opportunity_id", "size"), amount=("amount", "sum"))
        .reset_index()
    )
    return out


def created_trend(per_month: pd.DataFrame, months: int = 3) -> dict[str, float]:
    """The last ``months`` complete months of creation against the 12 months before them.

    Returns ``recent_mean``, ``baseline_mean`` and ``change`` (recent / baseline - 1; NaN when
    there is no baseline).
    """
    counts = per_month["created"].astype(float)
    recent = counts.tail(months)
    baseline = counts.iloc[-(months + 12) : -months] if len(counts) > months else counts.iloc[0:0]
    recent_mean = float(recent.mean()) if len(recent) else float("nan")
    baseline_mean = float(baseline.mean()) if len(baseline) else float("nan")
    change = (
        recent_mean / baseline_mean - 1
        if baseline_mean and baseline_mean == baseline_mean
        else float("nan")
    )
    return {"recent_mean": recent_mean, "baseline_mean": baseline_mean, "change": change}


def currency_summary(ds: Dataset) -> pd.DataFrame:
    """Rows of each money table by the currency they were in and how they were converted:
    ``dated`` (a ``currency_rates`` rate in force on the row's date), ``one rate`` (spm.yaml
    ``currency_rates``) or ``none`` (the dataset's own currency); columns table, currency,
    rule, rows, amount (after conversion). Empty when every amount is in one currency."""
    from spm_lib.dataset.currency import MONEY_TABLES, dated_factors, rate_dates

    columns = ["table", "currency", "rule", "rows", "amount"]
    home = ds.config.currency.upper()
    parts = []
    for table in MONEY_TABLES:
        frame = ds.get(table)
        if frame is None or "currency" not in frame or frame["currency"].isna().all():
            continue
        code = frame["currency"].str.upper().str.strip().fillna(home)
        dated = dated_factors(code, rate_dates(table, frame), ds.get("currency_rates"))
        rule = pd.Series("one rate", index=frame.index).where(dated.isna(), "dated")
        rule = rule.where(code.ne(home), "none")
        parts.append(
            pd.DataFrame(
                {"table": table, "currency": code, "rule": rule, "amount": frame["amount"]}
            )
        )
    if not parts or all(p["currency"].eq(home).all() for p in parts):
        return pd.DataFrame(columns=columns)
    rows = pd.concat(parts, ignore_index=True)
    out = rows.groupby(["table", "currency", "rule"], sort=True)["amount"].agg(["size", "sum"])
    return out.rename(columns={"size": "rows", "sum": "amount"}).reset_index()[columns]

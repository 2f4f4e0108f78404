"""One currency everywhere: every money column converted on load with the same rates.

A row's ``currency`` (empty: the dataset's own) says what its ``amount`` is in. After loading,
``amount`` is in spm.yaml ``currency``, ``amount_original`` keeps what the source held and
``currency`` the code it was in. The rate of a row is, in this order:

1. the dated rate in force on the row's date (table ``currency_rates``: ``currency``,
   ``start_date``, ``rate`` = units of the dataset's currency per unit, in force from its start
   to the next start of the same currency; Salesforce's ``DatedConversionRate``);
2. spm.yaml ``currency_rates`` (one rate per currency; Salesforce's ``CurrencyType``);
3. none: the row is quarantined (``currency_without_rate``).

A code that is not three letters (ISO 4217) is quarantined as ``invalid_currency``: a code is
printed beside amounts, so nothing else may pass for one.

The row's date is the one Salesforce converts opportunities by, its close date: an
opportunity's ``close_date``; an ``opportunity_history`` row's own ``close_date`` (the close
date in force after that change), else the day of the change; a quota's ``period_start``; a
forecast call's ``submitted_at``. History rows without a currency are in their deal's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spm_lib.dataset.config import Config
from spm_lib.dataset.config_values import ISO_CURRENCY

# table -> the dates its rows are converted by, the first that is filled
MONEY_TABLES: dict[str, tuple[str, ...]] = {
    "opportunities": ("close_date",),
    "opportunity_history": ("close_date", "changed_at"),
    "quotas": ("period_start",),
    "forecast_calls": ("submitted_at",),
}


def rate_dates(table: str, typed: pd.DataFrame) -> pd.Series:
    """The date each row of ``table`` is converted by (see the module docstring)."""
    out = pd.Series(pd.NaT, index=typed.index, dtype="datetime64[ns]")
    for name in MONEY_TABLES[table]:
        if name in typed:
            out = out.fillna(pd.to_datetime(typed[name]).dt.normalize())
    return out


def dated_factors(codes: pd.Series, dates: pd.Series, dated: pd.DataFrame | None) -> pd.Series:
    """Units of the dataset's currency per unit of each row's currency on its date, from the
    ``currency_rates`` table (NaN where no dated rate covers the row)."""
    out = pd.Series(np.nan, index=codes.index)
    if dated is None or dated.empty:
        return out
    rates = dated.assign(code=dated["currency"].str.upper().str.strip()).dropna(
        subset=["start_date", "rate"]
    )
    for code, mine in rates.sort_values("start_date").groupby("code"):
        rows = codes.eq(code) & dates.notna()
        if not rows.any():
            continue
        starts = mine["start_date"].to_numpy(dtype="datetime64[ns]")
        at = np.searchsorted(starts, dates[rows].to_numpy(dtype="datetime64[ns]"), side="right")
        found = at > 0
        values = np.where(found, mine["rate"].to_numpy()[np.maximum(at - 1, 0)], np.nan)
        out[rows] = values
    return out


def convert(
    table: str, typed: pd.DataFrame, config: Config, dated: pd.DataFrame | None
) -> tuple[list[dict], pd.DataFrame]:
    """Convert ``typed``'s ``amount`` in place into the dataset's currency (module docstring).

    Returns the quarantine records of rows without a rate and the warnings of converted
    amounts far outside the data's own range (opportunities only)."""
    from spm_lib.dataset.row_warnings import WARNING_FIELDS, converted_outliers

    none = pd.DataFrame(columns=WARNING_FIELDS)
    if "currency" not in typed or "amount" not in typed or typed["currency"].isna().all():
        return [], none
    home = config.currency.upper()
    code = typed["currency"].str.upper().str.strip()
    given = code.notna() & code.ne("")
    invalid = given & ~code.str.fullmatch(ISO_CURRENCY.pattern).fillna(False).astype(bool)
    other = given & code.ne(home) & ~invalid
    factor = dated_factors(code.where(other), rate_dates(table, typed), dated)
    flat = code.map(config.currency_rates).astype("float64")
    factor = factor.fillna(flat.where(other))
    known = other & factor.notna()
    typed["amount_original"] = typed["amount"]
    typed.loc[known, "amount"] = typed.loc[known, "amount"] * factor[known]
    records = [
        {
            "row": int(pos) + 1,
            "column": "currency",
            "check": "currency_without_rate",
            "value": code[pos],
            "reason": f"amount in {code[pos]}, which has no rate to "
            f"{config.currency} (spm.yaml currency_rates: "
            f"{', '.join(sorted(config.currency_rates)) or 'none given'}; no dated rate "
            "covers the row's date)",
        }
        for pos in typed.index[other & ~known]
    ]
    records += [
        {
            "row": int(pos) + 1,
            "column": "currency",
            "check": "invalid_currency",
            "value": typed["currency"][pos],
            "reason": "the currency is not a three-letter ISO 4217 code (such as USD or EUR)",
        }
        for pos in typed.index[invalid]
    ]
    if table != "opportunities":
        return records, none
    used = {c: float(factor[known & code.eq(c)].median()) for c in code[known].unique()}
    return records, converted_outliers(typed["amount"], code.where(known), used, config.currency)


def deal_currencies(history: pd.DataFrame, opportunities: pd.DataFrame) -> pd.DataFrame:
    """History rows without a currency take their deal's (as Salesforce keeps them)."""
    if "currency" not in opportunities or opportunities["currency"].isna().all():
        return history
    own = history["currency"] if "currency" in history else pd.Series(None, index=history.index)
    by_deal = opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    theirs = history["opportunity_id"].map(by_deal["currency"])
    return history.assign(currency=own.where(own.notna(), theirs).astype("object"))

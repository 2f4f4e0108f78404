"""What CRM export files share: reading a file, US or ISO dates, amounts with their currency, the
stage list, reps named by their owners' names."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spm_lib.dataset.config_values import currency_code
from spm_lib.dataset.numbers import read_numbers
from spm_lib.dataset.readers import read_raw

WON, LOST = "Closed Won", "Closed Lost"


_CODE = re.compile(r"\b([A-Z]{3})\b")


def read_frame(path: Path) -> pd.DataFrame:
    return read_raw(path, path.stem)[0]


def has_columns(frame: pd.DataFrame, *columns: str) -> bool:
    return all(c in frame.columns for c in columns)


def first_column(frame: pd.DataFrame, *names: str) -> pd.Series:
    """The first of ``names`` the export has, else an empty column."""
    for name in names:
        if name in frame.columns:
            return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="object")


def export_dates(raw: pd.Series) -> pd.Series:
    """ISO text of export dates: US ``MM/DD/YYYY`` (with an optional time), or ISO."""
    text = raw.astype("str").str.strip().where(raw.notna())
    us = text.str.match(r"^\d{1,2}/\d{1,2}/\d{4}", na=False)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    out[us] = pd.to_datetime(text[us].str.split(" ").str[0], format="%m/%d/%Y", errors="coerce")
    out[~us] = pd.to_datetime(text[~us], format="ISO8601", errors="coerce")
    iso = out.dt.strftime("%Y-%m-%d")
    return iso.where(out.notna(), text)  # unreadable dates stay, for the loader to report


def money(raw: pd.Series, currency: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Amounts (``$1,234.56``, ``USD 1,234.56``, ``1234.56``) and their currency codes."""
    text = raw.astype("str").where(raw.notna())
    code = text.str.extract(_CODE, expand=False)
    if currency is not None:
        code = code.fillna(currency.astype("str").where(currency.notna()))
    code = code.where(code.notna(), text.str.contains(r"\$", na=False).map({True: "USD"}))
    value, ambiguous = read_numbers(text)
    shown = value.map(lambda v: f"{v:.2f}" if pd.notna(v) else None)
    # a value that reads two ways stays text the loader cannot read: quarantined, not guessed
    kept = text.where(~ambiguous, text + " (reads as two numbers)")
    return shown.where(value.notna(), kept), code


def stage_list(
    found: list[str], known: list[str], won_names: set[str], lost_names: set[str]
) -> list:
    """The spm.yaml stage list: known open stages in order, then other open stages in order
    of appearance, then won and lost."""
    open_found = [s for s in dict.fromkeys(found) if s not in won_names | lost_names]
    ordered = [s for s in known if s in open_found] + [s for s in open_found if s not in known]
    won = [s for s in dict.fromkeys(found) if s in won_names] or [WON]
    lost = [s for s in dict.fromkeys(found) if s in lost_names] or [LOST]
    return (
        ordered
        + [{"name": s, "won": True} for s in won]
        + [{"name": s, "lost": True} for s in lost]
    )


def won_lost_names(stages: pd.Series) -> tuple[set[str], set[str]]:
    names = set(stages.dropna())
    won = {s for s in names if re.search(r"\bwon\b", s, re.I)}
    lost = {s for s in names if re.search(r"\blost\b", s, re.I)}
    return won, lost


def commonest_currency(codes: pd.Series) -> str:
    """The dataset's currency: the commonest ISO 4217 code of the rows (a cell that is not a
    code stays on its row, for the loader to quarantine as ``invalid_currency``)."""
    counts = codes.dropna().map(currency_code).dropna().value_counts()
    return str(counts.index[0]) if len(counts) else "USD"


def reps_from_owners(owners: pd.Series) -> pd.DataFrame:
    names = sorted(set(owners.dropna().astype("str").str.strip()) - {""})
    return pd.DataFrame({"rep_id": names, "name": names})

"""Row-level checks: value checks across a table's columns, beyond types, nulls, keys and
references. A failing row is quarantined under the check's ``code`` (see
:mod:`spm_lib.dataset.quarantine`); :func:`spm_lib.dataset.schema.table_schema` turns them into
pandera frame checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from spm_lib.dataset.config import Config


@dataclass(frozen=True)
class RowCheck:
    """A row-level check: ``code`` names it in the quarantine, ``column`` is the column shown."""

    code: str
    column: str
    expected: str
    test: Callable[[pd.DataFrame], pd.Series]
    context: tuple[str, ...] = ()  # further columns quoted in the reason


NON_NEGATIVE_AMOUNT = RowCheck(
    "negative_amount", "amount", "amount >= 0", lambda d: d["amount"].isna() | d["amount"].ge(0)
)
FINITE_AMOUNT = RowCheck(
    "infinite_amount",
    "amount",
    "a finite amount",
    lambda d: d["amount"].isna() | d["amount"].abs().lt(float("inf")),
)


def _today():
    import datetime as dt

    return dt.date.today()


def _known_stage(config: Config) -> RowCheck:
    return RowCheck(
        "unknown_stage",
        "stage",
        f"stage in the configured stages ({', '.join(config.stage_names)})",
        lambda d: d["stage"].isna() | d["stage"].isin(config.stage_names),
    )


def row_checks(table: str, config: Config) -> list[RowCheck]:
    """Value checks across columns, beyond types, nulls, keys and references (:data:`CHECKS`
    holds one builder per table that has any)."""
    build = CHECKS.get(table)
    return build(config) if build else []


def _opportunity_checks(config: Config) -> list[RowCheck]:
    closed = set(config.won_stages) | set(config.lost_stages)
    won = set(config.won_stages)
    return [
        NON_NEGATIVE_AMOUNT,
        FINITE_AMOUNT,
        _known_stage(config),
        RowCheck(
            "won_not_closed",
            "is_won",
            "is_won implies is_closed",
            lambda d: ~(d["is_won"] & ~d["is_closed"]),
            context=("is_closed",),
        ),
        RowCheck(
            "closed_flag_disagrees_with_stage",
            "is_closed",
            "is_closed true exactly when the stage is a won or lost stage",
            lambda d: (
                ~d["stage"].isin(config.stage_names) | (d["is_closed"] == d["stage"].isin(closed))
            ),
            context=("stage",),
        ),
        RowCheck(
            "won_flag_disagrees_with_stage",
            "is_won",
            "is_won true exactly when the stage is a won stage",
            lambda d: ~d["stage"].isin(config.stage_names) | (d["is_won"] == d["stage"].isin(won)),
            context=("stage",),
        ),
        RowCheck(
            "closed_without_close_date",
            "close_date",
            "a close_date on every closed deal",
            lambda d: ~d["is_closed"] | d["close_date"].notna(),
        ),
        RowCheck(
            "created_in_future",
            "created_date",
            f"created_date on or before {_today()} (today)",
            lambda d: d["created_date"].isna() | (d["created_date"] <= pd.Timestamp(_today())),
        ),
        RowCheck(
            "cancelled_but_not_won",
            "cancelled_date",
            "cancelled_date only on won deals, on or after their close_date",
            lambda d: (
                d["cancelled_date"].isna()
                | (
                    d["is_won"]
                    & (d["close_date"].isna() | (d["cancelled_date"] >= d["close_date"]))
                )
            ),
            context=("is_won", "close_date"),
        ),
    ]


def _rate_checks(config: Config) -> list[RowCheck]:
    return [
        RowCheck(
            "rate_not_positive",
            "rate",
            "a positive rate (units of the dataset's currency per unit)",
            lambda d: d["rate"].isna() | (d["rate"].gt(0) & d["rate"].lt(float("inf"))),
        )
    ]


def _split_checks(config: Config) -> list[RowCheck]:
    return [
        RowCheck(
            "share_out_of_range",
            "share",
            "0 < share <= 1",
            lambda d: d["share"].isna() | (d["share"].gt(0) & d["share"].le(1)),
        )
    ]


def _rep_checks(config: Config) -> list[RowCheck]:
    return [
        RowCheck(
            "left_before_hired",
            "end_date",
            "end_date >= hire_date",
            lambda d: (
                d["end_date"].isna() | d["hire_date"].isna() | (d["end_date"] >= d["hire_date"])
            ),
            context=("hire_date",),
        )
    ]


def _stage_history_checks(config: Config) -> list[RowCheck]:
    return [_known_stage(config)]


def _quota_checks(config: Config) -> list[RowCheck]:
    return [NON_NEGATIVE_AMOUNT, FINITE_AMOUNT]


def _history_checks(config: Config) -> list[RowCheck]:
    return [
        RowCheck(
            "unknown_stage",
            "stage",
            f"stage empty or in the configured stages ({', '.join(config.stage_names)})",
            lambda d: d["stage"].isna() | d["stage"].isin(config.stage_names),
        ),
        NON_NEGATIVE_AMOUNT,
        FINITE_AMOUNT,
    ]


def _call_checks(config: Config) -> list[RowCheck]:
    return [
        RowCheck(
            "unknown_period",
            "period",
            "a fiscal quarter such as 2026-Q3",
            lambda d: d["period"].astype(str).str.fullmatch(r"\d{4}-Q[1-4]"),
        ),
        NON_NEGATIVE_AMOUNT,
        FINITE_AMOUNT,
    ]


def _account_checks(config: Config) -> list[RowCheck]:
    return [
        RowCheck(
            "negative_size",
            "employees",
            "employees >= 0 and annual_revenue >= 0",
            lambda d: d["employees"].fillna(0).ge(0) & d["annual_revenue"].fillna(0).ge(0),
        )
    ]


CHECKS: dict[str, Callable[[Config], list[RowCheck]]] = {
    "opportunities": _opportunity_checks,
    "currency_rates": _rate_checks,
    "opportunity_splits": _split_checks,
    "reps": _rep_checks,
    "stage_history": _stage_history_checks,
    "quotas": _quota_checks,
    "opportunity_history": _history_checks,
    "forecast_calls": _call_checks,
    "accounts": _account_checks,
}

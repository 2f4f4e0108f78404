"""What every helper of one report shares: the :class:`ReportContext` (currency, period,
audience, as-of date) of the dataset on show.

:func:`spm_lib.report.header` builds it from the dataset once per notebook, returns it and makes
it the active context of the notebook's kernel (a :class:`contextvars.ContextVar`, as
:mod:`decimal` keeps its context): every formatter and chart that is not given a currency uses
the active context's, so a EUR dataset prints EUR everywhere. Pass ``currency=`` (or a context's
``currency``) to format in another one.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spm_lib.dataset.config import COUNT_UNIT
from spm_lib.dataset.config_values import currency_code

if TYPE_CHECKING:
    from spm_lib.dataset import Dataset
    from spm_lib.periods import Period


@dataclass(frozen=True)
class ReportContext:
    """The dataset's currency, the report's period, its audience and the data's as-of date."""

    currency: str = "USD"
    period: Period | None = None
    audience: str = "All"
    as_of: dt.date | None = None

    @classmethod
    def of(cls, dataset: Dataset, period: Period | None = None) -> ReportContext:
        """The context of ``dataset`` (already narrowed to its audience) for ``period``."""
        return cls(
            currency=dataset.config.currency,
            period=period,
            audience=dataset.audience,
            as_of=dataset.as_of,
        )


_ACTIVE: ContextVar[ReportContext] = ContextVar(
    "spm_report_context",
    default=ReportContext(),  # noqa: B039 - frozen: never mutated
)


def active() -> ReportContext:
    """The context of the report being built (the defaults before any header)."""
    return _ACTIVE.get()


def activate(context: ReportContext) -> ReportContext:
    """Make ``context`` the active one; returns it."""
    _ACTIVE.set(context)
    return context


def currency_of(currency: str | None) -> str:
    """``currency``, else the active context's; ValueError unless it is an ISO 4217 code (or
    ``deals``): a formatter prints it beside amounts, so nothing else may pass for one."""
    chosen = currency or _ACTIVE.get().currency
    if chosen != COUNT_UNIT and currency_code(chosen) != chosen:
        raise ValueError(f"currency {str(chosen)[:40]!r} is not an ISO 4217 code such as USD")
    return chosen

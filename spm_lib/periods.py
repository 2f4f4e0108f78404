"""Reporting periods on a fiscal calendar.

Period strings:

- ``2026-09``: a calendar month.
- ``2026-Q3``: fiscal quarter 3 of fiscal year 2026.
- ``FY2026``: fiscal year 2026.
- ``latest``: the latest complete fiscal quarter in the data (needs the data's as-of date).
- ``last-quarter`` / ``last-month``: the fiscal quarter / month before the one containing the
  as-of date (default: today).

A fiscal year starts in ``fiscal_year_start_month`` and is named by the calendar year in which
it ends: with a February start, FY2026 runs from 2025-02-01 to 2026-01-31 and 2026-Q1 is
February to April 2025. With the default January start, fiscal and calendar years coincide.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from spm_lib.exceptions import PeriodError

Kind = Literal["month", "quarter", "year"]
RELATIVE = ("latest", "last-quarter", "last-month")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^FY(\d{4})$", re.IGNORECASE)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> dt.date:
    ny, nm = _add_months(year, month, 1)
    return dt.date(ny, nm, 1) - dt.timedelta(days=1)


@dataclass(frozen=True, order=True)
class Period:
    """A month, fiscal quarter or fiscal year: ``start`` and ``end`` are inclusive dates."""

    start: dt.date
    end: dt.date
    kind: Kind
    label: str
    fiscal_year_start_month: int = 1
    days: int | None = None  # to date: the period's first ``days`` days (see up_to, first_days)

    def __str__(self) -> str:
        return self.label

    @property
    def whole_days(self) -> int:
        """Days in the whole period (its start to the end of the month, quarter or year)."""
        whole = period_starting(self.start, self.kind, self.fiscal_year_start_month)
        return (whole.end - whole.start).days + 1

    @property
    def to_date(self) -> bool:
        """Only the period's first days: the period in progress, or the same days of another."""
        return self.days is not None

    @property
    def last_day(self) -> dt.date:
        """The last day the period's figures run to: its end, or for a period to date its
        ``days``-th day (the data's as-of date for the period in progress)."""
        return self.end if self.days is None else self.start + dt.timedelta(days=self.days - 1)

    @property
    def title(self) -> str:
        """The label, with ``to date (day N of M)`` for a period to date."""
        if self.days is None:
            return self.label
        return f"{self.label} to date (day {self.days} of {self.whole_days})"

    def first_days(self, days: int) -> Period:
        """The period's first ``days`` days (the whole period when it has no more): what a
        period in progress is compared with. Its ``end`` is its ``days``-th day."""
        whole = period_starting(self.start, self.kind, self.fiscal_year_start_month)
        if days >= (whole.end - whole.start).days + 1:
            return whole
        end = whole.start + dt.timedelta(days=days - 1)
        return Period(
            whole.start, end, whole.kind, whole.label, whole.fiscal_year_start_month, days
        )

    def up_to(self, day: dt.date) -> Period:
        """The period in progress on ``day`` (day N of M), when ``day`` falls before its end.

        Its ``end`` stays the period's own: the data knows nothing after ``day`` but what the
        CRM dates ahead (a deal marked won with next week's close date counts, as in the CRM's
        own figure for the period); its comparisons (:meth:`shift`) are the same N days."""
        if not self.start <= day < self.end:
            return self
        return replace(self, days=(day - self.start).days + 1)

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    def contains(self, date: dt.date | pd.Timestamp) -> bool:
        day = date.date() if isinstance(date, pd.Timestamp) else date
        return self.start <= day <= self.end

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (negative: earlier), of the same kind; for a period to
        date, the same first days of that period."""
        y, m = _add_months(self.start.year, self.start.month, n * self.months)
        other = period_starting(dt.date(y, m, 1), self.kind, self.fiscal_year_start_month)
        return other if self.days is None else other.first_days(self.days)

    def previous(self) -> Period:
        return self.shift(-1)

    def same_period_last_year(self) -> Period:
        return self.shift(-{"month": 12, "quarter": 4, "year": 1}[self.kind])

    def mask(self, dates: pd.Series) -> pd.Series:
        """Boolean mask of ``dates`` (datetime64 Series) falling inside the period."""
        return (dates >= pd.Timestamp(self.start)) & (
            dates < pd.Timestamp(self.end) + pd.Timedelta(days=1)
        )


def trailing_year(period: Period) -> Period:
    """The 12 months ending with ``period``'s last day (labelled by that day)."""
    start = (pd.Timestamp(period.end) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
    return Period(
        start,
        period.end,
        "year",
        f"the 12 months to {period.end:%Y-%m-%d}",
        period.fiscal_year_start_month,
    )


def fiscal_year_of(date: dt.date, fiscal_year_start_month: int = 1) -> int:
    """The fiscal year containing ``date`` (named by the calendar year it ends in)."""
    if fiscal_year_start_month == 1:
        return date.year
    return date.year + 1 if date.month >= fiscal_year_start_month else date.year


def _fiscal_year_start(fy: int, start_month: int) -> dt.date:
    return dt.date(fy if start_month == 1 else fy - 1, start_month, 1)


def period_containing(date: dt.date, kind: Kind, fiscal_year_start_month: int = 1) -> Period:
    """The month, fiscal quarter or fiscal year containing ``date``."""
    fsm = fiscal_year_start_month
    if kind == "month":
        start = dt.date(date.year, date.month, 1)
        return Period(start, _month_end(date.year, date.month), "month", f"{start:%Y-%m}", fsm)
    fy = fiscal_year_of(date, fsm)
    fy_start = _fiscal_year_start(fy, fsm)
    if kind == "year":
        ey, em = _add_months(fy_start.year, fy_start.month, 11)
        return Period(fy_start, _month_end(ey, em), "year", f"FY{fy}", fsm)
    if kind == "quarter":
        fiscal_month = (date.month - fsm) % 12
        q = fiscal_month // 3 + 1
        sy, sm = _add_months(fy_start.year, fy_start.month, 3 * (q - 1))
        ey, em = _add_months(sy, sm, 2)
        return Period(dt.date(sy, sm, 1), _month_end(ey, em), "quarter", f"{fy}-Q{q}", fsm)
    raise PeriodError(f"unknown period kind {kind!r}; expected month, quarter or year")


def quarter_after(period: Period) -> Period:
    """The fiscal quarter after the one that holds ``period``'s end (the "next quarter" that
    forecasts, payouts and plans are for)."""
    return period_containing(period.end, "quarter", period.fiscal_year_start_month).shift(1)


def period_starting(start: dt.date, kind: Kind, fiscal_year_start_month: int = 1) -> Period:
    return period_containing(start, kind, fiscal_year_start_month)


def parse_period(
    text: str | Period,
    fiscal_year_start_month: int = 1,
    as_of: dt.date | None = None,
    data_as_of: dt.date | None = None,
) -> Period:
    """Parse ``2026-09``, ``2026-Q3``, ``FY2026``, ``latest``, ``last-quarter`` or ``last-month``;
    a :class:`Period` is returned as it is (so every function taking a period takes either).

    ``latest`` needs ``data_as_of`` (the latest date in the data): it is the latest fiscal quarter
    that ends on or before that date. ``last-quarter``/``last-month`` are relative to ``as_of``
    (default: today).
    """
    if isinstance(text, Period):
        return text
    raw = str(text).strip()
    fsm = fiscal_year_start_month
    if m := _MONTH.match(raw):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"period {raw!r}: month {month} is not 01..12")
        return period_containing(dt.date(year, month, 1), "month", fsm)
    if m := _QUARTER.match(raw):
        fy, q = int(m.group(1)), int(m.group(2))
        fy_start = _fiscal_year_start(fy, fsm)
        y, mo = _add_months(fy_start.year, fy_start.month, 3 * (q - 1))
        return period_containing(dt.date(y, mo, 1), "quarter", fsm)
    if m := _YEAR.match(raw):
        return period_containing(_fiscal_year_start(int(m.group(1)), fsm), "year", fsm)
    key = raw.lower()
    if key == "latest":
        if data_as_of is None:
            raise PeriodError("period 'latest' needs the data's as-of date")
        current = period_containing(data_as_of, "quarter", fsm)
        return current if current.end <= data_as_of else current.previous()
    if key in ("last-quarter", "last-month"):
        today = as_of or dt.date.today()
        kind: Kind = "quarter" if key == "last-quarter" else "month"
        return period_containing(today, kind, fsm).previous()
    raise PeriodError(
        f"cannot read period {raw!r}; expected YYYY-MM, YYYY-Qn, FYYYYY "
        f"or one of {', '.join(RELATIVE)}"
    )


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def quarter_label(quarter: object) -> str:
    """A pandas quarter (``2026Q4``) as the suite's period label (``2026-Q4``)."""
    text = str(quarter)
    return text if "-Q" in text else text.replace("Q", "-Q")

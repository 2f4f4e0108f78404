"""Number formats for people: ``$4.21M``, ``27%``, ``1,234``, ``2026-09-30``."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Number

import pandas as pd

from spm_lib.report.context import currency_of

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "C$", "AUD": "A$"}
MISSING = "–"
UNITS = ("count", "currency", "money", "percent", "number", "days", "ratio", "date", "text")


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_currency(value: float | None, currency: str | None = None, compact: bool = True) -> str:
    """``4210000 -> $4.21M``, ``950000 -> $950K``, ``1234.5 -> $1,235``; negatives ``-$1.2M``.
    ``currency``: an ISO code; None, the active report's (:mod:`spm_lib.report.context`)."""
    if _is_missing(value):
        return MISSING
    currency = currency_of(currency)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    sign = "-" if value < 0 else ""
    size = abs(float(value))
    text = f"{size:,.0f}"
    if compact and size >= 10_000:
        for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            scaled = size / limit
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            if round(scaled, digits) >= 1:
                text = f"{scaled:.{digits}f}{suffix}"
                break
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def format_money(value: object, currency: str | None = None) -> str:
    """Exact to the cent, for pay: ``Decimal("1820.5") -> $1,820.50``, ``-1820 -> -$1,820.00``.
    ``currency``: an ISO code; None, the active report's."""
    if _is_missing(value):
        return MISSING
    currency = currency_of(currency)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def format_percent(value: float | None, digits: int | None = None) -> str:
    """A fraction as a percentage: ``0.27 -> 27%``, ``0.045 -> 4.5%``, ``0.00012 -> 0.01%``.

    Rounding never crosses 100%, the quota line: ``0.9993 -> 99.9%``, not ``100%``."""
    if _is_missing(value):
        return MISSING
    pct = float(value) * 100
    if digits is None:
        digits = 0 if abs(pct) >= 10 else 1 if abs(pct) >= 1 or pct == 0 else 2
    text = f"{pct:.{digits}f}"
    if pct < 100 <= float(text):  # rounded up onto the line: one decimal, rounded down
        step = 10 ** max(digits + 1, 1)
        text = f"{math.floor(pct * step) / step:.{max(digits + 1, 1)}f}"
    return f"{text}%"


def format_change(value: float | None) -> str:
    """A relative change with its sign: ``0.016 -> +1.6%``, ``-0.2 -> -20%``."""
    if _is_missing(value):
        return MISSING
    return ("+" if value >= 0 else "") + format_percent(value)


def format_count(value: float | None) -> str:
    """``1234 -> 1,234``."""
    if _is_missing(value):
        return MISSING
    return f"{round(float(value)):,}"


def format_number(value: float | None) -> str:
    """Three significant figures, thousands separated: ``1234.5 -> 1,235``, ``2.345 -> 2.35``."""
    if _is_missing(value):
        return MISSING
    number = float(value)
    if number == 0 or abs(number) >= 100:
        return f"{number:,.0f}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(number)))))
    return f"{number:,.{digits}f}"


def format_date(value: object) -> str:
    if _is_missing(value):
        return MISSING
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def format_value(value: object, unit: str | None = None, currency: str | None = None) -> str:
    """Format ``value`` by ``unit`` (one of :data:`UNITS`; None guesses from the type)."""
    if _is_missing(value):
        return MISSING
    if unit == "currency":
        return format_currency(value, currency)
    if unit == "money":
        return format_money(value, currency)
    if unit == "percent":
        return format_percent(value)
    if unit == "count":
        return format_count(value)
    if unit == "days":  # whole days as such (9 days, not 9.00 days)
        days = float(value)
        return f"{days:,.0f} days" if days.is_integer() else f"{format_number(days)} days"
    if unit == "ratio":
        return f"{float(value):.1f}x"
    if unit == "date":
        return format_date(value)
    if unit in ("number",):
        return format_number(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, dt.date)):
        return format_date(value)
    if isinstance(value, Number):
        if float(value).is_integer():
            return format_count(value)
        return format_number(value)
    return str(value)

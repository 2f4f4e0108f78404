"""Number formats for people."""

from __future__ import annotations

import datetime as dt

import pytest

from spm_lib.report.formats import (
    format_change,
    format_count,
    format_currency,
    format_number,
    format_percent,
    format_value,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4_210_000, "$4.21M"),
        (950_000, "$950K"),
        (12_345, "$12.3K"),
        (1_234.5, "$1,234"),
        (999_999, "$1.00M"),
        (-1_200_000, "-$1.20M"),
        (0, "$0"),
        (None, "–"),
        (float("nan"), "–"),
    ],
)
def test_currency(value, text):
    assert format_currency(value) == text


def test_currency_symbols_and_codes():
    assert format_currency(2_500_000, "EUR") == "€2.50M"
    assert format_currency(2_500_000, "CHF") == "2.50M CHF"


@pytest.mark.parametrize("code", ["<img src=x onerror=alert(1)>", "usd", "US", "", "E\u20acR"])
def test_a_formatter_prints_no_currency_that_is_not_a_code(code):
    """What a formatter adds is never data: a code that is not ISO 4217 raises (a context's
    currency comes from spm.yaml, which refuses such codes before any page is built)."""
    from spm_lib.report import format_money
    from spm_lib.report.context import ReportContext, activate

    if code:
        with pytest.raises(ValueError, match="not an ISO 4217 code"):
            format_currency(1_000, code)
        with pytest.raises(ValueError, match="not an ISO 4217 code"):
            format_money(1_000, code)
    activate(ReportContext(currency=code or "<b>"))
    try:
        with pytest.raises(ValueError, match="not an ISO 4217 code"):
            format_currency(1_000)
    finally:
        activate(ReportContext())


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.27, "27%"),
        (0.045, "4.5%"),
        (1.0, "100%"),
        (0.00012, "0.01%"),
        (0, "0.0%"),
        # never rounded up onto the quota line: a rep at 99.93% is not shown at quota
        (0.9993, "99.9%"),
        (0.99999, "99.9%"),
        (0.995, "99.5%"),
        (1.004, "100%"),
        (0.9949, "99%"),
    ],
)
def test_percent(value, text):
    assert format_percent(value) == text


def test_change_has_a_sign():
    assert format_change(0.016) == "+1.6%"
    assert format_change(-0.2) == "-20%"
    assert format_change(None) == "–"


def test_counts_numbers_dates_units():
    assert format_count(1234567) == "1,234,567"
    assert format_number(1234.4) == "1,234"
    assert format_number(2.345) == "2.35"
    assert format_number(0.01234) == "0.0123"
    assert format_value(dt.date(2026, 9, 30)) == "2026-09-30"
    assert format_value(3.0, "ratio") == "3.0x"
    assert format_value(41.5, "days") == "41.5 days"
    assert format_value(9.0, "days") == "9 days"
    assert format_value(1234.0, "days") == "1,234 days"
    assert format_value(12) == "12"
    assert format_value(True) == "yes"


def test_money_is_exact_to_the_cent():
    from decimal import Decimal

    from spm_lib.report.formats import format_money

    assert format_money(Decimal("1234567.891")) == "$1,234,567.89"
    assert format_money(Decimal("-0.005")) == "-$0.01"  # half up, away from zero
    assert format_money(2.675) == "$2.68"  # via the float's shortest text, not 2.67499...
    assert format_money(Decimal("5"), "EUR") == "€5.00" and format_money(None) == "–"
    assert format_value(Decimal("12.5"), "money") == "$12.50"

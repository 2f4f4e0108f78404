"""Report tables and sentences: formatted, and every text from data escaped."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from spm_lib.report.display import escape_markdown, header_html, table_html
from spm_lib.report.keyfigures import KeyFigure, key_figures_html

EVIL = '<script>alert("x")</script>'


def test_table_escapes_values_and_headers_and_formats_numbers():
    frame = pd.DataFrame(
        {
            "name": [EVIL, "Bob & Co"],
            "amount": [4_210_000.0, 950_000.0],
            "win_rate": [0.27, 0.045],
            EVIL: [1, 2],
        }
    )
    html = table_html(frame, {"amount": "currency", "win_rate": "percent"})
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Bob &amp; Co" in html
    assert "$4.21M" in html and "27%" in html and "4.5%" in html
    assert ">Win rate<" in html  # header label from the column name


def test_table_is_deterministic_apart_from_its_id_and_says_when_truncated():
    frame = pd.DataFrame({"n": range(150)})
    a, b = table_html(frame, max_rows=10), table_html(frame, max_rows=10)
    first, second = re.search(r"T_(spm\d+)", a).group(1), re.search(r"T_(spm\d+)", b).group(1)
    assert first != second and a.replace(first, "ID") == b.replace(second, "ID")
    assert "Showing the first 10 of 150 rows." in a
    assert a.count("<tr>") == 11


def test_table_rejects_formats_for_unknown_columns():
    with pytest.raises(KeyError, match="not in the table"):
        table_html(pd.DataFrame({"a": [1]}), {"b": "count"})


def test_markdown_escaping_neutralises_html_and_syntax():
    text = escape_markdown("<b>*bold*</b> [link](http://x)")
    assert "<b>" not in text and "\\*bold\\*" in text and "\\[link\\]" in text


def test_header_and_key_figures_escape():
    info = {
        "title": EVIL,
        "period_text": "2026-Q3",
        "audience": "region=<West>",
        "as_of": "2026-09-30",
    }
    html = header_html(info)
    assert "<script>" not in html and "region=&lt;West&gt;" in html
    block = key_figures_html([KeyFigure("x", 0.27, EVIL, "percent", 0.06, "on Q2")], reading=EVIL)
    # a rate changes in points: 27% after 25.5% (+6% relative) is +1.5 pts
    assert "<script>" not in block and "27%" in block and "+1.5 pts on Q2" in block


def test_dollar_amounts_are_not_read_as_math():
    from spm_lib.report.display import escape_markdown

    # two amounts in one sentence would otherwise open and close a LaTeX span
    assert escape_markdown("$1,200.00 on $3,000.00") == r"\$1,200.00 on \$3,000.00"


def test_header_returns_the_report_context_and_money_follows_its_currency(monkeypatch, tmp_path):
    import contextvars

    from spm_lib import load_dataset
    from spm_lib.report import display, format_currency, format_money
    from spm_lib.report.context import ReportContext, active
    from spm_lib.report.keyfigures import KeyFigure
    from tests.helpers import ACCOUNTS, OPPORTUNITIES, REPS, write_tables

    shown: list[dict] = []
    monkeypatch.setattr(display, "_display", shown.append)
    tables = {"reps": REPS, "opportunities": OPPORTUNITIES, "accounts": ACCOUNTS}
    ds = load_dataset(write_tables(tmp_path / "eur", tables, yaml="currency: EUR\n"))

    def in_a_eur_report():
        period = ds.period("2025-Q1")
        context = display.header("Pay", ds, period)
        assert context == ReportContext("EUR", period, "All", ds.as_of) == active()
        assert format_currency(1_820_000) == "€1.82M"
        assert format_money(1820.5) == "€1,820.50"
        assert format_currency(1_820_000, "USD") == "$1.82M"  # named, it wins
        assert KeyFigure("pay", 950_000.0, "Pay", "currency").formatted() == "€950K"
        assert "€" in display.table_html(pd.DataFrame({"amount": [1200.0]}), {"amount": "currency"})

    contextvars.copy_context().run(in_a_eur_report)
    assert active().currency == "USD"  # outside that report: the default
    assert shown and shown[0]["text/plain"] == "Pay"


def test_say_shows_text_without_fields_as_it_is(monkeypatch):
    import spm_lib.report.display as display

    shown = []
    monkeypatch.setattr(display, "_display", shown.append)
    display.say("Pooled sources: {x}, ${7*7}.")  # no values: the braces are text, no crash
    display.say("**{n}** from {source}", n=3, source="<script>x</script> {y}")
    assert shown[0]["text/markdown"] == "Pooled sources: {x}, ${7*7}."
    assert "<script>" not in shown[1]["text/markdown"]
    assert "&lt;script&gt;" in shown[1]["text/markdown"]


def test_charts_draw_dollar_signs_as_text():
    import matplotlib.pyplot as plt

    from spm_lib.report import plots

    plots.set_style()
    fig, ax = plt.subplots()
    ax.set_title(r"$\unicode{x}$ sold $5M to $7M")
    ax.bar([r"$\unicode{x}$"], [1])
    fig.canvas.draw()  # mathtext would raise ValueError on \unicode
    assert ax.get_title(loc="left") == r"$\unicode{x}$ sold $5M to $7M"
    plt.close(fig)


def test_what_a_formatter_returns_is_escaped_like_data():
    """A column formatter's text (a unit, a code, a label) is escaped as it leaves."""
    frame = pd.DataFrame({"effect": [0.1, 0.2], "label": ["a", "b"]})
    html = table_html(
        frame,
        {
            "effect": lambda v: f"<img src=x onerror=alert({v})>",
            "label": lambda v: f'"><svg onload=x>{v}',
        },
    )
    assert "<img" not in html and "<svg" not in html
    assert "&lt;img src=x onerror=alert(0.1)&gt;" in html and "&quot;&gt;&lt;svg" in html

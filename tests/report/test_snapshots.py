"""Snapshots of the rendered pieces of a page, as great_tables keeps its own: a change in the
HTML a reader gets shows as a diff here (`pytest --snapshot-update` accepts it on purpose)."""

from __future__ import annotations

import re

import pandas as pd

from spm_lib.report.display import header_html, table_html
from spm_lib.report.keyfigures import KeyFigure, key_figures_html
from spm_lib.suite.render import failure_html


def _stable(html: str) -> str:
    """A table's element id counts tables across a session: fixed here."""
    return re.sub(r"T_spm\d+", "T_spm", html)


def test_header(snapshot):
    info = {
        "title": "Rep performance",
        "period_text": "2026-Q3 (2026-07-01 to 2026-09-30)",
        "audience": "region=West",
        "as_of": "2026-09-30",
    }
    assert header_html(info) == snapshot


def test_key_figures(snapshot):
    figures = [
        KeyFigure("bookings", 18_783_300.0, "Bookings", "currency", 0.16, "on the period before"),
        KeyFigure(
            "win_rate",
            0.2716,
            "Win rate (won / closed)",
            "percent",
            0.0624,
            "on Q2",
            detail="1,204 closed deals",
        ),
        KeyFigure("reps_at_or_above_quota", 21, "Reps at or above quota", "count"),
        KeyFigure("attainment", 0.9993, "Quota attainment", "percent"),
    ]
    assert key_figures_html(figures, reading="Bookings rose; 21 reps <b>reached</b> quota.") == (
        snapshot
    )


def test_table(snapshot):
    frame = pd.DataFrame(
        {
            "name": ["Ann <b>Lee</b>", "Bob Ray", "Cy Dee"],
            "bookings": [1_234_567.0, 950_000.0, None],
            "attainment": [0.9993, 1.2, 0.05],
            "won": [12, 7, 0],
        }
    )
    html = table_html(
        frame,
        {"bookings": "currency", "attainment": "percent", "won": "count"},
        caption="Per rep",
        max_rows=2,
        labels={"won": "Deals won"},
    )
    assert _stable(html) == snapshot


def test_failure_banner(snapshot):
    error = {
        "cell": 4,
        "exception": "DataError",
        "message": "table reps: column <hire_date> does not parse",
    }
    assert failure_html(error) == snapshot

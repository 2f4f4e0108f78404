"""Readings against hand-made inputs: the one line a page puts under its key figures."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from spm_lib.pages import data_quality, territory_assignment


def _summary(read, used, quarantined, warned=0, tables=("opportunities", "reps")):
    return pd.DataFrame(
        {
            "table": list(tables),
            "rows_read": read,
            "rows_used": used,
            "rows_quarantined": quarantined,
            "rows_warned": [warned, 0],
            "reconciles": [r == u + q for r, u, q in zip(read, used, quarantined, strict=True)],
        }
    )


def test_data_quality_reading_adds_up_and_names_the_worst_table():
    clean = _summary([100, 10], [100, 10], [0, 0])
    assert data_quality.reading(clean) == (
        "Every row is accounted for: 110 read = 110 used + 0 quarantined. No row had to be set "
        "aside."
    )
    messy = _summary([200, 10], [150, 9], [50, 1], warned=1)
    text = data_quality.reading(messy)
    assert text.startswith("Every row is accounted for: 210 read = 159 used + 51 quarantined.")
    assert "Most set-aside rows are in opportunities (50 rows, 25.0% of the table)." in text
    assert "1 row used carries a warning" in text
    broken = _summary([100, 10], [90, 10], [0, 0])
    assert data_quality.reading(broken).startswith("Rows do not add up: 110 read, 100 used")


def test_territory_reading_says_what_the_moves_add_and_whether_balance_holds():
    stay = SimpleNamespace(figures={"accounts_moved": 0.0, "forced_moves": 0.0})
    assert territory_assignment.reading(stay, 0.2) == (
        "No move pays for itself within the constraints: today's assignment stays."
    )
    moved = SimpleNamespace(
        figures={
            "accounts_moved": 30.0,
            "forced_moves": 2.0,
            "accounts_moved_pct": 0.1,
            "expected_revenue_uplift_pct": 0.034,
            "net_gain": 1_250_000.0,
            "potential_cv_before": 0.30,
            "potential_cv_after": 0.20,
        }
    )
    text = territory_assignment.reading(moved, 0.2)
    assert text.startswith("Moving 10% of accounts to reps who win more often")
    assert "by 3.4% a year ($1.25M after the cost of the moves)" in text
    assert "within 20% of the pool's mean" in text and text.endswith("more balanced than today.")

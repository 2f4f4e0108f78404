"""Forecast history: merge precedence, file round trip, scoring."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib.forecasting.tracking import (
    HISTORY_COLUMNS,
    accuracy_summary,
    merge_history,
    score,
)
from spm_lib.pages.forecasting import read_history, write_history


def row(made_at, target, mean, source="run", horizon=1, series="Company", level="company"):
    return {
        "made_at": made_at,
        "level": level,
        "series": series,
        "target": target,
        "horizon": horizon,
        "mean": mean,
        "lower": mean * 0.9,
        "upper": mean * 1.1,
        "interval": 0.8,
        "source": source,
    }


def test_merge_prefers_runs_over_backfill_and_round_trips(tmp_path):
    backfilled = pd.DataFrame([row("2026Q2", "2026Q3", 90.0, "backfill")])
    run = pd.DataFrame([row("2026Q2", "2026Q3", 100.0, "run"), row("2026Q3", "2026Q4", 120.0)])
    merged = merge_history(run, backfilled)
    assert merged["mean"].tolist() == [100.0, 120.0]
    path = write_history(tmp_path / "h.csv", merged)
    pd.testing.assert_frame_equal(read_history(path), merged[HISTORY_COLUMNS], check_dtype=False)
    assert read_history(tmp_path / "none.csv").empty


def test_scores_by_hand():
    index = pd.period_range("2026Q2", periods=2, freq="Q")
    actuals = {"company": pd.DataFrame({"Company": [100.0, 200.0]}, index=index)}
    history = pd.DataFrame(
        [
            row("2026Q1", "2026Q2", 105.0),
            row("2026Q2", "2026Q3", 150.0),
            row("2026Q3", "2026Q4", 300.0),
        ]
    )
    scored = score(history, actuals)
    assert scored["target"].tolist() == ["2026Q2", "2026Q3"]  # 2026Q4 has no actual yet
    assert scored["error_pct"].tolist() == pytest.approx([0.05, -0.25])
    assert scored["hit"].tolist() == [True, False]
    assert scored["in_interval"].tolist() == [True, False]
    summary = accuracy_summary(scored).iloc[0]
    assert summary["forecasts"] == 2 and summary["bias"] == pytest.approx(-0.1)
    assert summary["mape"] == pytest.approx(0.15) and summary["hit_rate"] == 0.5


def test_names_that_a_spreadsheet_would_run_are_written_as_text_and_read_back(tmp_path):
    from spm_lib.forecasting.tracking import HISTORY_COLUMNS
    from spm_lib.pages.forecasting import read_history, write_history

    names = ['=HYPERLINK("http://x","y")', "+1", "-West", "@SUM(A1)", "West", "'=kept"]
    history = pd.DataFrame(
        {
            "made_at": "2026Q2",
            "level": "team",
            "series": names,
            "target": "2026Q3",
            "horizon": 1,
            "mean": -5.0,
            "lower": -6.0,
            "upper": 1.0,
            "interval": 0.8,
            "source": "run",
        }
    )[HISTORY_COLUMNS]
    path = write_history(tmp_path / "forecast_history.csv", history)
    cells = [line.split(",", 3)[2] for line in path.read_text().splitlines()[1:]]
    assert all(not c.lstrip('"').startswith(("=", "+", "-", "@")) for c in cells), cells
    assert ",-5.0,-6.0," in path.read_text()  # numbers stay numbers
    assert read_history(path)["series"].tolist() == names

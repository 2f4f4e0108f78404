"""The brief's words: changes, trends and the run's summary line, against hand-made inputs."""

from __future__ import annotations

import pytest

from spm_lib.pages.brief import actions, audience_name, change_text, run_summary, trend_finding


@pytest.mark.parametrize(
    "now, before, unit, text",
    [
        (110.0, 100.0, "currency", "+10%"),
        (90.0, 100.0, "count", "-10.0%"),
        (0.25, 0.20, "percent", "+5.0 pts"),
        (0.0, 0.0, "count", "unchanged"),
        (5.0, 0.0, "count", "up from 0"),
        (5.0, None, "count", ""),
        (None, 1.0, "count", ""),
    ],
)
def test_change_text(now, before, unit, text):
    assert change_text(now, before, unit) == text


def test_a_trend_says_its_direction_and_how_much_was_recomputed():
    points = [("2026-Q1", 0.30, False), ("2026-Q2", 0.30, True), ("2026-Q3", 0.25, True)]
    assert trend_finding("Win rate", points, "percent", "USD") == (
        "Win rate fell from 30% in 2026-Q1 to 25% in 2026-Q3; 1 of 3 recomputed from this "
        "run's data, no run of them kept"
    )
    held = [("2026-Q1", 5.0, True), ("2026-Q2", 5.0, True)]
    expected = "Reps held from 5 in 2026-Q1 to 5 in 2026-Q2"
    assert trend_finding("Reps", held, "count", "USD") == expected


def test_the_summary_counts_failed_and_kept_reports():
    ok, bad = {"status": "ok"}, {"status": "failed"}
    kept = {"status": "ok", "carried_from": {"finished": "2026-10-01"}}
    assert run_summary([ok]) == "The report rendered."
    assert run_summary([ok, ok, ok]) == "All 3 reports rendered."
    assert run_summary([ok, bad, kept]) == (
        "1 of 2 reports failed; the others rendered. 1 report was not part of this run and "
        "kept from an earlier one, as marked."
    )


def test_actions_heaviest_first_at_most_eight_and_the_audience_named():
    lines = [{"text": str(w), "weight": w} for w in range(10)]
    assert [a["weight"] for a in actions([{"actions": lines}])] == [9, 8, 7, 6, 5, 4, 3, 2]
    assert audience_name({"audience": "All"}) == "All reps"
    assert audience_name({"audience": "region=West"}) == "region=West"

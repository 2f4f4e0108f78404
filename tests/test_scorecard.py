"""Scorecard, at-risk list, pipeline movement and the headline on the sample data."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib import load_dataset, metrics
from spm_lib.scorecard import at_risk, headline, pipeline_movement, rollup, scorecard


@pytest.fixture(scope="module")
def ds(default_sample):
    return load_dataset(default_sample)


def test_pipeline_movement_reconciles(ds):
    period = ds.period("latest")
    move = pipeline_movement(ds, period).set_index("bucket")
    flow = move.loc[
        ["starting pipeline", "created", "won", "lost", "other changes"], "amount"
    ].sum()
    assert flow == pytest.approx(move.loc["ending pipeline", "amount"])
    assert move.loc["other changes", "amount"] == pytest.approx(0)  # amounts never change here
    opps = ds.opportunities
    won = opps[opps["is_won"] & period.mask(opps["close_date"])]["amount"].sum()
    assert move.loc["won", "amount"] == -won
    not_computable = move[~move["computable"].astype(bool)]
    assert set(not_computable.index) == {"pulled in", "pushed out", "amount changes"}
    assert not_computable["note"].str.startswith("needs").all()


def test_scorecard_rows_are_reps_employed_in_the_period(ds):
    period = ds.period("latest")
    card = scorecard(ds, period)
    opps = ds.opportunities
    closing = set(opps.loc[opps["is_closed"] & period.mask(opps["close_date"]), "rep_id"])
    left = set(ds.reps[ds.reps["end_date"] < pd.Timestamp(period.start)]["rep_id"])
    assert left - closing  # some reps left before the period with nothing closing in it
    assert not (left - closing) & set(card["rep_id"])
    assert (card["lower"] <= card["shrunk_rate"]).all() and (
        card["shrunk_rate"] <= card["upper"]
    ).all()


def test_at_risk_flags_reps_who_then_fall_short(ds):
    """Flagged at the end of 2026-Q2 for 2026-Q3: their actual attainment is far lower."""
    flagged = at_risk(ds, ds.period("2026-Q2"))
    assert len(flagged) > 0 and (flagged["expected"] < flagged["quota"]).all()
    actual = metrics.quota_attainment(ds, ds.period("2026-Q3"), "rep").set_index("rep_id")
    actual = actual[actual["quota"] > 0]["attainment"]
    inside = actual.reindex(flagged["rep_id"]).dropna()
    outside = actual.drop(index=flagged["rep_id"], errors="ignore")
    assert inside.median() < 0.7 < outside.median()


def test_at_risk_without_quotas_is_empty(make_dataset):
    assert at_risk(
        load_dataset(make_dataset()), load_dataset(make_dataset()).period("2025-Q1")
    ).empty


def test_headline_and_rollups_agree(ds):
    period = ds.period("latest")
    figures = headline(ds, period)
    regions = rollup(ds, period, "region")
    assert regions["bookings"].sum() == pytest.approx(figures["bookings"])
    assert regions["won"].sum() / regions["closed"].sum() == pytest.approx(figures["win_rate"])
    assert 0 < figures["reps_at_or_above_quota_pct"] < 1

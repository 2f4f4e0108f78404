"""A dataset replayed as of a past date: the identity at its own as-of date, and at a past date
the deals, their fields and the leads as a pandas computation from the raw history gives them;
on the sample and on a real Salesforce export."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.importers import import_export
from spm_lib.measures import metrics
from spm_lib.pipeline.replay import dataset_as_of
from tests.helpers import TEST_DATA


@pytest.fixture(scope="module")
def sample(small_sample):
    return load_dataset(small_sample)


@pytest.fixture(scope="module")
def mit(tmp_path_factory):
    raw = TEST_DATA / "salesforce-export-excel-mit"
    return load_dataset(import_export("salesforce", [raw], tmp_path_factory.mktemp("mit") / "d"))


def test_at_its_own_as_of_date_the_replay_changes_nothing(sample):
    replayed = dataset_as_of(sample, sample.as_of)
    assert replayed.as_of == sample.as_of and replayed.fingerprint != sample.fingerprint
    for name, table in sample.tables.items():
        pd.testing.assert_frame_equal(
            replayed[name].reset_index(drop=True), table.reset_index(drop=True), obj=name
        )


def _in_force(ds, day: pd.Timestamp) -> pd.DataFrame:
    """Per deal with a history row by the end of ``day``: the last stage, amount and close
    date written by then (a field left empty was not changed), straight from the history."""
    history = ds["opportunity_history"]
    known = history[history["changed_at"] < day + pd.Timedelta(days=1)]
    ordered = known.sort_values("changed_at", kind="stable")
    return ordered.groupby("opportunity_id")[["stage", "amount", "close_date"]].last()


@pytest.mark.parametrize("which", ["sample", "mit"])
def test_a_past_date_gives_the_deals_and_fields_of_that_day(which, request):
    ds = request.getfixturevalue(which)
    opps = ds.opportunities
    day = pd.Timestamp(opps["created_date"].quantile(0.6)).normalize()
    replayed = dataset_as_of(ds, day)
    deals = replayed.opportunities.set_index("opportunity_id")
    # every deal created by then (or closed by then, back-dated), none created later
    existed = (opps["created_date"] <= day) | (opps["is_closed"] & (opps["close_date"] <= day))
    assert set(deals.index) == set(opps.loc[existed, "opportunity_id"])
    assert 0 < len(deals) < len(opps)
    # the stage, amount and close date last written by then, where the history says
    truth = _in_force(ds, day).reindex(deals.index).dropna(subset=["stage"])
    assert len(truth) > 0
    assert (deals.loc[truth.index, "stage"] == truth["stage"]).all()
    with_amount = truth["amount"].notna()
    assert (deals.loc[truth.index[with_amount], "amount"] == truth.loc[with_amount, "amount"]).all()
    won = set(replayed.config.won_stages)
    assert (deals["is_won"] == deals["stage"].isin(won)).all()
    # nothing dated after the day is known
    assert replayed["opportunity_history"]["changed_at"].max() < day + pd.Timedelta(days=1)
    assert replayed.as_of == day.date()


def test_a_quarter_closed_before_the_date_books_the_same(sample):
    """Bookings of a quarter that ended before the replay date do not depend on it."""
    quarter = sample.period("latest").previous().previous()
    replayed = dataset_as_of(sample, pd.Timestamp(quarter.end) + pd.Timedelta(days=40))
    before = metrics.bookings(sample, quarter, by=None)["bookings"].sum()
    assert metrics.bookings(replayed, quarter, by=None)["bookings"].sum() == pytest.approx(before)


def test_leads_and_reps_know_nothing_of_later_days(sample):
    day = pd.Timestamp(sample["leads"]["created_date"].quantile(0.5)).normalize()
    replayed = dataset_as_of(sample, day)
    leads = replayed["leads"]
    assert (leads["created_date"] <= day).all()
    assert not (leads["converted_date"] > day).any()
    converted_later = sample["leads"][sample["leads"]["converted_date"] > day]["lead_id"]
    assert leads.set_index("lead_id").reindex(converted_later)["opportunity_id"].isna().all()
    assert not (replayed["reps"]["end_date"] > day).any()
    assert len(replayed["reps"]) == len(sample["reps"])  # a later hire is "not yet hired"


def test_an_activity_on_no_deal_is_kept_when_dated_by_then(sample):
    from dataclasses import replace

    activities = sample["activities"].copy()
    activities.loc[0, "opportunity_id"] = None  # a call logged on no deal
    ds = replace(sample, tables={**sample.tables, "activities": activities})
    day = pd.Timestamp(activities.loc[0, "date"]).normalize()
    kept = dataset_as_of(ds, day)["activities"]
    assert activities.loc[0, "activity_id"] in set(kept["activity_id"])
    assert len(dataset_as_of(ds, ds.as_of)["activities"]) == len(activities)

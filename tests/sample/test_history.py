"""The sample's opportunity history agrees with its opportunities and stage history, and carries
the planted slippage effect."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset import stage_entries
from spm_lib.sample import generate
from spm_lib.sample.history import PUSHES


@pytest.fixture(scope="module")
def ds(small_sample):
    return load_dataset(small_sample)


def test_history_loads_whole_and_its_stage_changes_are_the_stage_history(ds):
    recon = ds.reconciliation().set_index("table")
    assert recon.loc["opportunity_history", "rows_quarantined"] == 0
    derived = stage_entries(ds["opportunity_history"])
    given = ds["stage_history"]
    key = ["opportunity_id", "entered_date", "stage"]
    pd.testing.assert_frame_equal(
        derived.sort_values(key, ignore_index=True)[key],
        given.sort_values(key, ignore_index=True)[key],
    )


def test_the_last_change_of_each_deal_is_the_deal_as_it_stands(ds):
    h = ds["opportunity_history"].sort_values(["opportunity_id", "changed_at"])
    last = h.groupby("opportunity_id").last()
    opps = ds.opportunities.set_index("opportunity_id").loc[last.index]
    assert (last["stage"] == opps["stage"]).all()
    assert (last["amount"] == opps["amount"]).all()
    assert (last["close_date"] == opps["close_date"]).all()
    assert (last["forecast_category"] == opps["forecast_category"]).all()
    assert h["changed_at"].max() <= pd.Timestamp(ds.as_of) + pd.Timedelta(days=1)
    # not only stage changes: amounts and close dates move in between
    assert len(h) > len(ds["stage_history"]) * 1.2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lost_deals_slip_more_than_won_ones_as_planted(seed):
    data = generate(seed=seed, reps=20, years=2)
    h = data.tables["opportunity_history"]
    o = data.tables["opportunities"].set_index("opportunity_id")
    h = h.sort_values(["opportunity_id", "changed_at"])
    moved = h["close_date"] != h.groupby("opportunity_id")["close_date"].shift()
    first = ~h["opportunity_id"].duplicated()
    changes = (moved & ~first).groupby(h["opportunity_id"]).sum()
    outcome = o.loc[changes.index, "stage"]
    won, lost = changes[outcome == "Closed Won"].mean(), changes[outcome == "Closed Lost"].mean()
    assert lost > won * 1.5, (won, lost)
    # within sampling error of the planted means (a change that lands on the same date as
    # before is no change, so the observed mean is at most the planted one)
    assert won == pytest.approx(PUSHES["won"], rel=0.25)
    assert lost == pytest.approx(PUSHES["lost"], rel=0.25)

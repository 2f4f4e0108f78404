"""The Maven CRM export loads through its adapter, and its numbers match the raw CSV."""

from __future__ import annotations

import csv

import pytest

from spm_lib import load_dataset
from spm_lib.measures import metrics
from spm_lib.periods import parse_period
from spm_lib.suite.cli import main
from tests.helpers import MAVEN_RAW

RAW = MAVEN_RAW


@pytest.fixture(scope="module")
def maven(tmp_path_factory):
    out = tmp_path_factory.mktemp("maven") / "dataset"
    assert main(["import", "--from", "maven", "--out", str(out), str(RAW)]) == 0
    return out


def raw_rows():
    with (RAW / "sales_pipeline.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_row_is_accounted_for(maven):
    ds = load_dataset(maven)
    recon = ds.reconciliation().set_index("table")
    assert recon.loc["opportunities", "rows_read"] == 8800
    assert recon["reconciles"].all()
    # only the Prospecting deals, which have no engage date, are quarantined
    prospecting = sum(r["deal_stage"] == "Prospecting" for r in raw_rows())
    assert recon.loc["opportunities", "rows_quarantined"] == prospecting
    assert set(ds.quarantine["check"]) == {"empty_created_date"}


def test_each_agents_win_rate_matches_the_raw_csv(maven):
    ds = load_dataset(maven)
    year = parse_period("FY2017")
    rates = metrics.win_rate(ds, year, "rep").set_index("rep_id")
    expected: dict[str, list[int]] = {}
    for row in raw_rows():
        if row["deal_stage"] in ("Won", "Lost") and row["close_date"].startswith("2017"):
            won_lost = expected.setdefault(row["sales_agent"], [0, 0])
            won_lost[0 if row["deal_stage"] == "Won" else 1] += 1
    assert len(expected) == 30
    for agent, (won, lost) in expected.items():
        assert rates.loc[agent, "won"] == won and rates.loc[agent, "lost"] == lost
        assert rates.loc[agent, "win_rate"] == pytest.approx(won / (won + lost))


def test_quirks_are_reconciled(maven):
    ds = load_dataset(maven)
    opps = ds.opportunities
    assert "GTXPro" not in set(opps["product"]) and "GTX Pro" in set(opps["product"])
    assert "technolgy" not in set(ds["accounts"]["industry"])
    open_without_account = opps[~opps["is_closed"] & opps["account_id"].isna()]
    assert len(open_without_account) > 0  # kept
    won = opps[opps["is_won"]]["amount"].sum()
    assert won == 10_005_534  # the export's own total of close_value for won deals
    assert ds.reps["region"].value_counts().to_dict() == {"East": 12, "West": 12, "Central": 11}

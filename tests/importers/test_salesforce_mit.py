"""A real Salesforce demo-org export re-saved by Excel (tests/data/salesforce-export-excel-mit,
MIT, see its PROVENANCE.md): back-dated like a migrated org, US short dates, no OwnerId, open
deals without amounts. It imports, every row is accounted for, its figures equal a pandas
computation from the raw files, and the whole suite renders on it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from spm_lib import load_dataset, metrics
from spm_lib.importers import import_export
from tests.conftest import TEST_DATA, spm

RAW = TEST_DATA / "salesforce-export-excel-mit"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return import_export("salesforce", [RAW], tmp_path_factory.mktemp("mit") / "dataset")


@pytest.fixture(scope="module")
def ds(folder):
    return load_dataset(folder)


def _raw_opportunities() -> pd.DataFrame:
    o = pd.read_csv(RAW / "Opportunity.csv", dtype=str)
    o["close"] = pd.to_datetime(o["CloseDate"], format="%m/%d/%y")
    o["quarter"] = pd.PeriodIndex(o["close"], freq="Q").strftime("%Y-Q%q")
    o["won"] = o["IsWon"].eq("TRUE")
    o["lost"] = o["IsClosed"].eq("TRUE") & ~o["won"]
    o["amount"] = o["Amount"].astype(float)
    return o


def test_every_row_is_accounted_for_and_every_warning_counted(ds):
    recon = ds.reconciliation().set_index("table")
    assert recon["reconciles"].all()
    assert recon.loc["opportunities", "rows_read"] == len(_raw_opportunities()) == 36
    assert recon.loc["opportunities", "rows_quarantined"] == 0  # nothing here is unusable
    counts = ds.warnings.groupby("check")["row"].nunique().to_dict()
    raw = _raw_opportunities()
    created = pd.to_datetime(raw["CreatedDate"], format="%m/%d/%y")
    closed = raw["won"] | raw["lost"]
    assert counts["closed_before_created"] == int((closed & (raw["close"] < created)).sum()) == 19
    assert counts["no_amount"] == int(raw["Amount"].isna().sum()) == 5
    assert counts["closed_after_as_of"] == 1  # Jackson Controls: lost, closes 2026-03-31
    assert str(ds.as_of) == "2026-03-07"  # the last modification, not the planned close date


def test_bookings_and_won_lost_per_quarter_equal_the_raw_file(ds):
    raw = _raw_opportunities()
    expected = raw[raw["won"] | raw["lost"]].groupby("quarter").agg(
        bookings=("amount", lambda a: a[raw.loc[a.index, "won"]].sum()),
        won=("won", "sum"), lost=("lost", "sum"))  # fmt: skip
    assert len(expected) >= 2
    for quarter, row in expected.iterrows():
        period = ds.period(quarter)
        booked = metrics.bookings(ds, period, None).iloc[0]["bookings"]
        rates = metrics.win_rate(ds, period, None).iloc[0]
        assert booked == pytest.approx(row["bookings"]), quarter
        assert (rates["won"], rates["lost"]) == (row["won"], row["lost"]), quarter
    assert expected.loc["2024-Q1", "bookings"] == 2_815_000


def test_stage_entries_are_the_history_rows_where_the_stage_changed(ds):
    h = pd.read_csv(RAW / "OpportunityHistory.csv", dtype=str)
    h["at"] = pd.to_datetime(h["CreatedDate"], format="%m/%d/%y %I:%M %p")
    h = h.sort_values(["OpportunityId", "at"], kind="stable")
    changed = h["StageName"] != h.groupby("OpportunityId")["StageName"].shift()
    assert len(ds["opportunity_history"]) == len(h)
    entries = ds["stage_history"]
    assert len(entries) == int(changed.sum())
    expected = h[changed].groupby("OpportunityId")["StageName"].apply(list).to_dict()
    got = entries.groupby("opportunity_id")["stage"].apply(list).to_dict()
    assert got == expected


def test_the_suite_renders_on_it(folder, tmp_path):
    result = spm("run", "--data", str(folder), "--period", "2024-Q1", "--out", str(tmp_path),
                 "--jobs", "2", "--quiet")  # fmt: skip
    manifest = json.loads((tmp_path / "2024-Q1" / "all" / "manifest.json").read_text())
    statuses = {n["name"]: n["status"] for n in manifest["notebooks"]}
    assert result.returncode == 0 and set(statuses.values()) == {"ok"}, (statuses, result.stderr)
    figures = {n["name"]: n["key_figures"] for n in manifest["notebooks"]}
    assert figures["rep_performance"]["bookings"] == 2_815_000
    assert figures["rep_performance"]["win_rate"] == pytest.approx(12 / 18)
    warned = load_dataset(folder).warnings.drop_duplicates(["table", "row"])
    assert figures["data_quality"]["rows_warned"] == len(warned) == 23
    for page in (tmp_path / "2024-Q1").glob("*.html"):
        assert "Traceback" not in page.read_text(), page

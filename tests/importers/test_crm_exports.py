"""Salesforce and HubSpot exports go through `spm import` and `spm run` to rendered reports,
with the same bookings as the data they were exported from."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset.vendors.hubspot_exports import hubspot_files
from spm_lib.dataset.vendors.salesforce_reports import salesforce_files
from spm_lib.exceptions import DataError
from spm_lib.measures.metrics import bookings
from spm_lib.suite.cli import main
from tests.helpers import spm
from tests.importers import vendor_exports


@pytest.fixture(scope="module")
def salesforce_dataset(small_sample, tmp_path_factory):
    base = tmp_path_factory.mktemp("sf")
    files = vendor_exports.salesforce(small_sample, base / "export")
    out = base / "dataset"
    assert main(["import", "--from", "salesforce", "--out", str(out), *map(str, files)]) == 0
    return out


@pytest.fixture(scope="module")
def hubspot_dataset(small_sample, tmp_path_factory):
    base = tmp_path_factory.mktemp("hs")
    path = vendor_exports.hubspot(small_sample, base / "export")
    out = base / "dataset"
    assert main(["import", "--from", "hubspot", "--out", str(out), str(path)]) == 0
    return out


def _total_bookings(ds, period="2026-Q3"):
    return bookings(ds, ds.period(period), by=None)["bookings"].sum()


def test_salesforce_export_matches_the_data_it_came_from(salesforce_dataset, small_sample):
    ds = load_dataset(salesforce_dataset)
    original = load_dataset(small_sample)
    assert ds.quarantine.empty, ds.quarantine.head()
    assert len(ds.opportunities) == len(original.opportunities)
    assert _total_bookings(ds) == pytest.approx(_total_bookings(original))
    assert ds.config.currency == "USD" and ds.config.stage_names[:3] == [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
    ]
    assert {"José Müller", "Zoë Ångström"} <= set(ds.reps["name"])  # read from Windows-1252
    assert len(ds["stage_history"]) == len(original["stage_history"])
    assert set(ds.reps["region"]) == {"East", "West", "Central"}


def test_hubspot_pipelines_are_kept_apart(hubspot_dataset, small_sample):
    ds = load_dataset(hubspot_dataset)
    original = load_dataset(small_sample)
    assert ds.quarantine.empty, ds.quarantine.head()
    assert _total_bookings(ds) == pytest.approx(_total_bookings(original))
    stages = ds.config.stage_names
    assert (
        "Enterprise Pipeline: Contract Sent" in stages and "Sales Pipeline: Contract Sent" in stages
    )
    assert stages[-2:] == ["Closed Won", "Closed Lost"]
    assert set(ds.opportunities["pipeline"]) == {"Enterprise Pipeline", "Sales Pipeline"}
    enterprise = ds.opportunities[ds.opportunities["pipeline"] == "Enterprise Pipeline"]
    open_stages = set(enterprise.loc[~enterprise["is_closed"], "stage"])
    assert open_stages and all(s.startswith("Enterprise Pipeline: ") for s in open_stages)


@pytest.mark.parametrize("which", ["salesforce", "hubspot"])
def test_reports_render_from_the_import(which, salesforce_dataset, hubspot_dataset, tmp_path):
    data = salesforce_dataset if which == "salesforce" else hubspot_dataset
    result = spm(
        "run",
        "--data",
        str(data),
        "--out",
        str(tmp_path),
        "--quiet",
        "--jobs",
        "2",
        "--notebooks",
        "data_quality,rep_performance",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "2026-Q3" / "all" / "manifest.json").read_text())
    assert {n["name"]: n["status"] for n in manifest["notebooks"]} == {
        "data_quality": "ok",
        "rep_performance": "ok",
    }
    figures = {n["name"]: n["key_figures"] for n in manifest["notebooks"]}
    assert figures["rep_performance"]["bookings"] > 0


def test_not_an_export_says_what_it_expected(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not a Salesforce Opportunities report"):
        salesforce_files([path])
    with pytest.raises(DataError, match="no deals export"):
        hubspot_files([path])


def test_a_currency_cell_that_is_not_a_code_never_becomes_the_dataset_currency(tmp_path):
    """The attack run's HubSpot export: most deals' Currency cell is markup. The dataset's
    currency is the commonest ISO code; the markup rows are quarantined, never printed as a
    code."""
    payload = "<img src=x onerror=alert(1)>"
    deals = pd.DataFrame(
        {
            "Record ID": ["1", "2", "3", "4"],
            "Deal Name": ["a", "b", "c", "d"],
            "Deal Stage": ["Closed Won"] * 4,
            "Amount": ["100", "200", "300", "400"],
            "Close Date": ["2026-01-05"] * 4,
            "Create Date": ["2026-01-01"] * 4,
            "Deal owner": ["Ann"] * 4,
            "Currency": [payload, payload, payload, "eur"],
        }
    )
    path = tmp_path / "deals.csv"
    deals.to_csv(path, index=False)
    tables, config = hubspot_files([path])
    assert config["currency"] == "EUR"
    out = tmp_path / "data"
    result = spm("import", "--from", "hubspot", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    ds = load_dataset(out)
    assert ds.config.currency == "EUR" and len(ds.opportunities) == 1
    bad = ds.quarantine[ds.quarantine["check"] == "invalid_currency"]
    assert sorted(bad["row"]) == [1, 2, 3] and set(bad["value"]) == {payload}

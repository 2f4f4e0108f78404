"""Every page in headless Chromium: no payload typed into the CRM runs, each shows as text;
no request leaves the machine, no console error, a first screen with something on it, charts
whose alt text is their finding, tables with captions and header scope, a page that fits a
420 px phone and tables that fit an A4 page when printed (see :mod:`tests.suite.browser`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import rendered, shared_folder, spm
from tests.suite.browser import visit_all
from tests.suite.payloads import (
    CURRENCY_PAYLOAD,
    CURRENCY_ROWS,
    DATASET_NAME,
    PAYLOADS,
    write_payload_dataset,
    write_payload_exports,
)


def _pages(out: Path) -> list[Path]:
    return [p for p in sorted(out.rglob("*.html")) if ".spm" not in p.relative_to(out).parts]


@pytest.fixture(scope="module")
def payload_visits(small_sample, tmp_path_factory):
    """The suite on the small sample with payloads in every text column: the company's pack, and
    the rep-performance pack of a (payload-named) region; every page visited."""

    def build(out: Path) -> None:
        data = write_payload_dataset(small_sample, out / "data")
        region = sorted(pd.read_csv(data / "reps.csv")["region"].dropna().unique())[0]
        for folder, options in (
            ("reports", ()),
            ("regions", ("--segment", f"region={region}", "--notebooks", "rep_performance")),
        ):
            result = spm(
                "run",
                "--data",
                str(data),
                "--out",
                str(out / folder),
                "--jobs",
                "2",
                "--quiet",
                *options,
            )
            assert result.returncode == 0, result.stdout + result.stderr

    out = shared_folder(tmp_path_factory, "payload-run", build)
    return visit_all(_pages(out / "reports") + _pages(out / "regions"))


@pytest.fixture(scope="module")
def imported_payload_visits(small_sample, tmp_path_factory):
    """HubSpot and Salesforce report exports and a Salesforce Data Export with payloads in every
    text column the importers write (a currency cell too), imported by ``spm import`` and
    rendered; every page visited."""

    def build(out: Path) -> None:
        for export, files in write_payload_exports(small_sample, out / "exports").items():
            data, vendor = out / "data" / export, export.split("-")[0]
            result = spm("import", "--from", vendor, *map(str, files), "--out", str(data))
            assert result.returncode == 0, result.stdout + result.stderr
            notebooks = (
                "data_quality,rep_performance"
                if export == "salesforce-export"
                else "data_quality,rep_performance,pipeline_review,compensation"
            )
            result = spm(
                "run",
                "--data",
                str(data),
                "--out",
                str(out / "reports" / export),
                "--jobs",
                "2",
                "--quiet",
                "--notebooks",
                notebooks,
            )
            assert result.returncode == 0, result.stdout + result.stderr

    out = shared_folder(tmp_path_factory, "imported-payload-run", build)
    return out, visit_all(_pages(out / "reports"))


@pytest.fixture(scope="module")
def sample_visits(default_sample, tmp_path_factory):
    out, result = rendered(tmp_path_factory, "sample-run", default_sample)
    assert result["returncode"] == 0, result["stderr"]
    return visit_all(_pages(out))


def _nothing_ran(visits) -> str:
    """Assert no payload ran, was requested or logged an error on any page; the pages' text."""
    for visit in visits:
        assert visit.title != "pwned", visit.path
        assert not visit.active, (visit.path, visit.active[:5])
        assert not visit.requests, (visit.path, visit.requests[:5])
        assert not visit.console_errors, (visit.path, visit.console_errors[:5])
    return "\n".join(v.text for v in visits)


def test_no_payload_runs_and_each_shows_as_text(payload_visits):
    assert len(payload_visits) >= 12  # 7 reports and a brief, a region's pack, the indexes
    shown = _nothing_ran(payload_visits)
    for payload in PAYLOADS:
        assert payload in shown, payload
    # the audience of a payload-named region is named as text on its brief, its folder is safe
    brief = next(
        v
        for v in payload_visits
        if v.path.name == "index.html" and v.path.parent.name.startswith("region-")
    )
    audience = json.loads((brief.path.parent / "manifest.json").read_text())["audience"]
    assert any(p in audience for p in PAYLOADS) and audience in brief.text
    assert "<" not in brief.path.parent.name and "/" not in brief.path.parent.name


def test_the_dataset_name_from_spm_yaml_is_text_on_every_page(payload_visits):
    reports = [
        v for v in payload_visits if v.path.name != "index.html" or v.path.parent.name == "all"
    ]
    assert reports and all(DATASET_NAME in v.text for v in reports)


def test_imported_payloads_run_nowhere_and_a_bad_currency_is_quarantined(
    imported_payload_visits,
):
    import yaml

    from spm_lib import load_dataset

    out, visits = imported_payload_visits
    assert len(visits) >= 11  # 4 reports and a brief for two imports, 2 and one for the third
    shown = _nothing_ran(visits)
    for payload in PAYLOADS[:4]:
        assert payload in shown, payload
    for export, rows in (
        ("hubspot", CURRENCY_ROWS),
        ("salesforce", CURRENCY_ROWS),
        ("salesforce-export", 1),
    ):
        config = yaml.safe_load((out / "data" / export / "spm.yaml").read_text())
        assert config["currency"] == "USD", export  # the commonest code, never the payload
        ds = load_dataset(out / "data" / export)
        bad = ds.quarantine[ds.quarantine["check"] == "invalid_currency"]
        assert len(bad) == rows and set(bad["value"]) == {CURRENCY_PAYLOAD}, export


def test_every_page_is_offline_and_clean_in_a_browser(sample_visits):
    names = {v.path.name for v in sample_visits}
    assert {
        "index.html",
        "compensation.html",
        "forecasting.html",
        "rep_performance.html",
        "data_quality.html",
        "lead_conversion.html",
        "territory_assignment.html",
        "training_gaps.html",
    } <= names
    for visit in sample_visits:
        where = visit.path.name
        assert visit.requests == [], (where, visit.requests[:5])
        assert visit.console_errors == [], (where, visit.console_errors[:5])
        assert visit.screenshot_ink > 0.005, (where, visit.screenshot_ink)  # not blank
        for image in visit.images:
            assert image["width"] > 0, where  # the chart loaded
            alt = image["alt"] or ""
            assert alt and "No description" not in alt and alt != "Chart without a title", (
                where,
                alt,
            )
        for table in visit.tables:
            assert table["caption"], (where, table["headers"])
            assert table["scoped"], (where, table["headers"])
        assert visit.phone_overflow <= 0, (where, visit.phone_overflow)
        assert visit.print_overflow == [], (where, visit.print_overflow)
    reports = [v for v in sample_visits if v.path.name != "index.html"]
    assert sum(len(v.images) for v in reports) >= 10  # the charts are there, each described


def test_the_statements_keep_their_payout_column_on_paper_and_phone(sample_visits):
    compensation = next(v for v in sample_visits if v.path.name == "compensation.html")
    with_payout = [t for t in compensation.tables if "Payout" in t["headers"]]
    assert with_payout, [t["headers"] for t in compensation.tables]
    assert compensation.print_overflow == [] and compensation.phone_overflow <= 0


def test_the_brief_charts_say_their_finding(sample_visits):
    brief = next(
        v for v in sample_visits if v.path.name == "index.html" and v.path.parent.name == "all"
    )
    assert "What changed and what to do" in brief.text
    assert "Bookings" in brief.text and "on 2026-Q2" in brief.text and "on 2025-Q3" in brief.text

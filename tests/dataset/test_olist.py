"""The real Olist marketing funnel loads through examples/olist/spm.yaml alone (a mapping, no
code), its lead conversion matches a computation from the raw CSVs, and its data-quality,
rep-performance and lead-conversion reports render.

The data is CC BY-NC-SA and stays outside the project: without it these tests skip, saying
where they looked, except where SPM_REQUIRE_OLIST is set (CI sets it), where they fail."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from spm_lib import leads, load_dataset
from spm_lib.pages import lead_conversion as page
from spm_lib.periods import parse_period
from tests.helpers import ROOT, spm

CANDIDATES = [
    Path(os.environ["SPM_OLIST_DIR"]) if os.environ.get("SPM_OLIST_DIR") else None,
    ROOT.parent / "shared" / "data" / "olist-marketing-funnel",  # beside the checkout
    Path("/work/shared/data/olist-marketing-funnel"),  # the project machine's shared data
]
OLIST = next((p for p in CANDIDATES if p is not None and p.exists()), CANDIDATES[1])


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    if not OLIST.exists():
        reason = f"the Olist data is not at {OLIST} (set SPM_OLIST_DIR)"
        if os.environ.get("SPM_REQUIRE_OLIST"):
            pytest.fail(f"Olist is required here (SPM_REQUIRE_OLIST) but {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("olist")  # the data stays outside the project
    shutil.copy(ROOT / "examples" / "olist" / "spm.yaml", folder)
    for path in OLIST.glob("*.csv"):
        shutil.copy(path, folder)
    return folder


def test_loads_through_the_mapping_alone(olist):
    ds = load_dataset(olist)
    recon = ds.reconciliation().set_index("table")
    assert recon["reconciles"].all()
    assert recon.loc["opportunities", "rows_read"] == 842
    assert recon.loc["leads", "rows_read"] == 8000
    assert set(ds["reps"]["role"]) == {"SR", "SDR"}
    assert set(ds.reps["role"]) == {"SR"}  # SDRs develop leads; they are not selling reps
    opps = ds.opportunities
    assert opps["is_won"].all() and (opps["amount"] == 1).all()
    # one deal won before its lead's first contact is odd but real: kept, with a warning
    assert len(opps) == 842 and ds.quarantine.empty
    early = ds.warnings[ds.warnings["check"] == "closed_before_created"]
    assert len(early) == 1
    before = opps[opps["close_date"] < opps["created_date"]]
    assert before["opportunity_id"].tolist() == early["key"].tolist()
    # every deal came from a lead
    converted = ds["leads"]["opportunity_id"].notna()
    assert converted.sum() == 842 and set(opps["opportunity_id"]) <= set(ds["leads"]["lead_id"])


def test_lead_conversion_matches_the_raw_csvs(olist):
    ds = load_dataset(olist)
    overall = leads.funnel(ds, None).iloc[0]
    assert (overall["leads"], overall["converted"]) == (8000, 842)
    assert overall["conversion_rate"] == 842 / 8000
    raw_leads = pd.read_csv(OLIST / "olist_marketing_qualified_leads_dataset.csv")
    raw_deals = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv")
    raw = raw_leads.assign(
        source=raw_leads["origin"].fillna(leads.NONE),
        converted=raw_leads["mql_id"].isin(raw_deals["mql_id"]),
    )
    expected = raw.groupby("source").agg(leads=("mql_id", "size"), converted=("converted", "sum"))
    expected["conversion_rate"] = expected["converted"] / expected["leads"]
    by_origin = leads.funnel(ds, "source").set_index("source")
    assert by_origin.index.tolist() == sorted(expected.index)
    pd.testing.assert_frame_equal(
        by_origin[["leads", "converted", "conversion_rate"]],
        expected.loc[by_origin.index].astype({"leads": int, "converted": int}),
        check_names=False,
    )


def test_what_olist_cannot_say_is_said(olist):
    ds = load_dataset(olist)
    frame = leads.lead_frame(ds)
    # the SDR is only known on converted leads (it comes from the closed deals)
    reason = leads.usable_factor(frame, "sdr")
    assert "100% of converted leads but 0%" in page.unusable_text(reason)
    effects = leads.source_effects(ds, frame)
    assert effects.factors == ["source"] and set(effects.left_out) == {"segment", "sdr"}
    assert len(page.open_lead_caveats(frame)) == 2
    # the deal won before its lead's first contact is kept (a warning), so none is missing
    assert page.missing_opportunity_note(frame) == ""
    period, moved = leads.lead_period(ds, ds.period("latest"))
    assert period.label == "2018-Q1" and moved.asked.label == "2018-Q3" and moved.complete
    assert "No lead was created in 2018-Q3" in page.period_moved_text(moved, period)


def test_reports_render(olist, tmp_path):
    result = spm(
        "run",
        "--data",
        str(olist),
        "--out",
        str(tmp_path),
        "--quiet",
        "--notebooks",
        "data_quality,rep_performance,lead_conversion",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads(next(tmp_path.glob("*/all/manifest.json")).read_text())
    assert [n["status"] for n in manifest["notebooks"]] == ["ok", "ok", "ok"]
    assert manifest["notebooks"][0]["key_figures"]["rows_read"] == 41 + 842 + 8000
    figures = manifest["notebooks"][2]["key_figures"]
    first_quarter = leads.funnel(load_dataset(olist), None, parse_period("2018-Q1")).iloc[0]
    assert figures["leads"] == first_quarter["leads"] > 0
    assert figures["lead_conversion_rate"] == pytest.approx(first_quarter["conversion_rate"])
    assert figures["revenue_per_lead"] is None  # no amounts: said, not made up
    page = next(tmp_path.glob("*/all/lead_conversion.html")).read_text()
    assert "no deal amounts" in page and "Traceback" not in page

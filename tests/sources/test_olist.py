"""The real Olist marketing funnel loads through examples/olist/spm.yaml alone (a mapping, no
code), and its data-quality and rep-performance reports render."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from spm_lib import load_dataset
from tests.report.test_runner import spm

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [
    Path(os.environ["SPM_OLIST_DIR"]) if os.environ.get("SPM_OLIST_DIR") else None,
    ROOT.parent / "shared" / "data" / "olist-marketing-funnel",  # beside the checkout
    Path("/work/shared/data/olist-marketing-funnel"),  # the project machine's shared data
]
OLIST = next((p for p in CANDIDATES if p is not None and p.exists()), CANDIDATES[1])


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    if not OLIST.exists():
        pytest.skip(f"the Olist data is not at {OLIST}")
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
    assert (opps["created_date"] <= opps["close_date"]).all()
    converted = ds["leads"]["opportunity_id"].notna()
    assert converted.sum() == len(opps)  # every usable deal came from a lead
    assert set(ds.quarantine["check"]) <= {"closed_before_created", "orphan_opportunity_id"}


def test_reports_render(olist, tmp_path):
    result = spm("run", "--data", str(olist), "--out", str(tmp_path), "--quiet",
                 "--notebooks", "data_quality,rep_performance")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads(next(tmp_path.glob("*/manifest.json")).read_text())
    assert [n["status"] for n in manifest["notebooks"]] == ["ok", "ok"]
    assert manifest["notebooks"][0]["key_figures"]["rows_read"] == 41 + 842 + 8000

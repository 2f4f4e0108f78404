"""Every report renders on a dataset that lacks what the sample always has: one rep, no region,
team or hire dates, no quotas, leads but none in the period, a plan that pays nothing (a payout
forecast of zero), a won deal at $0, a deal without an amount. A section that cannot be
computed says so in a sentence; no page shows a raw error."""

from __future__ import annotations

import json

import pandas as pd

from tests.helpers import spm, write_tables

REPS = [{"rep_id": "R1", "name": "Solo Seller", "role": "AE"}]
OPPS = [
    # opportunity_id, created, close, stage, amount
    ("O1", "2025-01-05", "2025-02-10", "Closed Won", "1000"),
    ("O2", "2025-01-10", "2025-03-01", "Closed Lost", "2500"),
    ("O3", "2025-02-01", "2025-03-15", "Closed Won", "0"),
    ("O4", "2025-02-20", "2025-05-30", "Proposal", ""),
    ("O5", "2025-03-01", "2025-06-30", "Negotiation", "4000"),
    ("O6", "2024-10-01", "2024-11-20", "Closed Won", "3000"),
    ("O7", "2024-11-01", "2024-12-20", "Closed Lost", "800"),
]
YAML = """as_of: 2025-03-31
commission_plans:
  ae: {applies_to: {role: [AE]}, quota: 10000, base_rate: 0.0, tiers: [{from: 0, multiplier: 1}]}
"""


def test_every_report_renders_on_a_sparse_dataset(tmp_path):
    opps = pd.DataFrame(
        OPPS, columns=["opportunity_id", "created_date", "close_date", "stage", "amount"]
    ).assign(rep_id="R1")
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2"],
            "created_date": ["2024-06-01", "2024-06-02"],
            "source": ["Web", "Web"],
            "owner_rep_id": ["R1", "R1"],
            "converted_date": ["2024-06-10", ""],
            "opportunity_id": ["O6", ""],
        }
    )
    folder = write_tables(
        tmp_path / "sparse", {"reps": REPS, "opportunities": opps, "leads": leads}, YAML
    )
    out = tmp_path / "out"
    result = spm(
        "run",
        "--data",
        str(folder),
        "--period",
        "2025-Q1",
        "--out",
        str(out),
        "--jobs",
        "2",
        "--quiet",
    )
    manifest = json.loads((out / "2025-Q1" / "all" / "manifest.json").read_text())
    failed = {n["name"]: n["error"] for n in manifest["notebooks"] if n["status"] != "ok"}
    assert not failed and result.returncode == 0, failed
    figures = {n["name"]: n["key_figures"] for n in manifest["notebooks"]}
    assert figures["rep_performance"]["bookings"] == 1000  # O1, and O3 at $0
    assert figures["rep_performance"]["win_rate"] == 2 / 3
    for page in (out / "2025-Q1" / "all").glob("*.html"):
        text = page.read_text()
        assert "Traceback" not in text and "Error:" not in text, page.name


def test_every_report_renders_for_one_rep_who_has_left(default_sample, tmp_path):
    """`spm run --segment rep_id=...` for a rep who left years before the period: no open deal
    in any past window, no one to pay next quarter and no one to give accounts to. Each report
    says so in a sentence; none fails (the pipeline's win rates, the payout forecast, the
    statements and territory did)."""
    reps = pd.read_csv(default_sample / "reps.csv")
    gone = reps.loc[pd.to_datetime(reps["end_date"]) < "2024-01-01", "rep_id"].iloc[0]
    out = tmp_path / "out"
    result = spm(
        "run",
        "--data",
        str(default_sample),
        "--segment",
        f"rep_id={gone}",
        "--out",
        str(out),
        "--jobs",
        "2",
        "--quiet",
    )
    pack = out / "2026-Q3" / f"rep_id-{gone}"
    manifest = json.loads((pack / "manifest.json").read_text())
    failed = {n["name"]: n["error"] for n in manifest["notebooks"] if n["status"] != "ok"}
    assert not failed and result.returncode == 0, failed
    figures = {n["name"]: n["key_figures"] for n in manifest["notebooks"]}
    assert figures["compensation"]["total_payout"] == 0
    territory = (pack / "territory_assignment.html").read_text()
    assert "there is no one to assign accounts to" in territory
    for page in pack.glob("*.html"):
        text = page.read_text()
        assert "Traceback" not in text and "Error:" not in text, page.name

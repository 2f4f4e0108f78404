"""End to end: the compensation report for one team, its key figures against the statements,
and a statement page per rep."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal

from spm_lib import load_dataset
from spm_lib.compensation.summaries import statements
from spm_lib.suite.layout import audience_folder
from tests.helpers import spm


def test_team_report_has_a_page_per_rep_and_exact_key_figures(default_sample, tmp_path):
    team = "West Commercial"
    result = spm(
        "run",
        "--data",
        str(default_sample),
        "--out",
        str(tmp_path),
        "--quiet",
        "--notebooks",
        "compensation",
        "--segment",
        f"team={team}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    folder = tmp_path / "2026-Q3" / audience_folder(f"team={team}")
    assert folder.name == "team-West_Commercial-" + folder.name.rsplit("-", 1)[1]
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = manifest["notebooks"][0]
    assert entry["status"] == "ok", entry["error"]
    ds = load_dataset(default_sample).narrow(f"team={team}")
    expected = statements(ds, "2026-Q3")
    payout = sum(expected["payout"], Decimal(0))
    booked = sum(expected["credited_bookings"], Decimal(0))
    figures = entry["key_figures"]
    assert figures["total_payout"] == float(payout)
    assert abs(figures["cost_of_sales_pct"] - float(payout / booked)) < 1e-12
    page = html.unescape((folder / "compensation.html").read_text())
    for rep in expected.itertuples(index=False):
        assert f"{rep.name}</strong> ({rep.rep_id}), plan {rep.plan}: payout" in page
    assert "Open deals of reps who have left" in page or "pipeline model" in page
    assert re.search(r"The alternative would have paid \d+\.\d% (less|more)", page)

"""History that contradicts its deal: counted as a warning, and the pipeline review's won flow
is still the bookings."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.dataset.history_checks import contradictions
from spm_lib.measures import metrics
from spm_lib.pipeline.movement import period_movement, waterfall


def test_contradictions_by_hand():
    opps = pd.DataFrame(
        {
            "opportunity_id": ["A", "B", "C", "D"],
            "stage": ["Closed Lost", "Closed Won", "Proposal", "Closed Won"],
            "amount": [100.0, 200.0, 300.0, 400.0],
            "is_closed": [True, True, False, True],
            "close_date": pd.to_datetime(["2026-01-10", "2026-02-10", "2026-06-30", "2026-03-01"]),
        }
    )
    history = pd.DataFrame(
        {
            "opportunity_id": ["A", "A", "B", "C", "D"],
            "changed_at": pd.to_datetime(
                ["2026-01-01", "2026-01-12", "2026-02-10", "2026-02-01", "2026-03-01"]
            ),
            "stage": ["Proposal", "Closed Won", "Closed Won", "Negotiation", "Closed Won"],
            "amount": [100.0, 9e6, 250.0, 1.0, 400.0],
            "close_date": pd.to_datetime(
                ["2026-01-10", "2026-01-12", "2026-02-10", "2026-06-30", "2026-03-01"]
            ),
        }
    )
    found = contradictions(opps, history)
    # A: stage, amount and close date; B: amount (a closed deal's); C: stage only (an open
    # deal's amount and close date are not compared); D agrees
    assert sorted(map(tuple, found[["opportunity_id", "column"]].to_numpy())) == [
        ("A", "amount"),
        ("A", "close_date"),
        ("A", "stage"),
        ("B", "amount"),
        ("C", "stage"),
    ]


def test_the_won_flow_is_the_bookings_whatever_the_history_says(small_sample, tmp_path):
    """The attack run: history rows that contradict the deals made the pipeline review report
    $112M won against $5.32M of bookings."""
    data = tmp_path / "ds"
    shutil.copytree(small_sample, data)
    opps = pd.read_csv(data / "opportunities.csv", dtype=str, keep_default_na=False)
    history = pd.read_csv(data / "opportunity_history.csv", dtype=str, keep_default_na=False)
    truth = load_dataset(small_sample)
    period = truth.period("latest")
    lost = opps[
        (opps["is_won"] == "false")
        & (opps["is_closed"] == "true")
        & (opps["close_date"].between(str(period.start), str(period.end)))
    ]
    lost = lost.head(20)
    assert len(lost) == 20
    fake = pd.DataFrame({column: "" for column in history.columns}, index=range(len(lost)))
    fake["opportunity_id"] = lost["opportunity_id"].to_numpy()
    fake["changed_at"] = [f"{d} 18:00:00" for d in lost["close_date"]]
    fake["stage"] = "Closed Won"
    fake["amount"] = "5000000"
    fake["close_date"] = lost["close_date"].to_numpy()
    if "history_id" in fake:
        fake["history_id"] = [f"FAKE{i}" for i in range(len(fake))]
    pd.concat([history, fake]).to_csv(data / "opportunity_history.csv", index=False)
    ds = load_dataset(data)
    warned = ds.warnings[ds.warnings["check"] == "history_contradicts_deal"]
    assert set(warned["key"]) == set(lost["opportunity_id"])
    assert set(warned["column"]) == {"stage", "amount"}
    assert ds.rows_read["opportunity_history"] == truth.rows_read["opportunity_history"] + 20
    assert len(ds["opportunity_history"]) == len(truth["opportunity_history"]) + 20  # all kept
    assert ds.reconciliation()["reconciles"].all()
    bookings = metrics.bookings(ds, period, None).iloc[0]["bookings"]
    assert bookings == pytest.approx(metrics.bookings(truth, period, None).iloc[0]["bookings"])
    for window in (False, True):
        table = waterfall(period_movement(ds, period, window=window)).set_index("bucket")
        honest = waterfall(period_movement(truth, period, window=window)).set_index("bucket")
        assert table["amount"].to_numpy() == pytest.approx(honest["amount"].to_numpy(), abs=0.01)
    whole = waterfall(period_movement(ds, period, window=False)).set_index("bucket")
    assert whole.loc["won", "amount"] == pytest.approx(-bookings, abs=0.005)

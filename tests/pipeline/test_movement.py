"""The pipeline roll-forward: a hand-made history with each kind of change, computed by hand;
and on the sample, start + flows = end to the cent, for the window and the whole pipeline,
for the company and every region and rep."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.measures import metrics
from spm_lib.pipeline.movement import (
    BUCKETS,
    bucket_amounts,
    bucket_deals,
    period_movement,
    waterfall,
    waterfall_by,
)

# deal: (rep, created, final stage, final close, final amount, cancelled, history rows of
# (changed_at, stage, amount, close_date))
DEALS = {
    "A": (
        "R1",
        "2025-01-01",
        "Proposal",
        "2025-06-20",
        1000,
        "",
        [("2025-01-01 09:00", "Proposal", 1000, "2025-06-20")],
    ),
    "B": (
        "R1",
        "2025-01-01",
        "Proposal",
        "2025-06-10",
        2500,
        "",
        [
            ("2025-01-01 09:00", "Proposal", 2000, "2025-06-10"),
            ("2025-04-10 10:00", None, 2500, None),
        ],
    ),
    "C": (
        "R2",
        "2025-02-01",
        "Closed Won",
        "2025-05-01",
        2000.50,
        "",
        [
            ("2025-02-01 09:00", "Proposal", 3000, "2025-05-01"),
            ("2025-04-20 11:00", None, 2000.50, None),
            ("2025-05-01 15:00", "Closed Won", None, None),
        ],
    ),
    "D": (
        "R2",
        "2025-01-15",
        "Closed Lost",
        "2025-04-15",
        1500,
        "",
        [
            ("2025-01-15 09:00", "Proposal", 1500, "2025-04-15"),
            ("2025-04-15 16:00", "Closed Lost", None, None),
        ],
    ),
    "E": (
        "R1",
        "2025-01-10",
        "Proposal",
        "2025-08-01",
        4000,
        "",
        [
            ("2025-01-10 09:00", "Proposal", 4000, "2025-06-01"),
            ("2025-05-20 12:00", None, None, "2025-08-01"),
        ],
    ),
    "F": (
        "R2",
        "2025-02-01",
        "Proposal",
        "2025-06-15",
        700,
        "",
        [
            ("2025-02-01 09:00", "Proposal", 700, "2025-09-01"),
            ("2025-04-05 09:30", None, None, "2025-06-15"),
        ],
    ),
    "G": (
        "R1",
        "2025-04-20",
        "Proposal",
        "2025-06-25",
        800,
        "",
        [("2025-04-20 09:00", "Proposal", 800, "2025-06-25")],
    ),
    "H": (
        "R2",
        "2025-05-01",
        "Closed Won",
        "2025-05-30",
        1200,
        "",
        [
            ("2025-05-01 09:00", "Proposal", 1200, "2025-05-30"),
            ("2025-05-30 17:00", "Closed Won", None, None),
        ],
    ),
    "I": (
        "R1",
        "2025-01-05",
        "Closed Won",
        "2025-04-20",
        600,
        "2025-05-10",
        [
            ("2025-01-05 09:00", "Proposal", 600, "2025-05-05"),
            ("2025-04-20 10:00", "Closed Won", None, "2025-04-20"),
        ],
    ),
    "J": (
        "R2",
        "2025-01-01",
        "Proposal",
        "2025-06-28",
        900,
        "",
        [
            ("2025-01-01 09:00", "Proposal", 900, "2025-03-15"),
            ("2025-03-15 10:00", "Closed Lost", None, None),
            ("2025-04-02 10:00", "Proposal", None, "2025-06-28"),
        ],
    ),
    "K": (
        "R1",
        "2025-01-01",
        "Proposal",
        "2025-12-01",
        5000,
        "",
        [("2025-01-01 09:00", "Proposal", 5000, "2025-12-01")],
    ),
}

# the window Q2 2025, by hand (see the deals above)
EXPECTED_WINDOW = {
    "starting pipeline": 1000 + 2000 + 3000 + 1500 + 4000 + 600,  # A B C D E I
    "created": 800 + 1200,  # G H
    "pulled in": 700,  # F
    "increased": 500,  # B
    "decreased": -999.50,  # C
    "pushed out": -4000,  # E
    "won": -2000.50 - 1200 - 600,  # C H, and I (won, then cancelled: a clawback)
    "lost": -1500,  # D
    "deleted": 0,  # a deal deleted from the CRM is quarantined by the loader
    "other": 900,  # J reopened
    "ending pipeline": 1000 + 2500 + 700 + 800 + 900,  # A B F G J
}
# the whole open pipeline: K throughout; E stays; F and J as in the window
EXPECTED_WHOLE = {
    "starting pipeline": 1000 + 2000 + 3000 + 1500 + 4000 + 600 + 700 + 5000,  # + F K
    "created": 2000,
    "pulled in": 0,
    "increased": 500,
    "decreased": -999.50,
    "pushed out": 0,
    "won": -3800.50,
    "lost": -1500,
    "deleted": 0,
    "other": 900,
    "ending pipeline": 1000 + 2500 + 4000 + 700 + 800 + 900 + 5000,  # A B E F G J K
}


@pytest.fixture
def hand_made(make_dataset):
    opps, history = [], []
    for deal, (rep, created, stage, close, amount, cancelled, rows) in DEALS.items():
        closed = stage.startswith("Closed")
        opps.append(
            {
                "opportunity_id": deal,
                "rep_id": rep,
                "account_id": "",
                "product": "Pro",
                "created_date": created,
                "close_date": close,
                "stage": stage,
                "amount": amount,
                "is_closed": str(closed).lower(),
                "is_won": str(stage == "Closed Won").lower(),
                "cancelled_date": cancelled,
            }
        )
        for at, st, amt, cd in rows:
            history.append(
                {
                    "opportunity_id": deal,
                    "changed_at": at,
                    "stage": st,
                    "amount": amt,
                    "close_date": cd,
                }
            )
    folder = make_dataset(
        yaml="as_of: '2025-07-31'\n", opportunities=opps, opportunity_history=history
    )
    return load_dataset(folder)


def _amounts(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["bucket"], frame["amount"], strict=True))


def test_each_kind_of_change_lands_in_its_bucket(hand_made):
    ds = hand_made
    period = ds.period("2025-Q2")
    assert _amounts(waterfall(period_movement(ds, period))) == pytest.approx(EXPECTED_WINDOW)
    whole = waterfall(period_movement(ds, period, window=False))
    assert _amounts(whole) == pytest.approx(EXPECTED_WHOLE)
    flows = period_movement(ds, period).set_index("opportunity_id")
    assert flows.loc["J", "entry_reason"] == "reopened"
    assert flows.loc["I", "exit"] == "won" and flows.loc["E", "exit"] == "pushed out"
    assert "K" not in flows.index  # never due in the window
    # the deal lists: the largest first, with from -> to
    won = bucket_deals(period_movement(ds, period), "won", ds)
    assert list(won["opportunity_id"]) == ["C", "H", "I"]
    assert won.loc[0, "from"] == "Proposal, 2025-05-01, 3,000"
    assert won.loc[0, "to"] == "Closed Won, 2025-05-01, 2,000"  # 2,000.50 shown whole
    assert won.loc[0, "owner"] == "Bob Ray" and won.loc[0, "name"] == "C"  # no account: its id


@pytest.mark.parametrize("window", [True, False])
def test_the_roll_forward_reconciles_to_the_cent_on_the_sample(small_sample, window):
    ds = load_dataset(small_sample)
    period = ds.period("latest")
    flows = period_movement(ds, period, window=window)
    table = waterfall(flows).set_index("bucket")["amount"]
    flows_only = table.drop(["starting pipeline", "ending pipeline"]).sum()
    assert abs(table["starting pipeline"] + flows_only - table["ending pipeline"]) < 0.005
    # every deal reconciles on its own, and so every rep, team and region
    per_deal = bucket_amounts(flows)
    inner = [b for b in BUCKETS if b not in ("starting pipeline", "ending pipeline")]
    residual = (
        per_deal["starting pipeline"] + per_deal[inner].sum(axis=1) - per_deal["ending pipeline"]
    )
    assert residual.abs().max() < 0.005
    for by in ("rep", "team", "region"):
        groups = waterfall_by(ds, flows, by)
        assert groups[BUCKETS].sum().to_numpy() == pytest.approx(table[BUCKETS].to_numpy())
    assert (table[["won", "lost", "pushed out", "deleted", "decreased"]] <= 0).all()
    assert (table[["created", "pulled in", "increased"]] >= 0).all()
    if not window:
        # independent of the history: the whole pipeline's ends are the deals open then,
        # and what was won in the period is its bookings
        start = pd.Timestamp(period.start) - pd.Timedelta(days=1)
        opps = ds.opportunities
        assert table["won"] == pytest.approx(
            -metrics.bookings(ds, period, None).iloc[0]["bookings"], abs=0.005
        )
        alive = (opps["created_date"] <= start) & ~(opps["cancelled_date"] <= start)
        open_then = alive & (~opps["is_closed"] | (opps["close_date"] > start))
        # (the amounts then are the history's; the deals are the same)
        assert set(flows.loc[flows["in_start"], "opportunity_id"]) == set(
            opps.loc[open_then, "opportunity_id"]
        )

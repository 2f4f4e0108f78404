"""Slippage: pushes counted by hand, the slipped share of a hand-made window, and the planted
effect recovered on three generated samples (close-date changes by outcome within their
interval; fewer wins with more pushes)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.pipeline.slippage import (
    changes_by_outcome,
    pushes,
    repeat_slippers,
    slipped_share,
    win_rate_by_pushes,
)
from spm_lib.sample import write_sample
from tests.pipeline.test_movement import hand_made  # noqa: F401  (a fixture)


def test_pushes_pull_ins_and_days_are_counted_from_the_history(make_dataset):
    opps = [
        {
            "opportunity_id": "X",
            "rep_id": "R1",
            "created_date": "2025-01-01",
            "close_date": "2025-06-30",
            "stage": "Proposal",
            "amount": 100,
            "is_closed": "false",
            "is_won": "false",
        }
    ]
    history = pd.DataFrame(
        {
            "opportunity_id": "X",
            "changed_at": [
                "2025-01-01 09:00",
                "2025-02-01 09:00",
                "2025-03-01 09:00",
                "2025-03-05 09:00",
                "2025-04-01 09:00",
            ],
            "stage": ["Proposal", None, None, None, None],
            "amount": [100, None, 150, None, None],  # an amount change is no move
            "close_date": ["2025-05-01", "2025-05-20", None, "2025-05-10", "2025-06-30"],
        }
    )
    ds = load_dataset(
        make_dataset(yaml="as_of: '2025-07-31'\n", opportunities=opps, opportunity_history=history)
    )
    row = pushes(ds).set_index("opportunity_id").loc["X"]
    assert (row["pushes"], row["days_pushed"], row["pull_ins"]) == (2, 19 + 51, 1)
    # by a date, only the moves written by then
    early = pushes(ds, until=pd.Timestamp("2025-03-04")).set_index("opportunity_id").loc["X"]
    assert (early["pushes"], early["pull_ins"]) == (1, 0)
    assert repeat_slippers(ds, minimum=2)["opportunity_id"].tolist() == ["X"]


def test_the_slipped_share_is_the_pushed_out_part_of_the_starting_window(hand_made):  # noqa: F811
    period = hand_made.period("2025-Q2")
    company = slipped_share(hand_made, period).iloc[0]
    assert company["deals"] == 6 and company["slipped_deals"] == 1  # E, of A B C D E I
    assert company["slipped_pct"] == pytest.approx(4000 / 12100)
    assert company["lower"] < 1 / 6 < company["upper"]
    by_rep = slipped_share(hand_made, period, "rep").set_index("rep")
    assert by_rep.loc["R1", "slipped_amount"] == 4000 and by_rep.loc["R2", "slipped_amount"] == 0


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_the_planted_slippage_is_recovered(tmp_path, seed):
    folder = write_sample(tmp_path / "s", seed=seed, reps=20, years=2)
    ds = load_dataset(folder)
    truth = json.loads((folder / "ground_truth.json").read_text())["opportunity_history"]
    planted = truth["close_date_changes_mean_by_outcome"]
    deals = pushes(ds)
    opps = ds.opportunities.set_index("opportunity_id").loc[deals["opportunity_id"]]
    # the generator moves close dates only of deals open two days or more
    room = ((opps["close_date"] - opps["created_date"]).dt.days >= 2).to_numpy()
    rates = changes_by_outcome(deals).set_index("outcome")
    for outcome in ("won", "lost"):
        mine = (deals["outcome"] == outcome).to_numpy()
        expected = planted[outcome] * room[mine].mean()
        row = rates.loc[outcome]
        assert row["lower"] <= expected <= row["upper"], (outcome, expected, row.to_dict())
    # and what it means: the more pushes, the lower the win rate, beyond noise
    table = win_rate_by_pushes(ds, deals).set_index("pushes")
    assert table.loc["0", "lower"] > table.loc["2", "upper"]
    assert table["deals"].sum() == int((deals["outcome"] != "open").sum())

"""Territory assignment on the sample data: better than today and than random balanced books,
planted industry strengths rewarded, constraints held exactly, infeasibility explained."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.territory import (
    InfeasibleAssignment,
    account_potential,
    active_reps,
    optimize_assignment,
    rep_industry_win_rates,
)


@pytest.fixture(scope="module")
def ds(default_sample):
    return load_dataset(default_sample)


@pytest.fixture(scope="module")
def result(ds):
    return optimize_assignment(ds)


def _expected(ds, owners: np.ndarray, accounts: pd.DataFrame) -> float:
    rates = rep_industry_win_rates(ds).set_index(["rep_id", "industry"])["rate"]
    win = rates.reindex(pd.MultiIndex.from_arrays([owners, accounts["industry"]])).to_numpy()
    return float((accounts["potential"].to_numpy() * win).sum())


def test_beats_today_and_random_balanced_assignments(ds, result):
    figures = result.figures
    assert figures["expected_revenue_after"] > figures["expected_revenue_before"]
    accounts = result.assignment
    reps = active_reps(ds)
    rng = np.random.default_rng(0)
    best_random = 0.0
    for _ in range(20):
        owners = np.empty(len(accounts), dtype=object)
        for region, index in accounts.groupby("region").groups.items():
            pool = reps.loc[reps["region"] == region, "rep_id"].to_numpy()
            order = rng.permutation(len(index))
            owners[np.asarray(index)[order]] = pool[np.arange(len(index)) % len(pool)]
        best_random = max(best_random, _expected(ds, owners, accounts))
    assert figures["expected_revenue_after"] > best_random
    assert _expected(ds, accounts["to_rep"].to_numpy(), accounts) == pytest.approx(
        figures["expected_revenue_after"]
    )


def test_planted_industry_strengths_are_rewarded(ds, result, default_sample):
    truth = json.loads((default_sample / "ground_truth.json").read_text())["industry_strengths"]
    accounts = result.assignment
    before = after = 0
    for item in truth:
        mine = accounts["industry"] == item["industry"]
        before += int((mine & (accounts["from_rep"] == item["rep_id"])).sum())
        after += int((mine & (accounts["to_rep"] == item["rep_id"])).sum())
    assert after > before


def test_balance_and_move_limit_hold_exactly(ds, result):
    after = result.after.merge(ds.reps[["rep_id", "region"]], on="rep_id")
    mean = after.groupby("region")["potential"].transform("sum") / after.groupby("region")[
        "potential"
    ].transform("size")
    assert (after["potential"] >= 0.8 * mean - 1e-6).all()
    assert (after["potential"] <= 1.2 * mean + 1e-6).all()
    moved = (result.assignment["from_rep"] != result.assignment["to_rep"]).sum()
    assert moved <= np.floor(0.15 * len(result.assignment))
    assert len(result.moves) == moved and result.moves["reason"].str.len().gt(0).all()
    same = result.assignment.merge(
        ds.reps[["rep_id", "region"]], left_on="to_rep", right_on="rep_id"
    )
    assert (same["region_x"] == same["region_y"]).all()  # accounts stay in their region


def test_infeasible_constraints_say_what_to_relax(ds):
    with pytest.raises(InfeasibleAssignment, match="relax balance_tolerance"):
        optimize_assignment(ds, balance_tolerance=0.0, time_limit=20)
    with pytest.raises(InfeasibleAssignment, match="relax max_moves_pct"):
        optimize_assignment(ds, max_moves_pct=0.0, balance_tolerance=0.05, time_limit=20)


def test_potential_model_tracks_history(ds):
    potential = account_potential(ds)
    assert potential.attrs["fit"]["correlation"] > 0.2
    assert (potential["potential"] > 0).all()
    big = potential["employees"] > potential["employees"].median()
    assert potential.loc[big, "potential"].mean() > potential.loc[~big, "potential"].mean()

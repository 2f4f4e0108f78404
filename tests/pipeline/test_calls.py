"""Forecast calls: a reconstruction computed by hand, submissions taking precedence, managers'
roll-ups, and the planted sandbaggers and over-committers found on three generated samples."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.pipeline import calls
from spm_lib.sample import write_sample

# R1 in 2025-Q2: W won on 04-03 (500); P in Commit, won on 05-15 (1000); Q in Best Case, in
# Commit from 04-20, lost on 06-10 (2000). R2 (same manager, Mo): S in Commit, won 06-01 (300).
OPPS = [
    ("W", "R1", "2025-03-01", "2025-04-03", "Closed Won", 500),
    ("P", "R1", "2025-03-10", "2025-05-15", "Closed Won", 1000),
    ("Q", "R1", "2025-03-20", "2025-06-10", "Closed Lost", 2000),
    ("S", "R2", "2025-03-20", "2025-06-01", "Closed Won", 300),
]
HISTORY = [
    ("W", "2025-03-01 09:00", "Negotiation", 500, "2025-04-03", "Commit"),
    ("W", "2025-04-03 12:00", "Closed Won", None, None, "Closed"),
    ("P", "2025-03-10 09:00", "Negotiation", 1000, "2025-05-15", "Commit"),
    ("P", "2025-05-15 12:00", "Closed Won", None, None, "Closed"),
    ("Q", "2025-03-20 09:00", "Proposal", 2000, "2025-06-10", "Best Case"),
    ("Q", "2025-04-20 09:00", None, None, None, "Commit"),
    ("Q", "2025-06-10 12:00", "Closed Lost", None, None, "Omitted"),
    ("S", "2025-03-20 09:00", "Negotiation", 300, "2025-06-01", "Commit"),
    ("S", "2025-06-01 12:00", "Closed Won", None, None, "Closed"),
]


@pytest.fixture
def ds(make_dataset):
    opps = [
        {
            "opportunity_id": o,
            "rep_id": r,
            "created_date": c,
            "close_date": d,
            "stage": s,
            "amount": a,
            "is_closed": "true",
            "is_won": str(s == "Closed Won").lower(),
        }
        for o, r, c, d, s, a in OPPS
    ]
    history = pd.DataFrame(
        HISTORY,
        columns=[
            "opportunity_id",
            "changed_at",
            "stage",
            "amount",
            "close_date",
            "forecast_category",
        ],
    )
    return load_dataset(
        make_dataset(yaml="as_of: '2025-07-31'\n", opportunities=opps, opportunity_history=history)
    )


def _call(table, owner, week, category="Commit"):
    row = table[
        (table["owner_id"] == owner) & (table["week"] == week) & (table["category"] == category)
    ]
    assert len(row) == 1, (owner, week, category)
    return row.iloc[0]


def test_the_reconstructed_call_is_won_so_far_plus_commit_due(ds):
    period = ds.period("2025-Q2")
    assert list(calls.week_ends(period)[[0, 2, 6, -1]].strftime("%m-%d")) == [
        "04-07",
        "04-21",
        "05-19",
        "06-30",
    ]
    table = calls.reconstructed_calls(ds, [period])
    assert _call(table, "R1", 1)["amount"] == 500 + 1000  # W won, P in Commit
    assert _call(table, "R1", 1, "Best Case")["amount"] == 500 + 1000 + 2000
    assert _call(table, "R1", 3)["amount"] == 500 + 1000 + 2000  # Q in Commit from 04-20
    assert _call(table, "R1", 7)["amount"] == 1500 + 2000  # P won, Q still in Commit
    assert _call(table, "R1", 13)["amount"] == 1500  # Q lost (week 13 ends 06-30)
    every = calls.calls(ds, [period])
    assert _call(every[every["level"] == "manager"], "Mo", 1)["amount"] == 1500 + 300
    scores = calls.period_scores(every, calls.actuals(ds, [period]))
    r1 = scores.set_index(["owner_id", "level"]).loc[("R1", "rep")]
    weeks = table[(table["owner_id"] == "R1") & (table["category"] == "Commit")]
    assert r1["actual"] == 1500
    assert r1["bias"] == pytest.approx(weeks["amount"].mean() / 1500 - 1)
    assert r1["error_week1"] == 0 and bool(r1["hit"])
    # commit conversion: the won part of the open Commit due, pooled over the weeks
    pooled = weeks["commit_won"].sum() / weeks["commit_open"].sum()
    assert r1["conversion"] == pytest.approx(pooled)
    week3 = _call(table, "R1", 3)
    assert (week3["commit_open"], week3["commit_won"]) == (3000, 1000)


def test_submissions_take_precedence_for_their_owner_and_period(make_dataset, ds):
    submitted = pd.DataFrame(
        {
            "owner_id": ["R1", "R1", "Jo"],
            "period": "2025-Q2",
            "category": "Commit",
            "amount": [1800, 1600, 50],
            "submitted_at": ["2025-04-02 10:00", "2025-05-01 10:00", "2025-04-01 08:00"],
        }
    )
    ds.tables["forecast_calls"] = load_dataset(
        make_dataset(yaml="as_of: '2025-07-31'\n", forecast_calls=submitted)
    )["forecast_calls"]
    every = calls.calls(ds, [ds.period("2025-Q2")])
    reps = every[every["level"] == "rep"]
    assert _call(reps, "R1", 1)["amount"] == 1800 and _call(reps, "R1", 1)["source"] == "submitted"
    assert _call(reps, "R1", 5)["amount"] == 1600  # week 5 ends 05-05
    assert _call(reps, "R2", 1)["source"] == "history"  # R2 submitted nothing
    managers = every[every["level"] == "manager"]
    assert _call(managers, "Mo", 1)["amount"] == 1800 + 300  # their reps' calls, summed
    assert _call(managers, "Jo", 1)["amount"] == 50  # a manager's own submission


def test_a_period_label_that_is_no_quarter_is_quarantined(make_dataset):
    bad = pd.DataFrame(
        {
            "owner_id": ["R1", "R1"],
            "period": ["2025-Q2", "Q2 2025"],
            "category": "Commit",
            "amount": [10, 20],
            "submitted_at": "2025-04-02 10:00",
        }
    )
    ds = load_dataset(make_dataset(forecast_calls=bad))
    assert len(ds["forecast_calls"]) == 1
    assert ds.quarantine.loc[ds.quarantine["table"] == "forecast_calls", "check"].tolist() == [
        "unknown_period"
    ]


def _found(ds, truth):
    periods = []
    p = ds.period("latest")
    while p.start >= ds.opportunities["created_date"].min().date():
        periods.append(p)
        p = p.previous()
    every = calls.calls(ds, periods[::-1])
    accuracy = calls.call_accuracy(calls.period_scores(every, calls.actuals(ds, periods)))
    reps = accuracy[(accuracy["level"] == "rep") & (accuracy["flag"] != "too_few_periods")]
    reps = reps.set_index("owner_id")
    flagged = reps[reps["flag"].isin(["sandbagging", "over_committing"])]
    right = [
        r
        for r, f in flagged["flag"].items()
        if r in truth and (truth[r] < 0) == (f == "sandbagging")
    ]
    planted = [r for r in truth if r in reps.index]
    false = int(flagged.index.isin(list(truth)).__invert__().sum())
    return len(right), len(flagged), len(planted), false, int((~reps.index.isin(list(truth))).sum())


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_the_planted_callers_are_found_and_the_others_left_alone(tmp_path, seed):
    folder = write_sample(tmp_path / "s", seed=seed, reps=40, years=3)
    truth = {
        c["rep_id"]: c["bias"]
        for c in json.loads((folder / "ground_truth.json").read_text())["call_bias"]
    }
    assert len(truth) >= 4 and any(b < 0 for b in truth.values())
    ds = load_dataset(folder)
    right, flagged, planted, false, unbiased = _found(ds, truth)
    assert planted == len(truth)
    assert right / flagged >= 0.8 and right / planted >= 0.8, (right, flagged, planted)
    assert false / unbiased < 0.05
    # from the CRM's Commit category alone (no submissions): still the right direction
    del ds.tables["forecast_calls"]
    right, flagged, planted, false, unbiased = _found(ds, truth)
    assert flagged and right / flagged >= 0.8, (right, flagged, planted)
    assert false / unbiased < 0.05

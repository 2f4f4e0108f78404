"""The pipeline as of any date, against a brute-force replay of the history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.pipeline.as_of import FIELDS, pipeline_as_of, state_as_of


def _replay(ds, day: pd.Timestamp, deals: set[str]) -> pd.DataFrame:
    """Deal by deal, row by row, for ``deals``: the last value written by the end of ``day``,
    else the first ever written, else the deal's own; deals created by then and not
    cancelled."""
    end = day + pd.Timedelta(days=1)
    history = ds.get("opportunity_history")
    history = history[history["opportunity_id"].isin(deals)]
    rows_of = {
        k: g.sort_values("changed_at", kind="stable") for k, g in history.groupby("opportunity_id")
    }
    out = []
    opps = ds.opportunities
    for deal in opps[opps["opportunity_id"].isin(deals)].itertuples(index=False):
        closed_by_then = deal.is_closed and deal.close_date <= day
        if deal.created_date > day and not closed_by_then:
            continue
        if pd.notna(deal.cancelled_date) and deal.cancelled_date <= day:
            continue
        values = {f: getattr(deal, f) for f in FIELDS}
        rows = rows_of.get(deal.opportunity_id)
        if rows is not None:
            for field in FIELDS:
                written = rows[field].dropna()
                by_then = rows.loc[rows["changed_at"] < end, field].dropna()
                if len(by_then):
                    values[field] = by_then.iloc[-1]
                elif len(written) and not closed_by_then:
                    values[field] = written.iloc[0]
        out.append({"opportunity_id": deal.opportunity_id, "rep_id": deal.rep_id, **values})
    return pd.DataFrame(out)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_state_as_of_equals_a_replay_of_the_history_on_random_dates(small_sample, seed):
    ds = load_dataset(small_sample)
    rng = np.random.default_rng(seed)
    first, last = ds.opportunities["created_date"].min(), pd.Timestamp(ds.as_of)
    day = (first + pd.Timedelta(days=int(rng.integers(30, (last - first).days)))).normalize()
    ids = ds.opportunities["opportunity_id"]
    deals = set(ids.sample(600, random_state=seed))  # the replay is slow: 600 deals a date
    got = state_as_of(ds, day)
    got = got[got["opportunity_id"].isin(deals)].sort_values("opportunity_id", ignore_index=True)
    expected = _replay(ds, day, deals).sort_values("opportunity_id", ignore_index=True)
    assert len(got) == len(expected) > 100
    for column in ["opportunity_id", "rep_id", *FIELDS]:
        a, b = got[column], expected[column]
        if column == "amount":
            np.testing.assert_allclose(a.astype(float), b.astype(float))
        else:
            assert (a.astype(str) == b.astype(str)).all(), column
    open_now = pipeline_as_of(ds, day)
    open_now = open_now[open_now["opportunity_id"].isin(deals)]
    closed = set(ds.config.won_stages) | set(ds.config.lost_stages)
    assert set(open_now["opportunity_id"]) == set(
        expected.loc[~expected["stage"].isin(closed), "opportunity_id"]
    )


def test_a_hand_made_history(make_dataset):
    """Three deals, computed by hand: a deal pushed and grown, one won later, one with no
    history, on three dates."""
    from tests.helpers import ACCOUNTS, REPS

    rep, other, account = REPS[0]["rep_id"], REPS[1]["rep_id"], ACCOUNTS[0]["account_id"]
    opps = [
        {
            "opportunity_id": "O1",
            "rep_id": rep,
            "account_id": account,
            "stage": "Negotiation",
            "amount": 300,
            "created_date": "2025-01-05",
            "close_date": "2025-06-30",
            "is_closed": False,
            "is_won": False,
        },
        {
            "opportunity_id": "O2",
            "rep_id": rep,
            "account_id": account,
            "stage": "Closed Won",
            "amount": 100,
            "created_date": "2025-01-10",
            "close_date": "2025-03-15",
            "is_closed": True,
            "is_won": True,
        },
        {
            "opportunity_id": "O3",
            "rep_id": other,
            "account_id": account,
            "stage": "Prospecting",
            "amount": 50,
            "created_date": "2025-02-01",
            "close_date": "2025-04-30",
            "is_closed": False,
            "is_won": False,
        },
    ]
    history = [
        {
            "opportunity_id": "O1",
            "changed_at": "2025-01-05 09:00:00",
            "stage": "Prospecting",
            "amount": 200,
            "close_date": "2025-03-31",
            "forecast_category": "Pipeline",
        },
        {
            "opportunity_id": "O1",
            "changed_at": "2025-03-20 17:30:00",
            "stage": "Negotiation",
            "amount": "",
            "close_date": "2025-06-30",
            "forecast_category": "Commit",
        },
        {
            "opportunity_id": "O1",
            "changed_at": "2025-04-02 08:00:00",
            "stage": "",
            "amount": 300,
            "close_date": "",
            "forecast_category": "",
        },
        {
            "opportunity_id": "O2",
            "changed_at": "2025-01-10 10:00:00",
            "stage": "Proposal",
            "amount": 100,
            "close_date": "2025-03-15",
            "forecast_category": "Best Case",
        },
        {
            "opportunity_id": "O2",
            "changed_at": "2025-03-15 23:59:00",
            "stage": "Closed Won",
            "amount": "",
            "close_date": "",
            "forecast_category": "Closed",
        },
    ]
    ds = load_dataset(make_dataset(opportunities=opps, opportunity_history=history))

    def view(day: str) -> dict:
        return {
            r.opportunity_id: (r.stage, float(r.amount), str(r.close_date.date()))
            for r in pipeline_as_of(ds, pd.Timestamp(day)).itertuples()
        }

    assert view("2025-01-31") == {
        "O1": ("Prospecting", 200.0, "2025-03-31"),
        "O2": ("Proposal", 100.0, "2025-03-15"),
    }
    assert view("2025-03-20") == {
        "O1": ("Negotiation", 200.0, "2025-06-30"),
        "O3": ("Prospecting", 50.0, "2025-04-30"),
    }  # O2 won 03-15
    assert view("2025-04-02") == {
        "O1": ("Negotiation", 300.0, "2025-06-30"),
        "O3": ("Prospecting", 50.0, "2025-04-30"),
    }
    assert view("2025-01-04") == {}

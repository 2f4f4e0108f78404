"""Quotas from evidence: they sum to the target, follow the book and the ramp, predict the
share of reps at quota (backtested), and can be solved for a share at quota."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.compensation.payouts import BookingsDraws, bookings_draws
from spm_lib.measures.roster import rep_status
from spm_lib.periods import quarter_after
from spm_lib.planning import quotas as q


@pytest.fixture(scope="module")
def ds(default_sample):
    return load_dataset(default_sample)


@pytest.fixture(scope="module")
def proposed(ds):
    return q.propose_quotas(ds, ds.period("latest"), ds.config.planning["target"])


def test_the_quotas_sum_to_the_target(ds, proposed):
    quarter = quarter_after(ds.period("latest"))
    last_year = ds.opportunities[
        ds.opportunities["is_won"]
        & quarter.same_period_last_year().mask(ds.opportunities["close_date"])
    ]
    expected = 1.08 * last_year["amount"].sum()  # the sample's planning.target: growth 8%
    assert proposed.attrs["target"] == pytest.approx(expected)
    assert proposed["quota"].sum() == pytest.approx(expected, abs=0.01)
    amount = q.propose_quotas(ds, ds.period("latest"), {"amount": 12_345_678.9})
    assert amount["quota"].sum() == pytest.approx(12_345_678.9, abs=0.01)
    # every counted rep has one, nobody else
    status = rep_status(ds, ds.period("latest"))
    assert set(proposed["rep_id"]) == set(status.loc[status["counted"], "rep_id"])
    assert (proposed["quota"] > 0).all()


def test_a_quota_is_the_target_shared_by_book_times_capacity(ds, proposed):
    share = (
        proposed["capacity"] * proposed["book"] / (proposed["capacity"] * proposed["book"]).sum()
    )
    assert proposed["quota"].to_numpy() == pytest.approx(share * proposed.attrs["target"])
    tenured = proposed["tenure_months"] >= 19
    assert (proposed.loc[tenured, "capacity"] == 1).all()
    assert proposed.loc[~tenured, "capacity"].lt(1).any()  # the ramp lowers new hires' quotas


def test_predicted_attainment_by_hand():
    quotas = pd.DataFrame({"rep_id": ["A", "B"], "quota": [100.0, 200.0]})
    draws = BookingsDraws(
        None,
        np.array(["B", "A", "Z"], dtype=object),
        np.array(
            [[100.0, 150.0, 9.0], [300.0, 50.0, 9.0], [100.0, 90.0, 9.0], [250.0, 100.0, 9.0]]
        ),
        "test",
    )
    out = q.predicted_attainment(draws, quotas)
    # draw by draw, A books 150, 50, 90, 100 against 100; B 100, 300, 100, 250 against 200
    assert out["shares"].tolist() == [0.5, 0.5, 0.0, 1.0]
    per_rep = out["per_rep"].set_index("rep_id")
    assert per_rep.loc["A", "probability"] == 0.5 and per_rep.loc["B", "probability"] == 0.5
    assert per_rep.loc["A", "bookings_p50"] == 95.0
    scaled, k = q.solve_share_at_quota(draws, quotas, 1.0)
    assert np.median(q.share_at_quota(*q.aligned_draws(draws, scaled))) == 1.0
    assert k == pytest.approx(0.5, rel=1e-6)  # at half quota both reach it in three of four


def test_solving_for_a_share_at_quota(ds, proposed):
    draws = bookings_draws(ds, ds.period("latest"), simulations=1000)
    for share in (0.5, 0.65, 0.8):
        scaled, k = q.solve_share_at_quota(draws, proposed, share)
        median = q.predicted_attainment(draws, scaled)["share_p50"]
        assert median >= share and median - share <= 1.5 / len(proposed), (share, median)
        assert scaled["quota"].sum() == pytest.approx(k * proposed["quota"].sum())


@pytest.mark.parametrize("seed", [42, 1, 2])
def test_the_backtest_holds_the_actual_share_in_three_of_four_quarters(
    tmp_path, default_sample, seed
):
    from spm_lib.sample import write_sample

    folder = default_sample if seed == 42 else write_sample(tmp_path / "s", seed=seed)
    data = load_dataset(folder)
    table = q.backtest(
        data, data.period("latest"), data.config.planning["target"], simulations=1000
    )
    assert len(table) == 4 and table["inside"].sum() >= 3, table.to_string()
    # the actual share is recomputed from the raw file's won deals of each quarter
    raw = pd.read_csv(folder / "opportunities.csv", parse_dates=["close_date"])
    raw = raw[raw["is_won"].astype(str).str.lower().isin(["true", "1"])]
    for row in table.itertuples():
        quarter = data.period(row.quarter)
        quotas = q.propose_quotas(data, quarter.previous(), data.config.planning["target"])
        won = raw[raw["close_date"].dt.to_period("Q") == pd.Period(row.quarter.replace("-", ""))]
        booked = won.groupby("rep_id")["amount"].sum().reindex(quotas["rep_id"]).fillna(0)
        reached = booked.to_numpy() >= quotas["quota"].to_numpy()
        assert row.actual_share == pytest.approx(reached.mean())


def test_a_target_amount_is_kept_and_growth_applies_to_last_years_quarter(small_sample):
    from spm_lib.measures import metrics
    from spm_lib.planning.quotas import target_amount

    ds = load_dataset(small_sample)
    quarter = ds.period("2026-Q4")
    assert target_amount(ds, quarter, {"amount": 5e6}) == (
        5e6,
        {"kind": "amount", "growth": None, "base_period": None},
    )
    base = float(metrics.bookings(ds, ds.period("2025-Q4"), by=None)["bookings"].sum())
    amount, basis = target_amount(ds, quarter, {"growth": 0.1})
    assert amount == pytest.approx(1.1 * base) and basis["base_period"] == "2025-Q4"
    assert target_amount(ds, quarter, None)[1]["kind"] == "flat"

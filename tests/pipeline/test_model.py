"""Pipeline forecast: snapshots, calibrated rates, the simulated band, and the blend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.pipeline.model import Window, _rate_for, open_at, pipeline_forecast, win_rates
from spm_lib.pipeline.quarter_ahead import combine_forecasts, next_quarter

HISTORY = [
    {"opportunity_id": "O1", "stage": "Prospecting", "entered_date": "2025-01-05"},
    {"opportunity_id": "O1", "stage": "Proposal", "entered_date": "2025-01-20"},
    {"opportunity_id": "O1", "stage": "Closed Won", "entered_date": "2025-02-10"},
    {"opportunity_id": "O3", "stage": "Prospecting", "entered_date": "2025-02-01"},
]


def test_open_at_uses_the_stage_then(make_dataset):
    ds = load_dataset(make_dataset(stage_history=HISTORY))
    snap = open_at(ds, pd.Timestamp("2025-02-01")).set_index("opportunity_id")
    # O1 open (closes 02-10) in Proposal; O2 open (closes 03-01), no history; O3 created that day
    assert set(snap.index) == {"O1", "O2", "O3"}
    assert snap.loc["O1", "stage_then"] == "Proposal" and snap.loc["O1", "age_days"] == 27
    assert snap.loc["O2", "stage_then"] == "(unknown)"
    assert snap.loc["O3", "age_band"] == "0-30 d"


def test_win_rates_shrink_small_cells_toward_their_stage():
    deals = pd.DataFrame(
        {
            "stage_then": ["A"] * 40 + ["B"] * 2,
            "age_band": ["0-30 d"] * 30 + ["31-90 d"] * 10 + ["0-30 d"] * 2,
            "won_in_window": [True] * 15 + [False] * 15 + [True] * 10 + [True, True],
            "amount": 1.0,
        }
    )
    rates = win_rates([Window(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-03-31"), deals, 0.0)])
    overall = 27 / 42
    stage_a = (25 + 20 * overall) / (40 + 20)
    cell = rates.set_index(["stage", "age_band"])
    assert cell.loc[("A", "31-90 d"), "rate"] == pytest.approx((10 + 20 * stage_a) / (10 + 20))
    assert cell.loc[("A", "31-90 d"), "raw_rate"] == 1.0
    stage_b = (2 + 20 * overall) / 22
    assert cell.loc[("B", "0-30 d"), "rate"] == pytest.approx((2 + 20 * stage_b) / 22)


def test_combination_weights_by_precision():
    equal = combine_forecasts(
        100,
        80,
        120,
        0.8,
        180,
        200,
        220,
    )
    assert equal["mean"] == pytest.approx(150) and equal["weight_pipeline"] == pytest.approx(0.5)
    # the pipeline twice as precise (half the width) gets four times the weight
    skewed = combine_forecasts(100, 80, 120, 0.8, 190, 200, 210)
    assert skewed["weight_pipeline"] == pytest.approx(0.8)
    assert skewed["mean"] == pytest.approx(0.2 * 100 + 0.8 * 200)


def test_band_holds_the_actual_in_at_least_three_of_the_last_four_quarters(default_sample):
    ds = load_dataset(default_sample)
    opps = ds.opportunities
    last = ds.period("latest")
    hits = []
    for k in range(4):
        quarter = last.shift(-k)
        as_of = pd.Timestamp(quarter.start) - pd.Timedelta(days=1)
        forecast = pipeline_forecast(ds, end=pd.Timestamp(quarter.end), as_of=as_of)
        q = forecast.quantiles()
        actual = opps.loc[opps["is_won"] & quarter.mask(opps["close_date"]), "amount"].sum()
        hits.append(q["p10"] <= actual <= q["p90"])
        assert q["p10"] < q["p50"] < q["p90"]
    assert sum(hits) >= 3, hits


def test_forecast_uses_only_what_was_known(default_sample):
    ds = load_dataset(default_sample)
    as_of = pd.Timestamp("2025-06-30")
    result = pipeline_forecast(ds, end=pd.Timestamp("2025-09-30"), as_of=as_of, simulations=2000)
    assert (result.deals["created_date"] <= as_of).all()
    assert (result.history["start"] + pd.Timedelta(days=92) <= as_of).all()
    again = pipeline_forecast(ds, end=pd.Timestamp("2025-09-30"), as_of=as_of, simulations=2000)
    assert np.array_equal(result.totals, again.totals)  # deterministic


def test_windows_without_open_deals_give_no_rates():
    """Past windows in which the audience had no open deal (a rep who had left): no rates,
    as without windows, rather than a TypeError from the empty concatenation."""
    empty = pd.DataFrame(
        {
            "stage_then": pd.Series(dtype="string"),
            "age_band": pd.Series(dtype="string"),
            "won_in_window": pd.Series(dtype=bool),
        }
    )
    windows = [Window(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-03-31"), empty, 0.0)]
    assert win_rates(windows).empty and win_rates([]).empty
    assert list(win_rates(windows).columns) == list(win_rates([]).columns)


def test_rates_are_slip_adjusted_from_the_history(default_sample):
    """The sample plants more close-date changes on deals that are lost: deals pushed twice
    or more get a factor well under 1, and the factors leave the past windows' expected
    total close to what was realised."""
    ds = load_dataset(default_sample)
    _, run = next_quarter(ds, ds.period("latest"))
    factors = run.rates.attrs["push_factor"]
    assert factors["2+"] < factors["1"] < 1 < factors["0"]
    deals = run.deals
    pushed = deals["pushes_then"] >= 2
    assert pushed.any()
    base = _rate_for(deals, run.rates, adjust=False)
    some = pushed.to_numpy() & (base > 0)
    ratio = deals["win_probability"].to_numpy()[some] / base[some]
    assert ratio == pytest.approx(np.full(some.sum(), factors["2+"]))
    history = run.history
    assert history["expected"].sum() == pytest.approx(history["realised"].sum(), rel=0.1)


def test_stage_rates_on_thin_history_widen_the_band_and_are_named(small_sample, monkeypatch):
    """One rep's deals: few past deals per stage. Their rates are drawn, not fixed, so the
    band is wider than coin flips on fixed rates, and the forecast names those stages."""
    from spm_lib.pipeline import model as pipeline

    ds = load_dataset(small_sample)
    opps = ds.opportunities
    rep = opps.loc[~opps["is_closed"], "rep_id"].value_counts().index[0]
    one = ds.narrow(f"rep_id={rep}")
    end = pd.Timestamp(ds.period("latest").end) + pd.offsets.QuarterEnd(1)
    thin = pipeline.pipeline_forecast(one, end=end, simulations=4000, history_windows=2)
    assert thin.thin_stages and all(
        n < pipeline.MIN_STAGE_EVIDENCE for n in thin.thin_stages.values()
    )
    monkeypatch.setattr(pipeline, "MIN_STAGE_EVIDENCE", 0)
    fixed = pipeline.pipeline_forecast(one, end=end, simulations=4000, history_windows=2)
    assert not fixed.thin_stages
    width = {
        k: r.quantiles()["p90"] - r.quantiles()["p10"]
        for k, r in (("thin", thin), ("fixed", fixed))
    }
    assert width["thin"] > width["fixed"]  # deterministic (seeded draws)


def test_thin_stages_by_hand():
    """Stage A rests on 10 past deals (< 30): its rate 0.25 is drawn from Beta(0.25 x 30,
    0.75 x 30); stage B on 50 is fixed."""
    from spm_lib.pipeline.model import _thin_stages

    rates = pd.DataFrame({"stage": ["A", "A", "B"], "deals": [4, 6, 50]})
    deals = pd.DataFrame({"stage_then": ["A", "B", "A"], "win_probability": [0.2, 0.5, 0.3]})
    thin, column, (a, b) = _thin_stages(deals, rates)
    assert thin == {"A": 10} and column.tolist() == [1, 0, 1]
    assert a.tolist() == pytest.approx([0.25 * 30]) and b.tolist() == pytest.approx([0.75 * 30])


def test_open_deals_are_those_the_history_replays(small_sample):
    from spm_lib.pipeline.as_of import pipeline_as_of

    ds = load_dataset(small_sample)
    day = pd.Timestamp(ds.period("latest").end) - pd.Timedelta(days=200)
    got = open_at(ds, day).sort_values("opportunity_id")
    replay = pipeline_as_of(ds, day).sort_values("opportunity_id")
    assert got["opportunity_id"].tolist() == replay["opportunity_id"].tolist()
    assert got["amount"].to_numpy() == pytest.approx(replay["amount"].fillna(0).to_numpy())

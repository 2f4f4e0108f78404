"""The coherent forecast: one hierarchy, every series adds up, months add up to quarters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.forecasting.coherent import coherent_forecast
from spm_lib.forecasting.hierarchy import NO_REGION, hierarchy_bookings


def _deals(rows):
    return [
        {
            "opportunity_id": f"O{i}",
            "rep_id": rep,
            "account_id": "",
            "product": "Core",
            "created_date": f"{month}-01",
            "close_date": f"{month}-20",
            "stage": "Closed Won",
            "amount": str(amount),
            "is_closed": "true",
            "is_won": "true",
        }
        for i, (rep, month, amount) in enumerate(rows)
    ]


def test_hierarchy_counts_every_booking_once(make_dataset):
    """R1 and R2 in West A, R3 in East A; R4 has no region or team: its deal is in
    (no region), not lost, and the company total is the sum of every won amount."""
    reps = [
        {"rep_id": "R1", "name": "A", "team": "A", "region": "West", "hire_date": "2024-01-01"},
        {"rep_id": "R2", "name": "B", "team": "A", "region": "West", "hire_date": "2024-01-01"},
        {"rep_id": "R3", "name": "C", "team": "A", "region": "East", "hire_date": "2024-01-01"},
        {"rep_id": "R4", "name": "D", "team": "", "region": "", "hire_date": "2024-01-01"},
    ]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    rows = [(r, m, 100 * (i + 1)) for m in months for i, r in enumerate(["R1", "R2", "R3", "R4"])]
    ds = load_dataset(make_dataset(reps=reps, opportunities=_deals(rows), accounts=None))
    table, nodes, parents = hierarchy_bookings(ds, "2025-12-31")
    names = [n.name for n in nodes]
    # team "A" exists in two regions: the bottom series are named region / team
    assert "West / A" in names and "East / A" in names and NO_REGION in names
    assert table["Company"].sum() == pytest.approx(1000 * 12)
    assert table["West"].sum() == pytest.approx(300 * 12)
    assert table[f"{NO_REGION} / (no team)"].sum() == pytest.approx(400 * 12)
    fc = coherent_forecast(ds, "2025-12-31", horizon_months=3)
    month = fc.monthly
    for _, rows in month.groupby("period"):
        total = rows.loc[rows["series"] == "Company", "mean"].iloc[0]
        assert rows.loc[rows["level"] == "region", "mean"].sum() == pytest.approx(total, abs=0.01)
        assert rows.loc[rows["level"] == "team", "mean"].sum() == pytest.approx(total, abs=0.01)
    q = fc.quarterly
    assert q["period"].astype(str).unique().tolist() == ["2026Q1"]
    company = fc.series("Company", "Q")["mean"].iloc[0]
    assert company == pytest.approx(fc.series("Company", "M")["mean"].sum(), abs=0.01)


def test_a_team_named_like_its_region_is_keyed_by_its_place(make_dataset):
    """Role trees name a team like its region ("MX Country manager" under "MX Country
    manager") and a team like a rep: each series is keyed by its place, and sums hold."""
    reps = [
        {"rep_id": "R1", "name": "Ana", "team": "MX", "region": "MX", "hire_date": "2024-01-01"},
        {"rep_id": "R2", "name": "Bo", "team": "Ana", "region": "MX", "hire_date": "2024-01-01"},
        {
            "rep_id": "R3",
            "name": "Cy",
            "team": "US East",
            "region": "US",
            "hire_date": "2024-01-01",
        },
    ]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    rows = [(r, m, 100 * (i + 1)) for m in months for i, r in enumerate(["R1", "R2", "R3"])]
    ds = load_dataset(make_dataset(reps=reps, opportunities=_deals(rows), accounts=None))
    table, nodes, _ = hierarchy_bookings(ds, "2025-12-31")
    names = [n.name for n in nodes]
    assert len(names) == len(set(names))
    assert "MX" in names and "MX / MX" in names and "MX / Ana" in names
    assert table["MX"].sum() == pytest.approx(300 * 12)
    assert table["MX / MX"].sum() == pytest.approx(100 * 12)
    fc = coherent_forecast(ds, "2025-12-31", horizon_months=3)
    for _, rows in fc.monthly.groupby("period"):
        total = rows.loc[rows["series"] == "Company", "mean"].iloc[0]
        assert rows.loc[rows["level"] == "team", "mean"].sum() == pytest.approx(total, abs=0.01)
        mx = rows.loc[(rows["level"] == "region") & (rows["series"] == "MX"), "mean"].iloc[0]
        teams = rows.loc[rows["series"].isin(["MX / MX", "MX / Ana"]), "mean"].sum()
        assert teams == pytest.approx(mx, abs=0.01)


def test_sample_forecast_is_coherent_within_a_cent(default_sample):
    ds = load_dataset(default_sample)
    fc = coherent_forecast(ds, ds.period("latest").end)
    for freq, frame in (("M", fc.monthly), ("Q", fc.quarterly)):
        pivot = frame.pivot_table(index="period", columns="series", values="mean", aggfunc="sum")
        regions = [n.name for n in fc.nodes if n.level == "region"]
        teams = [n.name for n in fc.nodes if n.level == "team"]
        assert np.allclose(pivot[regions].sum(axis=1), pivot["Company"], atol=0.01), freq
        assert np.allclose(pivot[teams].sum(axis=1), pivot["Company"], atol=0.01), freq
    assert (fc.quarterly["lower"] <= fc.quarterly["mean"]).all()
    assert (fc.quarterly["mean"] <= fc.quarterly["upper"]).all()
    months = fc.series("Company", "M")["mean"]
    quarters = fc.series("Company", "Q")["mean"]
    by_quarter = months.groupby(months.index.asfreq(quarters.index.freq)).sum()
    assert np.allclose(by_quarter.reindex(quarters.index), quarters, atol=0.01)
    assert isinstance(quarters.index, pd.PeriodIndex)


def test_earlier_runs_see_no_future(default_sample):
    """A spike in the last month changes no forecast made before it, nor its calibration."""
    from spm_lib.forecasting.coherent import rolling_forecasts

    ds = load_dataset(default_sample)
    end = ds.period("latest").end
    _, plain = rolling_forecasts(ds, end, origins=1)
    spiked = ds.opportunities.copy()
    last = spiked.index[
        spiked["is_won"] & (spiked["close_date"].dt.to_period("M") == pd.Period(end, "M"))
    ][0]
    spiked.loc[last, "amount"] = 1e9
    ds.tables["opportunities"] = spiked
    _, spike = rolling_forecasts(ds, end, origins=1)
    for a, b in zip(plain[:-1], spike[:-1], strict=True):
        pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert not plain[-1].monthly["mean"].equals(spike[-1].monthly["mean"])


def test_the_rep_map_rides_along_the_history_table_without_being_copied(default_sample):
    """pandas deep-copies ``attrs`` on every operation; the rep -> series map (an entry a rep)
    is shared instead of copied."""
    table, _nodes, _parents = hierarchy_bookings(load_dataset(default_sample))
    shared = table.attrs["rep_bottom"]
    assert table["Company"].attrs["rep_bottom"] is shared
    assert table.iloc[:5].attrs["rep_bottom"] is shared
    assert len(shared) == len(load_dataset(default_sample).reps)  # an entry a rep

"""The ramp analysis recovers the ramp planted in the sample data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spm_lib import load_dataset
from spm_lib.measures.ramp import (
    PLATEAU_FROM,
    cohort_table,
    months_to_target,
    ramp_curve,
    rep_month_productivity,
)
from spm_lib.sample import write_sample


@pytest.fixture(scope="module")
def many_hires(tmp_path_factory):
    """200 reps over 4 years: about 70 hired inside the data."""
    return write_sample(tmp_path_factory.mktemp("ramp") / "s", seed=42, reps=200, years=4)


def _planted(folder) -> dict:
    return json.loads((folder / "ground_truth.json").read_text())["ramp"]


def test_planted_ramp_is_recovered(many_hires):
    truth = _planted(many_hires)
    planted = np.array([truth["bookings_productivity_by_month"][str(m)] for m in range(13)])
    curve = ramp_curve(load_dataset(many_hires))
    recovered = curve["share_of_full"].to_numpy()[:13]
    assert curve["reps"].iloc[0] >= 50
    assert np.mean(np.abs(recovered - planted)) < 0.08, np.round(recovered - planted, 2)
    assert recovered[0] < 0.1 and recovered[12] > 0.9
    assert np.all(np.diff(curve["fitted"].dropna()) >= 0)  # a ramp does not fall back
    assert abs(months_to_target(curve) - truth["bookings_months_to_80pct"]) <= 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_month_to_80pct_is_within_one_of_the_planted_on_three_seeds(tmp_path, seed):
    """At the sample's own size (about 20 reps hired inside the data)."""
    folder = write_sample(tmp_path / "s", seed=seed)
    curve = ramp_curve(load_dataset(folder))
    planted = _planted(folder)["bookings_months_to_80pct"]
    assert abs(months_to_target(curve) - planted) <= 1, (months_to_target(curve), planted)


def test_productivity_is_a_ratio_of_sums_against_the_tenured_mean(many_hires):
    """Recomputed from the rep-months: the new hires' bookings at each month since hire over
    what tenured reps of their segment booked on average those months; the plateau is the
    same ratio over months 12 to 24."""
    ds = load_dataset(many_hires)
    rows = rep_month_productivity(ds)
    tenured = rows[rows["months_since_hire"] >= 18]
    mean = tenured.groupby(["month", "segment"])["bookings"].mean()
    inside = ds.reps.loc[ds.reps["hire_date"].dt.to_period("M") >= rows["month"].min(), "rep_id"]
    new = rows[rows["rep_id"].isin(inside)].copy()
    keys = zip(new["month"], new["segment"], strict=True)
    new["mean"] = [mean.get(key, np.nan) for key in keys]
    new = new[new["mean"] > 0]
    month = new[new["months_since_hire"] == 6]
    curve = ramp_curve(ds).set_index("months_since_hire")
    assert curve.at[6, "productivity"] == pytest.approx(
        month["bookings"].sum() / month["mean"].sum()
    )
    late = new[new["months_since_hire"].between(PLATEAU_FROM, 24)]
    plateau = late["bookings"].sum() / late["mean"].sum()
    assert ramp_curve(ds).attrs["plateau"] == pytest.approx(plateau)


def test_months_to_target_on_a_hand_curve():
    curve = pd.DataFrame(
        {"months_since_hire": range(5), "share_of_full": [0.1, 0.5, 0.79, 0.8, 0.9]}
    )
    assert months_to_target(curve) == 3
    assert np.isnan(months_to_target(curve.assign(share_of_full=0.5)))


def test_cohort_cells_carry_their_counts(many_hires):
    ds = load_dataset(many_hires)
    table = cohort_table(ds)
    assert list(table.columns[:4]) == ["hire_year", "reps", "months 0-2", "reps 0-2"]
    assert table["hire_year"].is_monotonic_increasing
    # each cohort counts the reps of that hire year seen in their first two years
    hired = ds.reps["hire_date"].dt.year.value_counts()
    assert (table.set_index("hire_year")["reps"] <= hired.reindex(table["hire_year"]).values).all()
    latest = table.iloc[-1]
    assert latest["reps"] == hired[latest["hire_year"]]
    bands = [c.removeprefix("months ") for c in table.columns if c.startswith("months ")]
    for band in bands:  # a cell has a value exactly when reps stand behind it
        assert ((table[f"reps {band}"] > 0) == table[f"months {band}"].notna()).all()
        assert (table[f"reps {band}"] <= table["reps"]).all()


def test_an_audience_without_hires_inside_the_data_gets_empty_tables(many_hires):
    """One tenured rep: no cohort, no curve; every band's columns are still there."""
    ds = load_dataset(many_hires)
    hired = ds.reps["hire_date"]
    rep = ds.reps.loc[hired == hired.min(), "rep_id"].iloc[0]
    one = ds.narrow(f"rep_id={rep}")
    table = cohort_table(one)
    assert "months 0-2" in table and "reps 18-23" in table
    assert np.isnan(months_to_target(ramp_curve(one)))

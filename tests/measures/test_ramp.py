"""The ramp analysis recovers the ramp planted in the sample data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spm_lib import load_dataset
from spm_lib.measures.ramp import cohort_table, months_to_target, ramp_curve
from spm_lib.sample import write_sample


@pytest.fixture(scope="module")
def many_hires(tmp_path_factory):
    """200 reps over 4 years: about 70 hired inside the data."""
    return write_sample(tmp_path_factory.mktemp("ramp") / "s", seed=42, reps=200, years=4)


def test_planted_ramp_is_recovered(many_hires):
    truth = json.loads((many_hires / "ground_truth.json").read_text())["ramp"]
    planted = np.array([truth["bookings_productivity_by_month"][str(m)] for m in range(13)])
    curve = ramp_curve(load_dataset(many_hires))
    recovered = curve["productivity"].to_numpy()[:13]
    assert curve["reps"].iloc[0] >= 50
    # the planted training effects lift tenured reps a little, so the curve runs slightly low
    assert np.mean(np.abs(recovered - planted)) < 0.12, np.round(recovered - planted, 2)
    assert recovered[0] < 0.1 and recovered[12] > 0.75
    assert abs(months_to_target(curve) - truth["bookings_months_to_80pct"]) <= 2


def test_months_to_target_on_a_hand_curve():
    import pandas as pd

    curve = pd.DataFrame({"months_since_hire": range(5), "smoothed": [0.1, 0.5, 0.79, 0.8, 0.9]})
    assert months_to_target(curve) == 3
    assert np.isnan(months_to_target(curve.assign(smoothed=0.5)))


def test_cohort_table(many_hires):
    ds = load_dataset(many_hires)
    table = cohort_table(ds)
    assert list(table.columns[:3]) == ["hire_year", "reps", "months 0-2"]
    assert table["hire_year"].is_monotonic_increasing
    # each cohort counts the reps of that hire year seen in their first two years
    hired = ds.reps["hire_date"].dt.year.value_counts()
    assert (table.set_index("hire_year")["reps"] <= hired.reindex(table["hire_year"]).values).all()
    latest = table.iloc[-1]
    assert latest["reps"] == hired[latest["hire_year"]]

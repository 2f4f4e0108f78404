"""The pipeline-review page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("pipeline_review", small_sample, tmp_path)
    assert len(sections) >= 3 and all(sections.values())
    assert sections == snapshot


def test_call_readings_word_each_flag():
    import pandas as pd

    from spm_lib.pages.call_accuracy import FLAG_LABELS, call_readings
    from spm_lib.pipeline.calls import FLAGS, MIN_PERIODS

    accuracy = pd.DataFrame(
        {
            "flag": ["sandbagging", "over_committing", "no_clear_bias", "too_few_periods"],
            "periods": [6, 6, 6, 2],
            "bias": [-0.30, 0.25, 0.0, 0.1],
            "baseline": [0.0, -0.05, 0.0, 0.0],
        }
    )
    assert call_readings(accuracy).tolist() == [
        "calls 30% below the actual",
        "calls 30% above the company norm",
        "no bias beyond noise",
        f"not enough periods (2 of {MIN_PERIODS})",
    ]
    assert set(FLAG_LABELS) == set(FLAGS)


def test_a_bound_far_past_its_estimate_reads_unbounded():
    from spm_lib.pages.call_accuracy import bound_text

    assert bound_text(113457723291220.88, 0.25) == "unbounded"
    assert bound_text(-0.4, -0.2) == "-40%"
    assert bound_text(1.5, 0.01) == "unbounded"  # past 10 x 10% where the estimate is ~0
    assert bound_text(0.9, 0.01) == "90%"
    assert bound_text(float("nan"), 0.1) == ""

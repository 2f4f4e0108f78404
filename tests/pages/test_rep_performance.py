"""The rep-performance page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("rep_performance", small_sample, tmp_path)
    assert len(sections) >= 3 and all(sections.values())
    assert sections == snapshot


def test_the_roll_forward_words_why_a_row_is_empty():
    import pandas as pd

    from spm_lib.pages.rep_performance import movement_shown

    movement = pd.DataFrame(
        {
            "bucket": ["won", "other changes", "pulled in"],
            "amount": [-5.0, 1.0, float("nan")],
            "deals": [-1, 0, pd.NA],
            "computable": [True, True, False],
            "why": ["", "reopened_or_corrected", "needs_close_date_history"],
        }
    )
    shown = movement_shown(movement)
    assert list(shown.columns) == ["bucket", "amount", "deals", "computable", "note"]
    assert shown["note"].tolist() == [
        "",
        "reopened deals and corrections",
        "needs close-date history (when each deal's expected close date moved)",
    ]


def test_cohort_cells_show_each_value_with_the_reps_behind_it():
    import pandas as pd

    from spm_lib.pages.ramp_reading import cohort_cells

    cohorts = pd.DataFrame(
        {
            "hire_year": [2024, 2025],
            "reps": [3, 2],
            "months 0-2": [0.05, float("nan")],
            "reps 0-2": [3, 0],
        }
    )
    shown = cohort_cells(cohorts)
    assert shown["hire_year"].tolist() == ["2024", "2025"]  # a year, not "2,024"
    assert shown["months 0-2"].tolist() == ["5.0% (3)", ""]

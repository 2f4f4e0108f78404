"""The planning page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("planning", small_sample, tmp_path)
    assert len(sections) >= 3 and all(sections.values())
    assert sections == snapshot


def test_how_the_target_was_set_and_where_books_come_from_in_words():
    from spm_lib.pages.planning import BOOK_BASIS_LABELS
    from spm_lib.pages.planning_inputs import target_basis_text

    assert target_basis_text({"kind": "amount", "growth": None, "base_period": None}) == (
        "the amount set in planning.target"
    )
    assert target_basis_text({"kind": "growth", "growth": 0.08, "base_period": "2025-Q4"}) == (
        "+8% on 2025-Q4's bookings"
    )
    assert target_basis_text({"kind": "flat", "growth": 0.0, "base_period": "2025-Q4"}) == (
        "2025-Q4's bookings (no planning.target: flat on last year)"
    )
    assert set(BOOK_BASIS_LABELS) == {"potential", "trailing_bookings", "median_book"}

"""The territory-assignment page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("territory_assignment", small_sample, tmp_path)
    assert len(sections) >= 3 and all(sections.values())
    assert sections == snapshot


def test_relaxed_constraints_and_pools_in_words():
    from spm_lib.pages.territory_assignment import pooling_text, relaxation_text
    from spm_lib.territory import RegionPooling, Relaxation

    why = "no assignment within 15% moves; relax max_moves_pct"
    assert relaxation_text(Relaxation("max_moves_pct", 0.3, why)) == (
        f"move limit raised to 30% ({why})")
    assert relaxation_text(Relaxation("no_worse_balance", False, "x")) == (
        "the proposal may be less balanced than today (x)")
    assert relaxation_text(Relaxation("balance_tolerance", 0.4, "y")) == (
        "balance tolerance widened to 40% (y)")
    assert pooling_text(RegionPooling("pooled_by_accounts", 3, 2)) == (
        "3 active reps have no region; 2 of them are pooled with the region most of their "
        "accounts are in")
    assert pooling_text(RegionPooling("no_region_level", 5)).endswith(
        "so accounts are assigned across regions")

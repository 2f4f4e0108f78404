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
        f"move limit raised to 30% ({why})"
    )
    assert relaxation_text(Relaxation("no_worse_balance", False, "x")) == (
        "the proposal may be less balanced than today (x)"
    )
    assert relaxation_text(Relaxation("balance_tolerance", 0.4, "y")) == (
        "balance tolerance widened to 40% (y)"
    )
    assert pooling_text(RegionPooling("pooled_by_accounts", 3, 2)) == (
        "3 active reps have no region; 2 of them are pooled with the region most of their "
        "accounts are in"
    )
    assert pooling_text(RegionPooling("no_region_level", 5)).endswith(
        "so accounts are assigned across regions"
    )


def test_how_the_assignment_was_solved_in_words():
    from spm_lib.pages.territory_assignment import solve_method_text
    from spm_lib.territory.solver import SolveMethod

    assert solve_method_text(SolveMethod()) == "one model for all pools"
    text = solve_method_text(SolveMethod(True, 0.0123, 2, 10, 5))
    assert text == (
        "pool by pool (the move limit split over the pools by their accounts); each pool's "
        "gain within 1.23% of the best of the pairs it considered (proven by its bound); in 2 "
        "large pools each account considered its owner, the pool's 10 best reps in its "
        "industry and 5 others spread over the pool"
    )

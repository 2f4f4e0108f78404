"""The compensation page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("compensation", small_sample, tmp_path)
    assert len(sections) >= 3 and all(sections.values())
    assert sections == snapshot


def test_the_statement_words_the_pay_basis_and_names_tiers_all_plans_share():
    from types import SimpleNamespace as Plan

    import pandas as pd

    from spm_lib.pages.compensation import statement_shown, tier_labels

    plans = {
        "a": Plan(tiers=[Plan(label="0-100%"), Plan(label="100%+ x2")]),
        "b": Plan(tiers=[Plan(label="0-100%"), Plan(label="100%+ x1.5")]),
    }
    statement = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "team": "T",
            "region": "W",
            "tier_1": 1,
            "tier_2": 2,
            "pay_basis": ["plan", "no_plan", "no_quota"],
        }
    )
    shown = statement_shown(statement)
    assert list(shown.columns) == ["rep_id", "tier_1", "tier_2", "note"]
    assert shown["note"].tolist() == [
        "",
        "no plan applies to this rep",
        "no quota: paid at the base rate",
    ]
    assert tier_labels(plans, statement) == {"tier_1": "0-100%", "tier_2": "Tier 2"}

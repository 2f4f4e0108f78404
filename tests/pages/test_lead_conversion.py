"""The lead-conversion page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib.leads.sources import Unusable
from spm_lib.pages.lead_conversion import not_compared_text, unusable_text
from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("lead_conversion", small_sample, tmp_path)
    assert len(sections) >= 3 and all(sections.values())
    assert sections == snapshot


@pytest.mark.parametrize(
    "reason, text",
    [
        (Unusable("not_recorded", "segment"), "segment is not recorded"),
        (
            Unusable("recorded_on_conversion", "owner_rep_id", 0.9, 0.1),
            "owner_rep_id is recorded on 90% of converted leads but 10% of the others, so it would "
            "only tell which leads were converted",
        ),
        (Unusable("single_value", "segment"), "segment has a single value"),
        (
            Unusable("single_value_after_pooling", "source"),
            "source has one usable value after pooling small ones",
        ),
    ],
)
def test_why_a_factor_is_left_out_in_words(reason, text):
    assert unusable_text(reason) == text
    assert not_compared_text(reason) == f"cannot compare sources: {text}"


def test_sources_without_mature_leads_say_so():
    reason = Unusable("no_mature_leads", "converted_date", cutoff=pd.Timestamp("2026-06-30"))
    assert not_compared_text(reason) == (
        "no leads old enough with both converted and unconverted ones to compare sources"
    )

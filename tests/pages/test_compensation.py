"""The compensation page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("compensation", small_sample, tmp_path)
    assert len(sections) >= 3 and all(sections.values())
    assert sections == snapshot

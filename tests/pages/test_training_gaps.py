"""The training-gaps page, section by section, without a kernel (snapshot: pytest
--snapshot-update accepts a change on purpose)."""

from __future__ import annotations

from tests.helpers import page_sections


def test_every_section_of_the_page(small_sample, tmp_path, snapshot):
    sections = page_sections("training_gaps", small_sample, tmp_path)
    assert len(sections) >= 5 and all(sections.values())
    assert sections == snapshot


def test_every_evidence_code_has_its_words(make_dataset):
    from spm_lib import load_dataset
    from spm_lib.pages.training_gaps import EVIDENCE_NOTES
    from spm_lib.training import training_effects

    effects = training_effects(
        load_dataset(make_dataset(yaml="training_catalogue: {A: {stage: Proposal}}\n"))
    )
    assert set(effects["evidence"]) <= set(EVIDENCE_NOTES)
    assert EVIDENCE_NOTES["measured"] == "" and EVIDENCE_NOTES["too_little"] == "not enough data"

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


def test_a_plan_sets_a_target_only_from_a_measured_effect():
    from spm_lib.pages.training_gaps import plan_target

    measured = {"Discovery 101": 0.25}
    assert plan_target(["Discovery 101"], 0.40, 0.60, measured) == (
        "Discovery 101, whose measured effect (+25% on conversion) sets a target of 50%"
    )
    # never past the peers' benchmark
    assert plan_target(["Discovery 101"], 0.55, 0.60, measured).endswith("a target of 60%")
    assert plan_target(["Negotiation"], 0.40, 0.60, measured) == (
        "Negotiation; no target, since the module's effect is not measured here"
    )
    assert plan_target(["coaching"], 0.40, 0.60, measured).startswith("coaching; no target")
    assert "within" not in plan_target(["Discovery 101"], 0.4, 0.6, measured)  # no horizon

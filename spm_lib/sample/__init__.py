"""Deterministic sample data with planted ground truth: ``simulate`` (the sales organisation),
``leads`` and ``history`` (its leads and opportunity history, on their own random streams),
``bundled`` (the sample as files, and the bundled sample every notebook reads by default)."""

from spm_lib.sample.bundled import bundled_sample, bundled_sample_path, project_root, write_sample
from spm_lib.sample.simulate import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    END_DATE,
    OPEN_STAGES,
    SAMPLE_FORMAT,
    SampleData,
    generate,
    ramp,
)

__all__ = [
    "DEFAULT_REPS",
    "DEFAULT_SEED",
    "DEFAULT_YEARS",
    "END_DATE",
    "OPEN_STAGES",
    "SAMPLE_FORMAT",
    "SampleData",
    "bundled_sample",
    "bundled_sample_path",
    "generate",
    "project_root",
    "ramp",
    "write_sample",
]

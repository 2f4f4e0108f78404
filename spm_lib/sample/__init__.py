"""Deterministic sample data with planted ground truth.

- ``simulate.generate``: the sales organisation, in its steps: ``company`` (reps, traits,
  trainings, books, quotas), ``deals`` (created, then won or lost), ``crm_tables`` (the tables as
  of the end date) and ``truth`` (the planted effects); every planted constant is in
  ``assumptions``;
- ``leads``, ``history`` and ``calls``: its leads, opportunity history and forecast calls, on
  their own random streams;
- ``bundled``: the sample as files, and the bundled sample every notebook reads by default.
"""

from spm_lib.sample.assumptions import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    END_DATE,
    OPEN_STAGES,
    SAMPLE_FORMAT,
)
from spm_lib.sample.bundled import bundled_sample, bundled_sample_path, project_root, write_sample
from spm_lib.sample.company import ramp
from spm_lib.sample.simulate import SampleData, generate

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

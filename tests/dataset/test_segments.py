"""Audience text: values taken as values, any character included."""

from __future__ import annotations

import pytest

from spm_lib.dataset.segments import clauses_of, segment_of
from spm_lib.exceptions import DataError


@pytest.mark.parametrize("value", ["West", "West;segment=Enterprise", "a\\b", "x=y", "; ;", ""])
def test_a_value_survives_the_round_trip(value):
    assert clauses_of(segment_of([("region", value)])) == [("region", value.strip())]


def test_clauses_and_errors():
    assert clauses_of("region=West; segment = Enterprise") == [
        ("region", "West"),
        ("segment", "Enterprise"),
    ]
    with pytest.raises(DataError, match="expected column=value"):
        clauses_of("West")

"""Page sections as values: collected in order, nested into their caller, shown part by part."""

from __future__ import annotations

import pandas as pd
import pytest

from spm_lib.report import section as section_module
from spm_lib.report.display import note, say, table
from spm_lib.report.section import Section, emit, section


@pytest.fixture
def shown(monkeypatch):
    """What IPython's display received, in order: (object, options)."""
    import IPython.display

    seen: list = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **o: seen.append((obj, o)))
    return seen


@section
def _inner() -> None:
    note("inner note")


@section
def _outer(frame: pd.DataFrame) -> None:
    say("Bookings rose to {v}.", v="$1.2M")
    table(frame, caption="Deals")
    _inner()


def test_a_section_collects_its_parts_in_order_and_shows_nothing(shown):
    frame = pd.DataFrame({"deal": ["A", "B"], "amount": [10.0, 20.0]})
    value = _outer(frame)
    assert isinstance(value, Section) and value.name == "_outer" and shown == []
    texts = value.texts()
    assert texts[0] == "Bookings rose to $1.2M." and "deal" in texts[1]
    assert texts[2] == "inner note" and len(value.parts) == 3  # the nested section's part
    assert '<p class="spm-note">inner note</p>' in value._repr_html_()
    assert "Deals" in value._repr_html_() and str(value).count("\n") >= 3


def test_in_a_notebook_the_value_shows_each_part_as_the_function_did(shown):
    value = _outer(pd.DataFrame({"deal": ["A"], "amount": [1.0]}))
    value._ipython_display_()
    assert [obj for obj, _ in shown] == [obj for obj, _ in value.parts]
    assert all(options == {"raw": True} for _, options in shown)


def test_outside_a_section_a_display_shows_at_once(shown):
    emit({"text/plain": "now"}, raw=True)
    assert shown == [({"text/plain": "now"}, {"raw": True})]
    assert section_module._collecting == []


def test_a_section_that_fails_leaves_no_collector_behind(shown):
    @section
    def broken() -> None:
        note("before")
        raise ValueError("no data")

    with pytest.raises(ValueError, match="no data"):
        broken()
    assert section_module._collecting == [] and shown == []

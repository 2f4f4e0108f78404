"""Key figures are recorded as data in the notebook and read back by name."""

from __future__ import annotations

import math

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from spm_lib.report.keyfigures import KEY_FIGURE_MIME, KeyFigure, read_key_figures, record


def test_record_returns_a_key_figure_and_cleans_numbers():
    import numpy as np

    fig = record("rows_used", np.int64(1234), label="Rows used", unit="count")
    assert fig.value == 1234 and isinstance(fig.value, int) and fig.formatted() == "1,234"
    assert record("x", float("nan")).value is None
    assert record("y", 0.25, unit="percent").formatted() == "25%"
    with pytest.raises(ValueError, match="unit"):
        record("z", 1, unit="furlongs")
    with pytest.raises(TypeError):
        record("z", "12")


def test_read_key_figures_from_outputs_last_record_wins():
    def out(name, value):
        payload = {"name": name, "value": value, "label": name.title(), "unit": "count"}
        return new_output("display_data", data={KEY_FIGURE_MIME: payload, "text/plain": ""})

    cell_a = new_code_cell("", outputs=[out("rows_read", 10), out("rows_used", 9)])
    cell_b = new_code_cell("", outputs=[out("rows_read", 11)])
    nb = new_notebook(cells=[cell_a, cell_b])
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    figures = read_key_figures(nb)
    assert figures == {
        "rows_read": {"value": 11, "label": "Rows_Read", "unit": "count"},
        "rows_used": {"value": 9, "label": "Rows_Used", "unit": "count"},
    }
    assert not math.isnan(figures["rows_read"]["value"])


def test_a_rate_changes_in_points_a_count_in_percent():
    """15.0% after 15.24% (a relative change of -1.6%) is -0.2 points; leads change in %."""
    from spm_lib.report.keyfigures import key_figures_html

    rate = KeyFigure("conversion", 0.15, "Converted", "percent", 0.15 / 0.1524 - 1, "vs Q2")
    leads = KeyFigure("leads", 10_401, "Leads", "count", -0.048, "vs Q2")
    page = key_figures_html([rate, leads])
    assert "-0.2 pts vs Q2" in page and "-1.6%" not in page
    assert "-4.8% vs Q2" in page

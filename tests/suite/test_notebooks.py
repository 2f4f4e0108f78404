"""Report notebooks: committed without outputs, one parameters cell first, the common parameters.

(Each notebook also runs top to bottom under nbval with its default parameters: `make test`.)
"""

from __future__ import annotations

import nbformat
import pytest
from papermill.inspection import inspect_notebook

from tests.helpers import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.stem == "data_quality" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "run `make strip-notebooks`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and code[0] is tagged[0]
    params = inspect_notebook(str(path))
    assert {"data", "config", "period", "segment"} <= set(params)
    assert params["period"]["default"] == '"latest"'
    assert nb.metadata["kernelspec"]["name"] == "spm"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_is_parameters_set_up_and_one_short_call_per_section(path):
    """A report's logic and words live in spm_lib (its page module, spm_lib.pages.<name>):
    no code cell over 8 lines, and the set-up imports the notebook's own page module."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source.strip() for c in nb.cells if c.cell_type == "code"]
    long = {i: len(s.splitlines()) for i, s in enumerate(code) if len(s.splitlines()) > 8}
    assert not long, long
    assert f"from spm_lib.pages import {path.stem} as page" in code[1]

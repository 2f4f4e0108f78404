"""`spm validate`: the data-quality summary, and a non-zero exit on a fatal problem."""

from __future__ import annotations

from spm_lib.suite.cli import main
from tests.helpers import OPPORTUNITIES


def test_validate_prints_the_summary(make_dataset, capsys):
    rows = [dict(OPPORTUNITIES[0], rep_id="R404"), *OPPORTUNITIES[1:]]
    assert main(["validate", str(make_dataset(opportunities=rows))]) == 0
    out = capsys.readouterr().out
    assert "rows_read" in out and "opportunities" in out
    assert "orphan_rep_id" in out and "rep_id 'R404' is not in reps" in out


def test_validate_clean_dataset(make_dataset, capsys):
    assert main(["validate", str(make_dataset())]) == 0
    assert "No rows quarantined" in capsys.readouterr().out


def test_validate_exits_non_zero_on_fatal_problem(make_dataset, capsys):
    rows = [{k: v for k, v in r.items() if k != "amount"} for r in OPPORTUNITIES]
    assert main(["validate", str(make_dataset(opportunities=rows))]) == 2
    assert "FATAL" in capsys.readouterr().err

"""Packs never shrink: a run of fewer reports updates those and keeps the others, marked with
their run; a run of no report is an error that leaves the pack as it was."""

from __future__ import annotations

import json

from tests.helpers import spm


def _manifest(out):
    return json.loads((out / "2026-Q3" / "all" / "manifest.json").read_text())


def test_a_smaller_run_updates_its_reports_and_keeps_the_others(small_sample, tmp_path):
    """The attack run: --notebooks data_quality replaced a nine-report pack with one report."""
    out = tmp_path / "out"
    first = spm(
        "run",
        "--data",
        str(small_sample),
        "--out",
        str(out),
        "--quiet",
        "--jobs",
        "2",
        "--notebooks",
        "data_quality,rep_performance,training_gaps",
    )
    assert first.returncode == 0, first.stderr
    before = _manifest(out)
    pages = {p.name: p.read_bytes() for p in (out / "2026-Q3" / "all").glob("*.html")}
    second = spm(
        "run",
        "--data",
        str(small_sample),
        "--out",
        str(out),
        "--quiet",
        "--notebooks",
        "data_quality",
    )
    assert second.returncode == 0, second.stderr
    assert "kept" in second.stdout and "rep_performance" in second.stdout
    after = _manifest(out)
    entries = {n["name"]: n for n in after["notebooks"]}
    assert list(entries) == ["data_quality", "rep_performance", "training_gaps"]
    assert entries["data_quality"]["carried_from"] is None
    for name in ("rep_performance", "training_gaps"):
        carried = entries[name]["carried_from"]
        assert carried["finished"] == before["finished"], name
        assert carried["data_fingerprint"] == before["data_fingerprint"]
        assert (
            entries[name]["key_figures"]
            == {n["name"]: n for n in before["notebooks"]}[name]["key_figures"]
        )
        assert (out / "2026-Q3" / "all" / f"{name}.html").read_bytes() == pages[f"{name}.html"]
        assert (out / "2026-Q3" / "all" / "executed" / f"{name}.ipynb").is_file()
    brief = (out / "2026-Q3" / "all" / "index.html").read_text()
    assert brief.count("kept from the run of") == 2 and 'href="rep_performance.html"' in brief
    assert "2 reports were not part of this run" in brief
    # a third run of one report again: still three, the carried ones keep their first run
    third = spm(
        "run",
        "--data",
        str(small_sample),
        "--out",
        str(out),
        "--quiet",
        "--notebooks",
        "training_gaps",
    )
    assert third.returncode == 0, third.stderr
    entries = {n["name"]: n for n in _manifest(out)["notebooks"]}
    assert entries["rep_performance"]["carried_from"]["finished"] == before["finished"]
    assert entries["training_gaps"]["carried_from"] is None
    assert entries["data_quality"]["carried_from"]["finished"] == after["finished"]


def test_a_run_of_no_report_is_an_error_and_leaves_the_pack(small_sample, tmp_path):
    out = tmp_path / "out"
    assert (
        spm(
            "run",
            "--data",
            str(small_sample),
            "--out",
            str(out),
            "--quiet",
            "--notebooks",
            "data_quality",
        ).returncode
        == 0
    )
    before = (out / "2026-Q3" / "all" / "manifest.json").read_bytes()
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        result = spm(
            "run",
            "--data",
            str(small_sample),
            "--out",
            str(out),
            "--quiet",
            "--notebooks-dir",
            str(folder),
        )
        assert result.returncode == 2 and "no report notebooks" in result.stderr
        assert "Traceback" not in result.stderr
    assert (out / "2026-Q3" / "all" / "manifest.json").read_bytes() == before

"""Whole-suite runs shared by the end-to-end tests of this folder (each runs once a session)."""

from __future__ import annotations

import json

import nbformat
import pytest

from spm_lib.report import read_tables
from spm_lib.suite.cli import main
from tests.conftest import MAVEN_RAW as RAW
from tests.conftest import spm

# tiny notebooks the runner tests execute through `spm run`; not notebooks to check under nbval
collect_ignore_glob = ["fixture_notebooks/*"]


def _run(data, out) -> dict:
    result = spm("run", "--data", str(data), "--out", str(out), "--jobs", "2", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    folder = next(p for p in out.iterdir() if (p / "manifest.json").exists())
    manifest = json.loads((folder / "manifest.json").read_text())
    entries = {n["name"]: n for n in manifest["notebooks"]}
    assert all(e["status"] == "ok" for e in entries.values()), {
        k: e["error"] for k, e in entries.items() if e["status"] != "ok"
    }
    tables = {
        name: read_tables(nbformat.read(folder / "executed" / f"{name}.ipynb", as_version=4))
        for name in entries
    }
    figures = {name: e["key_figures"] for name, e in entries.items()}
    return {"folder": folder, "figures": figures, "tables": tables}


@pytest.fixture(scope="session")
def sample_run(default_sample, tmp_path_factory):
    return _run(default_sample, tmp_path_factory.mktemp("consistency-sample"))


@pytest.fixture(scope="session")
def maven_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("maven") / "maven"
    assert main(["import", "--from", "maven", "--out", str(data), str(RAW)]) == 0
    return _run(data, tmp_path_factory.mktemp("consistency-maven"))



"""Whole-suite runs shared by the end-to-end tests of this folder (each runs once a session)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from spm_lib.report import read_tables
from spm_lib.suite.cli import main
from tests.helpers import MAVEN_RAW as RAW
from tests.helpers import rendered, shared_folder, spm

# tiny notebooks the runner tests execute through `spm run`; not notebooks to check under nbval
collect_ignore_glob = ["fixture_notebooks/*"]


def _run(out: Path, result: dict) -> dict:
    assert result["returncode"] == 0, result["stdout"] + result["stderr"]
    folder = next(p.parent for p in out.glob("*/all/manifest.json"))
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
    """The suite on the default sample, as `make reports` renders it (once a session)."""
    return _run(*rendered(tmp_path_factory, "sample-run", default_sample))


@pytest.fixture(scope="session")
def maven_data(tmp_path_factory) -> Path:
    """The Maven export imported (once a session)."""

    def build(data: Path) -> None:
        assert main(["import", "--from", "maven", "--out", str(data), str(RAW)]) == 0

    return shared_folder(tmp_path_factory, "maven", build)


@pytest.fixture(scope="session")
def maven_run(maven_data, tmp_path_factory):
    return _run(*rendered(tmp_path_factory, "maven-run", maven_data))


@pytest.fixture(scope="session")
def by_manager(small_sample, tmp_path_factory) -> Path:
    """The whole suite on the small sample, for the company and each manager's team (once a
    session; the finest audiences the sample has: an SDR team's leads become other teams'
    deals): the output folder."""

    def build(out: Path) -> None:
        result = spm(
            "run",
            "--data",
            str(small_sample),
            "--out",
            str(out),
            "--segment-by",
            "manager",
            "--jobs",
            "2",
            "--quiet",
        )
        assert result.returncode == 0, result.stdout + result.stderr

    return shared_folder(tmp_path_factory, "by-manager", build)

"""Whole-suite runs shared by the end-to-end tests of this folder (each runs once a session)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from spm_lib.report import read_tables
from spm_lib.suite.cli import main
from tests.conftest import MAVEN_RAW as RAW
from tests.conftest import shared_folder, spm

# tiny notebooks the runner tests execute through `spm run`; not notebooks to check under nbval
collect_ignore_glob = ["fixture_notebooks/*"]


def rendered(tmp_path_factory, name: str, data: Path) -> tuple[Path, dict]:
    """The whole suite run once a session on ``data`` into the shared folder ``name``
    (:func:`tests.conftest.shared_folder`): (the output folder, the run's returncode, stdout
    and stderr)."""

    def build(out: Path) -> None:
        result = spm("run", "--data", str(data), "--out", str(out), "--jobs", "2", "--quiet")
        (out / "result.json").write_text(json.dumps({
            "returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}))

    out = shared_folder(tmp_path_factory, name, build)
    return out, json.loads((out / "result.json").read_text())


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
        result = spm("run", "--data", str(small_sample), "--out", str(out), "--segment-by",
                     "manager", "--jobs", "2", "--quiet")  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr

    return shared_folder(tmp_path_factory, "by-manager", build)


def manager_folder(manager: str) -> str:
    """The pack folder of ``manager``'s team in :func:`by_manager`."""
    from spm_lib.dataset.segments import segment_of
    from spm_lib.suite.layout import audience_folder

    return audience_folder(segment_of([("manager", manager)]))

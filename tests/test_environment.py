"""pyproject.toml and environment.yml list the same packages with the same bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _normalise(requirement: str) -> tuple[str, str]:
    name, spec = SPEC.match(requirement).groups()
    return re.sub(r"[-_.]+", "-", name).lower(), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(_normalise(r) for r in requirements)


def conda_requirements() -> tuple[dict[str, str], list[str], str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    found, pip, python = {}, [], ""
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep.get("pip", []))
            continue
        name, spec = _normalise(dep)
        if name == "python":
            python = spec
        elif name != "pip":
            found[name] = spec
    return found, pip, python


RUNTIME_FROM_PIP = {"duckdb"}  # not on conda-forge under this name and version


def test_same_packages_and_bounds():
    conda, pip, _ = conda_requirements()
    from_pip = dict(_normalise(r) for r in pip[1:])
    runtime = {name: spec for name, spec in from_pip.items() if name in RUNTIME_FROM_PIP}
    assert conda | runtime == pyproject_requirements()


def test_environment_installs_the_package_on_python_311():
    _, pip, python = conda_requirements()
    assert pip[0] == "-e ."
    assert python == "=3.11"


def test_benchmark_extra_matches_the_pip_section():
    _, pip, _ = conda_requirements()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    benchmark = dict(_normalise(r) for r in project["optional-dependencies"]["benchmark"])
    from_pip = dict(_normalise(r) for r in pip[1:])
    assert {k: v for k, v in from_pip.items() if k not in RUNTIME_FROM_PIP} == benchmark


def test_every_dependency_has_a_lower_bound():
    for name, spec in pyproject_requirements().items():
        assert ">=" in spec, f"{name} has no lower bound"

"""Test helpers: the project's folders, ``spm`` (the command line, as a user runs it), small
datasets written to folders, notebooks written for the runner, folders shared by a session."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]  # the project
SHARED_DATA = ROOT.parent / "shared" / "data"  # the real exports beside the project
TEST_DATA = ROOT / "tests" / "data"  # exports the project may copy (with their notices)
MAVEN_RAW = ROOT / "examples" / "maven-crm"


def spm(*args: str) -> subprocess.CompletedProcess:
    """Run the ``spm`` command with ``args`` from the project folder; never raises."""
    script = Path(sys.executable).with_name("spm")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "spm_lib.suite.cli"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=900, cwd=ROOT, check=False
    )


def write_notebook(folder: Path, name: str, *cells: str) -> Path:
    """A report notebook ``folder/name.ipynb`` with the runner's parameters cell, then
    ``cells``; returns ``folder``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'data = ""\nconfig = ""\nperiod = "latest"\nsegment = ""\nout_dir = ""'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


REPS = [
    {
        "rep_id": "R1",
        "name": "Ann Lee",
        "manager": "Mo",
        "team": "West A",
        "region": "West",
        "segment": "Commercial",
        "hire_date": "2024-01-15",
        "end_date": "",
    },
    {
        "rep_id": "R2",
        "name": "Bob Ray",
        "manager": "Mo",
        "team": "West A",
        "region": "West",
        "segment": "Commercial",
        "hire_date": "2024-03-01",
        "end_date": "",
    },
    {
        "rep_id": "R3",
        "name": "Cy Dee",
        "manager": "Jo",
        "team": "East A",
        "region": "East",
        "segment": "Enterprise",
        "hire_date": "2023-06-01",
        "end_date": "2025-06-30",
    },
]
OPPORTUNITIES = [
    {
        "opportunity_id": "O1",
        "rep_id": "R1",
        "account_id": "A1",
        "product": "Core",
        "created_date": "2025-01-05",
        "close_date": "2025-02-10",
        "stage": "Closed Won",
        "amount": "1000",
        "is_closed": "true",
        "is_won": "true",
    },
    {
        "opportunity_id": "O2",
        "rep_id": "R1",
        "account_id": "A2",
        "product": "Pro",
        "created_date": "2025-01-10",
        "close_date": "2025-03-01",
        "stage": "Closed Lost",
        "amount": "2500.50",
        "is_closed": "true",
        "is_won": "false",
    },
    {
        "opportunity_id": "O3",
        "rep_id": "R2",
        "account_id": "",
        "product": "Core",
        "created_date": "2025-02-01",
        "close_date": "2025-04-30",
        "stage": "Proposal",
        "amount": "4000",
        "is_closed": "false",
        "is_won": "false",
    },
    {
        "opportunity_id": "O4",
        "rep_id": "R3",
        "account_id": "A1",
        "product": "Suite",
        "created_date": "2025-03-01",
        "close_date": "2025-03-20",
        "stage": "Closed Won",
        "amount": "9000",
        "is_closed": "true",
        "is_won": "true",
    },
]
ACCOUNTS = [
    {
        "account_id": "A1",
        "name": "Acme",
        "industry": "Retail",
        "region": "West",
        "employees": "120",
        "annual_revenue": "5000000",
        "owner_rep_id": "R1",
    },
    {
        "account_id": "A2",
        "name": "Globex",
        "industry": "Energy",
        "region": "West",
        "employees": "4000",
        "annual_revenue": "900000000",
        "owner_rep_id": "R2",
    },
]


def write_tables(
    folder: Path, tables: dict[str, list[dict] | pd.DataFrame], yaml: str | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        frame.to_csv(folder / f"{name}.csv", index=False)
    if yaml is not None:
        (folder / "spm.yaml").write_text(yaml, encoding="utf-8")
    return folder


def shared_folder(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]
) -> Path:
    """The folder ``name``, built by ``build(folder)`` once for the whole test session: the
    first pytest-xdist worker to ask builds it while the others wait on a lock file, then all
    read the same folder (the session's shared temporary folder). Read it, never modify it."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / f"{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            (root / f"{name}.done").touch()
    return folder


POSTGRES_ADMIN_PASSWORD = "admin-for-tests"  # the test server's superuser (postgres)


def rendered(tmp_path_factory, name: str, data: Path) -> tuple[Path, dict]:
    """The whole suite run once a session on ``data`` into the shared folder ``name``
    (:func:`shared_folder`): (the output folder, the run's returncode, stdout
    and stderr)."""

    def build(out: Path) -> None:
        result = spm("run", "--data", str(data), "--out", str(out), "--jobs", "2", "--quiet")
        (out / "result.json").write_text(
            json.dumps(
                {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}
            )
        )

    out = shared_folder(tmp_path_factory, name, build)
    return out, json.loads((out / "result.json").read_text())


def manager_folder(manager: str) -> str:
    """The pack folder of ``manager``'s team in :func:`by_manager`."""
    from spm_lib.dataset.segments import segment_of
    from spm_lib.suite.layout import audience_folder

    return audience_folder(segment_of([("manager", manager)]))


def page_sections(report: str, data: Path, out_dir: Path, period: str = "latest") -> dict:
    """Run ``notebooks/<report>.ipynb`` cell by cell in this process, without a kernel, on
    ``data``: {"<n> <section>": the text form of the section a cell returned}, in order."""
    import ast

    import nbformat

    from spm_lib.report.section import Section

    notebook = nbformat.read(ROOT / "notebooks" / f"{report}.ipynb", as_version=4)
    namespace: dict = {}
    shown: dict[str, str] = {}
    for cell in (c for c in notebook.cells if c.cell_type == "code"):
        if "parameters" in cell.metadata.get("tags", []):
            exec(cell.source, namespace)  # noqa: S102 - the project's own notebook
            namespace.update(data=str(data), period=period, out_dir=str(out_dir))
            continue
        tree = ast.parse(cell.source)
        last = tree.body[-1] if tree.body else None
        if not isinstance(last, ast.Expr):
            exec(cell.source, namespace)  # noqa: S102
            continue
        exec(compile(ast.Module(tree.body[:-1], []), report, "exec"), namespace)  # noqa: S102
        value = eval(compile(ast.Expression(last.value), report, "eval"), namespace)  # noqa: S307
        if isinstance(value, Section):
            shown[f"{len(shown) + 1:02d} {value.name}"] = str(value)
    return shown


UNREADABLE = re.compile(r"(?<![\w-])([+-]?(?:nan|NaN|inf|NaT|<NA>|None))(?![\w-])")


def unreadable_values(folder: Path) -> dict[str, list[str]]:
    """Per page (HTML under ``folder``, executed notebooks aside): the values a reader must
    never see in its visible text ("nan", "+nan", "inf", "NaT", "<NA>", "None")."""
    import html

    found = {}
    for page in sorted(Path(folder).rglob("*.html")):
        if "executed" in page.parts:
            continue
        text = re.sub(r"<style.*?</style>|<script.*?</script>", "", page.read_text(), flags=re.S)
        hits = UNREADABLE.findall(html.unescape(re.sub(r"<[^>]+>", " ", text)))
        if hits:
            found[str(page.relative_to(folder))] = hits
    return found

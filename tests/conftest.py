"""Shared fixtures and helpers: small datasets written to temporary folders, the project's
folders, and ``spm`` (the command line, as a user runs it)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from spm_lib.sample import write_sample

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
    params = nbformat.v4.new_code_cell('data = ""\nconfig = ""\nperiod = "latest"\n'
                                       'segment = ""\nout_dir = ""')  # fmt: skip
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


REPS = [
    {"rep_id": "R1", "name": "Ann Lee", "manager": "Mo", "team": "West A", "region": "West",
     "segment": "Commercial", "hire_date": "2024-01-15", "end_date": ""},
    {"rep_id": "R2", "name": "Bob Ray", "manager": "Mo", "team": "West A", "region": "West",
     "segment": "Commercial", "hire_date": "2024-03-01", "end_date": ""},
    {"rep_id": "R3", "name": "Cy Dee", "manager": "Jo", "team": "East A", "region": "East",
     "segment": "Enterprise", "hire_date": "2023-06-01", "end_date": "2025-06-30"},
]  # fmt: skip
OPPORTUNITIES = [
    {"opportunity_id": "O1", "rep_id": "R1", "account_id": "A1", "product": "Core",
     "created_date": "2025-01-05", "close_date": "2025-02-10", "stage": "Closed Won",
     "amount": "1000", "is_closed": "true", "is_won": "true"},
    {"opportunity_id": "O2", "rep_id": "R1", "account_id": "A2", "product": "Pro",
     "created_date": "2025-01-10", "close_date": "2025-03-01", "stage": "Closed Lost",
     "amount": "2500.50", "is_closed": "true", "is_won": "false"},
    {"opportunity_id": "O3", "rep_id": "R2", "account_id": "", "product": "Core",
     "created_date": "2025-02-01", "close_date": "2025-04-30", "stage": "Proposal",
     "amount": "4000", "is_closed": "false", "is_won": "false"},
    {"opportunity_id": "O4", "rep_id": "R3", "account_id": "A1", "product": "Suite",
     "created_date": "2025-03-01", "close_date": "2025-03-20", "stage": "Closed Won",
     "amount": "9000", "is_closed": "true", "is_won": "true"},
]  # fmt: skip
ACCOUNTS = [
    {"account_id": "A1", "name": "Acme", "industry": "Retail", "region": "West",
     "employees": "120", "annual_revenue": "5000000", "owner_rep_id": "R1"},
    {"account_id": "A2", "name": "Globex", "industry": "Energy", "region": "West",
     "employees": "4000", "annual_revenue": "900000000", "owner_rep_id": "R2"},
]  # fmt: skip


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


@pytest.fixture
def make_dataset(tmp_path: Path) -> Callable[..., Path]:
    """Write a small valid dataset with the given tables replaced or added; return its folder."""
    counter = iter(range(1000))

    def make(yaml: str | None = None, **overrides: list[dict] | pd.DataFrame | None) -> Path:
        tables: dict = {"reps": REPS, "opportunities": OPPORTUNITIES, "accounts": ACCOUNTS}
        for name, rows in overrides.items():
            if rows is None:
                tables.pop(name, None)
            else:
                tables[name] = rows
        return write_tables(tmp_path / f"ds{next(counter)}", tables, yaml)

    return make


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


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated sample (24 reps, 2 years), shared by the tests of a session."""
    return shared_folder(tmp_path_factory, "small-sample",
                         lambda folder: write_sample(folder, seed=7, reps=24, years=2))  # fmt: skip


@pytest.fixture(scope="session")
def default_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with default sizes (60 reps, 4 years), as `make reports` uses it."""
    return shared_folder(tmp_path_factory, "default-sample", write_sample)


POSTGRES_ADMIN_PASSWORD = "admin-for-tests"  # the test server's superuser (postgres)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server started for the session on 127.0.0.1 (initdb + pg_ctl, as the
    postgres user when running as root); yields a URL whose password comes from
    ${SPM_TEST_PG_PASSWORD}. Skips, with the reason, only where no server can be started,
    and never when SPM_REQUIRE_POSTGRES is set (CI sets it)."""
    import glob
    import os
    import shutil
    import socket
    import subprocess
    import tempfile

    def unavailable(reason: str):
        if os.environ.get("SPM_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here (SPM_REQUIRE_POSTGRES) but {reason}")
        pytest.skip(f"no PostgreSQL server can be started: {reason}")

    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    initdb = shutil.which("initdb") or (f"{bins[-1]}/initdb" if bins else None)
    if not initdb or not Path(initdb).exists():
        unavailable("initdb is not installed (apt-get install postgresql)")
    bindir = Path(initdb).resolve().parent
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            unavailable("running as root without runuser to switch to the postgres user")
        as_user = ["runuser", "-u", "postgres", "--"]
    home = Path(tempfile.mkdtemp(prefix="spm-pg-"))
    if as_user:
        shutil.chown(home, "postgres", "postgres")
    data = home / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    password = "s3cret-for-tests"

    def run(*command: str) -> None:
        result = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120,
                                check=False)  # fmt: skip
        if result.returncode:
            unavailable(f"{Path(command[0]).name} failed: {result.stderr.strip()[:300]}")

    pwfile = home / "pw"
    pwfile.write_text(POSTGRES_ADMIN_PASSWORD + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres", "postgres")
    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8")  # fmt: skip
    run(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(home / "log"), "-o",
        f"-h 127.0.0.1 -p {port} -k {home}", "start")  # fmt: skip
    try:
        import pg8000.native

        admin = pg8000.native.Connection("postgres", host="127.0.0.1", port=port,
                                         password=POSTGRES_ADMIN_PASSWORD)  # fmt: skip
        admin.run(f"CREATE ROLE spm LOGIN PASSWORD '{password}'")
        admin.run("CREATE DATABASE spm OWNER spm")
        admin.close()
        os.environ["SPM_TEST_PG_PASSWORD"] = password
        yield f"postgresql://spm:${{SPM_TEST_PG_PASSWORD}}@127.0.0.1:{port}/spm"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True, timeout=120, check=False)  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)

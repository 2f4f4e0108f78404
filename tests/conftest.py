"""Shared fixtures: small datasets written to temporary folders, the samples a session shares,
a PostgreSQL server (helpers they use, and tests import, are in :mod:`tests.helpers`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from spm_lib.sample import write_sample
from tests.helpers import (
    ACCOUNTS,
    OPPORTUNITIES,
    POSTGRES_ADMIN_PASSWORD,
    REPS,
    shared_folder,
    write_tables,
)


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


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated sample (24 reps, 2 years), shared by the tests of a session."""
    return shared_folder(
        tmp_path_factory,
        "small-sample",
        lambda folder: write_sample(folder, seed=7, reps=24, years=2),
    )


@pytest.fixture(scope="session")
def default_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with default sizes (60 reps, 4 years), as `make reports` uses it."""
    return shared_folder(tmp_path_factory, "default-sample", write_sample)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server started for the session on 127.0.0.1 (initdb + pg_ctl, as the
    postgres user when running as root); yields a URL whose password comes from
    ${SPM_TEST_PG_PASSWORD}. Skips, with the reason, only where no server can be started,
    and never when SPM_REQUIRE_POSTGRES is set (CI sets it)."""
    import glob
    import socket
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
        result = subprocess.run(
            [*as_user, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode:
            unavailable(f"{Path(command[0]).name} failed: {result.stderr.strip()[:300]}")

    pwfile = home / "pw"
    pwfile.write_text(POSTGRES_ADMIN_PASSWORD + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres", "postgres")
    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        f"--pwfile={pwfile}",
        "-E",
        "UTF8",
    )
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(home / "log"),
        "-o",
        f"-h 127.0.0.1 -p {port} -k {home}",
        "start",
    )
    try:
        import pg8000.native

        admin = pg8000.native.Connection(
            "postgres", host="127.0.0.1", port=port, password=POSTGRES_ADMIN_PASSWORD
        )
        admin.run(f"CREATE ROLE spm LOGIN PASSWORD '{password}'")
        admin.run("CREATE DATABASE spm OWNER spm")
        admin.close()
        os.environ["SPM_TEST_PG_PASSWORD"] = password
        yield f"postgresql://spm:${{SPM_TEST_PG_PASSWORD}}@127.0.0.1:{port}/spm"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        shutil.rmtree(home, ignore_errors=True)

"""Database URLs: the parse that connects decides what a secret is. Every way of writing a
password is refused, masked and scrubbed; a variable's value is a value, never URL syntax."""

from __future__ import annotations

import json

import pytest

from spm_lib import load_dataset
from spm_lib.dataset.urls import (
    connect_url,
    masked,
    refuse_written_secrets,
    scrubbed,
    secrets_of,
    secrets_to_scrub,
)
from spm_lib.exceptions import DataError
from tests.helpers import POSTGRES_ADMIN_PASSWORD, spm

# (URL with a written credential, the credential as the attack run wrote it)
WRITTEN = [
    ("postgresql://reports:pa/ss@db.internal/crm", "pa/ss"),
    ("postgresql://reports:pa?ss@db.internal/crm", "pa?ss"),
    ("postgresql://reports:pa#ss@db.internal:5432/crm", "pa#ss"),
    ("postgresql://rep@srv:hunter2@db.internal/crm", "hunter2"),  # Azure: user@server
    ("postgresql://reports:p%40ssw0rd@db.internal/crm", "p%40ssw0rd"),
    ("postgresql://reports@db.internal/crm?pass%77ord=s3cr3tval", "s3cr3tval"),
    ("postgresql://reports@db.internal/crm?sslmode=require&PassWord=s3cr3tval", "s3cr3tval"),
    ("postgresql://reports@db.internal/crm?client_secret=s3cr3tval", "s3cr3tval"),
    ("postgresql://reports@db.internal/crm?my_api_token=s3cr3tval", "s3cr3tval"),
    ("postgresql://:s3cr3tval@db.internal/crm", "s3cr3tval"),
    ("postgresql://reports:pre${PW}@db.internal/crm", "pre"),  # part written, part variable
]


@pytest.mark.parametrize(("url", "secret"), WRITTEN)
def test_every_written_password_is_refused_and_never_shown(url, secret):
    with pytest.raises(DataError, match="environment variable") as refused:
        refuse_written_secrets(url, "database URL ")
    assert secret not in str(refused.value) and secret not in masked(url)
    assert "db.internal" in masked(url) and "***" in masked(url)


@pytest.mark.parametrize(("url", "secret"), WRITTEN[:-1])
def test_spm_run_refuses_them_with_exit_2_and_stores_nothing(url, secret, tmp_path):
    out = tmp_path / "out"
    result = spm("run", "--data", url, "--out", str(out), "--quiet")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "environment variable" in result.stderr
    assert secret not in result.stdout + result.stderr and "Traceback" not in result.stderr
    stored = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert all(secret not in p.read_text(errors="ignore") for p in stored)


def test_masked_keeps_what_is_not_a_secret():
    assert masked("postgresql://me:pa55@h/db") == "postgresql://me:***@h/db"
    assert masked("postgresql://me@h:5432/db?sslmode=require") == (
        "postgresql://me@h:5432/db?sslmode=require"
    )
    assert masked("postgresql://me:${PW}@h/db?password=${PW}&sslmode=require") == (
        "postgresql://me:***@h/db?password=***&sslmode=require"
    )
    assert masked("/data/crm.duckdb") == "/data/crm.duckdb"
    # a URL the parser refuses (a port that is no number): all of its user info masked
    assert masked("postgresql://me:pa/ss@h:port/db?x=1") == "postgresql://***@h:port/db?***"
    assert secrets_of("postgresql://me:a@h/db?password=b&apikey=c&sslmode=d") == ["a", "b", "c"]


def test_a_variable_is_a_value_never_url_syntax(monkeypatch):
    odd = "p@ss/w#rd?&x=%41:"
    monkeypatch.setenv("ODD_PW", odd)
    monkeypatch.setenv("ODD_TOKEN", odd)
    url = connect_url("postgresql://reports:${ODD_PW}@db.internal:5432/crm?token=${ODD_TOKEN}")
    assert url.password == odd and url.query["token"] == odd
    assert (url.username, url.host, url.port, url.database) == (
        "reports",
        "db.internal",
        5432,
        "crm",
    )
    assert url.drivername == "postgresql+pg8000"
    # a driver message that repeats the secret, plain or URL-encoded, is scrubbed
    message = f"FATAL: password {odd} or {url.render_as_string(hide_password=False)} refused"
    clean = scrubbed(message, secrets_to_scrub(url))
    assert odd not in clean and "p%40ss" not in clean and "***" in clean


def test_pgpassword_fills_a_missing_password(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "from/env@x")
    assert connect_url("postgresql://reports@h/crm").password == "from/env@x"
    monkeypatch.delenv("NOPE_PW", raising=False)
    with pytest.raises(DataError, match="environment variable NOPE_PW is not set"):
        connect_url("postgresql://reports:${NOPE_PW}@h/crm")


def test_a_password_with_url_characters_connects_to_postgresql(postgres_url, monkeypatch, tmp_path):
    """A role whose password holds @ / # ? & = % : logs in through ${NAME}; a wrong one fails
    with a sentence that names neither; the run's outputs hold neither."""
    import pg8000.native

    from spm_lib.dataset.database import read_tables

    port = connect_url(postgres_url).port
    odd = "p@ss/w#rd?&x=%41:"
    admin = pg8000.native.Connection(
        "postgres", host="127.0.0.1", port=port, password=POSTGRES_ADMIN_PASSWORD
    )
    if not admin.run("SELECT 1 FROM pg_roles WHERE rolname = 'spm_odd'"):
        admin.run(f"CREATE ROLE spm_odd LOGIN PASSWORD '{odd}'")
    admin.close()
    url = f"postgresql://spm_odd:${{SPM_ODD_PW}}@127.0.0.1:{port}/spm"
    monkeypatch.setenv("SPM_ODD_PW", odd)
    frames, _ = read_tables(url, {"probe": "SELECT 1 AS one"}, ["probe"])
    assert frames["probe"]["one"].tolist() == [1]
    monkeypatch.setenv("SPM_ODD_PW", odd + "-wrong")
    with pytest.raises(DataError) as failed:
        load_dataset(url)
    assert odd not in str(failed.value) and "p%40ss" not in str(failed.value)
    assert "127.0.0.1" in str(failed.value)
    # spm validate on the wrong password: exit 2, one sentence, nothing of the password
    result = spm("validate", url)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert odd not in result.stdout + result.stderr
    assert json.dumps(odd)[1:-1] not in result.stdout + result.stderr
